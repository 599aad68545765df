"""Which project holds which objects on a team server (reads are checked against it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from shipyard.store.base import Base, utcnow

__all__ = ["ObjectGrantRow"]


class ObjectGrantRow(Base):
    """Project ``project`` holds object ``digest``: someone who could write into the
    project uploaded its bytes (so proved they had them). A project's viewers may
    read exactly its objects, whoever else holds the same content."""

    __tablename__ = "object_grants"

    project: Mapped[str] = mapped_column(String(100), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
