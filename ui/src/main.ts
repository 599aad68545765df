// Entry point: the stylesheet (Vite emits it as assets/*.css) and the app shell.

import "./style.css";
import { App } from "./app";

const header = document.getElementById("topbar");
const main = document.getElementById("main");
if (header && main) {
  // The skip link targets <main> without touching the hash the router reads.
  document.querySelector(".skip-link")?.addEventListener("click", (event) => {
    event.preventDefault();
    main.focus();
  });
  void new App(header, main).start();
}
