"""Tables of the server itself: remembered answers to idempotent requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from shipyard.store.base import Base, utcnow

__all__ = ["IdempotencyRow"]


class IdempotencyRow(Base):
    """The answer to a write sent with an ``Idempotency-Key``, replayed on retries.

    ``status`` is None while the first request is still being answered.
    """

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
