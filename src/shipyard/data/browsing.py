"""What the web UI shows of dataset versions: a version's profile, and two versions compared.

It runs where the objects are: ``shipyard ui`` over a workspace, or the team
server. Version records come from the metadata store (viewers of the project);
folder listings, profile indexes and profiles from the object store, each read
only if the project holds it (:class:`ObjectExchange` checks the grants: a
contributor writes any digest into a record, and a digest alone must not reveal
another project's bytes) and only while it stays small (:data:`MAX_OBJECT`,
:data:`MAX_READ` per request), so a page never costs the server more than a
bounded read. The diff is ``data diff``'s own (:func:`file_changes`), over
records instead of pointers; the figures are :mod:`shipyard.data.figures`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from shipyard.core.digest import Digest
from shipyard.core.errors import IntegrityError, InvalidInput, NotFound
from shipyard.core.extras import MissingExtra
from shipyard.core.principal import Role
from shipyard.data.diffs import FileChange, entries, file_changes
from shipyard.data.figures import column_changes, figures, short_text
from shipyard.data.pointer import Pointer
from shipyard.data.profiles import is_tabular, load_profile
from shipyard.data.records import DatasetVersion, check_dataset_name
from shipyard.data.records_sql import SqlRecords
from shipyard.data.tree import ProfileIndex, Tree, TreeFile
from shipyard.objects.exchange import ObjectExchange
from shipyard.store.projects import check_project_name

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.profiling.profile import Profile

__all__ = ["MAX_CHANGES", "MAX_FILES", "DatasetBrowser", "ProjectObjectReader"]

T = TypeVar("T")

MAX_FILES = 20
"""Profiled files of a folder shown (and compared column by column) per answer."""
MAX_CHANGES = 1000
"""Changed files of a folder listed per diff (the others are counted)."""
MAX_OBJECT = 64 * 2**20
"""The largest listing or profile read for a page (a profile is tens of KiB a column)."""
MAX_READ = 256 * 2**20
"""Bytes of listings and profiles one answer may read in all."""


class ProjectObjectReader:
    """A project's objects as one request's principal may read them, small ones only.

    Implements :class:`~shipyard.data.diffs.VersionObjects` for :func:`file_changes`;
    each object is read once per request.
    """

    def __init__(self, ctx: Context, project: str) -> None:
        self.exchange = ObjectExchange(ctx)
        self.project = project
        self._read: dict[Digest, bytes] = {}
        self._total = 0

    @property
    def store(self) -> ProjectObjectReader:
        return self

    def read_bytes(self, digest: Digest) -> bytes:
        """The object's content; :class:`NotFound` if the project lacks it, :class:`InvalidInput`
        past the size limits."""
        known = self._read.get(digest)
        if known is not None:
            return known
        size, pieces = self.exchange.open(self.project, digest)
        if size > MAX_OBJECT or self._total + size > MAX_READ:
            getattr(pieces, "close", lambda: None)()
            raise InvalidInput(
                f"object {digest.short} is too large to read for a page ({size:,} bytes)",
                hint="`shipyard data show` and `shipyard data diff` read any size",
            )
        data = b"".join(pieces)
        self._total += len(data)
        self._read[digest] = data
        return data

    def tree(self, pointer: Pointer) -> Tree:
        if pointer.kind == "file":
            return Tree((TreeFile("", pointer.digest, pointer.size),))
        return Tree.from_bytes(self.read_bytes(pointer.digest), pointer.digest)

    def profile_index(self, pointer: Pointer) -> ProfileIndex:
        if pointer.kind != "directory" or pointer.profile is None:
            return ProfileIndex()
        return ProfileIndex.from_bytes(self.read_bytes(pointer.profile), pointer.profile)


class DatasetBrowser:
    """Profiles and diffs of recorded versions, for one request's principal."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.records = SqlRecords(ctx.db)

    def _version(self, project: str, name: str, version: int) -> DatasetVersion:
        check_project_name(project)
        check_dataset_name(name)
        self.ctx.principal.require(Role.VIEWER, project, "read datasets")
        return self.records.get(self.ctx.principal, project, name, version=version)

    def profile(self, project: str, name: str, version: int) -> dict[str, Any]:
        """The version's record and the figures of each profiled file (a folder: up to
        :data:`MAX_FILES`); ``note`` says why there are none. Raises :class:`NotFound`
        for an unknown dataset or version, or a profile the project does not hold."""
        found = self._version(project, name, version)
        reader = ProjectObjectReader(self.ctx, project)
        answer: dict[str, Any] = {
            "version": found.to_dict(), "files": [], "files_total": 0, "note": None,
        }  # fmt: skip
        if found.profile_digest is None:
            answer["note"] = _no_profile(found)
            return answer
        pointer = _pointer(found)
        profiled = {"": (found.profile_digest, found.rows or 0)}
        if found.kind == "directory":
            try:
                profiled = dict(_stored(reader, found, lambda: reader.profile_index(pointer)).files)
            except (IntegrityError, InvalidInput) as exc:  # not an index, too large
                answer["note"] = f"profile not available: {exc.one_line()}"
                return answer
        answer["files_total"] = len(profiled)
        for path in sorted(profiled)[:MAX_FILES]:
            digest, rows = profiled[path]
            profile, note = _load(reader, found, digest, whole=not path)
            shown = (
                figures(profile) if profile else {"rows": rows, "columns_total": 0, "columns": []}
            )
            answer["files"].append(
                {"path": f"{name}/{path}" if path else name, **shown, "note": note}
            )
        return answer

    def diff(self, project: str, name: str, before: int, after: int) -> dict[str, Any]:
        """Files added, removed and modified from ``before`` to ``after``; for modified
        tables, columns added, removed and retyped, and each common column's figures on
        both sides. Raises :class:`NotFound` for an unknown dataset or version."""
        old, new = self._version(project, name, before), self._version(project, name, after)
        reader = ProjectObjectReader(self.ctx, project)
        a, b = _pointer(old), _pointer(new)
        answer: dict[str, Any] = {
            "from": old.to_dict(), "to": new.to_dict(), "files": [], "files_total": 0,
            "note": None,
        }  # fmt: skip
        if old.digest == new.digest:
            return answer
        try:
            changes = file_changes(reader, a, b)
            profiles_a, profiles_b = entries(reader, a), entries(reader, b)
        except (IntegrityError, InvalidInput) as exc:  # a listing that is not one, too large…
            answer["note"] = f"cannot compare the files: {exc.one_line()}"
            return answer
        answer["files_total"] = len(changes)
        budget = MAX_FILES  # tables compared column by column
        for change in changes[:MAX_CHANGES]:
            item = _change(change)
            path = change.path.removeprefix(name).removeprefix("/")
            x, y = profiles_a.get(path), profiles_b.get(path)
            if change.change == "modified" and x is not None and y is not None:
                if x[2] is None or y[2] is None:
                    if is_tabular(change.path):
                        item["note"] = "no profile in one of the versions: columns not compared"
                elif budget:
                    budget -= 1
                    one, note_a = _load(reader, old, x[2], whole=False)
                    two, note_b = _load(reader, new, y[2], whole=False)
                    if one is not None and two is not None:
                        item.update(column_changes(one, two))
                    item["note"] = note_a or note_b
            answer["files"].append(item)
        return answer


def _pointer(v: DatasetVersion) -> Pointer:
    return Pointer(v.name, v.kind, v.digest, v.size, v.files, v.rows, v.profile_digest)


def _change(c: FileChange) -> dict[str, Any]:
    return {
        "path": c.path, "change": c.change, "size_before": c.size_before,
        "size_after": c.size_after, "rows_before": c.rows_before, "rows_after": c.rows_after,
        "columns_added": [short_text(n) for n in c.columns_added],
        "columns_removed": [short_text(n) for n in c.columns_removed],
        "types_changed": [
            {"name": short_text(n), "before": short_text(a), "after": short_text(b)}
            for n, a, b in c.types_changed
        ],
        "columns": [], "columns_total": 0, "note": None,
    }  # fmt: skip


def _no_profile(v: DatasetVersion) -> str:
    if v.kind == "directory":
        return "no profile: no CSV, TSV or Parquet file of this folder was profiled"
    if not is_tabular(v.name):
        return f"no profile: {v.name} is not a table (CSV, TSV and Parquet files get one)"
    return (
        f"no profile: {v.ref} was added without one (`shipyard data add` profiles tables "
        "where the [tables] extra is installed, unless --no-profile)"
    )


def _stored(reader: ProjectObjectReader, v: DatasetVersion, read: Callable[[], T]) -> T:
    """``read()``, a missing object said as this version's profile (a 404)."""
    try:
        return read()
    except NotFound:
        digest = v.profile_digest.short if v.profile_digest else ""
        raise NotFound(
            f"the profile of {v.ref} ({digest}) is not stored in project {reader.project!r}",
            hint=f"push the version with `shipyard data push {v.name}`",
        ) from None


def _load(
    reader: ProjectObjectReader, v: DatasetVersion, digest: Digest, *, whole: bool
) -> tuple[Profile | None, str | None]:
    """A stored profile, or why it cannot be shown. Missing: a 404 for the version's own
    profile (``whole``), a note for one file of a folder (the others still show)."""
    try:
        if whole:
            return _stored(reader, v, lambda: load_profile(reader, digest)), None
        return load_profile(reader, digest), None
    except MissingExtra as exc:
        return None, f"no profile: {exc.one_line()}"
    except NotFound as exc:
        if whole:
            raise
        return None, f"profile not available: {exc.one_line()}"
    except (IntegrityError, InvalidInput) as exc:  # malformed, too large: said, never a 500
        return None, f"profile not available: {exc.one_line()}"
