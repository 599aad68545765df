"""``shipyard migrate mlflow SOURCE``: a whole MLflow tracking store into Shipyard.

Experiments and runs first (every metric point, params, tags, artifacts,
MLflow's run id kept as the tag ``mlflow.run_id``), then registered models
with their versions and aliases. Everything goes through the context's
seams, so the same import fills a workspace, a store named by ``--uri`` or a
team server. Idempotent and resumable (see :mod:`.runs` and :mod:`.models`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from shipyard.core.errors import InvalidInput
from shipyard.migrate.models import ModelCounts, ModelOptions, import_models
from shipyard.migrate.records import MlflowSource
from shipyard.migrate.runs import RunCounts, experiment_name, import_run, imported_runs

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.objects.progress import Progress

__all__ = ["MigrationSummary", "migrate_mlflow", "open_source"]


@dataclass
class MigrationSummary:
    experiments: int = 0
    runs: RunCounts = field(default_factory=RunCounts)
    models: ModelCounts = field(default_factory=ModelCounts)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "experiments": self.experiments,
            **{f"runs_{k}" if k in ("skipped", "dropped") else k: v
               for k, v in asdict(self.runs).items()},
            **{k: v for k, v in asdict(self.models).items()},
            "warnings": list(self.warnings),
        }  # fmt: skip


def open_source(uri: str, *, token: str | None = None) -> MlflowSource:
    """The store ``uri`` names: ``sqlite:///path``, ``http(s)://host``, or an ``mlruns``
    folder (a path or ``file:`` URI). :class:`InvalidInput` for anything else."""
    parsed = urlparse(uri)
    if parsed.scheme == "sqlite":
        from shipyard.migrate.sqlite_source import SqliteSource

        # sqlite:///relative.db and sqlite:////absolute.db, as SQLAlchemy spells them
        return SqliteSource(Path(unquote(uri.removeprefix("sqlite:///"))))
    if parsed.scheme in ("http", "https"):
        from shipyard.migrate.rest_source import RestSource

        return RestSource(uri, token=token)
    if parsed.scheme in ("", "file"):
        from shipyard.migrate.folder_source import FolderSource

        return FolderSource(Path(unquote(parsed.path) if parsed.scheme else uri))
    raise InvalidInput(
        f"cannot import from {parsed.scheme}: stores",
        hint="name sqlite:///mlflow.db, an mlruns folder, or an http(s):// MLflow server",
    )


def migrate_mlflow(
    ctx: Context,
    source: MlflowSource,
    *,
    convert: bool = False,
    trusted: bool = False,
    progress: Progress | None = None,
    warn: Callable[[str], None] | None = None,
) -> MigrationSummary:
    """Import everything ``source`` holds into ``ctx``'s project; returns the counts.

    Model versions are kept as MLflow wrote them unless ``convert`` (pickles are
    converted only when ``trusted``): see :mod:`shipyard.migrate.models`.
    """
    summary = MigrationSummary()

    def note(message: str) -> None:
        summary.warnings.append(message)
        if warn is not None:
            warn(message)

    mapping: dict[str, str] = {}
    backend = ctx.open_tracking()
    try:
        if progress is not None:
            progress.begin("runs", source.count_runs() or None, unit="runs")
        for experiment in source.experiments():
            if experiment.deleted:
                continue
            name = experiment_name(experiment.name)
            summary.experiments += 1
            done = imported_runs(backend, name)
            for run in source.runs(experiment):
                if run.deleted:
                    continue
                previous = done.get(run.run_id)
                if previous is not None and previous[1]:
                    mapping[run.run_id] = previous[0]
                    summary.runs.skipped += 1
                else:
                    if previous is not None:  # cut short last time: start it over
                        backend.delete_runs([previous[0]])
                    mapping[run.run_id] = import_run(backend, source, run, name, summary.runs, note)
                if progress is not None:
                    progress.advance(1)
    finally:
        backend.close()
    options = ModelOptions(convert=convert, trusted=trusted)
    import_models(ctx, source, mapping.get, summary.models, note, options)
    return summary
