"""Checking the audit log against its signed checkpoints.

Each checkpoint found is sorted into one of:

* **valid** — signed by the trusted key: the chain must pass through it (entry
  ``seq`` with hash ``head``, ``count`` entries up to it), see
  :func:`shipyard.store.audit.check`;
* **foreign** — signed by another key (an earlier key, another deployment): a
  warning, not used;
* **forged** — claims the trusted key but its signature does not verify, or is
  not a checkpoint at all: a break (someone wrote where checkpoints are kept).

A valid checkpoint whose ``previous`` names a checkpoint that is nowhere to be
found is a break too: checkpoints are never deleted by Shipyard.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from shipyard.audit.checkpoint import SignedCheckpoint
from shipyard.audit.keys import TrustedKey
from shipyard.audit.report import NO_CHECKPOINT_WARNING, AuditReport, CheckpointInfo
from shipyard.audit.vault import Found
from shipyard.core.audit_chain import ChainBreak
from shipyard.store import audit

__all__ = ["verify_log"]


def verify_log(session: Session, found: Sequence[Found], trusted: TrustedKey | None) -> AuditReport:
    """The chain in ``session`` checked against every valid checkpoint in ``found``."""
    problems: list[ChainBreak] = []
    warnings: list[str] = []
    valid: dict[str, tuple[str, SignedCheckpoint]] = {}  # by digest: copies count once
    if trusted is not None:
        valid = _sort(found, trusted, problems, warnings)
    elif found:
        warnings.append(f"{len(found)} checkpoint(s) found but no key to check them with "
                        "(set audit.checkpoint_public_key)")  # fmt: skip
    known = {f.signed.checkpoint.digest for f in found if f.signed is not None}
    for where, signed in valid.values():
        previous = signed.checkpoint.previous
        if previous is not None and previous not in known:
            problems.append(ChainBreak(None, (
                f"the checkpoint before {where} (digest {previous[:16]}…) is missing: "
                "it was deleted from where checkpoints are kept"
            )))  # fmt: skip
    checked = audit.check(session, [s.checkpoint.pin() for _, s in valid.values()])
    if not valid:
        warnings.append(NO_CHECKPOINT_WARNING)
        return AuditReport(checked.breaks + problems, checked.entries, warnings=warnings)
    where, newest = max(valid.values(), key=lambda v: (v[1].checkpoint.seq, v[1].checkpoint.time))
    point = newest.checkpoint
    return AuditReport(
        breaks=checked.breaks + problems,
        entries=checked.entries,
        checkpoint=CheckpointInfo(point.seq, point.count, point.time, point.key, where),
        checkpoints=len(valid),
        after_checkpoint=checked.after_newest_pin or 0,
        warnings=warnings,
    )


def _sort(
    found: Sequence[Found], trusted: TrustedKey, problems: list[ChainBreak], warnings: list[str]
) -> dict[str, tuple[str, SignedCheckpoint]]:
    """The valid checkpoints by digest; forged ones become problems, foreign ones warnings."""
    valid: dict[str, tuple[str, SignedCheckpoint]] = {}
    for item in found:
        signed = item.signed
        if signed is None:
            problems.append(ChainBreak(None, f"{item.problem} (forged or damaged)"))
        elif signed.checkpoint.key != trusted.fingerprint:
            warnings.append(f"{item.where} is signed by another key "
                            f"({signed.checkpoint.key[:16]}…): not used")  # fmt: skip
        elif not trusted.verifies(signed):
            problems.append(ChainBreak(None, (
                f"{item.where}: the signature does not verify with the trusted key: "
                "the checkpoint was forged or altered"
            )))  # fmt: skip
        else:
            valid.setdefault(signed.checkpoint.digest, (item.where, signed))
    return valid
