// A small line of values over a monitor's results, with horizontal guides (a drift
// threshold; a metric's training baseline and the limit it may decay to).

import { s } from "./dom";

export interface Guide {
  value: number;
  /** sparkline-threshold, sparkline-baseline or sparkline-limit (see style.css). */
  cls: string;
}

const WIDTH = 160;
const HEIGHT = 36;

/**
 * `values` oldest to newest (null: no value in that result), drawn with `guides` as
 * horizontal lines. `fromZero`: the scale starts at 0 (drift scores); otherwise it
 * spans the values and guides (metrics that move in a narrow band).
 */
export function sparkline(label: string, values: (number | null)[], guides: Guide[], fromZero = true): SVGSVGElement {
  const known = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  const all = [...known, ...guides.map((g) => g.value).filter(Number.isFinite)];
  let low = fromZero ? 0 : Math.min(...all);
  let high = Math.max(...all, fromZero ? 1e-9 : Number.NEGATIVE_INFINITY);
  if (!Number.isFinite(low) || !Number.isFinite(high)) [low, high] = [0, 1];
  if (high - low < 1e-9) [low, high] = [low - 0.5, high + 0.5];
  const x = (i: number): number => (values.length < 2 ? WIDTH / 2 : (i / (values.length - 1)) * WIDTH);
  const y = (v: number): number => HEIGHT - 2 - ((v - low) / (high - low)) * (HEIGHT - 4);
  const svg = s(
    "svg",
    { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, width: WIDTH, height: HEIGHT, role: "img", class: "sparkline" },
    s("title", {}, label),
  );
  for (const guide of guides) {
    if (!Number.isFinite(guide.value)) continue;
    const at = y(guide.value).toFixed(1);
    svg.append(s("line", { x1: 0, x2: WIDTH, y1: at, y2: at, class: guide.cls }));
  }
  const points = values
    .map((v, i) => (typeof v === "number" && Number.isFinite(v) ? `${x(i).toFixed(1)},${y(v).toFixed(1)}` : null))
    .filter((p): p is string => p !== null);
  svg.append(s("polyline", { points: points.join(" "), class: "sparkline-line" }));
  const last = points.at(-1)?.split(",");
  if (last) svg.append(s("circle", { cx: last[0], cy: last[1], r: 2, class: "sparkline-dot" }));
  return svg;
}
