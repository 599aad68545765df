"""``shipyard runs sync``: replay spool files, exactly once, and end their runs as meant.

Each spool file (:mod:`shipyard.tracking.spool`) is replayed in order with the
``Idempotency-Key`` each batch was first sent with: a batch the server stored
already has its first answer replayed, so every value is stored once. Then the
run is ended as its process meant (``finished``…, or ``failed`` if values
were refused), with the end's own key, and the file is deleted.

* A run the SDK could record as ``failed`` (its values unconfirmed) is resumed
  first, so that it can end as meant once its values are in.
* A run the server marked ``killed`` (its process vanished) is replayed into
  as that process: each batch carries the writer (host and pid) that logged
  it, and the server revives a killed run for its own writer, the rule that
  lets a paused process come back. A run another process has taken over
  since (resumed elsewhere) gets its values only if it is running, and is
  not ended by sync.
* Values the store refused are reported and stay in the file (for inspection)
  until ``--discard-refused``; so does anything not sent because the server
  is still unreachable (run sync again later).

Keys are scoped by credentials and kept by the server for a day: replay with
the token that logged the values, within a day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard.core.errors import InvalidInput, NotFound, ShipyardError
from shipyard.core.redact import redact_uri
from shipyard.tracking.batching import RETRY_LATER, new_key
from shipyard.tracking.entities import RunStatus
from shipyard.tracking.spool import Spool, SpooledBatch, read_spool, rewrite_spool

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.tracking.backend import TrackingBackend

__all__ = ["SyncReport", "find_spools", "sync_spool"]


@dataclass
class SyncReport:
    """What sync did with one spool file."""

    path: Path
    run_id: str = ""
    stored: int = 0
    """Values sent and confirmed (stored now, or found stored already)."""
    batches: int = 0
    ended: RunStatus | None = None
    refused: list[str] = field(default_factory=list)
    """Why the store refused values (they stay in the file)."""
    refused_values: int = 0
    kept: str = ""
    """Why the file stays (empty: it was deleted)."""
    skipped: str = ""
    """Why the file was not replayed at all."""

    @property
    def done(self) -> bool:
        return not self.kept and not self.skipped

    def to_dict(self) -> dict[str, object]:
        return {
            "file": str(self.path),
            "run": self.run_id,
            "stored": self.stored,
            "batches": self.batches,
            "ended": self.ended.value if self.ended else None,
            "refused": self.refused,
            "refused_values": self.refused_values,
            "kept": self.kept,
            "skipped": self.skipped,
        }


def find_spools(backend: TrackingBackend) -> list[Path]:
    """The spool files of the folders the SDK writes them to for ``backend``, oldest first."""
    files = {p for folder in backend.spool_folders() for p in folder.glob("*.jsonl")}
    return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))


def sync_spool(
    backend: TrackingBackend,
    context: Context,
    path: Path,
    *,
    discard_refused: bool = False,
    other_token: bool = False,
) -> SyncReport:
    """Replay one spool file into ``backend`` (see the module's docstring)."""
    report = SyncReport(path)
    try:
        spool = read_spool(path)
    except InvalidInput as exc:  # not a spool file (or not readable): say so, go on
        report.skipped = exc.one_line()
        return report
    report.run_id = spool.run_id
    here = redact_uri(context.metadata_uri)
    if (spool.store, spool.project) != (here, backend.project):
        report.skipped = f"its values belong to {spool.store} (project {spool.project})"
        return report
    token_id = str(getattr(getattr(backend, "client", None), "token_id", "") or "")
    if spool.token_id and spool.token_id != token_id and not other_token:
        report.skipped = (
            f"it was written with token {spool.token_id}: replay with that token, so that "
            "the server recognises what it stored already (or pass --other-token)"
        )
        return report
    try:
        _replay(backend, spool, report)
    finally:
        _keep_what_is_left(spool, report, discard_refused)
    return report


def _replay(backend: TrackingBackend, spool: Spool, report: SyncReport) -> None:
    try:
        run = backend.get_run(spool.run_id).run
    except NotFound:
        report.kept = "the run no longer exists"
        return
    end = spool.end
    writer = end.writer if end is not None else next((b.writer for b in spool.batches), None)
    if end is not None and end.ended_as is not None and run.status is end.ended_as:
        if writer is None:
            raise InvalidInput(f"{spool.path} names no writer for run {spool.run_id}")
        run = backend.resume_run(spool.run_id, writer)  # the SDK failed it for want of values
    for item in spool.batches:
        if item.refused is not None:
            continue  # refused when logged: the same values would be refused again
        try:
            backend.log_batch(item.batch, item.writer, key=item.key)
        except RETRY_LATER as exc:
            report.kept = f"the store is unreachable: {exc.one_line()}"
            return
        except ShipyardError as exc:
            item.refused = exc.one_line()
            continue
        item.stored = True
        report.batches += 1
        report.stored += len(item.batch)
    if end is None:
        return
    held_by = (run.host, run.pid)
    mine = writer is None or held_by == (writer.host, writer.pid)
    ours = run.status is not RunStatus.RUNNING or mine
    if not ours:
        report.kept = f"the run is now running in process {run.pid} on {run.host}: not ended"
        return
    refused = any(b.refused for b in spool.batches)
    status = RunStatus.FAILED if refused else end.status
    key = end.key if status is end.status else new_key()  # another end: another request
    try:
        backend.end_run(
            spool.run_id,
            status,
            end.resources,
            exit_code=end.exit_code,
            batch=end.batch or None,
            writer=end.writer,
            key=key,
        )
    except RETRY_LATER as exc:
        report.kept = f"the store is unreachable: {exc.one_line()}"
        return
    except ShipyardError as exc:  # ended elsewhere meanwhile: its last values are refused
        if end.batch:
            spool.batches.append(SpooledBatch(end.batch, end.key, end.writer, exc.one_line()))
        report.refused.append(exc.one_line())
        spool.end = None
        return
    report.stored += len(end.batch)
    report.ended = status
    spool.end = None


def _keep_what_is_left(spool: Spool, report: SyncReport, discard_refused: bool) -> None:
    """Drop what was stored from the file; report what was refused; delete it when empty."""
    left = []
    for item in spool.batches:
        if item.stored:
            continue
        if item.refused is not None:
            report.refused_values += len(item.batch)
            if item.refused not in report.refused:
                report.refused.append(item.refused)
            if discard_refused:
                continue
        left.append(item)
    spool.batches = left
    if rewrite_spool(spool) and not report.kept:
        report.kept = "refused values kept for inspection (--discard-refused drops them)"


def describe(report: SyncReport) -> str:
    """One line for the terminal."""
    if report.skipped:
        return f"{report.path.name}: skipped, {report.skipped}"
    parts = [f"run {report.run_id}: {report.stored} value(s) stored"]
    if report.ended is not None:
        parts.append(f"ended as {report.ended}")
    if report.refused_values:
        parts.append(f"{report.refused_values} refused ({'; '.join(report.refused)})")
    parts.append(f"kept in {report.path}: {report.kept}" if report.kept else "spool file removed")
    return ", ".join(parts)
