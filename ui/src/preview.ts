// Previews of a run's artifacts, read from the project's objects
// (`GET /projects/{p}/objects/{digest}`, a `Range` for the first part):
// text as text (the first 64 KiB), CSV as a table (the first 50 rows), images from a
// `data:` URL (the page's policy allows `img-src 'self' data:`, not `blob:`) when under
// 2 MiB. Everything is shown as text or pixels: nothing read is parsed as markup.

import { apiPath, getBytes } from "./api";
import { h, replace } from "./dom";
import { bytes, shortDigest } from "./format";
import type { FileEntry } from "./types";
import { errorBox, scrollBox } from "./ui";

export const TEXT_LIMIT = 64 * 1024;
export const IMAGE_LIMIT = 2 * 1024 * 1024;
export const CSV_ROWS = 50;

const TEXT = new Set(["txt", "log", "md", "json", "yaml", "yml", "csv", "py"]);
const IMAGES: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
};

export type PreviewKind = "text" | "csv" | "image";

export function extension(path: string): string {
  const name = path.split("/").pop() ?? "";
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
}

export function previewKind(path: string): PreviewKind | null {
  const ext = extension(path);
  if (ext === "csv") return "csv";
  if (TEXT.has(ext)) return "text";
  if (ext in IMAGES) return "image";
  return null;
}

function digestOf(file: FileEntry): string | null {
  const digest = file.digest ?? file.blake3 ?? null;
  return digest ? digest.replace(/^blake3:/, "") : null;
}

export function objectUrl(project: string, file: FileEntry): string | null {
  const digest = digestOf(file);
  return digest ? apiPath("projects", project, "objects", digest) : null;
}

export function downloadLink(project: string, file: FileEntry, text = "Download"): HTMLElement | null {
  const url = objectUrl(project, file);
  if (!url) return null;
  const name = file.path.split("/").pop() || "artifact";
  return h(
    "a",
    { href: url, download: name },
    text,
    h("span", { class: "visually-hidden" }, ` ${file.path}`),
  );
}

/** Base64 of bytes, in slices (a spread of millions of arguments would overflow). */
function base64(data: Uint8Array): string {
  let text = "";
  for (let i = 0; i < data.length; i += 0x8000) {
    text += String.fromCharCode(...data.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

/** Rows of CSV text (RFC 4180: quoted fields may hold commas, quotes and newlines). */
export function parseCsv(text: string, maxRows: number): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length && rows.length < maxRows; i += 1) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if ((field !== "" || row.length) && rows.length < maxRows) rows.push([...row, field]);
  return rows;
}

function csvTable(path: string, rows: string[][]): HTMLElement {
  const [header, ...body] = rows;
  const width = Math.max(...rows.map((r) => r.length));
  const cols = Array.from({ length: width }, (_, i) => header?.[i] ?? "");
  return scrollBox(
    `First rows of ${path}`,
    h(
      "table",
      { class: "grid", "data-testid": "preview-csv" },
      h("caption", { class: "visually-hidden" }, `First rows of ${path}`),
      h("thead", {}, h("tr", {}, ...cols.map((c) => h("th", { scope: "col" }, c)))),
      h(
        "tbody",
        {},
        ...body.map((r) => h("tr", {}, ...Array.from({ length: width }, (_, i) => h("td", {}, r[i] ?? "")))),
      ),
    ),
    "preview-table",
  );
}

/** Fill `box` with the preview of `file` (an error box when the server refuses). */
export async function showPreview(
  box: HTMLElement,
  project: string,
  file: FileEntry,
  signal: AbortSignal,
): Promise<void> {
  const url = objectUrl(project, file);
  const kind = previewKind(file.path);
  if (!url || !kind) {
    replace(box, h("p", { class: "empty" }, "No preview for this file."));
    return;
  }
  if (file.size === 0) {
    replace(box, h("p", { class: "empty" }, "The file is empty."));
    return;
  }
  replace(box, h("p", { class: "loading", role: "status" }, `Loading ${file.path}…`));
  try {
    if (kind === "image") {
      if (typeof file.size === "number" && file.size > IMAGE_LIMIT) {
        replace(
          box,
          h(
            "p",
            {},
            `The image is ${bytes(file.size)}, too large to show here: `,
            downloadLink(project, file),
          ),
        );
        return;
      }
      const got = await getBytes(url, { signal });
      const src = `data:${IMAGES[extension(file.path)]};base64,${base64(got.data)}`;
      replace(
        box,
        h("img", {
          src,
          alt: `Preview of ${file.path}`,
          class: "preview-image",
          "data-testid": "preview-image",
        }),
      );
      return;
    }
    const got = await getBytes(url, { start: 0, end: TEXT_LIMIT - 1, signal });
    const cut = got.total > got.data.length;
    let text = new TextDecoder("utf-8", { fatal: false }).decode(got.data);
    const note = cut
      ? h(
          "p",
          { class: "muted" },
          `The first ${bytes(got.data.length)} of ${bytes(got.total)}. `,
          downloadLink(project, file, "Download the whole file"),
        )
      : null;
    if (kind === "csv") {
      if (cut) text = text.slice(0, Math.max(0, text.lastIndexOf("\n")));
      const rows = parseCsv(text, CSV_ROWS + 2); // the header, the rows shown, one more
      const more = rows.length > CSV_ROWS + 1 || cut;
      const shown = rows.slice(0, CSV_ROWS + 1);
      const count = Math.max(0, shown.length - 1);
      replace(
        box,
        shown.length ? csvTable(file.path, shown) : h("p", { class: "empty" }, "No rows."),
        h(
          "p",
          { class: "muted" },
          more ? `The first ${count} rows.` : `${count} row${count === 1 ? "" : "s"}.`,
          " ",
          more ? downloadLink(project, file, "Download the whole file") : null,
        ),
      );
      return;
    }
    if (extension(file.path) === "json" && !cut) {
      try {
        text = JSON.stringify(JSON.parse(text), null, 2);
      } catch {
        // not valid JSON: show it as it is
      }
    }
    replace(box, h("pre", { class: "preview-text", tabindex: 0, "data-testid": "preview-text" }, text), note);
  } catch (err) {
    if (signal.aborted) return;
    replace(box, errorBox(err, "Object", "No preview"));
  }
}

/** The run's artifacts with a Preview toggle (for the kinds above) and a download link. */
export function artifactsTable(project: string, files: FileEntry[], signal: AbortSignal): HTMLElement {
  if (!files.length) return h("p", { class: "empty" }, "No artifacts.");
  const body = h("tbody");
  files.forEach((file, index) => {
    const kind = previewKind(file.path);
    const boxId = `preview-${index}`;
    const box = h("div", { class: "preview", id: boxId, "data-testid": "preview" });
    const detail = h("tr", { class: "preview-row" }, h("td", { colspan: 5 }, box));
    detail.hidden = true;
    let toggle: HTMLButtonElement | null = null;
    if (kind && objectUrl(project, file)) {
      const button = h(
        "button",
        {
          type: "button",
          class: "link-button",
          "aria-expanded": "false",
          "aria-controls": boxId,
          "data-testid": "preview-toggle",
        },
        "Preview",
        h("span", { class: "visually-hidden" }, ` ${file.path}`),
      );
      const label = button.lastChild as Node;
      let loaded = false;
      button.addEventListener("click", () => {
        const open = detail.hidden;
        detail.hidden = !open;
        button.setAttribute("aria-expanded", String(open));
        button.replaceChildren(open ? "Hide preview" : "Preview", label);
        if (open && !loaded) {
          loaded = true;
          void showPreview(box, project, file, signal);
        }
      });
      toggle = button;
    }
    body.append(
      h(
        "tr",
        { "data-testid": "artifact-row", "data-path": file.path },
        h("td", {}, h("code", {}, file.path)),
        h("td", { class: "num" }, bytes(file.size)),
        h("td", {}, shortDigest(file.digest ?? file.blake3)),
        h("td", {}, toggle ?? "–"),
        h("td", {}, downloadLink(project, file) ?? "–"),
      ),
      detail,
    );
  });
  return scrollBox(
    "Artifacts",
    h(
      "table",
      { class: "grid", "data-testid": "files-artifacts" },
      h("caption", { class: "visually-hidden" }, "Artifacts"),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, "Path"),
          h("th", { scope: "col", class: "num" }, "Size"),
          h("th", { scope: "col" }, "Digest"),
          h("th", { scope: "col" }, "Preview"),
          h("th", { scope: "col" }, "Download"),
        ),
      ),
      body,
    ),
  );
}
