// The steps of a pipeline run and their graph as SVG boxes.
//
// Each step is a child run of the pipeline run, tagged with its node
// (`shipyard.step`), its cache outcome and its output (`shipyard.step.output`, JSON
// holding the output's digest); its params `input.N` / `input.NAME` hold the digest of
// each upstream output it was given. So a data edge A → B is an input of B equal to
// A's output digest. Ordering-only edges (`after=`) are not recorded and not drawn.

import { route, s } from "./dom";
import { duration, runSeconds } from "./format";
import { metricNumber, type Run } from "./types";

export const NODE_TAG = "shipyard.step";
export const CACHE_TAG = "shipyard.step.cache";
export const ERROR_TAG = "shipyard.step.error";
export const OUTPUT_TAG = "shipyard.step.output";

export interface Step {
  run: Run;
  node: string;
  /** The run's status, or `cached` for a cache hit. */
  state: string;
  cache: string | null;
  seconds: number | null;
  attempts: number | null;
  error: string | null;
  /** The digest of the step's output, once it has one. */
  output: string | null;
  /** The values of its `input.*` params (upstream digests, `json:…`, `data:…`). */
  inputs: string[];
}

export function stepOf(run: Run): Step {
  const tags = run.tags ?? {};
  const cache = tags[CACHE_TAG] ?? null;
  let output: string | null = null;
  try {
    const stored = JSON.parse(tags[OUTPUT_TAG] ?? "null") as unknown;
    if (stored && typeof stored === "object" && typeof (stored as { digest?: unknown }).digest === "string") {
      output = (stored as { digest: string }).digest;
    }
  } catch {
    output = null; // a damaged tag: the step simply has no known output
  }
  const computed = metricNumber(run.metrics?.step_seconds);
  return {
    run,
    node: tags[NODE_TAG] || run.name || run.id,
    state: cache === "hit" ? "cached" : run.status,
    cache,
    seconds: computed ?? (cache === "hit" ? null : runSeconds(run)),
    attempts: metricNumber(run.metrics?.attempts),
    error: tags[ERROR_TAG] ?? null,
    output,
    inputs: Object.entries(run.params ?? {})
      .filter(([key]) => key.startsWith("input."))
      .map(([, value]) => value),
  };
}

/** Data edges as [from, to] indices into `steps`. */
export function dataEdges(steps: Step[]): [number, number][] {
  const producers = new Map<string, number[]>();
  steps.forEach((step, i) => {
    if (step.output) producers.set(step.output, [...(producers.get(step.output) ?? []), i]);
  });
  const edges: [number, number][] = [];
  steps.forEach((step, to) => {
    const from = new Set<number>();
    for (const value of step.inputs) for (const i of producers.get(value) ?? []) if (i !== to) from.add(i);
    for (const i of from) edges.push([i, to]);
  });
  return edges;
}

/** Each step's column: the length of the longest chain of data edges leading to it. */
function layers(count: number, edges: [number, number][]): number[] {
  const ups = Array.from({ length: count }, () => [] as number[]);
  for (const [from, to] of edges) ups[to]?.push(from);
  const layer = new Array<number>(count).fill(-1);
  const visiting = new Set<number>();
  const visit = (i: number): number => {
    if ((layer[i] ?? -1) >= 0) return layer[i] as number;
    if (visiting.has(i)) return 0; // equal outputs can make a loop: ignore that edge
    visiting.add(i);
    let best = 0;
    for (const up of ups[i] ?? []) best = Math.max(best, visit(up) + 1);
    visiting.delete(i);
    layer[i] = best;
    return best;
  };
  for (let i = 0; i < count; i += 1) visit(i);
  return layer;
}

/**
 * Steps in the order they started; steps that started together (cache hits are
 * written in one batch, with one start time) upstream first.
 */
export function startOrder(steps: Step[]): Step[] {
  const layer = layers(steps.length, dataEdges(steps));
  const start = (step: Step): number => Date.parse(step.run.start_time ?? "") || 0;
  return steps
    .map((step, i) => ({ step, i }))
    .sort((a, b) => start(a.step) - start(b.step) || (layer[a.i] ?? 0) - (layer[b.i] ?? 0) || a.i - b.i)
    .map(({ step }) => step);
}

const BOX_W = 200;
const BOX_H = 74;
const GAP_X = 56;
const GAP_Y = 18;
const PAD = 8;

function clip(text: string, max: number): string {
  return text.length > max ? text.slice(0, max - 1) + "…" : text;
}

/** The stateful class of a box (its border colour). */
function stateClass(state: string): string {
  return ["running", "finished", "failed", "killed", "crashed", "cached"].includes(state) ? state : "other";
}

export function stepLine(step: Step): string {
  const parts = [duration(step.seconds)];
  if (step.attempts !== null) parts.push(`${step.attempts} attempt${step.attempts === 1 ? "" : "s"}`);
  return parts.join(" · ");
}

/** The graph: one box per step (linking to its run), columns by data depth. */
export function stepGraph(steps: Step[]): SVGSVGElement {
  const edges = dataEdges(steps);
  const layer = layers(steps.length, edges);
  const columns: number[][] = [];
  steps.forEach((_, i) => {
    const col = layer[i] ?? 0;
    (columns[col] ??= []).push(i);
  });
  const position = new Map<number, { x: number; y: number }>();
  columns.forEach((members, col) =>
    (members ?? []).forEach((i, row) =>
      position.set(i, { x: PAD + col * (BOX_W + GAP_X), y: PAD + row * (BOX_H + GAP_Y) }),
    ),
  );
  const rows = Math.max(1, ...columns.map((c) => (c ?? []).length));
  const width = PAD * 2 + Math.max(1, columns.length) * (BOX_W + GAP_X) - GAP_X;
  const height = PAD * 2 + rows * (BOX_H + GAP_Y) - GAP_Y;

  const svg = s("svg", {
    class: "step-graph",
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: "group",
    "aria-label": `Step graph: ${steps.length} step${steps.length === 1 ? "" : "s"}, ${edges.length} data edge${edges.length === 1 ? "" : "s"}`,
    "data-testid": "step-graph",
  });
  svg.append(
    s(
      "defs",
      {},
      s(
        "marker",
        {
          id: "step-arrow",
          viewBox: "0 0 10 10",
          refX: 10,
          refY: 5,
          markerWidth: 8,
          markerHeight: 8,
          orient: "auto-start-reverse",
        },
        s("path", { d: "M0,0 L10,5 L0,10 z", class: "edge-head" }),
      ),
    ),
  );
  for (const [from, to] of edges) {
    const a = position.get(from);
    const b = position.get(to);
    if (!a || !b) continue;
    const x1 = a.x + BOX_W;
    const y1 = a.y + BOX_H / 2;
    const x2 = b.x;
    const y2 = b.y + BOX_H / 2;
    const mid = (x1 + x2) / 2;
    svg.append(
      s("path", {
        class: "edge",
        d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`,
        "marker-end": "url(#step-arrow)",
        "data-testid": "step-edge",
      }),
    );
  }
  steps.forEach((step, i) => {
    const at = position.get(i) as { x: number; y: number };
    // A hit's state already says "cached"; a run of its own says whether it missed.
    const cache = step.state !== "cached" && step.cache === "miss" ? "cache miss" : "";
    svg.append(
      s(
        "a",
        {
          href: route("runs", step.run.id),
          class: `step-box state-${stateClass(step.state)}`,
          "data-testid": "step-box",
          "data-step": step.node,
        },
        s("rect", { x: at.x, y: at.y, width: BOX_W, height: BOX_H, rx: 6 }),
        s("text", { x: at.x + 10, y: at.y + 20, class: "step-name" }, clip(step.node, 24)),
        s("text", { x: at.x + 10, y: at.y + 40 }, [step.state, cache].filter(Boolean).join(" · ")),
        s("text", { x: at.x + 10, y: at.y + 60 }, stepLine(step)),
      ),
    );
  });
  return svg;
}
