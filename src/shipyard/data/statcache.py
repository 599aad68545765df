"""The stat cache: what each file's digest was the last time it was read, and more local state.

Hashing a large dataset again to learn it did not change is the slow part of
``data add`` and ``data status``. Like git's index and DVC's state database,
this cache remembers, per workspace-relative path, the file's inode, size and
modification time (nanoseconds) with its digest; when all three still match,
the digest is taken from the cache and the file is not read. Anything else
(another inode after a rewrite-and-rename, another size, another mtime) is a
miss and the file is hashed again.

It is a local SQLite file (``.shipyard/cache/state.db``), apart from the
metadata store: it is per machine, may be deleted at any time, and is
written in one transaction per command without ``fsync`` (losing it costs
only a re-hash). It also keeps three other local facts: the profile of each
tabular content digest (so unchanged files are not profiled twice), which
dataset digests were pushed to which remote (for ``data status``), and which
versions were recorded in which metadata store (so re-adding unchanged data
needs no database round trip).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from shipyard.core.errors import Unavailable

__all__ = ["FileStat", "StatCache"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS stat (
    path TEXT PRIMARY KEY, inode INTEGER, size INTEGER, mtime_ns INTEGER, digest TEXT
);
CREATE TABLE IF NOT EXISTS profiles (digest TEXT PRIMARY KEY, profile TEXT, rows INTEGER);
CREATE TABLE IF NOT EXISTS pushed (remote TEXT, digest TEXT, PRIMARY KEY (remote, digest));
CREATE TABLE IF NOT EXISTS recorded (
    store TEXT, name TEXT, digest TEXT, version INTEGER, PRIMARY KEY (store, name, digest)
);
"""


@dataclass(frozen=True, slots=True)
class FileStat:
    """What the cache compares: a file is unchanged while all three are."""

    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileStat:
        return cls(st.st_ino, st.st_size, st.st_mtime_ns)


class StatCache:
    """One workspace's cache file; cheap to open, one connection per instance."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._conn = _connect(path)
        except sqlite3.DatabaseError:
            # A damaged cache is only a cache: start a new one.
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            try:
                self._conn = _connect(path)
            except sqlite3.Error as exc:
                raise Unavailable(f"cannot open the stat cache {path}: {exc}") from None
        except OSError as exc:
            raise Unavailable(f"cannot open the stat cache {path}: {exc}") from None

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> StatCache:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- digests by stat ------------------------------------------------------------

    def lookup(self, name: str) -> dict[str, tuple[FileStat, str]]:
        """Entries for ``name`` and everything under ``name/`` (one query)."""
        rows = self._conn.execute(
            "SELECT path, inode, size, mtime_ns, digest FROM stat "
            "WHERE path = ? OR (path >= ? AND path < ?)",
            (name, name + "/", name + "0"),  # '0' is the character after '/'
        ).fetchall()
        return {path: (FileStat(i, s, m), d) for path, i, s, m, d in rows}

    def known(self, name: str, stat: FileStat) -> str | None:
        """The cached digest of ``name`` if its stat still matches."""
        row = self._conn.execute(
            "SELECT inode, size, mtime_ns, digest FROM stat WHERE path = ?", (name,)
        ).fetchone()
        if row is None or FileStat(row[0], row[1], row[2]) != stat:
            return None
        return str(row[3])

    def remember(self, entries: Iterable[tuple[str, FileStat, str]]) -> None:
        """Store (path, stat, digest) triples in one transaction."""
        rows = [(p, s.inode, s.size, s.mtime_ns, d) for p, s, d in entries]
        if not rows:
            return
        with self._transaction():
            self._conn.executemany("INSERT OR REPLACE INTO stat VALUES (?, ?, ?, ?, ?)", rows)

    def forget(self, name: str) -> None:
        with self._transaction():
            self._conn.execute(
                "DELETE FROM stat WHERE path = ? OR (path >= ? AND path < ?)",
                (name, name + "/", name + "0"),
            )

    # -- profiles by content digest ---------------------------------------------------

    def profile_of(self, digest: str) -> tuple[str, int] | None:
        row = self._conn.execute(
            "SELECT profile, rows FROM profiles WHERE digest = ?", (digest,)
        ).fetchone()
        return None if row is None else (str(row[0]), int(row[1]))

    def remember_profiles(self, entries: Iterable[tuple[str, str, int]]) -> None:
        rows = list(entries)
        if rows:
            with self._transaction():
                self._conn.executemany("INSERT OR REPLACE INTO profiles VALUES (?, ?, ?)", rows)

    # -- what was pushed where --------------------------------------------------------

    def pushed(self, remote: str, digests: Iterable[str]) -> set[str]:
        """The digests among ``digests`` recorded as pushed to ``remote``."""
        wanted = list(digests)
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            marks = ",".join("?" * len(part))
            found.update(
                row[0]
                for row in self._conn.execute(
                    f"SELECT digest FROM pushed WHERE remote = ? AND digest IN ({marks})",  # noqa: S608
                    (remote, *part),
                )
            )
        return found

    def remember_pushed(self, remote: str, digests: Iterable[str]) -> None:
        rows = [(remote, d) for d in digests]
        if rows:
            with self._transaction():
                self._conn.executemany("INSERT OR IGNORE INTO pushed VALUES (?, ?)", rows)

    # -- versions recorded in a metadata store ------------------------------------------

    def recorded(self, store: str, name: str, digest: str) -> int | None:
        """The version number ``store`` gave ``name`` at ``digest``, if this workspace saw it."""
        row = self._conn.execute(
            "SELECT version FROM recorded WHERE store = ? AND name = ? AND digest = ?",
            (store, name, digest),
        ).fetchone()
        return None if row is None else int(row[0])

    def remember_recorded(self, store: str, entries: Iterable[tuple[str, str, int]]) -> None:
        rows = [(store, n, d, v) for n, d, v in entries]
        if rows:
            with self._transaction():
                self._conn.executemany("INSERT OR REPLACE INTO recorded VALUES (?, ?, ?, ?)", rows)

    def forget_pushed(self, remote: str, digests: Iterable[str]) -> None:
        rows = [(remote, d) for d in digests]
        if rows:
            with self._transaction():
                self._conn.executemany("DELETE FROM pushed WHERE remote = ? AND digest = ?", rows)

    def _transaction(self) -> _Transaction:
        return _Transaction(self._conn)


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        conn.executescript(_SCHEMA)
    except BaseException:
        conn.close()
        raise
    return conn


class _Transaction:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *_: object) -> None:
        self._conn.execute("COMMIT" if kind is None else "ROLLBACK")
