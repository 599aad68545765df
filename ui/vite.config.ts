// Builds the page into the Python package (shipyard/ui/static), which the server
// serves at "/" with assets under "/assets/" and a strict Content-Security-Policy:
// nothing may be inlined (no inline scripts, styles or data: modules).
import { defineConfig } from "vite";

// (Node's global, declared here rather than pulling in @types/node for one line.)
declare const process: { env: Record<string, string | undefined> };

// `npm run dev` proxies the API to a running server (SHIPYARD_DEV_SERVER, default a
// local `shipyard server`); log in through the page as usual.
const backend = process.env.SHIPYARD_DEV_SERVER ?? "http://127.0.0.1:8750";

export default defineConfig({
  base: "/",
  build: {
    outDir: "../src/shipyard/ui/static",
    emptyOutDir: true,
    assetsDir: "assets",
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    sourcemap: false,
    target: "es2022",
  },
  server: {
    proxy: {
      "/api": backend,
      "/ui/session": backend,
    },
  },
});
