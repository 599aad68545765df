"""What ``audit verify`` found, as the CLI shows it and the HTTP API sends it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shipyard.core.audit_chain import ChainBreak

__all__ = ["NO_CHECKPOINT_WARNING", "AuditReport", "CheckpointInfo"]

NO_CHECKPOINT_WARNING = (
    "no signed checkpoint to check against: entries deleted from the end of the log (with "
    "its head rewritten), or every hash recomputed after an edit, would go unnoticed"
)


@dataclass(frozen=True)
class CheckpointInfo:
    """The newest valid checkpoint the log was checked against."""

    seq: int
    count: int
    time: datetime
    key: str
    """Fingerprint of the key that signed it."""
    where: str

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "count": self.count, "time": self.time.isoformat(),
                "key": self.key, "where": self.where}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckpointInfo:
        return cls(int(data["seq"]), int(data["count"]), datetime.fromisoformat(data["time"]),
                   str(data["key"]), str(data["where"]))  # fmt: skip


@dataclass(frozen=True)
class AuditReport:
    breaks: list[ChainBreak]
    entries: int
    checkpoint: CheckpointInfo | None = None
    checkpoints: int = 0
    """How many valid checkpoints the log was checked against."""
    after_checkpoint: int = 0
    """Entries newer than the newest checkpoint: deleting them would not be noticed yet."""
    warnings: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.breaks

    def to_dict(self) -> dict[str, Any]:
        return {
            "intact": self.intact,
            "entries": self.entries,
            "breaks": [{"seq": b.seq, "problem": b.problem} for b in self.breaks],
            "checkpoint": self.checkpoint.to_dict() if self.checkpoint else None,
            "checkpoints": self.checkpoints,
            "after_checkpoint": self.after_checkpoint,
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuditReport:
        """From :meth:`to_dict`'s shape (a server older than checkpoints sends only the chain)."""
        checkpoint = data.get("checkpoint")
        return cls(
            breaks=[ChainBreak(b["seq"], b["problem"]) for b in data["breaks"]],
            entries=int(data["entries"]),
            checkpoint=CheckpointInfo.from_dict(checkpoint) if checkpoint else None,
            checkpoints=int(data.get("checkpoints", 0)),
            after_checkpoint=int(data.get("after_checkpoint", 0)),
            warnings=[str(w) for w in data.get("warnings", [])],
        )
