"""Inline SVG charts over time for the live report: traffic bars and metric lines.

No JavaScript and no external files; every text label goes through
``markupsafe.escape``. Sizes are fixed, so the page stays small whatever the
traffic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

__all__ = ["bars_svg", "lines_svg"]

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 620, 170, 44, 26, 8
PALETTE = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")
TRAFFIC, LABELLED = "#8da0cb", "#fc8d62"


def _frame(max_value: float, labels: Sequence[str]) -> list[str]:
    plot_h = HEIGHT - BOTTOM - TOP
    parts = [
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - 4}" y2="{TOP + plot_h}" '
        'stroke="#999"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 8}" text-anchor="end" font-size="10">'
        f"{escape(_short(max_value))}</text>",
        f'<text x="{LEFT - 4}" y="{TOP + plot_h}" text-anchor="end" font-size="10">0</text>',
    ]
    if labels:
        slot = (WIDTH - 4 - LEFT) / len(labels)
        for i in sorted({0, len(labels) // 2, len(labels) - 1}):
            anchor = "start" if i == 0 else "end" if i == len(labels) - 1 else "middle"
            x = LEFT + (i + (0 if i == 0 else 1 if anchor == "end" else 0.5)) * slot
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="{anchor}" font-size="10">'
                f"{escape(labels[i])}</text>"
            )
    return parts


def _short(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _svg(parts: list[str]) -> Markup:
    # every label in ``parts`` went through escape(); the rest is numbers and constants
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img">{"".join(parts)}</svg>'
    )


def bars_svg(labels: Sequence[str], total: Sequence[int], labelled: Sequence[int]) -> Markup:
    """Rows per bucket, with the labelled share drawn inside each bar."""
    if not total:
        return Markup("")
    top = max(max(total), 1)
    plot_h = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - 4 - LEFT) / len(total)
    bar = max(slot - 2, 1)
    parts = _frame(top, labels)
    for i, (rows, marked) in enumerate(zip(total, labelled, strict=True)):
        x = LEFT + i * slot + 1
        for value, colour, what in ((rows, TRAFFIC, "rows"), (marked, LABELLED, "labelled")):
            h = value / top * plot_h
            parts.append(
                f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{escape(labels[i])}: '
                f"{value:,} {what}</title></rect>"
            )
    return _svg(parts)


def lines_svg(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    baselines: dict[str, float] | None = None,
    *,
    upper: float | None = None,
) -> Markup:
    """One line per series over the buckets (gaps where a value is missing), dashed baselines."""
    values = [v for s in series.values() for v in s if v is not None]
    values += list((baselines or {}).values())
    if not labels or not values:
        return Markup("")
    top = upper if upper is not None else max(max(values), 1e-12) * 1.05
    plot_h = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - 4 - LEFT) / max(len(labels), 1)
    parts = _frame(top, labels)

    def y(value: float) -> float:
        return TOP + plot_h - min(max(value / top, 0.0), 1.0) * plot_h

    for n, (name, points) in enumerate(series.items()):
        colour = PALETTE[n % len(PALETTE)]
        segment: list[str] = []
        for i, value in enumerate(points):
            x = LEFT + (i + 0.5) * slot
            if value is None:
                if len(segment) > 1:
                    parts.append(_polyline(segment, colour))
                segment = []
                continue
            segment.append(f"{x:.1f},{y(value):.1f}")
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y(value):.1f}" r="2.5" fill="{colour}">'
                f"<title>{escape(name)} {escape(labels[i])}: {value:.4g}</title></circle>"
            )
        if len(segment) > 1:
            parts.append(_polyline(segment, colour))
        baseline = (baselines or {}).get(name)
        if baseline is not None:
            parts.append(
                f'<line x1="{LEFT}" x2="{WIDTH - 4}" y1="{y(baseline):.1f}" y2="{y(baseline):.1f}" '
                f'stroke="{colour}" stroke-dasharray="4 3"><title>{escape(name)} at training: '
                f"{baseline:.4g}</title></line>"
            )
        parts.append(
            f'<text x="{LEFT + 6 + 90 * n}" y="{TOP + 10}" font-size="11" fill="{colour}">'
            f"{escape(name)}</text>"
        )
    return _svg(parts)


def _polyline(points: list[str], colour: str) -> str:
    return f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" stroke-width="2"/>'
