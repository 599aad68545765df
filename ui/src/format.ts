// Numbers, times, sizes and durations as short text.

import { h } from "./dom";
import { metricNumber, type MetricEntry } from "./types";

/** A number with up to 6 significant digits; non-finite values spelled out. */
export function num(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "∞";
  if (value === Number.NEGATIVE_INFINITY) return "−∞";
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e9)) return value.toExponential(3);
  return String(Number(value.toPrecision(6)));
}

export function metric(entry: MetricEntry | undefined | null): string {
  return num(metricNumber(entry));
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** A local date and time as `YYYY-MM-DD HH:MM:SS`. */
export function dateText(iso: string | null | undefined): string {
  if (!iso) return "–";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** A <time> element showing the local time, with the exact ISO time as its title. */
export function time(iso: string | null | undefined): HTMLElement | string {
  if (!iso) return "–";
  return h("time", { datetime: iso, title: iso }, dateText(iso));
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const s = Math.round(seconds);
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (hours > 0) return `${hours} h ${pad(minutes)} min`;
  return `${minutes} min ${pad(rest)} s`;
}

/**
 * A run's duration: wall seconds if recorded, else end − start. A run without an end
 * is still going: now − start, unless its last heartbeat reported more.
 */
export function runSeconds(run: {
  start_time: string | null;
  end_time: string | null;
  resources?: Record<string, number | null> | null;
}): number | null {
  const wall = run.resources?.wall_seconds;
  if (typeof wall === "number" && run.end_time) return wall;
  if (!run.start_time) return typeof wall === "number" ? wall : null;
  const start = Date.parse(run.start_time);
  const end = run.end_time ? Date.parse(run.end_time) : Date.now();
  const seconds = Number.isNaN(start) || Number.isNaN(end) ? null : (end - start) / 1000;
  if (typeof wall === "number") return seconds === null ? wall : Math.max(wall, seconds);
  return seconds;
}

export function bytes(size: number | null | undefined): string {
  if (size === null || size === undefined) return "–";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function cost(value: number | null | undefined): string {
  if (value === null || value === undefined || value === 0) return "–";
  return `$${value < 0.01 ? value.toPrecision(2) : value.toFixed(2)}`;
}

/** A digest shortened for a table (the full one in its title). */
export function shortDigest(digest: string | null | undefined): HTMLElement | string {
  if (!digest) return "–";
  return h("code", { title: digest }, digest.length > 12 ? digest.slice(0, 12) + "…" : digest);
}
