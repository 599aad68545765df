// Line charts in plain SVG: one or more series of (step, value), each with an
// optional min–max band (from the server's bucketed summary), a log-scale option
// and client-side EMA smoothing of the line, and a zoom into a step range (dragged
// across the chart or typed; double-click or "Reset zoom" to leave it). Colours come
// from CSS classes (c0…c9), so the chart carries no inline style.

import { isAbort } from "./api";
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
  /** The value at a coordinate (linear scales). */
  invert(px: number): number;
  ticks: number[];
}

function scale(lo: number, hi: number, from: number, to: number, log: boolean): Scale {
  if (log) {
    const a = Math.log10(lo);
    const b = Math.log10(hi);
    const f = ((v: number) => from + ((Math.log10(v) - a) / (b - a || 1)) * (to - from)) as Scale;
    f.invert = (px: number) => Math.pow(10, a + ((px - from) / (to - from || 1)) * (b - a));
    f.ticks = logTicks(lo, hi);
    return f;
  }
  const f = ((v: number) => from + ((v - lo) / (hi - lo || 1)) * (to - from)) as Scale;
  f.invert = (px: number) => lo + ((px - from) / (to - from || 1)) * (hi - lo);
  f.ticks = linearTicks(lo, hi, 5);
  return f;
}

/** Steps `start`…`end`, both included (the summary endpoint's `start_step`/`end_step`). */
export interface StepRange {
  start: number;
  end: number;
}

/**
 * Loads every series again over a step range (in the series' order), so that a zoomed
 * chart shows the detail of that range rather than the whole history's buckets.
 */
export type RangeLoader = (range: StepRange) => Promise<ChartPoint[][]>;

/** A drag shorter than this (in chart units) is a click, not a zoom. */
const MIN_DRAG = 5;

/**
 * A chart that redraws itself when its options change, and zooms into a step range:
 * dragged across, or typed into its "Zoom to steps" form. With a loader it fetches the
 * range's summary; without one (or when that fails) it rescales the x axis.
 */
export class Chart {
  readonly element: HTMLElement;
  private readonly svg: SVGSVGElement;
  private readonly readout: HTMLElement;
  private readonly note: HTMLElement;
  private readonly full: Series[];
  /** What is drawn: the full series, or a zoomed range's reloaded points. */
  private shown: Series[];
  private readonly title: string;
  private readonly load: RangeLoader | undefined;
  private options: ChartOptions;
  private zoom: StepRange | null = null;
  /** Bumped on every zoom change, so that a late answer for an older range is dropped. */
  private generation = 0;
  private detailNote = "";
  private xScale: Scale | null = null;
  /** Per series, the drawn points (unsmoothed values), for the hover readout. */
  private lines: { x: number; y: number }[][] = [];
  private cursor: SVGLineElement | null = null;
  private drag: { from: number; rect: SVGRectElement } | null = null;
  private readonly resetButton: HTMLButtonElement;
  private readonly rangeText: HTMLElement;
  private readonly fromInput: HTMLInputElement;
  private readonly toInput: HTMLInputElement;

  constructor(
    title: string,
    series: Series[],
    options: ChartOptions,
    testid = "metric-chart",
    load?: RangeLoader,
  ) {
    this.title = title;
    this.full = series;
    this.shown = series;
    this.options = options;
    this.load = load;
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
    this.resetButton = h(
      "button",
      { type: "button", class: "zoom-reset", "data-testid": "zoom-reset", hidden: true },
      "Reset zoom",
    );
    this.resetButton.addEventListener("click", () => this.resetZoom());
    this.rangeText = h("span", { class: "zoom-range", "data-testid": "zoom-range", "aria-live": "polite" });
    const fromId = uid("zoom-from");
    const toId = uid("zoom-to");
    this.fromInput = h("input", {
      type: "number",
      id: fromId,
      step: 1,
      required: true,
      class: "zoom-step",
      "data-testid": "zoom-from",
    });
    this.toInput = h("input", {
      type: "number",
      id: toId,
      step: 1,
      required: true,
      class: "zoom-step",
      "data-testid": "zoom-to",
    });
    const form = h(
      "form",
      { class: "zoom-form", "aria-label": `Zoom ${title} to steps` },
      h("label", { for: fromId }, "From"),
      this.fromInput,
      h("label", { for: toId }, "To"),
      this.toInput,
      h("button", { type: "submit", "data-testid": "zoom-apply" }, "Apply"),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.applyTyped();
    });
    this.toInput.addEventListener("input", () => this.toInput.setCustomValidity(""));
    const zoomBar = h(
      "div",
      { class: "zoom-bar" },
      h("details", { class: "zoom-control" }, h("summary", {}, "Zoom to steps"), form),
      this.rangeText,
      this.resetButton,
    );
    this.element = h(
      "figure",
      { class: "chart", "data-testid": testid, "data-metric": title },
      h("figcaption", { id: titleId, class: "chart-title" }, title),
      this.svg,
      zoomBar,
      legend,
      this.note,
      this.readout,
    );
    this.svg.addEventListener("mousemove", (e) => this.hover(e));
    this.svg.addEventListener("mouseleave", () => this.clearHover());
    this.svg.addEventListener("pointerdown", (e) => this.dragStart(e));
    this.svg.addEventListener("pointermove", (e) => this.dragMove(e));
    this.svg.addEventListener("pointerup", (e) => this.dragEnd(e));
    this.svg.addEventListener("pointercancel", () => this.dragCancel());
    this.svg.addEventListener("dblclick", () => this.resetZoom());
    this.update(options);
    this.showZoomState();
  }

  update(options: ChartOptions): void {
    this.options = options;
    this.draw();
  }

  /** Show steps `range.start`…`range.end` (rounded out to whole steps). */
  zoomTo(range: StepRange): void {
    const start = Math.floor(Math.min(range.start, range.end));
    let end = Math.ceil(Math.max(range.start, range.end));
    if (end <= start) end = start + 1;
    const zoom = { start, end };
    this.zoom = zoom;
    this.generation += 1;
    const generation = this.generation;
    this.shown = this.full;
    this.detailNote = "";
    this.draw();
    this.showZoomState();
    if (!this.load) return;
    this.element.setAttribute("aria-busy", "true");
    this.load(zoom)
      .then((points) => {
        if (generation !== this.generation) return;
        this.shown = this.full.map((se, i) => ({ label: se.label, points: points[i] ?? [] }));
        this.draw();
      })
      .catch((err: unknown) => {
        if (generation !== this.generation || isAbort(err)) return;
        const why = err instanceof Error ? err.message : String(err);
        this.detailNote = `The range's detail did not load (${why}): the whole history's points are shown.`;
        this.draw();
      })
      .finally(() => {
        if (generation === this.generation) this.element.removeAttribute("aria-busy");
      });
  }

  resetZoom(): void {
    if (!this.zoom) return;
    this.zoom = null;
    this.generation += 1;
    this.shown = this.full;
    this.detailNote = "";
    this.element.removeAttribute("aria-busy");
    this.draw();
    this.showZoomState();
  }

  private applyTyped(): void {
    const from = this.fromInput.value === "" ? Number.NaN : Number(this.fromInput.value);
    const to = this.toInput.value === "" ? Number.NaN : Number(this.toInput.value);
    if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) {
      this.toInput.setCustomValidity("To must be a step after From.");
      this.toInput.reportValidity();
      return;
    }
    this.toInput.setCustomValidity("");
    this.zoomTo({ start: from, end: to });
  }

  /** The reset button, the range text and the typed range follow the zoom. */
  private showZoomState(): void {
    const zoom = this.zoom;
    this.resetButton.hidden = zoom === null;
    this.rangeText.textContent = zoom ? `Zoomed to steps ${num(zoom.start)}–${num(zoom.end)}` : "";
    const domain = zoom ?? this.domain();
    if (domain) {
      this.fromInput.value = String(domain.start);
      this.toInput.value = String(domain.end);
    }
  }

  /** The x range drawn now, in whole steps (null: nothing drawn). */
  private domain(): StepRange | null {
    const x = this.xScale;
    if (!x) return null;
    return { start: Math.floor(x.invert(M.left)), end: Math.ceil(x.invert(W - M.right)) };
  }

  private draw(): void {
    const svg = this.svg;
    const options = this.options;
    const zoom = this.zoom;
    svg.replaceChildren();
    this.cursor = null;
    this.drag = null;
    // Smoothing runs over every point held, then the zoomed range is cut out of it, so
    // a zoom without reloading shows the same curve, only wider.
    const inRange = (x: number): boolean => !zoom || (x >= zoom.start && x <= zoom.end);
    const visible = this.shown.map((se) => {
      const smooth = ema(
        se.points.map((p) => p.y),
        options.smoothing,
      );
      const out: { p: ChartPoint; v: number }[] = [];
      se.points.forEach((p, k) => {
        if (inRange(p.x)) out.push({ p, v: smooth[k] as number });
      });
      return out;
    });
    const all = visible.flat().map((e) => e.p);
    const finite = all.filter((p) => Number.isFinite(p.y));
    const notes: string[] = [];
    if (finite.length === 0) {
      this.xScale = null;
      this.lines = [];
      if (zoom) notes.push(`No values between steps ${num(zoom.start)} and ${num(zoom.end)}.`);
      else notes.push(all.length ? "No finite values to draw." : "No values logged.");
      if (this.detailNote) notes.push(this.detailNote);
      this.note.textContent = notes.join(" ");
      this.element.removeAttribute("data-x-min");
      this.element.removeAttribute("data-x-max");
      return;
    }
    const ys = finite.flatMap((p) => [p.y, p.lo, p.hi]).filter((v) => Number.isFinite(v));
    let log = options.log;
    if (log && ys.some((v) => v <= 0)) {
      log = false;
      notes.push("Log scale needs positive values: shown on a linear scale.");
    }
    if (this.detailNote) notes.push(this.detailNote);
    this.note.textContent = notes.join(" ");
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
    let xlo = zoom ? zoom.start : Math.min(...xs);
    let xhi = zoom ? zoom.end : Math.max(...xs);
    if (xlo === xhi) {
      xlo -= 1;
      xhi += 1;
    }
    const x = scale(xlo, xhi, M.left, W - M.right, false);
    const y = scale(ylo, yhi, H - M.bottom, M.top, log);
    this.xScale = x;
    this.element.setAttribute("data-x-min", String(xlo));
    this.element.setAttribute("data-x-max", String(xhi));

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
    visible.forEach((points, i) => {
      const cls = `c${i % PALETTE}`;
      const band: string[] = [];
      const upper: string[] = [];
      const segments: string[][] = [[]];
      const line: { x: number; y: number }[] = [];
      for (const { p, v } of points) {
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
      }
      this.lines.push(line);
      if (band.length > 1 && points.some(({ p }) => p.hi !== p.lo)) {
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
    const parts = this.shown.map((se) => {
      const last = se.points[se.points.length - 1];
      return last ? `${se.label}: last ${num(last.y)} at step ${last.x}` : `${se.label}: no values`;
    });
    const range = this.zoom ? ` Zoomed to steps ${this.zoom.start} to ${this.zoom.end}.` : "";
    return `${this.title} by step. ${parts.join("; ")}.${range}`;
  }

  /** A pointer event's x in chart units (the viewBox keeps the aspect ratio). */
  private chartX(event: MouseEvent): number | null {
    const rect = this.svg.getBoundingClientRect();
    if (rect.width === 0) return null;
    return ((event.clientX - rect.left) / rect.width) * W;
  }

  private dragStart(event: PointerEvent): void {
    if (event.button !== 0 || !this.xScale) return;
    const px = this.chartX(event);
    if (px === null || px < M.left || px > W - M.right) return;
    event.preventDefault();
    this.svg.setPointerCapture(event.pointerId);
    const rect = s("rect", {
      x: px.toFixed(1),
      y: M.top,
      width: 0,
      height: H - M.top - M.bottom,
      class: "zoom-selection",
    });
    this.svg.append(rect);
    this.drag = { from: px, rect };
  }

  private dragMove(event: PointerEvent): void {
    const drag = this.drag;
    if (!drag) return;
    const px = this.chartX(event);
    if (px === null) return;
    const to = Math.min(W - M.right, Math.max(M.left, px));
    drag.rect.setAttribute("x", Math.min(drag.from, to).toFixed(1));
    drag.rect.setAttribute("width", Math.abs(to - drag.from).toFixed(1));
  }

  private dragEnd(event: PointerEvent): void {
    const drag = this.drag;
    const x = this.xScale;
    this.dragCancel();
    if (!drag || !x) return;
    const px = this.chartX(event);
    if (px === null) return;
    const to = Math.min(W - M.right, Math.max(M.left, px));
    if (Math.abs(to - drag.from) < MIN_DRAG) return;
    this.zoomTo({ start: x.invert(Math.min(drag.from, to)), end: x.invert(Math.max(drag.from, to)) });
  }

  private dragCancel(): void {
    this.drag?.rect.remove();
    this.drag = null;
  }

  private hover(event: MouseEvent): void {
    const x = this.xScale;
    if (!x || this.lines.length === 0) return;
    const px = this.chartX(event);
    if (px === null) return;
    let best: { x: number; y: number } | null = null;
    const parts: string[] = [];
    for (const [i, line] of this.lines.entries()) {
      let near: { x: number; y: number } | null = null;
      for (const p of line) {
        if (!near || Math.abs(x(p.x) - px) < Math.abs(x(near.x) - px)) near = p;
      }
      if (!near) continue;
      best ??= near;
      const label = this.shown.length > 1 ? `${this.shown[i]?.label ?? ""}: ` : "";
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
