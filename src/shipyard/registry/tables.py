"""Tables of the model registry.

* ``registered_models``: one row per model name in a project. ``last_version``
  is the version counter: registering a version increments it in the same
  transaction that inserts the version, under the row's lock, so numbers are
  unique and gap-free however many processes register at once (a rolled-back
  registration rolls the counter back too). ``card`` holds the model card's
  editable fields.
* ``model_versions``: the files of each version (paths, BLAKE3 digests and sizes;
  the bytes are in the object store), its flavor, input/output schema, signer
  and a snapshot of its lineage (run, git commit, params, metrics, inputs).
* ``model_aliases``: where each alias points now; ``model_alias_events``: every
  move, never deleted (who, when, from, to, why, and the gate evaluation).
* ``model_approvals`` and ``model_evaluations``: what promotion gates read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from shipyard.store.base import Base, utcnow

__all__ = [
    "AliasEventRow",
    "ApprovalRow",
    "EvaluationRow",
    "ModelAliasRow",
    "ModelVersionRow",
    "RegisteredModelRow",
]

_ID = 26
_SEQ = BigInteger().with_variant(Integer(), "sqlite")  # SQLite auto-increments INTEGER only


class RegisteredModelRow(Base):
    """A named model in a project: the versions, aliases and card hang off it."""

    __tablename__ = "registered_models"

    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    project: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    last_version: Mapped[int] = mapped_column(Integer, default=0)
    card: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("project", "name"),)


class ModelVersionRow(Base):
    """One registered version: a model directory stored in the object store."""

    __tablename__ = "model_versions"

    model_id: Mapped[str] = mapped_column(ForeignKey("registered_models.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    flavor: Mapped[str] = mapped_column(String(50))
    files: Mapped[dict[str, Any]] = mapped_column()
    """``{"files": [{"path", "blake3", "size"}, …]}``: every file, manifest and signature too."""
    manifest_digest: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    schema: Mapped[dict[str, Any] | None] = mapped_column()
    """The model's input/output signature (``Signature.to_dict()``), if it has one."""
    signer: Mapped[str | None] = mapped_column(String(64))
    """Fingerprint of the key that signed it, or None when unsigned."""
    run_id: Mapped[str | None] = mapped_column(String(_ID))
    lineage: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))

    __table_args__ = (Index("ix_model_versions_run_id", "run_id"),)


class ModelAliasRow(Base):
    """Where an alias of a model points now."""

    __tablename__ = "model_aliases"

    model_id: Mapped[str] = mapped_column(ForeignKey("registered_models.id"), primary_key=True)
    alias: Mapped[str] = mapped_column(String(63), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200))


class AliasEventRow(Base):
    """One move of an alias. Append-only: nothing in Shipyard updates or deletes these."""

    __tablename__ = "model_alias_events"

    seq: Mapped[int] = mapped_column(_SEQ, primary_key=True, autoincrement=True)
    model_id: Mapped[str] = mapped_column(ForeignKey("registered_models.id"))
    alias: Mapped[str] = mapped_column(String(63))
    action: Mapped[str] = mapped_column(String(16))
    from_version: Mapped[int | None] = mapped_column(Integer)
    to_version: Mapped[int | None] = mapped_column(Integer)
    principal: Mapped[str] = mapped_column(String(200))
    time: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")
    evaluation: Mapped[dict[str, Any] | None] = mapped_column()

    __table_args__ = (
        Index("ix_model_alias_events_model_id_alias_seq", "model_id", "alias", "seq"),
    )


class ApprovalRow(Base):
    """A maintainer's approval of one version for one alias (a promotion gate reads it)."""

    __tablename__ = "model_approvals"

    model_id: Mapped[str] = mapped_column(ForeignKey("registered_models.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    alias: Mapped[str] = mapped_column(String(63), primary_key=True)
    principal: Mapped[str] = mapped_column(String(200), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    time: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")


class EvaluationRow(Base):
    """Metrics of one version measured on one data file (by ``models evaluate`` or a gate)."""

    __tablename__ = "model_evaluations"

    seq: Mapped[int] = mapped_column(_SEQ, primary_key=True, autoincrement=True)
    model_id: Mapped[str] = mapped_column(ForeignKey("registered_models.id"))
    version: Mapped[int] = mapped_column(Integer)
    data_path: Mapped[str] = mapped_column(Text)
    data_digest: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(BigInteger)
    target: Mapped[str] = mapped_column(String(250))
    metrics: Mapped[dict[str, Any]] = mapped_column()
    source: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))

    __table_args__ = (Index("ix_model_evaluations_model_id_version", "model_id", "version"),)
