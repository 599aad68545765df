"""The SDK's handle on a run being logged: ``with shipyard.start_run() as run: …``.

Values are checked here, in the caller's thread, so bad input fails at the
line that logged it; then they go to the :class:`BatchLogger`, which writes
them in the background. Params are fixed once logged (as in MLflow); metrics
get an automatic step (0, 1, 2… per key) unless one is given, so "latest"
always means the last value logged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import Conflict, InvalidInput, ShipyardError
from shipyard.core.extras import require
from shipyard.tracking.backend import TrackingBackend
from shipyard.tracking.batching import BatchLogger
from shipyard.tracking.entities import MetricRow, Resources, Run, RunStatus
from shipyard.tracking.inputs import digest_file
from shipyard.tracking.limits import (
    check_key,
    check_step,
    metric_value,
    param_text,
)
from shipyard.tracking.resources import ResourceMeter

if TYPE_CHECKING:
    from shipyard.core.signature import Signature
    from shipyard.registry.entities import ModelVersion
    from shipyard.tracking.entities import ArtifactRecord

__all__ = ["ActiveRun"]


class ActiveRun:
    """A run this process logs to. Use as a context manager, or call :meth:`end`.

    ``owned`` runs were started (or resumed) here: this process sends their
    heartbeats and records how they end. A run attached through
    ``SHIPYARD_RUN_ID`` (inside ``shipyard run -- …``) belongs to the wrapper.
    """

    def __init__(
        self,
        backend: TrackingBackend,
        logger: BatchLogger,
        info: Run,
        *,
        owned: bool = True,
        on_end: Callable[[ActiveRun], None] | None = None,
    ) -> None:
        self.backend = backend
        self.info = info
        self.owned = owned
        self._logger = logger
        self._on_end = on_end
        self._ended: RunStatus | None = None
        self._keys: set[str] = set()
        self._params: dict[str, str] = dict(info.params)
        self._steps: dict[str, int] = {k: m.step + 1 for k, m in info.metrics.items()}
        self._base = info.resources
        self._meter = ResourceMeter()
        if owned:
            logger.watch(info.id, self.resources)
        logger.start()

    # -- identity ------------------------------------------------------------

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def experiment(self) -> str:
        return self.info.experiment

    @property
    def status(self) -> RunStatus:
        return self._ended or RunStatus.RUNNING

    def __repr__(self) -> str:
        return f"<ActiveRun {self.id} {self.name!r} ({self.status})>"

    @property
    def params(self) -> dict[str, str]:
        """Params logged so far (as stored text)."""
        return dict(self._params)

    def resources(self) -> Resources:
        """What the run consumed so far, across all its sessions."""
        return self._base.plus(self._meter.read())

    # -- logging -------------------------------------------------------------

    def _check_open(self) -> None:
        if self._ended is not None:
            raise Conflict(
                f"run {self.id} has ended ({self._ended}); nothing was logged",
                hint="resume it with shipyard.start_run(run_id=...) to log more",
            )
        if self._logger.error is not None:
            self._logger.raise_error()

    def log_metric(
        self, key: str, value: float, step: int | None = None, timestamp: int | None = None
    ) -> None:
        """Log one value. NaN and infinities are kept; anything but a number is refused.

        ``step`` defaults to one more than this key's last step; ``timestamp`` is
        in milliseconds since the epoch (default: now).
        """
        if self._ended is not None or self._logger.error is not None:
            self._check_open()
        self._logger.metric(self._row(key, value, step, timestamp))

    def log_metrics(
        self, metrics: Mapping[str, float], step: int | None = None, timestamp: int | None = None
    ) -> None:
        """Log several metrics at the same step and time."""
        self._check_open()
        stamp = _now_ms() if timestamp is None else timestamp
        self._logger.metrics([self._row(k, v, step, stamp) for k, v in metrics.items()])

    def log_batch(
        self,
        metrics: Iterable[tuple[Any, ...]] = (),
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> None:
        """Log many values at once: ``metrics`` as (key, value[, step[, timestamp]]) tuples."""
        self._check_open()
        stamp = _now_ms()
        rows: list[MetricRow] = []
        for item in metrics:
            if not 2 <= len(item) <= 4:
                raise InvalidInput(
                    "each metric of a batch is (key, value), (key, value, step) "
                    "or (key, value, step, timestamp)"
                )
            key, value = item[0], item[1]
            step = item[2] if len(item) > 2 else None
            rows.append(self._row(key, value, step, item[3] if len(item) > 3 else stamp))
        if params:
            self.log_params(params)
        if tags:
            self.set_tags(tags)
        self._logger.metrics(rows)

    def _row(self, key: str, value: Any, step: int | None, timestamp: int | None) -> MetricRow:
        if key not in self._keys:
            check_key(key, "metric")
            self._keys.add(key)
        number = value if type(value) is float else metric_value(key, value)
        if step is None:
            step = self._steps.get(key, 0)
        elif type(step) is not int:
            step = check_step(key, step)
        self._steps[key] = step + 1
        if timestamp is None:
            timestamp = _now_ms()
        elif type(timestamp) is not int:
            timestamp = check_step(key, timestamp)
        return (self.info.id, key, number, step, timestamp)

    def log_param(self, key: str, value: Any) -> None:
        self.log_params({key: value})

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Log params; logging a key again with another value raises :class:`Conflict`."""
        self._check_open()
        rows = []
        for key, value in params.items():
            check_key(key, "param")
            text = param_text(key, value)
            old = self._params.get(key)
            if old is not None and old != text:
                raise Conflict(
                    f"param {key!r} of run {self.id} is {old[:40]!r}; "
                    f"it cannot change to {text[:40]!r}",
                    hint="params are fixed once logged: start a new run, "
                    "or log changing values as metrics",
                )
            rows.append((self.id, key, text))
        for _, key, text in rows:
            self._params[key] = text
        self._logger.params(rows)

    def set_tag(self, key: str, value: Any) -> None:
        self.set_tags({key: value})

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Set tags (free text; a later value replaces an earlier one)."""
        self._check_open()
        rows = [(self.id, check_key(k, "tag"), param_text(k, v, "tag")) for k, v in tags.items()]
        self._logger.tags(rows)

    def log_input(self, path: str | Path) -> str:
        """Record a file this run reads (lineage): its path, size and BLAKE3 digest.

        Returns the digest. Raises :class:`InvalidInput` if the file cannot be read.
        """
        self._check_open()
        size, digest = digest_file(Path(path))
        self.backend.log_input(self.id, str(path), size, digest)
        return digest

    def log_artifact(
        self, path: str | Path, artifact_path: str | None = None
    ) -> list[ArtifactRecord]:
        """Store a file or a folder in the object store as artifacts of this run.

        A file becomes ``ARTIFACT_PATH/NAME`` (default: its name); a folder's
        files become ``ARTIFACT_PATH/…`` (default: under the folder's name).
        Returns the records (path, BLAKE3 digest, size). Raises
        :class:`InvalidInput` for a missing path or an artifact path with ``..``.
        """
        from shipyard.tracking.artifacts import artifact_items, store_artifacts

        self._check_open()
        return store_artifacts(self.backend, self.id, artifact_items(Path(path), artifact_path))

    def log_artifacts(
        self, folder: str | Path, artifact_path: str | None = None
    ) -> list[ArtifactRecord]:
        """Store every file under ``folder`` as ``ARTIFACT_PATH/<relative path>`` (at the
        run's root by default), like MLflow's ``log_artifacts``; small files travel packed."""
        from shipyard.tracking.artifacts import folder_items, store_artifacts

        self._check_open()
        return store_artifacts(self.backend, self.id, folder_items(Path(folder), artifact_path))

    def log_model(
        self,
        model: object,
        name: str,
        *,
        input_example: object = None,
        flavor: str | None = None,
        signature: Signature | None = None,
        metadata: Mapping[str, Any] | None = None,
        options: Mapping[str, Any] | None = None,
        description: str = "",
    ) -> ModelVersion:
        """Save ``model`` in a safe format and register it as the next version of ``name``.

        The version records this run as its lineage (git commit, params, metrics,
        inputs) and is signed when the workspace has a signing key. Against a team
        server, the files travel through its object routes and it registers them. Returns the
        :class:`~shipyard.registry.entities.ModelVersion` (``.version``, ``.uri``).
        Raises :class:`InvalidInput` for a model no flavor supports (naming the
        supported ones) or an input example the model cannot predict on.
        """
        require("models", "log_model", "numpy")
        from shipyard.registry.publish import publish_model

        self._check_open()
        context = getattr(self.backend, "context", None)
        if context is None:
            raise InvalidInput(
                "log_model needs a context; this run's backend has none",
                hint="start the run with shipyard.start_run(...)",
            )
        self._logger.flush()
        return publish_model(
            context,
            model,
            name,
            input_example=input_example,
            flavor=flavor,
            signature=signature,
            metadata=metadata,
            options=options,
            run_id=self.id,
            description=description,
            source="run",
        )

    def flush(self) -> None:
        """Write every buffered value now (normally the background thread does)."""
        self._check_open()
        self._logger.flush()

    # -- ending --------------------------------------------------------------

    @property
    def logger(self) -> BatchLogger:
        return self._logger

    def end(self, status: RunStatus | str = RunStatus.FINISHED) -> None:
        """Write what is buffered and end the run. Ending twice does nothing.

        The run ends as ``status`` only once every value it logged is stored
        (retrying until ``client.retry_deadline_s``); otherwise it ends
        ``failed`` (or is left for the liveness check), what was not stored is
        kept in a spool file for ``shipyard runs sync``, and one warning line
        says so (:mod:`shipyard.tracking.ending`). :attr:`status` tells which.
        """
        from shipyard.tracking.ending import confirm_run, end_confirmed

        if self._ended is not None:
            return
        meant = RunStatus(status)
        if not meant.ended:
            raise InvalidInput("a run ends as finished, failed or killed")
        self._logger.error = None  # a refusal is reported (and spooled) by the end
        ended = RunStatus.FAILED  # unless the end is recorded as meant
        try:
            if self.owned:
                ended = end_confirmed(self, meant)
            else:
                confirm_run(self)  # the wrapper that owns the run records its end
                ended = meant
        finally:
            self._ended = ended
            if self._on_end is not None:
                self._on_end(self)

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None:
            self.end(RunStatus.FINISHED)
            return
        status = RunStatus.KILLED if issubclass(kind, KeyboardInterrupt) else RunStatus.FAILED
        try:
            self.end(status)
        except ShipyardError as exc:  # never hide the exception that ended the run
            if error is not None:
                error.add_note(f"shipyard: ending run {self.id} failed too: {exc.one_line()}")


def _now_ms() -> int:
    return int(time.time() * 1000)
