"""``shipyard doctor``: check everything a workspace needs, one verdict per line.

Each check runs even when an earlier one failed (a corrupt config file must
not hide an unreachable database), and none of them changes anything.
"""

from __future__ import annotations

import enum
import importlib.util
import os
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shipyard.context import Context
from shipyard.core.errors import ShipyardError
from shipyard.core.extras import EXTRAS
from shipyard.core.settings import Settings
from shipyard.workspace.config import load_settings
from shipyard.workspace.layout import WorkspaceLayout
from shipyard.workspace.permissions import loose_paths

__all__ = ["EXTRAS", "Check", "Verdict", "run_checks"]


class Verdict(enum.StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Check:
    name: str
    verdict: Verdict
    detail: str


def run_checks(
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
) -> list[Check]:
    """Run every check; never raises for a problem it is meant to report."""
    checks = [_check_python()]
    try:
        settings = load_settings(cwd, env, flags, tighten_modes=False)
    except ShipyardError as exc:
        checks.append(Check("config", Verdict.FAIL, exc.one_line()))
        return checks + _extras()
    checks.append(_check_config(settings))
    checks.append(_check_git(settings))
    if settings.workspace is not None:
        checks.append(_check_permissions(WorkspaceLayout(settings.workspace)))
    ctx = Context(settings)
    if settings.workspace is not None or settings.store.uri:
        checks.extend(_check_database(ctx))
    if settings.workspace is not None and not settings.objects.path.startswith("s3://"):
        checks.append(_check_object_folder(ctx.objects_dir))
    if settings.workspace is not None or settings.objects.path.startswith("s3://"):
        checks.append(_check_object_store(ctx))
    return checks + _extras()


def _check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    ok = sys.version_info >= (3, 11)
    return Check("python", Verdict.OK if ok else Verdict.FAIL, version)


def _check_config(settings: Settings) -> Check:
    if settings.workspace is None:
        detail = "no workspace here or above; run `shipyard init`"
        return Check("config", Verdict.WARN if settings.store.uri else Verdict.FAIL, detail)
    return Check("config", Verdict.OK, str(settings.workspace / ".shipyard" / "config.toml"))


def _check_git(settings: Settings) -> Check:
    if settings.workspace is None:
        return Check("git", Verdict.WARN, "no workspace")
    root = settings.workspace
    if any((folder / ".git").exists() for folder in (root, *root.parents)):
        return Check("git", Verdict.OK, "workspace is inside a git repository")
    return Check("git", Verdict.WARN, "not a git repository: pointer files and lineage need git")


def _check_permissions(layout: WorkspaceLayout) -> Check:
    loose = loose_paths(layout)
    if not loose:
        return Check("permissions", Verdict.OK, f"{layout.dot_dir} is private to its owner")
    path, mode = loose[0]
    more = f" and {len(loose) - 1} more" if len(loose) > 1 else ""
    return Check(
        "permissions",
        Verdict.WARN,
        f"{path}{more} can be opened by other users (mode {mode:04o}): it may hold password "
        f"hashes and tokens; any other shipyard command makes it private, or: chmod 700 "
        f"{layout.dot_dir}",
    )


def _check_database(ctx: Context) -> list[Check]:
    from shipyard.store.migrate import SchemaState, current_revision
    from shipyard.store.revision import SCHEMA_HEAD

    try:
        db = ctx.database_unchecked()
    except ShipyardError as exc:
        return [Check("metadata store", Verdict.FAIL, exc.one_line())]
    try:
        db.ping()
        revision = current_revision(db)
    except ShipyardError as exc:
        return [Check("metadata store", Verdict.FAIL, exc.one_line())]
    finally:
        db.dispose()
    checks = [Check("metadata store", Verdict.OK, f"{db.display_uri} ({db.dialect})")]
    state = SchemaState(current=revision, head=SCHEMA_HEAD)
    if state.up_to_date:
        checks.append(Check("schema", Verdict.OK, f"at {revision} (newest)"))
    elif db.dialect == "sqlite" and (revision is None or revision < SCHEMA_HEAD):
        checks.append(
            Check(
                "schema",
                Verdict.WARN,
                f"at {revision or 'none'}; upgrades to {SCHEMA_HEAD} on first use",
            )
        )
    else:
        checks.append(
            Check(
                "schema",
                Verdict.FAIL,
                f"at {revision or 'none'}, needs {SCHEMA_HEAD}: run `shipyard db upgrade`",
            )
        )
    return checks


def _check_object_store(ctx: Context) -> Check:
    from shipyard.objects.open import open_workspace_store

    try:
        store = open_workspace_store(ctx, create=False)
    except ShipyardError as exc:
        return Check("object store", Verdict.FAIL, exc.one_line())
    store.close()
    kind = "encrypted (AES-256-GCM)" if store.encrypted else "not encrypted"
    return Check("object store", Verdict.OK, f"{store.url}, {kind}")


def _check_object_folder(folder: Path) -> Check:
    if not folder.is_dir():
        return Check("object folder", Verdict.FAIL, f"{folder} is missing")
    try:
        fd, probe = tempfile.mkstemp(prefix=".doctor-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return Check("object folder", Verdict.FAIL, f"{folder} is not writable: {exc.strerror}")
    return Check("object folder", Verdict.OK, f"{folder} is writable")


def _extras() -> list[Check]:
    checks = []
    for extra, modules in EXTRAS.items():
        missing = [m for m in modules if importlib.util.find_spec(m) is None]
        if missing:
            detail = f"not installed ({', '.join(missing)}); pip install 'shipyard[{extra}]'"
            checks.append(Check(f"extra: {extra}", Verdict.WARN, detail))
        else:
            checks.append(Check(f"extra: {extra}", Verdict.OK, "installed"))
    return checks
