// Line charts in plain SVG: one or more series of (step, value), each with an
// optional min–max band (from the server's bucketed summary), a log-scale option
// and client-side EMA smoothing of the line. Colours come from CSS classes
// (c0…c9), so the chart carries no inline style.

import { h, s, uid } from "./dom";
import { num } from "./format";
import { metricNumber, type Summary } from "./types";

export interface ChartPoint {
  x: number;
  y: number;
  lo: number;
  hi: number;
}

export interface Series {
  label: string;
  points: ChartPoint[];
}

export interface ChartOptions {
  log: boolean;
  smoothing: number;
}

const W = 640;
const H = 260;
const M = { left: 76, right: 16, top: 12, bottom: 34 };
const PALETTE = 10;

/** The points of a summary: each bucket's last value, within its min and max. */
export function summaryPoints(summary: Summary): ChartPoint[] {
  const points: ChartPoint[] = [];
  for (const b of summary.buckets) {
    const y = metricNumber(b.last.value);
    const lo = metricNumber(b.min.value);
    const hi = metricNumber(b.max.value);
    if (y === null) continue;
    points.push({ x: b.last.step, y, lo: lo ?? y, hi: hi ?? y });
  }
  return points;
}

/** Exponential moving average (debiased, as TensorBoard does); non-finite values pass. */
export function ema(values: number[], weight: number): number[] {
  if (weight <= 0) return values.slice();
  const out: number[] = [];
  let last = 0;
  let n = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) {
      out.push(v);
      continue;
    }
    last = last * weight + (1 - weight) * v;
    n += 1;
    out.push(last / (1 - Math.pow(weight, n)));
  }
  return out;
}

function niceStep(range: number, count: number): number {
  const raw = range / Math.max(1, count);
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / power;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * power;
}

function linearTicks(lo: number, hi: number, count: number): number[] {
  if (hi <= lo) return [lo];
  const step = niceStep(hi - lo, count);
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  }
  return ticks;
}

function logTicks(lo: number, hi: number): number[] {
  const a = Math.ceil(Math.log10(lo));
  const b = Math.floor(Math.log10(hi));
  const every = Math.max(1, Math.ceil((b - a + 1) / 6));
  const ticks: number[] = [];
  for (let e = a; e <= b; e += every) ticks.push(Math.pow(10, e));
  // Less than two powers of ten in view: plain ticks, placed on the log scale.
  return ticks.length >= 2 ? ticks : linearTicks(lo, hi, 4).filter((t) => t > 0);
}

interface Scale {
  (v: number): number;
  ticks: number[];
}

function scale(lo: number, hi: number, from: number, to: number, log: boolean): Scale {
  if (log) {
    const a = Math.log10(lo);
    const b = Math.log10(hi);
    const f = ((v: number) => from + ((Math.log10(v) - a) / (b - a || 1)) * (to - from)) as Scale;
    f.ticks = logTicks(lo, hi);
    return f;
  }
  const f = ((v: number) => from + ((v - lo) / (hi - lo || 1)) * (to - from)) as Scale;
  f.ticks = linearTicks(lo, hi, 5);
  return f;
}

/** A chart that redraws itself when its options change. */
export class Chart {
  readonly element: HTMLElement;
  private readonly svg: SVGSVGElement;
  private readonly readout: HTMLElement;
  private readonly note: HTMLElement;
  private readonly series: Series[];
  private readonly title: string;
  private xScale: Scale | null = null;
  /** Per series, the drawn points (unsmoothed values), for the hover readout. */
  private lines: { x: number; y: number }[][] = [];
  private cursor: SVGLineElement | null = null;

  constructor(title: string, series: Series[], options: ChartOptions, testid = "metric-chart") {
    this.title = title;
    this.series = series;
    const titleId = uid("chart-title");
    this.svg = s("svg", {
      viewBox: `0 0 ${W} ${H}`,
      class: "chart-svg",
      role: "img",
      "aria-labelledby": titleId,
    });
    this.readout = h("p", { class: "chart-readout", "aria-live": "off" });
    this.note = h("p", { class: "chart-note" });
    const legend =
      series.length > 1
        ? h(
            "ul",
            { class: "legend" },
            ...series.map((se, i) =>
              h("li", {}, h("span", { class: `swatch c${i % PALETTE}`, "aria-hidden": "true" }), se.label),
            ),
          )
        : null;
    this.element = h(
      "figure",
      { class: "chart", "data-testid": testid, "data-metric": title },
      h("figcaption", { id: titleId, class: "chart-title" }, title),
      this.svg,
      legend,
      this.note,
      this.readout,
    );
    this.svg.addEventListener("mousemove", (e) => this.hover(e));
    this.svg.addEventListener("mouseleave", () => this.clearHover());
    this.update(options);
  }

  update(options: ChartOptions): void {
    const svg = this.svg;
    svg.replaceChildren();
    this.cursor = null;
    const all = this.series.flatMap((se) => se.points);
    const finite = all.filter((p) => Number.isFinite(p.y));
    if (finite.length === 0) {
      this.note.textContent = all.length ? "No finite values to draw." : "No values logged.";
      this.lines = [];
      return;
    }
    const ys = finite.flatMap((p) => [p.y, p.lo, p.hi]).filter((v) => Number.isFinite(v));
    let log = options.log;
    if (log && ys.some((v) => v <= 0)) {
      log = false;
      this.note.textContent = "Log scale needs positive values: shown on a linear scale.";
    } else {
      this.note.textContent = "";
    }
    let ylo = Math.min(...ys);
    let yhi = Math.max(...ys);
    if (ylo === yhi) {
      const pad = ylo === 0 ? 1 : Math.abs(ylo) * 0.1;
      ylo = log ? ylo / 2 : ylo - pad;
      yhi = log ? yhi * 2 : yhi + pad;
    }
    if (log) {
      const pad = Math.pow(yhi / ylo, 0.04);
      ylo /= pad;
      yhi *= pad;
    } else {
      const pad = (yhi - ylo) * 0.04;
      ylo -= pad;
      yhi += pad;
    }
    const xs = finite.map((p) => p.x);
    let xlo = Math.min(...xs);
    let xhi = Math.max(...xs);
    if (xlo === xhi) {
      xlo -= 1;
      xhi += 1;
    }
    const x = scale(xlo, xhi, M.left, W - M.right, false);
    const y = scale(ylo, yhi, H - M.bottom, M.top, log);
    this.xScale = x;

    const axes = s("g", { class: "axes" });
    for (const t of y.ticks) {
      const ty = y(t).toFixed(1);
      axes.append(
        s("line", { x1: M.left, x2: W - M.right, y1: ty, y2: ty, class: "gridline" }),
        s("text", { x: M.left - 6, y: ty, class: "tick y" }, num(t)),
      );
    }
    for (const t of x.ticks.filter((v) => Number.isInteger(v))) {
      const tx = x(t).toFixed(1);
      axes.append(
        s("line", { x1: tx, x2: tx, y1: H - M.bottom, y2: H - M.bottom + 4, class: "tickmark" }),
        s("text", { x: tx, y: H - M.bottom + 16, class: "tick x" }, num(t)),
      );
    }
    axes.append(
      s("line", { x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom, class: "axis" }),
      s("text", { x: W - M.right, y: H - 2, class: "axis-label" }, "step"),
    );
    svg.append(axes);

    this.lines = [];
    this.series.forEach((se, i) => {
      const cls = `c${i % PALETTE}`;
      const smooth = ema(
        se.points.map((p) => p.y),
        options.smoothing,
      );
      const band: string[] = [];
      const upper: string[] = [];
      const segments: string[][] = [[]];
      const line: { x: number; y: number }[] = [];
      se.points.forEach((p, k) => {
        const v = smooth[k] as number;
        const ok = Number.isFinite(v) && (!log || v > 0);
        if (ok) {
          const px = x(p.x);
          const py = y(v);
          (segments[segments.length - 1] as string[]).push(`${px.toFixed(1)},${py.toFixed(1)}`);
          line.push({ x: p.x, y: p.y });
        } else if ((segments[segments.length - 1] as string[]).length) {
          segments.push([]);
        }
        if (Number.isFinite(p.lo) && Number.isFinite(p.hi) && (!log || p.lo > 0)) {
          band.push(`${x(p.x).toFixed(1)},${y(p.lo).toFixed(1)}`);
          upper.push(`${x(p.x).toFixed(1)},${y(p.hi).toFixed(1)}`);
        }
      });
      this.lines.push(line);
      if (band.length > 1 && se.points.some((p) => p.hi !== p.lo)) {
        svg.append(s("polygon", { points: band.concat(upper.reverse()).join(" "), class: `band ${cls}` }));
      }
      for (const seg of segments) {
        if (seg.length > 1) {
          svg.append(s("polyline", { points: seg.join(" "), class: `line ${cls}` }));
        } else if (seg.length === 1) {
          const [cx, cy] = (seg[0] as string).split(",");
          svg.append(s("circle", { cx, cy, r: 3, class: `dot ${cls}` }));
        }
      }
    });
    svg.append(s("desc", {}, this.describe()));
  }

  private describe(): string {
    const parts = this.series.map((se) => {
      const last = se.points[se.points.length - 1];
      return last ? `${se.label}: last ${num(last.y)} at step ${last.x}` : `${se.label}: no values`;
    });
    return `${this.title} by step. ${parts.join("; ")}.`;
  }

  private hover(event: MouseEvent): void {
    const x = this.xScale;
    if (!x || this.lines.length === 0) return;
    const rect = this.svg.getBoundingClientRect();
    if (rect.width === 0) return;
    const px = ((event.clientX - rect.left) / rect.width) * W;
    let best: { x: number; y: number } | null = null;
    const parts: string[] = [];
    for (const [i, line] of this.lines.entries()) {
      let near: { x: number; y: number } | null = null;
      for (const p of line) {
        if (!near || Math.abs(x(p.x) - px) < Math.abs(x(near.x) - px)) near = p;
      }
      if (!near) continue;
      best ??= near;
      const label = this.series.length > 1 ? `${this.series[i]?.label ?? ""}: ` : "";
      parts.push(`${label}${num(near.y)}`);
    }
    if (!best) return;
    const at = x(best.x).toFixed(1);
    if (!this.cursor) {
      this.cursor = s("line", { y1: M.top, y2: H - M.bottom, class: "cursor" });
      this.svg.append(this.cursor);
    }
    this.cursor.setAttribute("x1", at);
    this.cursor.setAttribute("x2", at);
    this.readout.textContent = `step ${best.x} · ${parts.join(" · ")}`;
  }

  private clearHover(): void {
    this.cursor?.remove();
    this.cursor = null;
    this.readout.textContent = "";
  }
}

/** The log-scale and smoothing controls shared by the charts of a page. */
export class ChartControls {
  readonly element: HTMLElement;
  readonly charts: Chart[] = [];
  options: ChartOptions = { log: false, smoothing: 0 };

  constructor() {
    const logId = uid("log");
    const smoothId = uid("smooth");
    const log = h("input", { type: "checkbox", id: logId, "data-testid": "chart-log" });
    const smooth = h("input", {
      type: "range",
      id: smoothId,
      min: 0,
      max: 0.99,
      step: 0.01,
      value: 0,
      "data-testid": "chart-smoothing",
    });
    const shown = h("output", { for: smoothId, class: "smooth-value" }, "0.00");
    log.addEventListener("change", () => {
      this.options = { ...this.options, log: log.checked };
      this.redraw();
    });
    smooth.addEventListener("input", () => {
      this.options = { ...this.options, smoothing: Number(smooth.value) };
      shown.textContent = Number(smooth.value).toFixed(2);
      this.redraw();
    });
    this.element = h(
      "div",
      { class: "chart-controls" },
      h("span", { class: "check" }, log, h("label", { for: logId }, "Log scale")),
      h("span", {}, h("label", { for: smoothId }, "Smoothing (EMA)"), " ", smooth, " ", shown),
    );
  }

  add(chart: Chart): void {
    this.charts.push(chart);
  }

  private redraw(): void {
    for (const chart of this.charts) chart.update(this.options);
  }
}
