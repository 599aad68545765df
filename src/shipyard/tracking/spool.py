"""Spool files: logged values the store did not confirm, kept for ``shipyard runs sync``.

When a run ends with values whose fate is unknown (the server stayed
unreachable until ``client.retry_deadline_s``) or that the store refused for
good, the SDK appends them to ``<spool dir>/<run id>.jsonl``
(:mod:`shipyard.tracking.ending`), and ``shipyard runs sync`` replays them
(:mod:`shipyard.tracking.sync`).

* Where: ``.shipyard/spool/`` in a workspace, else
  ``$XDG_CACHE_HOME/shipyard/spool/`` (default ``~/.cache/…``). The folder is
  0700 and the files 0600: they hold what the run logged.
* Format: JSON Lines. The first line says whose values these are::

      {"spool": 1, "run": ID, "project": P, "store": URI, "token_id": ID, "created": TIME}

  then, in the order they were logged, one line per batch with the
  ``Idempotency-Key`` it was sent with, the process that logged it, and why
  the store refused it (null: its fate is unknown)::

      {"batch": {"metrics": [[run, key, value, step, ms]…], "params": […], "tags": […]},
       "key": K, "writer": {"host": H, "pid": N}, "refused": null}

  and, when the run's end was not recorded as meant, the end to record::

      {"end": {"status": "finished", "resources": {…}, "exit_code": null,
               "ended_as": "failed"}, "batch": {…}, "key": K, "writer": {…}}

  (``ended_as``: what the SDK could record instead, or null; ``batch``: the
  run's last values, which travel with its end.)
* Appends are one ``write`` to a file opened ``O_APPEND``, then ``fsync``: a
  crash leaves at most a torn last line, which readers skip.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import InvalidInput
from shipyard.tracking import wire
from shipyard.tracking.entities import LogBatch, Resources, RunStatus, Writer
from shipyard.workspace.atomic import write_atomic

if TYPE_CHECKING:
    from shipyard.core.settings import Settings

__all__ = [
    "SPOOL_VERSION",
    "Spool",
    "SpooledBatch",
    "SpooledEnd",
    "append_spool",
    "read_spool",
    "rewrite_spool",
    "spool_dirs",
    "spool_header",
    "spool_path",
]

SPOOL_VERSION = 1


@dataclass
class SpooledBatch:
    batch: LogBatch
    key: str
    writer: Writer | None
    refused: str | None = None
    """Why the store refused it (None: its fate is unknown, replay it)."""
    stored: bool = field(default=False, compare=False)
    """Confirmed by a replay (not written to the file)."""

    def record(self) -> dict[str, Any]:
        return {
            "batch": wire.batch_to_wire(self.batch),
            "key": self.key,
            "writer": wire.writer_to_wire(self.writer),
            "refused": self.refused,
        }


@dataclass
class SpooledEnd:
    status: RunStatus
    """The end meant for the run once its values are stored."""
    resources: Resources
    exit_code: int | None
    batch: LogBatch
    key: str
    writer: Writer | None
    ended_as: RunStatus | None = None
    """What the SDK recorded instead (``failed``), if it could record anything."""

    def record(self) -> dict[str, Any]:
        end = {
            "status": self.status.value,
            "resources": self.resources.to_dict(),
            "exit_code": self.exit_code,
            "ended_as": self.ended_as.value if self.ended_as else None,
        }
        batch = wire.batch_to_wire(self.batch) if self.batch else None
        return {
            "end": end,
            "batch": batch,
            "key": self.key,
            "writer": wire.writer_to_wire(self.writer),
        }


@dataclass
class Spool:
    """One spool file, read back."""

    path: Path
    run_id: str
    project: str
    store: str
    token_id: str
    created: str
    batches: list[SpooledBatch] = field(default_factory=list)
    end: SpooledEnd | None = None

    def header(self) -> dict[str, Any]:
        return spool_header(self.run_id, self.project, self.store, self.token_id, self.created)

    def values(self) -> int:
        """How many values (metrics, params, tags) the file holds."""
        held = sum(len(b.batch) for b in self.batches)
        return held + (len(self.end.batch) if self.end is not None else 0)


def spool_dirs(settings: Settings | None) -> list[Path]:
    """Where spool files go: the workspace's folder, else the user's cache (both are
    searched by ``runs sync`` in a workspace working against a server)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    user = Path(base) / "shipyard" / "spool"
    if settings is None or settings.dot_dir is None:
        return [user]
    return [settings.dot_dir / "spool", user]


def spool_path(settings: Settings | None, run_id: str) -> Path:
    if not run_id.isalnum():  # ids are 26 letters and digits; never a path
        raise InvalidInput(f"bad run id {run_id!r}")
    return spool_dirs(settings)[0] / f"{run_id}.jsonl"


def append_spool(path: Path, header: dict[str, Any], records: Iterable[dict[str, Any]]) -> None:
    """Append ``records`` (with ``header`` first if the file is new), in one write."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        lines = [] if os.fstat(fd).st_size else [header]
        lines.extend(records)
        data = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)
        view = memoryview(data.encode())
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def read_spool(path: Path) -> Spool:
    """Read a spool file; raises :class:`InvalidInput` naming the file if it is not one."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read spool file {path}: {exc}") from None
    lines = text.split("\n")
    lines.pop()  # after the last newline: empty, or a line torn by a crash
    try:
        first = json.loads(lines[0])
        if first.get("spool") != SPOOL_VERSION:
            raise ValueError(f"version {first.get('spool')!r}, expected {SPOOL_VERSION}")
        spool = Spool(
            path,
            str(first["run"]),
            str(first["project"]),
            str(first["store"]),
            str(first.get("token_id", "")),
            str(first.get("created", "")),
        )
        for line in lines[1:]:
            _add(spool, json.loads(line))
    except (IndexError, KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"{path} is not a Shipyard spool file ({exc})") from None
    return spool


def _add(spool: Spool, record: dict[str, Any]) -> None:
    writer = wire.writer_from_wire(record.get("writer"))
    batch = _batch(record.get("batch"))
    if "end" in record:
        end = record["end"]
        ended_as = end.get("ended_as")
        spool.end = SpooledEnd(
            status=RunStatus(end["status"]),
            resources=wire.resources_from_wire(end.get("resources") or {}),
            exit_code=end.get("exit_code"),
            batch=batch,
            key=str(record["key"]),
            writer=writer,
            ended_as=RunStatus(ended_as) if ended_as else None,
        )
    else:
        refused = record.get("refused")
        spool.batches.append(
            SpooledBatch(
                batch, str(record["key"]), writer, None if refused is None else str(refused)
            )
        )


def _batch(data: dict[str, Any] | None) -> LogBatch:
    if not data:
        return LogBatch()
    return wire.batch_from_wire(
        data.get("metrics", []), data.get("params", []), data.get("tags", [])
    )


def rewrite_spool(spool: Spool) -> bool:
    """Replace the file with what ``spool`` still holds, atomically; delete it when that
    is nothing. Returns whether the file remains."""
    if not spool.batches and spool.end is None:
        spool.path.unlink(missing_ok=True)
        return False
    records = [spool.header(), *(b.record() for b in spool.batches)]
    if spool.end is not None:
        records.append(spool.end.record())
    text = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records)
    write_atomic(spool.path, text, mode=0o600, durable=True)
    return True


def spool_header(
    run_id: str, project: str, store: str, token_id: str, created: str | None = None
) -> dict[str, Any]:
    """The first line of a spool file: whose values these are."""
    created = created or datetime.now(UTC).isoformat(timespec="seconds")
    return {
        "spool": SPOOL_VERSION,
        "run": run_id,
        "project": project,
        "store": store,
        "token_id": token_id,
        "created": created,
    }
