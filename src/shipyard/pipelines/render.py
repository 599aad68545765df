"""A pipeline's graph as Mermaid, Graphviz dot or a standalone SVG."""

from __future__ import annotations

from html import escape

from shipyard.core.errors import InvalidInput
from shipyard.pipelines.definition import Plan

__all__ = ["FORMATS", "render_graph"]

FORMATS = ("mermaid", "dot", "svg")
_BOX_W, _BOX_H, _GAP_X, _GAP_Y = 160, 36, 40, 56


def render_graph(plan: Plan, fmt: str) -> str:
    if fmt == "mermaid":
        return _mermaid(plan)
    if fmt == "dot":
        return _dot(plan)
    if fmt == "svg":
        return _svg(plan)
    raise InvalidInput(f"unknown graph format {fmt!r}", hint="use " + ", ".join(FORMATS))


def _edges(plan: Plan) -> list[tuple[str, str, bool]]:
    """(from, to, carries data) for every edge."""
    edges = []
    for planned in plan.steps:
        data = set(planned.upstream()) - set(planned.after)
        edges += [(node, planned.id, node in data) for node in planned.upstream()]
    return edges


def _mermaid(plan: Plan) -> str:
    lines = ["flowchart TD"]
    lines += [f'    {_ident(s.id)}["{s.id}"]' for s in plan.steps]
    lines += [
        f"    {_ident(a)} {'-->' if data else '-.->'} {_ident(b)}" for a, b, data in _edges(plan)
    ]
    return "\n".join(lines) + "\n"


def _dot(plan: Plan) -> str:
    lines = [f'digraph "{plan.pipeline}" {{', "    rankdir=TB;", "    node [shape=box];"]
    lines += [f'    "{s.id}";' for s in plan.steps]
    for a, b, data in _edges(plan):
        style = "" if data else " [style=dashed]"
        lines.append(f'    "{a}" -> "{b}"{style};')
    return "\n".join(lines) + "\n}\n"


def _ident(node: str) -> str:
    return "n_" + "".join(c if c.isalnum() else "_" for c in node)


def _svg(plan: Plan) -> str:
    """Layers by longest path from a source; one row per layer, edges as straight lines."""
    depth: dict[str, int] = {}
    for planned in plan.steps:  # call order is a topological order
        depth[planned.id] = 1 + max((depth[u] for u in planned.upstream()), default=-1)
    rows: dict[int, list[str]] = {}
    for node, level in depth.items():
        rows.setdefault(level, []).append(node)
    width = max(len(r) for r in rows.values()) * (_BOX_W + _GAP_X) + _GAP_X
    height = len(rows) * (_BOX_H + _GAP_Y) + _GAP_Y
    where: dict[str, tuple[int, int]] = {}
    for level, nodes in rows.items():
        for index, node in enumerate(nodes):
            where[node] = (_GAP_X + index * (_BOX_W + _GAP_X), _GAP_Y + level * (_BOX_H + _GAP_Y))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="13">',
        f"<title>{escape(plan.pipeline)}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>',
    ]
    for a, b, data in _edges(plan):
        (x1, y1), (x2, y2) = where[a], where[b]
        dash = "" if data else ' stroke-dasharray="5,4"'
        parts.append(
            f'<line x1="{x1 + _BOX_W // 2}" y1="{y1 + _BOX_H}" x2="{x2 + _BOX_W // 2}" y2="{y2}" '
            f'stroke="#555"{dash} marker-end="url(#arrow)"/>'
        )
    for node, (x, y) in where.items():
        parts.append(
            f'<rect x="{x}" y="{y}" width="{_BOX_W}" height="{_BOX_H}" rx="6" '
            'fill="#eef3fb" stroke="#3b6fb6"/>'
            f'<text x="{x + _BOX_W // 2}" y="{y + _BOX_H // 2 + 5}" '
            f'text-anchor="middle">{escape(node)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
