"""What a monitor's breaches set off, read back from the audit log for its page.

Every webhook post and every ``on_breach`` command is audited (``monitor.notify``,
``monitor.trigger``, target ``monitor:NAME``) by the side that ran them
(:func:`~shipyard.monitoring.live.service.record_outcomes`), naming the stored
result that acted. :func:`alerts` answers them newest first to viewers of the
project, with only what the page shows: the channel (a webhook's host, or the
command), when, the outcome and the runs the command started; never the
command's output, which stays in the audit log.

Entries are read defensively: older ones (or ones a client sent before the
fields were typed) may lack a field or hold another type, and become ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import select

from shipyard.core.ids import is_id
from shipyard.core.principal import Role
from shipyard.monitoring.live.results_store import get_result
from shipyard.monitoring.live.triggers import TriggeredRun
from shipyard.store.tables import AuditEventRow

if TYPE_CHECKING:
    from shipyard.context import Context

__all__ = ["ACTIONS", "Alert", "alerts"]

#: The audit actions of a breach's consequences: a webhook post, the ``on_breach`` command.
ACTIONS = {"monitor.notify": "webhook", "monitor.trigger": "trigger"}
_TEXT = 500


@dataclass(frozen=True)
class Alert:
    time: datetime
    kind: Literal["webhook", "trigger"]
    event: str
    """``breach`` or ``resolved`` (a trigger only runs on a breach)."""
    channel: str
    """A webhook's host (never its URL), or the command that ran."""
    ok: bool
    principal: str
    result: str | None = None
    """The stored result that acted (entries written before results were named: None)."""
    breaches: list[str] = field(default_factory=list)
    status: int | None = None
    attempts: int | None = None
    error: str | None = None
    exit_code: int | None = None
    seconds: float | None = None
    timed_out: bool = False
    runs: list[TriggeredRun] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": self.time.isoformat(), "kind": self.kind, "event": self.event,
            "channel": self.channel, "ok": self.ok, "principal": self.principal,
            "result": self.result, "breaches": self.breaches, "status": self.status,
            "attempts": self.attempts, "error": self.error, "exit_code": self.exit_code,
            "seconds": self.seconds, "timed_out": self.timed_out,
            "runs": [r.to_dict() for r in self.runs],
        }  # fmt: skip


def alerts(ctx: Context, monitor: str, *, limit: int = 50) -> list[Alert]:
    """``monitor``'s webhook posts and triggers in ``ctx``'s project, newest first (viewers).

    Raises :class:`PermissionDenied` for others, :class:`NotFound` when the monitor has
    no stored result in the project."""
    ctx.principal.require(Role.VIEWER, ctx.project, "read monitor results")
    get_result(ctx, monitor)
    row = AuditEventRow
    query = (
        select(row)
        .where(
            row.target == f"monitor:{monitor}",
            row.project == ctx.project,
            row.action.in_(list(ACTIONS)),
        )
        .order_by(row.seq.desc())
        .limit(limit)
    )
    with ctx.db.read() as session:
        return [_alert(r) for r in session.scalars(query)]


def _alert(entry: AuditEventRow) -> Alert:
    detail = entry.detail if isinstance(entry.detail, dict) else {}
    result = detail.get("result")
    common: dict[str, Any] = {
        "time": entry.time,
        "principal": entry.principal,
        "result": result if isinstance(result, str) and is_id(result) else None,
        "breaches": [b for b in _list(detail.get("breaches")) if isinstance(b, str)],
        "error": _text(detail.get("error")),
    }
    if ACTIONS[entry.action] == "webhook":
        return Alert(
            kind="webhook",
            event=_text(detail.get("event")) or "breach",
            channel=_text(detail.get("webhook")) or "not sent",
            ok=detail.get("ok") is True,
            status=_int(detail.get("status")),
            attempts=_int(detail.get("attempts")),
            **common,
        )
    command = [w for w in _list(detail.get("command")) if isinstance(w, str)]
    exit_code = _int(detail.get("exit_code"))
    seconds = detail.get("seconds")
    return Alert(
        kind="trigger",
        event="breach",
        channel=_text(" ".join(command)) or "on_breach",
        ok=exit_code == 0,
        exit_code=exit_code,
        seconds=float(seconds) if isinstance(seconds, int | float) else None,
        timed_out=detail.get("timed_out") is True,
        runs=[r for r in map(_run, _list(detail.get("runs"))) if r is not None],
        **common,
    )


def _run(value: Any) -> TriggeredRun | None:
    if not isinstance(value, dict) or not is_id(str(value.get("id", ""))):
        return None
    return TriggeredRun(str(value["id"]), _text(value.get("name")) or "",
                        _text(value.get("pipeline")))  # fmt: skip


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return value[:_TEXT] if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
