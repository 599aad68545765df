"""The metadata database: one engine, read and write sessions, errors translated.

SQLite (the embedded default) runs in WAL mode with a busy timeout, and every
write transaction starts with ``BEGIN IMMEDIATE``: a writer waits for the lock
up front instead of failing with "database is locked" when two processes try
to upgrade a read lock at once. PostgreSQL goes through psycopg 3.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from contextvars import ContextVar
from types import TracebackType
from typing import Any

from sqlalchemy import create_engine, event, exc, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from shipyard.core.errors import (
    Conflict,
    InvalidInput,
    SchemaOutOfDate,
    ShipyardError,
    Unavailable,
)
from shipyard.core.redact import redact_uri

__all__ = [
    "POOL_CONNECTIONS",
    "Busy",
    "Database",
    "NoFreeConnection",
    "RequestUnit",
    "normalise_url",
]

SQLITE_BUSY_TIMEOUT_S = 60
POSTGRES_CONNECT_TIMEOUT_S = 5
WRITE_ATTEMPTS = 6
CLIENT_CHECK_MS = 1000
POOL_SIZE, POOL_OVERFLOW = 5, 10
POOL_CONNECTIONS = POOL_SIZE + POOL_OVERFLOW
"""Connections a process opens to PostgreSQL at most."""


class NoFreeConnection(Unavailable):
    """Every connection of the process's pool stayed in use for the pool's whole wait.

    The server admits at most :data:`POOL_CONNECTIONS` requests at a time so that
    this is rare; nothing was applied, and the request may be sent again.
    """


class Busy(Unavailable):
    """PostgreSQL broke a deadlock or a serialisation conflict by aborting this transaction.

    Normal under concurrent writers; :meth:`Database.write_attempts` retries it.
    """


def normalise_url(uri: str) -> URL:
    """Parse a metadata-store URI and pick the driver Shipyard uses for it.

    Raises :class:`InvalidInput` for anything but ``sqlite:`` and ``postgresql:``.
    """
    try:
        url = make_url(uri)
    except exc.ArgumentError:
        raise InvalidInput(
            f"cannot parse metadata store URI {redact_uri(uri)!r}",
            hint="use sqlite:///path/to/file.db or postgresql://user@host:5432/dbname",
        ) from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        return url.set(drivername="sqlite+pysqlite")
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    raise InvalidInput(
        f"unsupported metadata store {backend!r} in {redact_uri(uri)!r}",
        hint="Shipyard stores metadata in SQLite (sqlite:///…) or PostgreSQL (postgresql://…)",
    )


class Database:
    """A metadata store reachable at one URL.

    Use :meth:`read` for queries and :meth:`write` for changes; both translate
    database failures into :class:`ShipyardError` subclasses.
    """

    def __init__(self, uri: str) -> None:
        self.url = normalise_url(uri)
        self.display_uri = redact_uri(uri)
        self.dialect = self.url.get_backend_name()
        self.engine = _create_engine(self.url)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(
            self.engine.execution_options(shipyard_write=True), expire_on_commit=False
        )

    def __repr__(self) -> str:
        return f"Database({self.display_uri!r})"

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries; rolled back at the end.

        Inside a :meth:`request_unit` that has written, the unit's own session, so a
        request reads what it wrote.
        """
        unit = _UNIT.get()
        if unit is not None and unit.db is self and unit.begun:
            with self.translate_errors():
                yield unit.session()
            return
        with self.translate_errors(), self._read() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose changes commit together on success and roll back on error.

        Inside a :meth:`request_unit`, the changes join the unit's transaction (in a
        savepoint, so an error undoes only them) and commit when the unit does.
        """
        unit = _UNIT.get()
        if unit is not None and unit.db is self:
            with self.translate_errors():
                session = unit.session()
                with session.begin_nested():
                    yield session
            return
        with self.translate_errors(), self._write() as session, session.begin():
            yield session

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once what was written so far has committed: now, or, inside a
        :meth:`request_unit`, when the unit commits (never, if it rolls back).

        For per-process caches of ids: a cached id must never name a row that a
        rolled-back transaction took with it.
        """
        unit = _UNIT.get()
        if unit is not None and unit.db is self and unit.begun:
            unit.callbacks.append(callback)
        else:
            callback()

    @contextmanager
    def request_unit(self) -> Iterator[RequestUnit]:
        """Make every :meth:`write` in this context (and the threads it starts work in,
        which copy it) join one transaction that the caller commits or rolls back.

        The server runs a write sent with an ``Idempotency-Key`` in one unit and stores
        its answer in the same transaction, so the change and the record that it was
        made commit together or not at all. A unit left neither committed nor rolled
        back is rolled back.
        """
        unit = RequestUnit(self)
        token = _UNIT.set(unit)
        try:
            yield unit
        finally:
            _UNIT.reset(token)
            unit.rollback()

    def write_attempts(self, tries: int = WRITE_ATTEMPTS) -> Iterator[_Attempt]:
        """Write transactions to run the same body in until one commits.

        For bodies that concurrent writers may deadlock (PostgreSQL aborts one of
        them): ``for attempt in db.write_attempts(): with attempt as session: ...``.
        The body must compute anything random (ids, times) outside the loop.
        """
        for n in range(1, tries + 1):
            attempt = _Attempt(self, last=n == tries)
            yield attempt
            if attempt.committed:
                return
            # Jitter (not cryptography): rivals that collided wake apart and stop colliding.
            time.sleep(random.uniform(0.005, 0.02) * 2**n)  # noqa: S311

    @contextmanager
    def connect(self, *, write: bool = False) -> Iterator[Connection]:
        """A raw connection in a transaction (for migrations and health checks)."""
        engine = self.engine.execution_options(shipyard_write=True) if write else self.engine
        with self.translate_errors(), engine.begin() as conn:
            yield conn

    def ping(self) -> None:
        """Raise :class:`Unavailable` unless the database answers a trivial query."""
        with self.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def translate_errors(self) -> Iterator[None]:
        """Turn SQLAlchemy and driver errors into Shipyard's error tree."""
        try:
            yield
        except ShipyardError:
            raise
        except exc.DataError as error:
            # A value the database cannot hold: a NUL character, a number out of range.
            raise InvalidInput(
                f"the metadata store cannot hold a value given: {_reason(error)}",
                hint="check the values for NUL characters or out-of-range numbers",
            ) from error
        except exc.IntegrityError as error:
            raise Conflict(
                f"the change conflicts with stored data: {_reason(error)}",
                hint="someone may have made the same change at the same time; look and retry",
            ) from error
        except (exc.OperationalError, exc.InterfaceError, exc.ProgrammingError) as error:
            raise self._classify(error) from error
        except exc.TimeoutError as error:
            # Every pooled connection stayed in use for the pool's whole wait: saturated,
            # not broken, and nothing was applied.
            raise NoFreeConnection(
                f"the metadata store at {self.display_uri} had no free connection: every "
                "one of this process's connections is in use",
                hint="retry in a moment (Shipyard's client does so itself)",
            ) from error

    def _classify(self, error: exc.DBAPIError) -> ShipyardError:
        reason = _reason(error)
        state = getattr(error.orig, "sqlstate", None)
        if state in _TRANSIENT:
            return Busy(
                f"the metadata store at {self.display_uri} aborted a change that collided "
                f"with concurrent ones ({reason})",
                hint="retry; nothing of the aborted change was kept",
            )
        if state in _UNDEFINED_OBJECT or re.search(r"no such (table|column)", reason):
            return SchemaOutOfDate(
                f"the metadata store at {self.display_uri} lacks part of the schema ({reason})",
                hint="run `shipyard db upgrade`",
            )
        if "database is locked" in reason:
            return Unavailable(
                f"the metadata store at {self.display_uri} stayed locked for "
                f"{SQLITE_BUSY_TIMEOUT_S} s",
                hint="another process holds a long write; retry when it has finished",
            )
        if state == _NO_SUCH_DATABASE or re.search(r'database ".*" does not exist', reason):
            hint = "create the database first (createdb NAME), then run `shipyard db upgrade`"
        elif self.dialect == "sqlite":
            hint = "check that the file's folder exists and is writable"
        else:
            hint = "check that the database server is running and that SHIPYARD_URI is right"
        return Unavailable(
            f"cannot use the metadata store at {self.display_uri}: {reason}", hint=hint
        )


# PostgreSQL SQLSTATE codes: undefined table / column, and unknown database.
_UNDEFINED_OBJECT = frozenset({"42P01", "42703"})
_NO_SUCH_DATABASE = "3D000"
# Deadlock detected, serialisation failure: the transaction was rolled back, retry it.
_TRANSIENT = frozenset({"40P01", "40001"})


class RequestUnit:
    """The one transaction of a request (see :meth:`Database.request_unit`).

    It begins at the first write (so a request that only reads, or streams a
    large body first, holds no lock meanwhile) and is used from whichever
    worker thread the request runs in, one at a time.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._session: Session | None = None
        self.callbacks: list[Callable[[], None]] = []

    @property
    def begun(self) -> bool:
        return self._session is not None

    def session(self) -> Session:
        if self._session is None:
            session = self.db._write()
            session.begin()
            self._session = session
        return self._session

    def commit(self) -> None:
        """Commit what the request wrote; raises (translated) if the database refuses."""
        session, self._session = self._session, None
        callbacks, self.callbacks = self.callbacks, []
        if session is None:
            return
        try:
            with self.db.translate_errors():
                session.commit()
        finally:
            session.close()
        for callback in callbacks:
            callback()

    def rollback(self) -> None:
        session, self._session = self._session, None
        self.callbacks = []
        if session is not None:
            # A lost connection cannot roll back, and need not: the server already has.
            with suppress(exc.SQLAlchemyError):
                session.rollback()
            with suppress(exc.SQLAlchemyError):
                session.close()


_UNIT: ContextVar[RequestUnit | None] = ContextVar("shipyard_request_unit", default=None)


class _Attempt(AbstractContextManager[Session]):
    """One try of a write transaction; swallows :class:`Busy` unless it is the last."""

    def __init__(self, db: Database, *, last: bool) -> None:
        self._db, self._last = db, last
        self._context: AbstractContextManager[Session] | None = None
        self.committed = False

    def __enter__(self) -> Session:
        self._context = self._db.write()
        return self._context.__enter__()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> bool:
        assert self._context is not None
        try:
            self._context.__exit__(kind, error, trace)
        except Busy:
            if self._last:
                raise
            return True
        if error is None:
            self.committed = True
        return False


def _create_engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_S
    engine = create_engine(url, connect_args=connect_args, pool_pre_ping=True,
                           pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)  # fmt: skip
    event.listen(engine, "connect", _postgres_on_connect)
    return engine


def _postgres_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # A server worker that dies leaves its transaction to PostgreSQL, which notices only
    # when it next talks to the client; while a statement waits for a lock it would not.
    # Checking the client every second frees the dead worker's locks within a second.
    if dbapi_connection.info.server_version >= 140000:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET client_connection_check_interval = {CLIENT_CHECK_MS}")
        dbapi_connection.commit()


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control from pysqlite so that _sqlite_on_begin decides.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get("shipyard_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _reason(error: exc.DBAPIError) -> str:
    """The driver's own message, first meaningful line only, with no SQL or parameters."""
    text_ = str(error.orig) if error.orig is not None else str(error)
    lines = [line.strip() for line in text_.splitlines() if line.strip()]
    reason = lines[0] if lines else type(error.orig).__name__
    return reason.removeprefix("connection failed: ")
