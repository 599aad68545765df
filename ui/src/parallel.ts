// Parallel coordinates for a sweep, in plain SVG: one vertical axis per param and per
// metric, one polyline per run. A param whose every value parses as a number, and
// every metric (the run's latest value), gets a linear axis with its min and max as
// ticks; any other param gets one evenly spaced tick per category. Lines take the
// run's colour in the overlaid charts (c0…c9), or a ramp of one metric's value
// (pc-ramp-0…7). Dragging along an axis brushes a range: runs outside it are dimmed,
// and brushes on several axes must all hold. Text goes in as text nodes only.

import { h, s, uid } from "./dom";
import { num } from "./format";
import { metricNumber, type MetricEntry } from "./types";

export interface ParallelRun {
  id: string;
  label: string;
  params: Record<string, string>;
  metrics: Record<string, MetricEntry>;
}

interface Axis {
  key: string;
  kind: "param" | "metric";
  /** The category of each tick, lowest first; null for a numeric axis. */
  categories: string[] | null;
  lo: number;
  hi: number;
  /** Per run: the value (numeric axis) or category index; null when absent. */
  values: (number | null)[];
}

const PALETTE = 10;
const RAMP = 8;
const H = 340;
const M = { left: 100, right: 70, top: 44, bottom: 30 };
/** The least room between two axes, and the least width of the whole plot. */
const GAP = 130;
const MIN_WIDTH = 720;
const LABEL_CHARS = 16;

function numeric(text: string): number | null {
  if (text.trim() === "") return null;
  const v = Number(text);
  return Number.isFinite(v) ? v : null;
}

function collator(a: string, b: string): number {
  return a.localeCompare(b, undefined, { numeric: true });
}

function axesOf(runs: ParallelRun[]): Axis[] {
  const axes: Axis[] = [];
  const keys = (pick: (r: ParallelRun) => Record<string, unknown>): string[] =>
    [...new Set(runs.flatMap((r) => Object.keys(pick(r))))].sort(collator);
  for (const key of keys((r) => r.params)) {
    const texts = runs.map((r) => (key in r.params ? String(r.params[key]) : null));
    const present = texts.filter((t): t is string => t !== null);
    if (present.every((t) => numeric(t) !== null)) {
      const values = texts.map((t) => (t === null ? null : numeric(t)));
      axes.push(numericAxis(key, "param", values));
    } else {
      const categories = [...new Set(present)].sort(collator);
      const values = texts.map((t) => (t === null ? null : categories.indexOf(t)));
      axes.push({ key, kind: "param", categories, lo: 0, hi: categories.length - 1, values });
    }
  }
  for (const key of keys((r) => r.metrics)) {
    const values = runs.map((r) => {
      const v = metricNumber(r.metrics[key]);
      return v !== null && Number.isFinite(v) ? v : null;
    });
    if (values.some((v) => v !== null)) axes.push(numericAxis(key, "metric", values));
  }
  return axes;
}

function numericAxis(key: string, kind: Axis["kind"], values: (number | null)[]): Axis {
  const present = values.filter((v): v is number => v !== null);
  return { key, kind, categories: null, lo: Math.min(...present), hi: Math.max(...present), values };
}

function short(text: string): string {
  return text.length > LABEL_CHARS ? `${text.slice(0, LABEL_CHARS - 1)}…` : text;
}

/** Parallel axes of params and metrics, with a colour choice and brushing. */
export class ParallelCoordinates {
  readonly element: HTMLElement;
  private readonly runs: ParallelRun[];
  private readonly axes: Axis[];
  private readonly width: number;
  private readonly gap: number;
  private readonly svg: SVGSVGElement;
  private readonly lines: SVGPolylineElement[] = [];
  private readonly legendItems: HTMLElement[] = [];
  private readonly legendSwatches: HTMLElement[] = [];
  private readonly ramp: HTMLElement;
  private readonly status: HTMLElement;
  private readonly clear: HTMLButtonElement;
  /** Brushed pixel ranges [top, bottom] by axis index. */
  private readonly brushes = new Map<number, { top: number; bottom: number; rect: SVGRectElement }>();
  private drag: { axis: number; from: number } | null = null;

  constructor(runs: ParallelRun[]) {
    this.runs = runs;
    this.axes = axesOf(runs);
    const spans = Math.max(1, this.axes.length - 1);
    this.gap = Math.max(GAP, (MIN_WIDTH - M.left - M.right) / spans);
    this.width = M.left + M.right + this.gap * spans;
    const titleId = uid("pc-title");
    this.svg = s("svg", {
      viewBox: `0 0 ${this.width} ${H}`,
      class: "pc-svg",
      role: "img",
      "aria-labelledby": titleId,
      // Drawn at its own size: a wide sweep scrolls sideways rather than shrinking
      // its labels out of reach.
      width: this.width,
      height: H,
      "data-testid": "parallel-svg",
    });
    const metricKeys = this.axes.filter((a) => a.kind === "metric").map((a) => a.key);
    const colourId = uid("pc-colour");
    const colour = h(
      "select",
      { id: colourId, "data-testid": "parallel-colour" },
      h("option", { value: "" }, "Run (as in the charts)"),
      ...metricKeys.map((k) => h("option", { value: k }, `Metric ${k}`)),
    );
    colour.addEventListener("change", () => this.colourBy(colour.value));
    this.clear = h(
      "button",
      { type: "button", "data-testid": "parallel-clear", disabled: true },
      "Clear",
    );
    this.clear.addEventListener("click", () => this.clearBrushes());
    this.status = h("p", { class: "pc-status", "aria-live": "polite", "data-testid": "parallel-status" });
    this.ramp = h("p", { class: "pc-ramp-legend", hidden: true });
    const legend = h("ul", { class: "legend" });
    runs.forEach((run, i) => {
      const swatch = h("span", { class: `swatch c${i % PALETTE}`, "aria-hidden": "true" });
      const item = h("li", { "data-run": run.id }, swatch, run.label);
      this.legendSwatches.push(swatch);
      this.legendItems.push(item);
      legend.append(item);
    });
    const figure = h(
      "figure",
      { class: "pc" },
      h(
        "figcaption",
        { id: titleId, class: "visually-hidden" },
        `Parallel coordinates of ${runs.length} runs over ${this.axes.length} params and metrics`,
      ),
      h(
        "div",
        { class: "table-wrap pc-scroll", tabindex: 0, role: "region", "aria-label": "Parallel coordinates" },
        this.svg,
      ),
    );
    this.element = h(
      "div",
      { class: "pc-wrap" },
      h(
        "div",
        { class: "chart-controls" },
        h("span", {}, h("label", { for: colourId }, "Colour lines by"), " ", colour),
        this.clear,
      ),
      this.axes.length ? figure : h("p", { class: "empty" }, "The runs have no params or metrics to draw."),
      this.ramp,
      legend,
      this.status,
    );
    if (this.axes.length) this.draw();
    this.highlight();
  }

  private axisX(i: number): number {
    if (this.axes.length === 1) return this.width / 2;
    return M.left + i * this.gap;
  }

  /** A value's y on an axis (a single value, or a single category, sits in the middle). */
  private axisY(axis: Axis, v: number): number {
    const top = M.top;
    const bottom = H - M.bottom;
    if (axis.hi === axis.lo) return (top + bottom) / 2;
    return bottom - ((v - axis.lo) / (axis.hi - axis.lo)) * (bottom - top);
  }

  private draw(): void {
    const svg = this.svg;
    const top = M.top;
    const bottom = H - M.bottom;
    const grid = s("g", { class: "pc-axes" });
    this.axes.forEach((axis, i) => {
      const ax = this.axisX(i);
      const g = s("g", { class: "pc-axis", "data-axis": axis.key, "data-kind": axis.kind });
      g.append(
        s("line", { x1: ax, x2: ax, y1: top, y2: bottom, class: "axis" }),
        s(
          "text",
          { x: ax, y: 16, class: "pc-label" },
          short(axis.key),
          s("title", {}, `${axis.kind} ${axis.key}`),
        ),
        s("text", { x: ax, y: 32, class: "pc-kind" }, axis.categories ? "param (categories)" : axis.kind),
      );
      const ticks: [number, string][] = axis.categories
        ? axis.categories.map((c, k) => [k, short(c)])
        : axis.hi === axis.lo
          ? [[axis.lo, num(axis.lo)]]
          : [
              [axis.lo, num(axis.lo)],
              [axis.hi, num(axis.hi)],
            ];
      // Many categories: label every few, so labels do not overlap.
      const every = Math.max(1, Math.ceil(ticks.length / 12));
      ticks.forEach(([v, text], k) => {
        const ty = this.axisY(axis, v).toFixed(1);
        g.append(s("line", { x1: ax - 4, x2: ax, y1: ty, y2: ty, class: "tickmark" }));
        if (k % every === 0 || k === ticks.length - 1) {
          g.append(s("text", { x: ax - 7, y: ty, class: "tick y" }, text));
        }
      });
      grid.append(g);
    });
    svg.append(grid);

    const lines = s("g", { class: "pc-lines" });
    this.runs.forEach((run, r) => {
      const points: string[] = [];
      this.axes.forEach((axis, i) => {
        const v = axis.values[r];
        if (v === null || v === undefined) return;
        points.push(`${this.axisX(i).toFixed(1)},${this.axisY(axis, v).toFixed(1)}`);
      });
      const line = s(
        "polyline",
        {
          points: points.join(" "),
          class: `pc-line c${r % PALETTE}`,
          "data-run": run.id,
          "data-testid": "parallel-line",
        },
        s("title", {}, run.label),
      );
      this.lines.push(line);
      lines.append(line);
    });
    svg.append(lines);

    // Brushing areas on top: a strip along each axis takes the drag.
    const hits = s("g", { class: "pc-hits" });
    this.axes.forEach((axis, i) => {
      const hit = s("rect", {
        x: this.axisX(i) - 14,
        y: top - 4,
        width: 28,
        height: bottom - top + 8,
        class: "pc-hit",
        "data-axis": axis.key,
      });
      hit.addEventListener("pointerdown", (e) => this.brushStart(e, i));
      hits.append(hit);
    });
    svg.append(hits);
    svg.addEventListener("pointermove", (e) => this.brushMove(e));
    svg.addEventListener("pointerup", (e) => this.brushEnd(e));
    svg.addEventListener("pointercancel", () => (this.drag = null));
    const names = this.axes.map((a) => a.key).join(", ");
    const labels = this.runs.map((r) => r.label).join(", ");
    svg.append(s("desc", {}, `Axes: ${names}. One line per run: ${labels}.`));
  }

  /** A pointer's y in SVG units. */
  private svgY(event: PointerEvent): number | null {
    const ctm = this.svg.getScreenCTM();
    if (!ctm) return null;
    return new DOMPoint(event.clientX, event.clientY).matrixTransform(ctm.inverse()).y;
  }

  private clampY(y: number): number {
    return Math.min(H - M.bottom + 4, Math.max(M.top - 4, y));
  }

  private brushStart(event: PointerEvent, axis: number): void {
    if (event.button !== 0) return;
    const y = this.svgY(event);
    if (y === null) return;
    event.preventDefault();
    this.svg.setPointerCapture(event.pointerId);
    this.drag = { axis, from: this.clampY(y) };
    this.setBrush(axis, this.drag.from, this.drag.from);
  }

  private brushMove(event: PointerEvent): void {
    const drag = this.drag;
    if (!drag) return;
    const y = this.svgY(event);
    if (y === null) return;
    this.setBrush(drag.axis, drag.from, this.clampY(y));
  }

  private brushEnd(event: PointerEvent): void {
    const drag = this.drag;
    if (!drag) return;
    this.drag = null;
    const y = this.svgY(event);
    const to = y === null ? drag.from : this.clampY(y);
    // A click without a drag clears that axis's brush.
    if (Math.abs(to - drag.from) < 3) this.removeBrush(drag.axis);
    else this.setBrush(drag.axis, drag.from, to);
  }

  private setBrush(axis: number, a: number, b: number): void {
    const top = Math.min(a, b);
    const bottom = Math.max(a, b);
    let brush = this.brushes.get(axis);
    if (!brush) {
      const rect = s("rect", { x: this.axisX(axis) - 9, width: 18, class: "pc-brush" });
      // Under the hit strips, so the axis can be brushed again.
      this.svg.querySelector(".pc-hits")?.before(rect);
      brush = { top, bottom, rect };
      this.brushes.set(axis, brush);
    }
    brush.top = top;
    brush.bottom = bottom;
    brush.rect.setAttribute("y", top.toFixed(1));
    brush.rect.setAttribute("height", (bottom - top).toFixed(1));
    this.highlight();
  }

  private removeBrush(axis: number): void {
    this.brushes.get(axis)?.rect.remove();
    this.brushes.delete(axis);
    this.highlight();
  }

  private clearBrushes(): void {
    for (const brush of this.brushes.values()) brush.rect.remove();
    this.brushes.clear();
    this.highlight();
  }

  /** Dim the runs outside any brushed range (a run without a value there is outside). */
  private highlight(): void {
    const active = [...this.brushes.entries()].filter(([, b]) => b.bottom - b.top >= 3);
    let inside = 0;
    this.runs.forEach((_, r) => {
      const ok = active.every(([i, b]) => {
        const axis = this.axes[i] as Axis;
        const v = axis.values[r];
        if (v === null || v === undefined) return false;
        const y = this.axisY(axis, v);
        return y >= b.top && y <= b.bottom;
      });
      if (ok) inside += 1;
      const dim = active.length > 0 && !ok;
      this.lines[r]?.classList.toggle("dimmed", dim);
      this.lines[r]?.classList.toggle("picked", active.length > 0 && ok);
      this.legendItems[r]?.classList.toggle("dimmed", dim);
    });
    this.clear.disabled = this.brushes.size === 0;
    this.status.textContent = active.length
      ? `${inside} of ${this.runs.length} runs in the brushed ranges.`
      : "Drag along an axis to highlight the runs in a range.";
  }

  /** Colour the lines by run (as in the charts) or by a metric's value (key). */
  private colourBy(key: string): void {
    const axis = key ? this.axes.find((a) => a.kind === "metric" && a.key === key) : undefined;
    this.runs.forEach((_, r) => {
      let cls = `c${r % PALETTE}`;
      if (axis) {
        const v = axis.values[r];
        if (v === null || v === undefined) cls = "pc-missing";
        else {
          const t = axis.hi === axis.lo ? 0.5 : (v - axis.lo) / (axis.hi - axis.lo);
          cls = `pc-ramp-${Math.min(RAMP - 1, Math.floor(t * RAMP))}`;
        }
      }
      const line = this.lines[r];
      if (line) {
        const keep = [...line.classList].filter((c) => !/^(c\d|pc-ramp-\d|pc-missing)$/.test(c));
        line.setAttribute("class", [...keep, cls].join(" "));
      }
      const swatch = this.legendSwatches[r];
      if (swatch) swatch.className = `swatch ${cls}`;
    });
    if (axis) {
      this.ramp.replaceChildren(
        `${key}: `,
        num(axis.lo),
        " ",
        ...Array.from({ length: RAMP }, (_, k) =>
          h("span", { class: `swatch pc-ramp-${k}`, "aria-hidden": "true" }),
        ),
        " ",
        num(axis.hi),
      );
      this.ramp.hidden = false;
    } else {
      this.ramp.replaceChildren();
      this.ramp.hidden = true;
    }
  }
}
