"""Writing a checkpoint: read the head, check it extends the last one, sign, keep, export.

A checkpoint is written only when the chain has moved since the newest valid
checkpoint this key signed, and only for a chain the writer has checked: the
entries after that checkpoint must link up, hash right and end at the head, and
the checkpoint's own entry must still be there with its hash and count. So a
signature never vouches for a log that was already cut or rewritten since the
last one (the writer refuses, and says to run ``audit verify``). Checkpoints do
not record an audit entry: that would move the chain every time.

Several writers (server workers, replicas, the ``audit checkpoint`` command) may
checkpoint the same head at once: each writes its own key, both are valid.
Exports (a folder, a webhook) are best effort: a failure is logged (the
webhook's host only: its URL may hold a secret) and reported, never raised.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from shipyard.audit.checkpoint import Checkpoint, SignedCheckpoint
from shipyard.audit.keys import CheckpointSigner
from shipyard.audit.vault import CheckpointVault, export_to_folder
from shipyard.core.audit_chain import Pin
from shipyard.core.errors import IntegrityError, ShipyardError
from shipyard.store import audit
from shipyard.store.db import Database

__all__ = [
    "CheckpointWriter",
    "ExportOutcome",
    "Exporter",
    "FolderExporter",
    "WebhookExporter",
    "WriteResult",
]

log = logging.getLogger("shipyard.audit")
WEBHOOK_TIMEOUT_S = 5.0
WEBHOOK_ATTEMPTS = 2


class Exporter(Protocol):
    target: str
    """Where copies go, for messages (never a secret)."""

    def send(self, signed: SignedCheckpoint) -> None:
        """Deliver a copy; raise :class:`ShipyardError` saying why it could not."""
        ...


class FolderExporter:
    """A copy of each checkpoint as a file in a folder (another disk, a mounted bucket)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.target = str(folder)

    def send(self, signed: SignedCheckpoint) -> None:
        try:
            export_to_folder(self.folder, signed)
        except OSError as exc:
            raise ShipyardError(f"cannot write to {self.folder}: {exc.strerror}") from None


class WebhookExporter:
    """Each checkpoint POSTed as its signed JSON document (bounded time, a retry)."""

    def __init__(
        self, url: str, *, timeout: float = WEBHOOK_TIMEOUT_S, attempts: int = WEBHOOK_ATTEMPTS
    ) -> None:
        from shipyard.monitoring.live.webhooks import resolve_url, where

        self._url = resolve_url(url)  # ConfigError for a bad URL or an unset variable
        self.target = where(self._url)
        self.timeout = timeout
        self.attempts = attempts

    def __repr__(self) -> str:
        return f"WebhookExporter({self.target!r})"

    def send(self, signed: SignedCheckpoint) -> None:
        from shipyard.monitoring.live.webhooks import post_webhook

        outcome = post_webhook(
            self._url, signed.document(), timeout=self.timeout, attempts=self.attempts
        )
        if not outcome.ok:
            raise ShipyardError(f"the webhook at {self.target} failed: {outcome.error}")


@dataclass(frozen=True)
class ExportOutcome:
    target: str
    error: str | None = None


@dataclass(frozen=True)
class WriteResult:
    written: SignedCheckpoint | None
    """The new checkpoint; None when the log has not moved (or is empty)."""
    key: str | None
    """Its key in the object store."""
    latest: Checkpoint | None
    """The newest checkpoint: the one written, or the one the log still matches."""
    exports: list[ExportOutcome] = field(default_factory=list)


def _now() -> datetime:
    return datetime.now(UTC)


class CheckpointWriter:
    """Writes checkpoints of one database into one vault with one key."""

    def __init__(
        self,
        db: Database,
        vault: CheckpointVault,
        signer: CheckpointSigner,
        *,
        exporters: Sequence[Exporter] = (),
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.db = db
        self.vault = vault
        self.signer = signer
        self.exporters = list(exporters)
        self.clock = clock
        self._lock = threading.Lock()
        self._previous: Checkpoint | None = None
        self._looked = False  # the vault is listed once; later, this writer's own last one

    def write(self) -> WriteResult:
        """Write a checkpoint if the chain moved; :class:`IntegrityError` if it no longer
        extends the previous checkpoint (then nothing is signed)."""
        with self._lock:
            previous = self._last()
            with self.db.read() as session:
                head = audit.chain_head(session)
                if head is None or (
                    previous is not None
                    and (previous.seq, previous.count, previous.head)
                    == (head.seq, head.count, head.hash)
                ):
                    return WriteResult(None, None, previous)
                # Another writer may have just checkpointed this head (never adopt an older
                # checkpoint: the log moving backwards is for check_extension to refuse).
                ahead = previous is None or head.seq > previous.seq
                twin = self._twin(head) if ahead else None
                if twin is not None:
                    self._previous = twin
                    return WriteResult(None, None, twin)
                pin = previous.pin() if previous is not None else None
                breaks = audit.check_extension(session, pin, head)
            if breaks:
                where = f"entry #{breaks[0].seq}: " if breaks[0].seq is not None else ""
                raise IntegrityError(
                    f"the audit log does not extend its last checkpoint ({where}"
                    f"{breaks[0].problem}); no checkpoint was written",
                    hint="run `shipyard audit verify`",
                )
            checkpoint = Checkpoint(
                seq=head.seq, count=head.count, head=head.hash, time=self.clock(),
                previous=previous.digest if previous is not None else None,
                key=self.signer.fingerprint,
            )  # fmt: skip
            signed = self.signer.sign(checkpoint)
            key = self.vault.put(signed)
            self._previous = checkpoint
        exports = [self._export(exporter, signed) for exporter in self.exporters]
        return WriteResult(signed, key, checkpoint, exports)

    def _last(self) -> Checkpoint | None:
        if not self._looked:
            newest = self.vault.newest(self.signer.trusted.verifies)
            self._previous = newest.checkpoint if newest is not None else None
            self._looked = True
        return self._previous

    def _twin(self, head: Pin) -> Checkpoint | None:
        for signed in self.vault.at(head.seq):
            point = signed.checkpoint
            same = (point.count, point.head) == (head.count, head.hash)
            if same and self.signer.trusted.verifies(signed):
                return point
        return None

    def _export(self, exporter: Exporter, signed: SignedCheckpoint) -> ExportOutcome:
        try:
            exporter.send(signed)
        except ShipyardError as exc:
            log.warning("audit checkpoint #%d not exported: %s", signed.checkpoint.seq,
                        exc.one_line())  # fmt: skip
            return ExportOutcome(exporter.target, exc.one_line())
        return ExportOutcome(exporter.target)
