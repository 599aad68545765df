"""How aliases move: set, promote, roll back, remove, approve; and their history.

Every move writes an :class:`~shipyard.registry.tables.AliasEventRow` (who,
when, from, to, why, and for promotions the gate evaluation) and an audit
entry in the same transaction as the move. Events are never updated or
deleted: rollback is a move like any other.

Rollback walks the alias's history as a stack: ``set``/``promote`` push the
new version, ``remove`` pushes "unset", ``rollback`` pops. So after moves to
1, 2 and 3, rolling back twice gives 2, then 1 — never back to 3.

Moves need the maintainer role, and lock the model's row (PostgreSQL; SQLite
serialises writers anyway), so two moves of one model never interleave.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from shipyard.core.errors import Conflict, InvalidInput, NotFound
from shipyard.core.model_ref import check_alias
from shipyard.core.principal import Principal, Role
from shipyard.registry.entities import AliasEvent, Approval
from shipyard.registry.rows import find_model
from shipyard.registry.tables import (
    AliasEventRow,
    ApprovalRow,
    ModelAliasRow,
    ModelVersionRow,
    RegisteredModelRow,
)
from shipyard.store import audit
from shipyard.store.base import utcnow
from shipyard.store.db import Database
from shipyard.store.upsert import upsert

__all__ = ["AliasService", "MoveResult"]

REASON_MAX = 2_000
_UNCHANGED = object()


class MoveResult:
    """What a move did: the event written, or None when the alias already pointed there."""

    def __init__(self, event: AliasEvent | None, current: int | None) -> None:
        self.event = event
        self.current = current

    @property
    def changed(self) -> bool:
        return self.event is not None


class AliasService:
    """Aliases, their history and approvals, for every project in one metadata store."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def set_alias(
        self,
        principal: Principal,
        project: str,
        name: str,
        alias: str,
        version: int,
        *,
        reason: str = "",
        action: str = "set",
        evaluation: Mapping[str, Any] | None = None,
        expect_current: int | object | None = _UNCHANGED,
    ) -> MoveResult:
        """Point ``alias`` at ``version``; an event records the move.

        ``expect_current`` (promotions) makes the move fail with :class:`Conflict`
        if the alias moved since the caller looked. Pointing an alias where it
        points already changes nothing and records nothing. Raises
        :class:`InvalidInput` for a reserved or malformed alias, :class:`NotFound`
        for an unknown model or version, :class:`PermissionDenied` without the
        maintainer role.
        """
        check_alias(alias)
        _check_reason(reason)
        principal.require(Role.MAINTAINER, project, "move model aliases")
        with self.db.write() as session:
            model = find_model(session, project, name, lock=True)
            if session.get(ModelVersionRow, (model.id, version)) is None:
                raise NotFound(
                    f"model {name!r} has no version {version}",
                    hint=f"list its versions with `shipyard models show {name}`",
                )
            current = _current(session, model.id, alias)
            if expect_current is not _UNCHANGED and current != expect_current:
                raise Conflict(
                    f"alias {alias!r} of {name!r} moved to version {current} while the gates "
                    f"were evaluated (they compared against {expect_current}); nothing changed",
                    hint="run the promotion again",
                )
            if current == version:
                return MoveResult(None, current)
            event = _move(session, principal, model, alias, current, version, action, reason,
                          evaluation)  # fmt: skip
            return MoveResult(event, version)

    def remove_alias(
        self, principal: Principal, project: str, name: str, alias: str, *, reason: str = ""
    ) -> MoveResult:
        """Unset ``alias`` (recorded; a rollback restores it)."""
        check_alias(alias)
        _check_reason(reason)
        principal.require(Role.MAINTAINER, project, "move model aliases")
        with self.db.write() as session:
            model = find_model(session, project, name, lock=True)
            current = _current(session, model.id, alias)
            if current is None:
                raise NotFound(f"model {name!r} has no alias {alias!r}")
            event = _move(session, principal, model, alias, current, None, "remove", reason, None)
            return MoveResult(event, None)

    def rollback(
        self, principal: Principal, project: str, name: str, alias: str, *, reason: str = ""
    ) -> MoveResult:
        """Move ``alias`` back to where it pointed before its current version.

        Raises :class:`Conflict` when there is nothing earlier to go back to.
        """
        check_alias(alias)
        _check_reason(reason)
        principal.require(Role.MAINTAINER, project, "move model aliases")
        with self.db.write() as session:
            model = find_model(session, project, name, lock=True)
            events = session.scalars(
                select(AliasEventRow)
                .where(AliasEventRow.model_id == model.id, AliasEventRow.alias == alias)
                .order_by(AliasEventRow.seq)
            ).all()
            if not events:
                raise NotFound(f"model {name!r} has no alias {alias!r}")
            stack: list[int | None] = []
            for event in events:
                if event.action == "rollback":
                    if stack:
                        stack.pop()
                else:
                    stack.append(event.to_version)
            if len(stack) < 2:
                raise Conflict(
                    f"alias {alias!r} of {name!r} has no earlier version to roll back to",
                    hint=f"see `shipyard models alias history {name} {alias}`",
                )
            current, target = stack[-1], stack[-2]
            moved = _move(session, principal, model, alias, current, target, "rollback", reason,
                          None)  # fmt: skip
            return MoveResult(moved, target)

    def history(
        self, principal: Principal, project: str, name: str, alias: str | None = None
    ) -> list[AliasEvent]:
        """Every move of ``alias`` (or of every alias of the model), oldest first."""
        principal.require(Role.VIEWER, project, "read models")
        with self.db.read() as session:
            model = find_model(session, project, name)
            query = select(AliasEventRow).where(AliasEventRow.model_id == model.id)
            if alias is not None:
                query = query.where(AliasEventRow.alias == alias)
            rows = session.scalars(query.order_by(AliasEventRow.seq)).all()
            return [_event_entity(name, row) for row in rows]

    # -- approvals ---------------------------------------------------------------

    def approve(
        self,
        principal: Principal,
        project: str,
        name: str,
        version: int,
        alias: str,
        *,
        note: str = "",
    ) -> Approval:
        """Record that ``principal`` (a maintainer) approves ``version`` for ``alias``."""
        check_alias(alias)
        _check_reason(note)
        principal.require(Role.MAINTAINER, project, "approve model versions")
        role = principal.role_in(project)
        assert role is not None  # require() passed
        now = utcnow()
        with self.db.write() as session:
            model = find_model(session, project, name)
            if session.get(ModelVersionRow, (model.id, version)) is None:
                raise NotFound(f"model {name!r} has no version {version}")
            upsert(
                session,
                ApprovalRow.__table__,  # type: ignore[arg-type]
                [
                    {
                        "model_id": model.id,
                        "version": version,
                        "alias": alias,
                        "principal": principal.name,
                        "role": role.label,
                        "time": now,
                        "note": note,
                    }
                ],
                keys=["model_id", "version", "alias", "principal"],
                update=["role", "time", "note"],
            )
            audit.record(
                session,
                principal,
                "model.approve",
                f"model:{name}/{version}",
                project=project,
                detail={"alias": alias, "note": note},
            )
        return Approval(name, version, alias, principal.name, role.label, now, note)

    def approvals(
        self, principal: Principal, project: str, name: str, version: int, alias: str | None = None
    ) -> list[Approval]:
        """The approvals of ``version`` for ``alias`` (or for every alias), oldest first."""
        principal.require(Role.VIEWER, project, "read models")
        with self.db.read() as session:
            model = find_model(session, project, name)
            query = select(ApprovalRow).where(
                ApprovalRow.model_id == model.id, ApprovalRow.version == version
            )
            if alias is not None:
                query = query.where(ApprovalRow.alias == alias)
            rows = session.scalars(query.order_by(ApprovalRow.time)).all()
            return [
                Approval(name, r.version, r.alias, r.principal, r.role, r.time, r.note)
                for r in rows
            ]

    def record_refusal(
        self,
        principal: Principal,
        project: str,
        name: str,
        version: int,
        alias: str,
        evaluation: Mapping[str, Any],
    ) -> None:
        """Audit a promotion the gates refused (the alias stays where it was)."""
        with self.db.write() as session:
            audit.record(
                session,
                principal,
                "model.promote.refused",
                f"model:{name}/{version}",
                project=project,
                detail={"alias": alias, "evaluation": dict(evaluation)},
            )


def _current(session: Session, model_id: str, alias: str) -> int | None:
    value = session.scalar(
        select(ModelAliasRow.version).where(
            ModelAliasRow.model_id == model_id, ModelAliasRow.alias == alias
        )
    )
    return None if value is None else int(value)


def _move(
    session: Session,
    principal: Principal,
    model: RegisteredModelRow,
    alias: str,
    current: int | None,
    target: int | None,
    action: str,
    reason: str,
    evaluation: Mapping[str, Any] | None,
) -> AliasEvent:
    now = utcnow()
    if target is None:
        session.execute(
            delete(ModelAliasRow).where(
                ModelAliasRow.model_id == model.id, ModelAliasRow.alias == alias
            )
        )
    else:
        upsert(
            session,
            ModelAliasRow.__table__,  # type: ignore[arg-type]
            [
                {
                    "model_id": model.id,
                    "alias": alias,
                    "version": target,
                    "updated_at": now,
                    "updated_by": principal.name,
                }
            ],
            keys=["model_id", "alias"],
            update=["version", "updated_at", "updated_by"],
        )
    row = AliasEventRow(
        model_id=model.id,
        alias=alias,
        action=action,
        from_version=current,
        to_version=target,
        principal=principal.name,
        time=now,
        reason=reason,
        evaluation=dict(evaluation) if evaluation is not None else None,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        principal,
        f"model.alias.{action}",
        f"model:{model.name}@{alias}",
        project=model.project,
        detail={"from": current, "to": target, "reason": reason},
    )
    return _event_entity(model.name, row)


def _event_entity(name: str, row: AliasEventRow) -> AliasEvent:
    return AliasEvent(
        seq=row.seq,
        name=name,
        alias=row.alias,
        action=row.action,
        from_version=row.from_version,
        to_version=row.to_version,
        principal=row.principal,
        time=row.time,
        reason=row.reason,
        evaluation=row.evaluation,
    )


def _check_reason(reason: object) -> None:
    if not isinstance(reason, str):
        raise InvalidInput("a reason must be text")
    if len(reason) > REASON_MAX:
        raise InvalidInput(f"a reason is limited to {REASON_MAX:,} characters")
