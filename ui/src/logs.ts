// A run's output: what `shipyard run` tees into `logs/stdout.log` and `logs/stderr.log`,
// and what a pipeline step printed (`step.log`, `step.N.log` for retries). The end of a
// log is what matters (the error, the last epoch), so each shows its last 64 KiB, read
// with a Range from the project's objects; as text, never as markup.

import { getBytes } from "./api";
import { h, replace } from "./dom";
import { bytes } from "./format";
import { downloadLink, objectUrl, TEXT_LIMIT } from "./preview";
import type { FileEntry } from "./types";
import { errorBox, section } from "./ui";

const LOG = /^(logs\/(stdout|stderr)\.log|step(\.\d+)?\.log)$/;

/** The run's log artifacts, stdout before stderr, steps' attempts in order. */
export function logFiles(files: FileEntry[]): FileEntry[] {
  const rank = (path: string): number => (path === "logs/stdout.log" ? 0 : path === "logs/stderr.log" ? 1 : 2);
  return files
    .filter((f) => LOG.test(f.path))
    .sort((a, b) => rank(a.path) - rank(b.path) || a.path.localeCompare(b.path, "en", { numeric: true }));
}

async function showTail(box: HTMLElement, project: string, file: FileEntry, signal: AbortSignal): Promise<void> {
  const url = objectUrl(project, file);
  if (!url) return;
  if (file.size === 0) {
    replace(box, h("p", { class: "empty" }, "Nothing was written."));
    return;
  }
  replace(box, h("p", { class: "loading", role: "status" }, `Loading ${file.path}…`));
  try {
    const start = typeof file.size === "number" ? Math.max(0, file.size - TEXT_LIMIT) : 0;
    const got = await getBytes(url, { start, end: start + TEXT_LIMIT - 1, signal });
    let text = new TextDecoder("utf-8", { fatal: false }).decode(got.data);
    if (start > 0) text = text.slice(text.indexOf("\n") + 1); // from a whole line
    const pre = h("pre", { class: "preview-text log-text", tabindex: 0, "data-testid": "log-text" }, text);
    replace(
      box,
      pre,
      start > 0
        ? h("p", { class: "muted" }, `The last ${bytes(got.data.length)} of ${bytes(got.total)}. `,
            downloadLink(project, file, "Download the whole log"))
        : null,
    );
    pre.scrollTop = pre.scrollHeight;
  } catch (err) {
    if (signal.aborted) return;
    replace(box, errorBox(err, "Log", "The log could not be read"));
  }
}

/** The "Output" section (null when the run kept no log); the first log is opened. */
export function logSection(project: string, files: FileEntry[], signal: AbortSignal): HTMLElement | null {
  const logs = logFiles(files);
  if (!logs.length) return null;
  return section(
    "Output",
    ...logs.map((file, index) => {
      const box = h("div", { class: "preview" });
      const details = h(
        "details",
        { class: "log", "data-testid": "run-log", "data-path": file.path },
        h("summary", {}, h("code", {}, file.path), ` (${bytes(file.size)})`),
        box,
      );
      let loaded = false;
      details.addEventListener("toggle", () => {
        if (details.open && !loaded) {
          loaded = true;
          void showTail(box, project, file, signal);
        }
      });
      if (index === 0) details.open = true;
      return details;
    }),
  );
}
