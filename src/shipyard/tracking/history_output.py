"""What ``shipyard runs history`` prints, in memory that does not grow with the history.

* a table of the first and last values, with the count, lowest and highest
  (two short reads and a one-bucket summary, whatever the length);
* ``--all``: every value, drawn as it is read (fixed column widths);
* ``--json`` / ``--csv``: every value, written page by page;
* ``--buckets N``: the summary computed in the store (table, JSON or CSV).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import NDArray
from rich.markup import escape

from shipyard.cli.console import console, print_json
from shipyard.tracking.history import HistoryPage, MetricSummary, check_request
from shipyard.tracking.render import format_metric, plain_table
from shipyard.tracking.wire import points_json

if TYPE_CHECKING:
    from shipyard.tracking.backend import TrackingBackend

__all__ = ["HistoryQuery", "show_history", "write_csv", "write_json"]

HEADERS = ("step", "value", "time (UTC)")
_VALUE_WIDTH = 12  # what format_metric writes for all but integers beyond a trillion
_TIME_WIDTH = 19
TEXT_SLICE = 10_000


@dataclass(frozen=True)
class HistoryQuery:
    run_id: str
    key: str
    start_step: int | None = None
    end_step: int | None = None


def _pages(
    backend: TrackingBackend, query: HistoryQuery, **options: object
) -> Iterator[HistoryPage]:
    return backend.iter_metric_history(
        query.run_id, query.key, start_step=query.start_step, end_step=query.end_step,
        **options,  # type: ignore[arg-type]
    )  # fmt: skip


def _first(pages: Iterator[HistoryPage]) -> HistoryPage | None:
    """The first page, then let go of the rest (a local read holds a transaction)."""
    try:
        return next(pages, None)
    finally:
        close = getattr(pages, "close", None)
        if close is not None:
            close()


def show_history(
    backend: TrackingBackend,
    query: HistoryQuery,
    *,
    limit: int = 20,
    every: bool = False,
    buckets: int | None = None,
    output: Literal["table", "json", "csv"] = "table",
) -> None:
    """Print one metric's history as ``runs history`` does (see the module's docstring)."""
    check_request(start_step=query.start_step, end_step=query.end_step)
    out = console.file
    if buckets is not None:
        summary = backend.metric_history_summary(
            query.run_id, query.key, buckets, start_step=query.start_step,
            end_step=query.end_step,
        )  # fmt: skip
        if output == "json":
            print_json(summary.to_dict())
        elif output == "csv":
            write_summary_csv(summary, out)
        elif not summary.buckets:
            _nothing(query)
        else:
            out.write("\n".join(summary_lines(summary)) + "\n")
            console.print(f"[dim]{summary.count:,} values in {len(summary.buckets):,} "
                          f"buckets of {summary.bucket_steps:,} steps[/]")  # fmt: skip
        return
    if output == "json":
        write_json(_pages(backend, query), out)
    elif output == "csv":
        write_csv(_pages(backend, query), out)
    elif every:
        _every_row(backend, query, out)
    else:
        _head_and_tail(backend, query, limit, out)


def _nothing(query: HistoryQuery) -> None:
    where = "" if query.start_step is None and query.end_step is None else " in those steps"
    console.print(f"Run {escape(query.run_id)} has no values of metric "
                  f"{escape(query.key)!r}{where}.")  # fmt: skip


def _slices(pages: Iterable[HistoryPage]) -> Iterator[HistoryPage]:
    """Pages cut to :data:`TEXT_SLICE` values: the text of a slice is what memory holds."""
    for page in pages:
        for i in range(0, len(page), TEXT_SLICE):
            part = slice(i, i + TEXT_SLICE)
            yield HistoryPage(page.key, page.steps[part], page.timestamps[part], page.values[part])


def write_json(pages: Iterable[HistoryPage], out: IO[str]) -> None:
    """``[MetricPoint.to_dict(), …]``, one object a line, written page by page."""
    out.write("[")
    sep = "\n"
    for page in _slices(pages):
        if len(page):
            out.write(sep + points_json(page, indent="  "))
            sep = ",\n"
    out.write("]\n" if sep == "\n" else "\n]\n")


def write_csv(pages: Iterable[HistoryPage], out: IO[str]) -> None:
    """``step,value,timestamp_ms`` (NaN and infinities as ``nan``, ``inf``, ``-inf``)."""
    out.write("step,value,timestamp_ms\n")
    for page in _slices(pages):
        out.write(
            "".join(
                f"{step},{value!r},{stamp}\n"
                for step, value, stamp in zip(
                    page.steps.tolist(), page.values.tolist(), page.timestamps.tolist(),
                    strict=True,
                )
            )
        )  # fmt: skip


def write_summary_csv(summary: MetricSummary, out: IO[str]) -> None:
    out.write("start_step,end_step,count,first_step,first_value,min_step,min_value,"
              "max_step,max_value,last_step,last_value\n")  # fmt: skip
    for b in summary.buckets:
        points = (b.first, b.min, b.max, b.last)
        cells = [b.start_step, b.end_step, b.count, *(x for p in points for x in (p.step, p.value))]
        out.write(",".join(repr(c) for c in cells) + "\n")


def time_texts(stamps: NDArray[np.int64]) -> list[str]:
    """``YYYY-MM-DD HH:MM:SS`` (UTC) of millisecond timestamps, converted all at once."""
    texts = np.datetime_as_string(stamps.astype("datetime64[ms]"), unit="s").tolist()
    return [t.replace("T", " ") for t in texts]


def _rows(page: HistoryPage) -> list[tuple[str, str, str]]:
    values = [format_metric(v) for v in page.values.tolist()]
    steps = [str(s) for s in page.steps.tolist()]
    return list(zip(steps, values, time_texts(page.timestamps), strict=True))


def _widths(step_texts: Sequence[str]) -> list[int]:
    step = max(len(HEADERS[0]), *(len(s) for s in step_texts))
    return [step, _VALUE_WIDTH, _TIME_WIDTH]


def _every_row(backend: TrackingBackend, query: HistoryQuery, out: IO[str]) -> None:
    """Every value as table rows, page by page: the widest step is the first or the last."""
    last = _first(_pages(backend, query, descending=True, page_size=1))
    if last is None:
        _nothing(query)
        return
    pages = _pages(backend, query)
    first = next(pages, None)
    if first is None:  # deleted in between
        _nothing(query)
        return
    step, value, stamp = _widths([str(first.steps[0]), str(last.steps[0])])
    lines = plain_table(HEADERS, [], right={0, 1}, pad_edge=True, widths=[step, value, stamp])
    out.write("\n".join(lines) + "\n")
    for page in _slices(itertools.chain([first], pages)):  # rows as plain_table draws them
        rows = _rows(page)
        out.write("".join(f" {s:>{step}} │ {v:>{value}} │ {t:<{stamp}} \n" for s, v, t in rows))


def _head_and_tail(backend: TrackingBackend, query: HistoryQuery, limit: int, out: IO[str]) -> None:
    head = _first(_pages(backend, query, page_size=limit))
    if head is None:
        _nothing(query)
        return
    rows = _rows(head)
    if head.next_cursor is None:  # all of it fits
        out.write("\n".join(plain_table(HEADERS, rows, right={0, 1}, pad_edge=True)) + "\n")
        return
    tail_size = limit // 2
    tail_rows: list[tuple[str, str, str]] = []
    if tail_size:
        tail = _first(_pages(backend, query, descending=True, page_size=tail_size))
        tail_rows = _rows(tail)[::-1] if tail is not None else []
    shown = [*rows[: limit - tail_size], ("…", "…", "…"), *tail_rows]
    out.write("\n".join(plain_table(HEADERS, shown, right={0, 1}, pad_edge=True)) + "\n")
    whole = backend.metric_history_summary(
        query.run_id, query.key, 1, start_step=query.start_step, end_step=query.end_step
    )
    note = f"{whole.count:,} values, showing the first {limit - tail_size:,}"
    note += f" and the last {len(tail_rows):,}" if tail_rows else ""
    if whole.buckets:
        low, high = whole.buckets[0].min, whole.buckets[0].max
        note += (f"; lowest {format_metric(low.value)} at step {low.step:,}, "
                 f"highest {format_metric(high.value)} at step {high.step:,}")  # fmt: skip
    console.print(f"[dim]{note}[/]")
    console.print("[dim]every value: --all, --json or --csv; a chart's view: --buckets 500[/]")


def summary_lines(summary: MetricSummary) -> Iterator[str]:
    headers = ("steps", "count", "first", "min", "max", "last")
    rows = [
        (
            f"{b.start_step}–{b.end_step}" if b.end_step != b.start_step else str(b.start_step),
            f"{b.count:,}",
            *(format_metric(p.value) for p in (b.first, b.min, b.max, b.last)),
        )
        for b in summary.buckets
    ]
    return plain_table(headers, rows, right={1, 2, 3, 4, 5}, pad_edge=True)
