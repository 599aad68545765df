"""Tables of the server itself: remembered answers to idempotent requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from shipyard.store.base import Base, utcnow

__all__ = ["IdempotencyRow"]


class IdempotencyRow(Base):
    """The answer to a write sent with an ``Idempotency-Key``, replayed on retries.

    Written in the same transaction as the request's changes (see
    :mod:`shipyard.server.idempotency`); ``status`` is None only in claims that
    servers before that change left behind.
    """

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
