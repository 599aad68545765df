// The one way the page talks to the server: same-origin JSON, the session cookie, and
// the CSRF header (double submit of the `shipyard_csrf` cookie) on every write.

export interface ErrorBody {
  type: string;
  message: string;
  hint?: string;
  fields?: Record<string, unknown>;
}

/** An answer of 4xx/5xx, or no answer at all (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly hint: string | undefined;
  readonly fields: Record<string, unknown>;

  constructor(status: number, body: ErrorBody) {
    super(body.message);
    this.name = "ApiError";
    this.status = status;
    this.type = body.type;
    this.hint = body.hint;
    this.fields = body.fields ?? {};
  }

  get notFound(): boolean {
    return this.status === 404 || this.type === "NotFound";
  }
}

export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === "AbortError";
}

function cookie(name: string): string {
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return "";
}

/** Called when the server says the session is gone (401), e.g. to show the login form. */
let onUnauthenticated: (() => void) | null = null;
export function whenUnauthenticated(callback: () => void): void {
  onUnauthenticated = callback;
}

export type Query = Record<string, string | number | null | undefined>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** `/api/v1/a/b` from raw segments, each URL-encoded. */
export function apiPath(...segments: (string | number)[]): string {
  return "/api/v1/" + segments.map((s) => encodeURIComponent(String(s))).join("/");
}

interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "DELETE";
  body?: unknown;
  signal?: AbortSignal | undefined;
  /** Do not call the 401 handler (the login form handles its own 401). */
  quiet401?: boolean;
}

export async function request<T>(url: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? "GET";
  const headers: Record<string, string> = { Accept: "application/json" };
  const init: RequestInit = { method, credentials: "same-origin", headers };
  if (options.signal) init.signal = options.signal;
  if (method !== "GET") {
    headers["X-CSRF-Token"] = cookie("shipyard_csrf");
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.body ?? {});
  }
  const response = await send(url, init);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!response.ok) {
    const body = errorBody(data) ?? {
      type: `HTTP${response.status}`,
      message: `the server answered ${response.status} ${response.statusText}`.trim(),
    };
    if (response.status === 401 && !options.quiet401 && onUnauthenticated) onUnauthenticated();
    throw new ApiError(response.status, body);
  }
  return data as T;
}

function errorBody(data: unknown): ErrorBody | null {
  if (typeof data !== "object" || data === null) return null;
  const error = (data as { error?: unknown }).error;
  if (typeof error !== "object" || error === null) return null;
  const e = error as Record<string, unknown>;
  if (typeof e.message !== "string") return null;
  const body: ErrorBody = {
    type: typeof e.type === "string" ? e.type : "Error",
    message: e.message,
  };
  if (typeof e.hint === "string" && e.hint) body.hint = e.hint;
  if (typeof e.fields === "object" && e.fields !== null) {
    body.fields = e.fields as Record<string, unknown>;
  }
  return body;
}

export function get<T>(url: string, signal?: AbortSignal): Promise<T> {
  return request<T>(url, { signal });
}

/** Run `work` over `items`, at most `limit` at a time (charts fetch many summaries). */
export async function pooled<I, O>(items: I[], limit: number, work: (item: I) => Promise<O>): Promise<O[]> {
  const results: O[] = new Array<O>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index] as I);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export interface Bytes {
  data: Uint8Array;
  /** The object's whole size (from Content-Range on a part, else the bytes received). */
  total: number;
}

/**
 * Download bytes (an object of the store), whole or the range `[start, end]`
 * (inclusive, `Range: bytes=start-end`). Errors come back as for `request`.
 */
export async function getBytes(
  url: string,
  options: { start?: number; end?: number; signal?: AbortSignal } = {},
): Promise<Bytes> {
  const headers: Record<string, string> = { Accept: "application/octet-stream" };
  if (options.start !== undefined) headers.Range = `bytes=${options.start}-${options.end ?? ""}`;
  const init: RequestInit = { method: "GET", credentials: "same-origin", headers };
  if (options.signal) init.signal = options.signal;
  const response = await send(url, init);
  if (!response.ok) {
    let data: unknown = undefined;
    try {
      data = JSON.parse(await response.text());
    } catch {
      data = undefined;
    }
    const body = errorBody(data) ?? {
      type: `HTTP${response.status}`,
      message: `the server answered ${response.status} ${response.statusText}`.trim(),
    };
    if (response.status === 401 && onUnauthenticated) onUnauthenticated();
    throw new ApiError(response.status, body);
  }
  const data = new Uint8Array(await response.arrayBuffer());
  const range = /\/(\d+)\s*$/.exec(response.headers.get("Content-Range") ?? "");
  return { data, total: range ? Number(range[1]) : data.length };
}

/** fetch, with a network failure as an ApiError the pages show (an abort passes through). */
async function send(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    if (isAbort(err)) throw err;
    throw new ApiError(0, {
      type: "NetworkError",
      message: "the server did not answer",
      hint: "check that the Shipyard server is running, then reload the page",
    });
  }
}
