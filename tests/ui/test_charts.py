"""Zooming metric charts and the compare page's parallel coordinates, in a real browser
(Debian's chromium through Playwright), on livekit's workspace served by ``shipyard ui``.

A run's ``loss`` chart is zoomed by a mouse drag (the x axis shows a narrower step
range and "Reset zoom" appears), reset, zoomed from the keyboard through its "Zoom to
steps" form, and zoomed again with the log scale and smoothing on. On the compare page
of three runs, the parallel coordinates draw one line per run and one axis per param
and metric, brushing an axis dims the runs outside it, and zooming an overlaid chart
asks the server for the range's summary (``start_step``/``end_step``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.browser import requires_browser, run_in_browser
from tests.ui.livekit import assert_clean, requires_build, seed_workspace, serving

pytestmark = [requires_browser, requires_build()]

# Helpers defined inside the browser script: the x range a chart shows (its data
# attributes and its first and last x tick) and a horizontal drag across a fraction of
# its plot.
CHART_HELPERS = """
def x_range(chart):
    ticks = chart.locator("text.tick.x")
    return {
        "min": float(chart.get_attribute("data-x-min")),
        "max": float(chart.get_attribute("data-x-max")),
        "ticks": [ticks.first.text_content(), ticks.last.text_content()],
    }


def drag_across(chart, start, end):
    svg = chart.locator("svg.chart-svg")
    svg.scroll_into_view_if_needed()
    box = svg.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * start, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * (start + end) / 2, y, steps=4)
    page.mouse.move(box["x"] + box["width"] * end, y, steps=4)
    page.mouse.up()
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_workspace(tmp_path_factory.mktemp("charts") / "repo")


def test_a_run_chart_zooms_by_drag_and_by_keyboard_and_resets(
    workspace: Path, tmp_path: Path
) -> None:
    with serving(workspace, "ui", "--port", "0") as live:
        result = run_in_browser(
            CHART_HELPERS
            + f"""
page.goto({live.url!r})
expect(page.get_by_test_id("run-row").first).to_be_visible()
page.get_by_text("lr 29", exact=True).click()
chart = page.locator("[data-testid=metric-chart][data-metric=loss]")
expect(chart).to_be_visible()
reset = chart.get_by_test_id("zoom-reset")
expect(reset).to_be_hidden()
report("before", x_range(chart))

with page.expect_request(lambda r: "start_step=" in r.url and "key=loss" in r.url) as asked:
    drag_across(chart, 0.35, 0.7)
report("run_refetch", asked.value.url)
expect(reset).to_be_visible()
expect(chart.get_by_test_id("zoom-range")).to_contain_text("Zoomed to steps")
report("dragged", x_range(chart))
report("dragged_lines", chart.locator("polyline.line").count())
report("axe_zoomed", axe())
shot("run-zoomed")
reset.click()
expect(reset).to_be_hidden()
report("reset", x_range(chart))

# The keyboard: open "Zoom to steps", type the range, submit with Enter.
chart.locator("summary", has_text="Zoom to steps").focus()
page.keyboard.press("Enter")
page.keyboard.press("Tab")
page.keyboard.press("ControlOrMeta+a")
page.keyboard.type("50")
page.keyboard.press("Tab")
page.keyboard.press("ControlOrMeta+a")
page.keyboard.type("60")
page.keyboard.press("Enter")
expect(chart.get_by_test_id("zoom-range")).to_have_text("Zoomed to steps 50–60")
report("typed", x_range(chart))
report("focused_reset", reset.is_visible())

# A double-click on the plot resets too.
chart.locator("svg.chart-svg").dblclick()
expect(reset).to_be_hidden()
report("after_dblclick", x_range(chart))

# Log scale and smoothing hold through a zoom.
page.get_by_test_id("chart-log").check()
page.get_by_test_id("chart-smoothing").fill("0.6")
drag_across(chart, 0.2, 0.5)
expect(reset).to_be_visible()
report("log_zoomed", x_range(chart))
report("log_lines", chart.locator("polyline.line").count())
report("log_note", chart.locator(".chart-note").text_content())
page.get_by_test_id("chart-log").uncheck()
report("unlogged_still_zoomed", reset.is_visible())
report("axe_run", axe())
""",
            base_url=live.base,
            out_dir=tmp_path,
        )
    before, dragged, reset = result["before"], result["dragged"], result["reset"]
    assert "end_step=" in result["run_refetch"]  # the zoomed range is asked of the store
    assert (before["min"], before["max"]) == (0, 199)
    assert before["min"] < dragged["min"] < dragged["max"] < before["max"]
    assert dragged["ticks"] != before["ticks"]
    assert result["dragged_lines"] >= 1
    assert reset == before
    assert (result["typed"]["min"], result["typed"]["max"]) == (50, 60)
    assert result["typed"]["ticks"] == ["50", "60"]
    assert result["focused_reset"] is True
    assert result["after_dblclick"] == before
    log_zoomed = result["log_zoomed"]
    assert before["min"] < log_zoomed["min"] < log_zoomed["max"] < before["max"]
    assert result["log_lines"] >= 1
    assert result["log_note"] == ""  # loss is positive: the log scale stays
    assert result["unlogged_still_zoomed"] is True
    assert result["axe_zoomed"] == []
    assert result["axe_run"] == []
    assert_clean(result)


def test_compare_draws_parallel_coordinates_brushes_them_and_zooms_with_detail(
    workspace: Path, tmp_path: Path
) -> None:
    with serving(workspace, "ui", "--port", "0") as live:
        result = run_in_browser(
            CHART_HELPERS
            + f"""
page.goto({live.url!r})
expect(page.get_by_test_id("run-row").first).to_be_visible()
for i in (1, 2, 3):
    page.get_by_test_id("run-select").nth(i).check()
page.get_by_test_id("compare-button").click()
expect(page.get_by_test_id("compare-table")).to_be_visible()
pc = page.get_by_test_id("parallel-coordinates")
expect(pc).to_be_visible()
report("heading", pc.locator("h2").text_content())
report("after_table", page.evaluate(
    '''() => {{
        const table = document.querySelector("[data-testid=compare-table]");
        const pc = document.querySelector("[data-testid=parallel-coordinates]");
        return !!(table.compareDocumentPosition(pc) & Node.DOCUMENT_POSITION_FOLLOWING);
    }}'''))
lines = pc.locator("polyline.pc-line")
report("lines", lines.count())
report("line_classes", lines.evaluate_all("els => els.map((e) => e.getAttribute('class'))"))
report("axes", pc.locator("g.pc-axis").evaluate_all(
    "els => els.map((e) => [e.dataset.axis, e.dataset.kind])"))
report("model_ticks", pc.locator("g.pc-axis[data-axis=model] text.tick").all_text_contents())
report("c_ticks", pc.locator("g.pc-axis[data-axis=C] text.tick").all_text_contents())
report("pc_legend", pc.locator(".legend li").all_text_contents())
report("axe_compare", axe())

# Brush the top third of the C axis: only the run with the largest C stays lit.
hit = pc.locator("rect.pc-hit[data-axis=C]")
hit.scroll_into_view_if_needed()
box = hit.bounding_box()
x = box["x"] + box["width"] / 2
page.mouse.move(x, box["y"] + 2)
page.mouse.down()
page.mouse.move(x, box["y"] + box["height"] * 0.2, steps=3)
page.mouse.move(x, box["y"] + box["height"] * 0.33, steps=3)
page.mouse.up()
expect(pc.locator("polyline.dimmed").first).to_be_attached()
report("dimmed", pc.locator("polyline.pc-line.dimmed").count())
report("status", pc.get_by_test_id("parallel-status").text_content())
shot("compare-brushed")
report("axe_brushed", axe())
pc.get_by_label("Colour lines by").select_option("accuracy")
report("ramp_lines", pc.locator("polyline[class*=pc-ramp-]").count())
pc.get_by_test_id("parallel-clear").click()
report("dimmed_after_clear", pc.locator("polyline.pc-line.dimmed").count())

# The overlaid loss chart: its legend matches, and a zoom asks for the range's detail.
page.locator(".charts").scroll_into_view_if_needed()
chart = page.locator(".charts [data-testid=metric-chart][data-metric=loss]")
chart.scroll_into_view_if_needed()
expect(chart).to_be_visible()
report("chart_legend", chart.locator(".legend li").all_text_contents())
report("chart_swatches", chart.locator(".legend .swatch").evaluate_all(
    "els => els.map((e) => e.getAttribute('class'))"))
before = x_range(chart)
with page.expect_request(lambda r: "start_step=" in r.url and "key=loss" in r.url) as asked:
    drag_across(chart, 0.3, 0.6)
report("detail_url", asked.value.url)
expect(chart.get_by_test_id("zoom-reset")).to_be_visible()
expect(chart).not_to_have_attribute("aria-busy", "true")
report("before", before)
report("zoomed", x_range(chart))
report("zoomed_lines", chart.locator("polyline.line").count())
report("zoom_note", chart.locator(".chart-note").text_content())
report("axe_zoomed", axe())
chart.get_by_test_id("zoom-reset").click()
expect(chart.get_by_test_id("zoom-reset")).to_be_hidden()
report("reset", x_range(chart))
""",
            base_url=live.base,
            out_dir=tmp_path,
        )
    assert result["heading"] == "Parallel coordinates"
    assert result["after_table"] is True
    assert result["lines"] == 3
    # Coloured as in the overlaid charts: run i has class c{i}.
    for i, classes in enumerate(result["line_classes"]):
        assert f"c{i}" in classes.split()
    axes = dict(result["axes"])
    assert axes == {"C": "param", "model": "param", "accuracy": "metric", "loss": "metric"}
    assert sorted(result["model_ticks"]) == ["lr", "tree"]  # categories, evenly spaced
    assert len(result["c_ticks"]) == 2  # min and max
    assert result["dimmed"] >= 1
    assert result["dimmed"] < 3
    assert "of 3 runs" in result["status"]
    assert result["ramp_lines"] == 3
    assert result["dimmed_after_clear"] == 0
    assert result["pc_legend"] == result["chart_legend"]
    assert [c.split()[-1] for c in result["chart_swatches"]] == ["c0", "c1", "c2"]
    url = result["detail_url"]
    for parameter in ("start_step=", "end_step=", "buckets="):
        assert parameter in url
    before, zoomed = result["before"], result["zoomed"]
    assert before["min"] < zoomed["min"] < zoomed["max"] < before["max"]
    assert result["zoomed_lines"] == 3
    assert result["zoom_note"] == ""  # the range's detail loaded
    assert result["reset"] == before
    for key in ("axe_compare", "axe_brushed", "axe_zoomed"):
        assert result[key] == [], key
    assert_clean(result)
