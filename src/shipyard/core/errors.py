"""The one error tree of Shipyard.

Every failure a user can cause or meet is one of these, so the CLI, the SDK and
the HTTP server present it the same way: one line saying what went wrong, and
what to do about it (``hint``)::

    ShipyardError
    ├── InvalidInput          a value the user gave cannot be used
    │   ├── ConfigError       a config file or setting cannot be used
    │   ├── SignatureMismatch an input does not match a model's signature (names the field)
    │   ├── UnsafePath        a path from a file, a store or a client could escape its folder
    │   └── QuerySyntaxError  a filter or order-by expression does not parse
    ├── NotFound              a named thing does not exist
    │   └── WorkspaceNotFound no .shipyard/ here or in any parent folder
    ├── Conflict              the current state forbids the change
    │   └── AlreadyExists     the thing to create exists already
    ├── Unauthenticated       who is asking is unknown
    ├── RateLimited           too many attempts; retry after ``retry_after`` seconds
    ├── PermissionDenied      who is asking may not do this
    │   └── UntrustedModel    loading would run code (pickle, unknown types) nobody trusted
    ├── IntegrityError        stored bytes or records do not match their digest
    ├── Unavailable           a metadata store, object store or remote is unreachable
    └── SchemaOutOfDate       the metadata store needs ``shipyard db upgrade``

Foreign exceptions (SQLAlchemy, boto3, httpx…) are translated into this tree at
the adapter that meets them, with ``raise … from exc``. Exit codes are decided
only in the CLI (``shipyard.cli.errors``); HTTP statuses only in the server.
Errors that carry fields (``object_id``, ``field``, a query's position) list
them in :meth:`ShipyardError.fields`, so the server can send them and the remote
client raise the same error with the same fields.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AlreadyExists",
    "ConfigError",
    "Conflict",
    "IntegrityError",
    "InvalidInput",
    "NotFound",
    "PermissionDenied",
    "QuerySyntaxError",
    "RateLimited",
    "SchemaOutOfDate",
    "ShipyardError",
    "SignatureMismatch",
    "Unauthenticated",
    "Unavailable",
    "UnsafePath",
    "UntrustedModel",
    "WorkspaceNotFound",
]


class ShipyardError(Exception):
    """Base of every error Shipyard raises on purpose.

    ``message`` says what went wrong; ``hint`` (optional) says what to do.
    Neither may contain a secret: both are shown to users and logged.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message

    def one_line(self) -> str:
        """The message and the hint as a single line, for terminals and logs."""
        text = " ".join(self.message.split())
        return f"{text} ({self.hint})" if self.hint else text

    def details(self) -> list[str]:
        """Extra lines a terminal may show under the one line (none by default)."""
        return []

    def fields(self) -> dict[str, Any]:
        """The keyword arguments beyond ``message`` and ``hint`` that rebuild this error."""
        return {}


class InvalidInput(ShipyardError):
    """A value given by the user (argument, file, request body) cannot be used."""


class ConfigError(InvalidInput):
    """A config file or setting is malformed or has a bad value."""


class SignatureMismatch(InvalidInput):
    """An input does not match a model's signature; ``field`` names the column or tensor."""

    def __init__(self, message: str, *, field: str | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.field = field

    def fields(self) -> dict[str, Any]:
        return {"field": self.field}


class UnsafePath(InvalidInput):
    """A relative path read from untrusted bytes (a folder listing, a manifest, a
    pointer, a request) could reach outside the folder it is meant for, or names a
    ``.git``/``.shipyard`` folder; ``path`` is the offending entry (control
    characters escaped)."""

    def __init__(self, message: str, *, path: str | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.path = path

    def fields(self) -> dict[str, Any]:
        return {"path": self.path}


class QuerySyntaxError(InvalidInput):
    """A query expression (``--filter``, ``--order-by``) does not parse.

    ``position`` and ``length`` locate the offending token in ``query`` (0-based
    characters), so :meth:`details` can point at it with carets.
    """

    def __init__(
        self,
        message: str,
        *,
        query: str,
        position: int,
        length: int = 1,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.query = query
        self.position = position
        self.length = max(1, length)

    def fields(self) -> dict[str, Any]:
        return {"query": self.query, "position": self.position, "length": self.length}

    def details(self) -> list[str]:
        # Tabs and newlines would shift the caret: show the query on one line.
        shown = "".join(" " if ch in "\t\r\n" else ch for ch in self.query)
        return [f"  {shown}", "  " + " " * self.position + "^" * self.length]

    def __str__(self) -> str:
        return "\n".join([self.message, *self.details()])


class NotFound(ShipyardError):
    """A named thing (run, model, object, workspace…) does not exist."""


class WorkspaceNotFound(NotFound):
    """No ``.shipyard/`` folder in the current folder or any parent."""


class Conflict(ShipyardError):
    """The change is refused because of the current state."""


class AlreadyExists(Conflict):
    """The thing to be created exists already."""


class Unauthenticated(ShipyardError):
    """No valid credentials were presented."""


class RateLimited(ShipyardError):
    """Too many attempts (for example failed logins); ``retry_after`` is in seconds."""

    def __init__(self, message: str, *, retry_after: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after

    def fields(self) -> dict[str, Any]:
        return {"retry_after": self.retry_after}


class PermissionDenied(ShipyardError):
    """The principal is known but may not perform this action."""


class UntrustedModel(PermissionDenied):
    """Loading a model would run code nobody vouched for: a pickle, or types outside the
    safe list of its format. Refused unless the caller passes ``trusted=True``."""


class IntegrityError(ShipyardError):
    """Stored content does not match its digest, or a record is inconsistent.

    ``object_id`` names the object concerned when there is one.
    """

    def __init__(self, message: str, *, object_id: str | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.object_id = object_id

    def fields(self) -> dict[str, Any]:
        return {"object_id": self.object_id}


class Unavailable(ShipyardError):
    """A metadata store, object store or remote cannot be reached right now."""


class SchemaOutOfDate(ShipyardError):
    """The metadata store's schema is older (or newer) than this Shipyard expects."""
