"""Tables of dataset versioning: datasets and the versions added of each.

A *dataset* is a tracked path of one project (``data/train.parquet``); each
``shipyard data add`` of new content records a *version*: its digest (the
file's BLAKE3, or the digest of a directory's listing), size, file count,
profile, the git commit it was made on, who and when. Runs and models name the
exact data they used by version (see ``shipyard.core.dataset_ref``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shipyard.store.base import Base, utcnow

__all__ = ["DatasetRow", "DatasetVersionRow"]


class DatasetRow(Base):
    """A tracked path in a project; its versions are :class:`DatasetVersionRow`."""

    __tablename__ = "datasets"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    project: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(1000))
    """The path relative to the workspace root, with ``/`` separators."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("project", "name"),)


class DatasetVersionRow(Base):
    """One content of a dataset, numbered 1, 2, … in the order they were added."""

    __tablename__ = "dataset_versions"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    """``file`` or ``directory``."""
    digest: Mapped[str] = mapped_column(String(64))
    """BLAKE3 of the file, or of the directory's listing object."""
    size: Mapped[int] = mapped_column(BigInteger)
    files: Mapped[int] = mapped_column(Integer)
    profile_digest: Mapped[str | None] = mapped_column(String(64))
    """The stored profile (a JSON object in the object store) of a tabular file."""
    rows: Mapped[int | None] = mapped_column(BigInteger)
    git_commit: Mapped[str | None] = mapped_column(String(64))
    """The commit checked out when the version was added (its pointer lands after it)."""
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("dataset_id", "version"),
        UniqueConstraint("dataset_id", "digest"),
        Index("ix_dataset_versions_digest", "digest"),
    )
