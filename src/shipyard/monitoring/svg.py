"""Small inline SVG bar charts for the HTML report (no JavaScript, no external files)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

__all__ = ["histogram_svg", "score_bar_svg"]

REFERENCE_COLOUR = "#8da0cb"
CURRENT_COLOUR = "#fc8d62"
WIDTH, HEIGHT, PAD, AXIS = 560, 190, 6, 34


def _label(value: float) -> str:
    return f"{value:.3g}"


def histogram_svg(histogram: dict[str, Any]) -> Markup:
    """Reference and current shares per bin (numeric) or category, side by side."""
    ref: list[float] = histogram.get("reference") or []
    cur: list[float] = histogram.get("current") or []
    if not ref or len(ref) != len(cur):
        return Markup("")
    n = len(ref)
    top = max(max(ref), max(cur), 1e-12)
    plot_h = HEIGHT - AXIS - PAD
    slot = (WIDTH - 2 * PAD) / n
    bar = max(slot / 2 - 1, 1)
    shapes: list[str] = []
    for i, (r, c) in enumerate(zip(ref, cur, strict=True)):
        x = PAD + i * slot
        for offset, share, colour, who in (
            (0, r, REFERENCE_COLOUR, "reference"),
            (bar, c, CURRENT_COLOUR, "current"),
        ):
            h = share / top * plot_h
            shapes.append(
                f'<rect x="{x + offset:.1f}" y="{PAD + plot_h - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{who}: {share:.2%}</title></rect>'
            )
    axis_y = PAD + plot_h
    shapes.append(
        f'<line x1="{PAD}" y1="{axis_y}" x2="{WIDTH - PAD}" y2="{axis_y}" stroke="#999"/>'
    )
    if "labels" in histogram:
        for i, label in enumerate(histogram["labels"]):
            text = str(label)
            text = text if len(text) <= 12 else text[:11] + "…"
            x = PAD + (i + 0.5) * slot
            shapes.append(
                f'<text x="{x:.1f}" y="{axis_y + 14}" text-anchor="middle" font-size="10">'
                f"{escape(text)}</text>"
            )
    elif "edges" in histogram:
        edges = histogram["edges"]
        for i in (0, len(edges) // 2, len(edges) - 1):
            x = PAD + i * slot
            anchor = "start" if i == 0 else "end" if i == len(edges) - 1 else "middle"
            shapes.append(
                f'<text x="{x:.1f}" y="{axis_y + 14}" text-anchor="{anchor}" font-size="10">'
                f"{escape(_label(edges[i]))}</text>"
            )
    # every label in ``shapes`` went through escape(); the rest is numbers
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img">{"".join(shapes)}</svg>'
    )


def score_bar_svg(score: float, threshold: float, *, p_value: bool, drifted: bool) -> Markup:
    """A small bar: for distances, score against the threshold; for p-values, 1 − p."""
    width, height = 120, 12
    if score != score:  # NaN
        return Markup("")
    if p_value:
        fill, mark = 1 - min(max(score, 0.0), 1.0), 1 - threshold
    else:
        scale = max(threshold * 2, score, 1e-12)
        fill, mark = score / scale, threshold / scale
    colour = "#d7301f" if drifted else "#41ab5d"
    return Markup(  # noqa: S704 - numbers and constants only
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
        f'<rect width="{width}" height="{height}" fill="#eee"/>'
        f'<rect width="{fill * width:.1f}" height="{height}" fill="{colour}"/>'
        f'<line x1="{mark * width:.1f}" x2="{mark * width:.1f}" y1="0" y2="{height}" '
        'stroke="#333"/></svg>'
    )
