"""Experiment tracking, the SDK: start runs, log to them, find them again.

.. code-block:: python

    import shipyard

    with shipyard.start_run(experiment="churn", name="lr-baseline") as run:
        run.log_params({"C": 1.0, "model": "lr"})
        for epoch in range(10):
            run.log_metric("loss", loss, step=epoch)
        run.log_metrics({"accuracy": 0.93, "f1": 0.91})
        run.set_tags({"team": "growth"})
        run.log_input("data/train.parquet")

    shipyard.search_runs(filter="metrics.accuracy > 0.9", order_by="metrics.f1 desc")

The heavy parts (database, pandas) load on first use, so ``import shipyard``
stays light.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import Conflict, InvalidInput
from shipyard.core.extras import require

if TYPE_CHECKING:
    import pandas

    from shipyard.context import Context
    from shipyard.tracking.entities import MetricPoint, Run, RunDetail
    from shipyard.tracking.history import HistoryPage, MetricSummary
    from shipyard.tracking.run import ActiveRun

__all__ = [
    "active_run",
    "download_artifacts",
    "end_run",
    "get_run",
    "iter_metric_history",
    "metric_history",
    "metric_history_summary",
    "search_runs",
    "start_run",
]

DEFAULT_EXPERIMENT = "default"


def start_run(
    experiment: str | None = None,
    name: str | None = None,
    *,
    run_id: str | None = None,
    nested: bool = False,
    parent: str | None = None,
    tags: Mapping[str, Any] | None = None,
    context: Context | None = None,
) -> ActiveRun:
    """Start a run (or resume one by ``run_id``) and make it the active run.

    ``experiment`` defaults to ``$SHIPYARD_EXPERIMENT`` or ``"default"``.
    ``nested=True`` starts a child of the active run; ``parent`` names a parent
    explicitly. Inside ``shipyard run -- …`` (``$SHIPYARD_RUN_ID`` set) the
    first run attaches to the wrapper's run instead of starting a new one.
    Raises :class:`Conflict` when a run is active and ``nested`` is false.
    """
    from shipyard.core.monitors import triggered_tags
    from shipyard.tracking.entities import RunSpec
    from shipyard.tracking.environment import capture_environment, host_name
    from shipyard.tracking.git_state import capture_git_state
    from shipyard.tracking.run import ActiveRun
    from shipyard.tracking.session import RUN_ID_ENV, default_run_name, sdk

    backend, logger = sdk.backend(context)
    with sdk.lock:
        top = sdk.top()
        if top is not None and not nested and run_id is None:
            raise Conflict(
                f"run {top.id} ({top.name!r}) is still active",
                hint="end it first, or pass nested=True to start a child run",
            )
        attached = os.environ.get(RUN_ID_ENV)
        if run_id is None and top is None and attached and not nested:
            info = backend.get_run(attached).run
            run = ActiveRun(backend, logger, info, owned=False, on_end=sdk.pop)
            if tags:
                run.set_tags(tags)
            sdk.push(run)
            return run
        if run_id is not None:
            info = backend.resume_run(run_id, sdk.writer())
            run = ActiveRun(backend, logger, info, on_end=sdk.pop)
            if tags:
                run.set_tags(tags)
            sdk.push(run)
            return run
        parent_id = parent
        if parent_id is None and nested:
            parent_id = top.id if top is not None else attached
            if parent_id is None:
                raise InvalidInput(
                    "nested=True needs an active run to nest under",
                    hint="start the parent run first",
                )
        ctx = getattr(backend, "context", None)
        folder = ctx.settings.workspace if ctx is not None else None
        spec = RunSpec(
            experiment=experiment or os.environ.get("SHIPYARD_EXPERIMENT") or DEFAULT_EXPERIMENT,
            name=name or default_run_name(),
            parent_id=parent_id,
            # a run a monitor's on_breach command starts says so (its page links it)
            tags=(triggered_tags(os.environ) if parent_id is None else {})
            | {k: str(v) for k, v in (tags or {}).items()},
            host=host_name(),
            pid=os.getpid(),
            command=shlex.join(sys.argv) if sys.argv and sys.argv[0] else None,
            git=capture_git_state(folder or Path.cwd()),
            environment=capture_environment(),
        )
        info = backend.create_run(spec)
        run = ActiveRun(backend, logger, info, on_end=sdk.pop)
        sdk.push(run)
        return run


def active_run() -> ActiveRun | None:
    """The innermost active run of this process, or None."""
    from shipyard.tracking.session import sdk

    return sdk.top()


def end_run(status: str = "finished") -> None:
    """End the active run (``finished``, ``failed`` or ``killed``); no-op without one."""
    run = active_run()
    if run is not None:
        run.end(status)


def get_run(run_id: str, *, context: Context | None = None) -> RunDetail:
    """One run in full: params, latest metrics, tags, inputs, git, resources, cost."""
    from shipyard.tracking.session import sdk

    backend, logger = sdk.backend(context)
    logger.flush()
    return backend.get_run(run_id)


def metric_history(run_id: str, key: str, *, context: Context | None = None) -> list[MetricPoint]:
    """Every logged value of one metric of one run, by step, as a list.

    A list of a million values weighs about 100 MB: for long histories use
    :func:`iter_metric_history` (columns, page by page) or
    :func:`metric_history_summary` (downsampled for a chart).
    """
    require("tables", "metric histories", "numpy")
    from shipyard.tracking.session import sdk

    backend, logger = sdk.backend(context)
    logger.flush()
    return backend.metric_history(run_id, key)


def iter_metric_history(
    run_id: str,
    key: str,
    *,
    start_step: int | None = None,
    end_step: int | None = None,
    descending: bool = False,
    page_size: int | None = None,
    after: str | None = None,
    context: Context | None = None,
) -> Iterator[HistoryPage]:
    """One metric's history as pages of columns, read as you iterate: bounded memory.

    Each :class:`~shipyard.tracking.history.HistoryPage` holds numpy arrays
    ``steps``, ``timestamps`` (ms) and ``values`` of up to ``page_size`` values
    (default and most: 100,000), in the order of :func:`metric_history`
    (``descending``: from the last value). ``start_step``/``end_step`` keep a
    range (both included); ``after`` resumes after a page's ``next_cursor``.

    .. code-block:: python

        for page in shipyard.runs.iter_metric_history(run_id, "loss"):
            best = min(best, page.values.min())
    """
    require("tables", "metric histories", "numpy")
    from shipyard.tracking.session import sdk

    backend, logger = sdk.backend(context)
    logger.flush()
    return backend.iter_metric_history(
        run_id, key, start_step=start_step, end_step=end_step, after=after,
        descending=descending, page_size=page_size,
    )  # fmt: skip


def metric_history_summary(
    run_id: str,
    key: str,
    buckets: int = 500,
    *,
    start_step: int | None = None,
    end_step: int | None = None,
    context: Context | None = None,
) -> MetricSummary:
    """One metric's history downsampled where it is stored, for a chart.

    The range ``start_step``…``end_step`` (default: the whole history) is cut
    into at most ``buckets`` (up to 10,000) buckets of equal step width; each
    keeps its count and its first, last, min and max value (NaN ignored by
    min/max), so a line through ``summary.points()`` keeps every spike.
    """
    require("tables", "metric histories", "numpy")
    from shipyard.tracking.session import sdk

    backend, logger = sdk.backend(context)
    logger.flush()
    return backend.metric_history_summary(
        run_id, key, buckets, start_step=start_step, end_step=end_step
    )


def download_artifacts(
    run_id: str,
    dest: str | Path,
    path: str | None = None,
    *,
    context: Context | None = None,
) -> list[Path]:
    """Write a run's artifacts (all, or the file or folder ``path``) under ``dest``.

    Paths inside the run are kept; each file is verified against its digest and
    appears whole or not at all. Returns the files written. Raises
    :class:`NotFound` for an unknown artifact, :class:`InvalidInput` for a stored
    path that would leave ``dest``.
    """
    from shipyard.tracking.artifacts import download_artifacts as download
    from shipyard.tracking.session import sdk

    backend, logger = sdk.backend(context)
    logger.flush()
    artifacts = backend.get_run(run_id).artifacts
    return download(backend.objects, artifacts, Path(dest), prefix=path)


def search_runs(
    experiments: str | Sequence[str] | None = None,
    filter: str = "",
    order_by: str = "",
    max_results: int = 1000,
    *,
    context: Context | None = None,
) -> pandas.DataFrame:
    """Matching runs as a pandas DataFrame, one row per run.

    Columns: ``run_id``, ``experiment``, ``name``, ``status``, ``start_time``,
    ``end_time``, ``duration``, ``cost``, then ``params.*``, ``metrics.*`` and
    ``tags.*``. ``filter`` and ``order_by`` use the query language of ``shipyard
    runs ls`` (e.g. ``"metrics.accuracy > 0.9 and params.model = 'lr'"``).
    """
    require("tables", "search_runs (a DataFrame)", "pandas")
    from shipyard.tracking.frames import runs_frame
    from shipyard.tracking.session import sdk

    names = [experiments] if isinstance(experiments, str) else list(experiments or [])
    backend, logger = sdk.backend(context)
    logger.flush()
    runs: list[Run] = []
    token: str | None = None
    while len(runs) < max_results:
        page = backend.search_runs(
            experiments=names,
            filter=filter,
            order_by=order_by,
            limit=min(1000, max_results - len(runs)),
            page_token=token,
        )
        runs.extend(page.runs)
        token = page.next_page_token
        if token is None:
            break
    return runs_frame(runs)
