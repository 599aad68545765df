"""``shipyard init``: create a workspace, all or nothing.

The new ``.shipyard/`` is assembled under a temporary name and renamed into
place only once the metadata store is ready, so a failed init leaves no
half-made workspace behind, and an existing one is never touched.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from shipyard.core.errors import AlreadyExists, InvalidInput
from shipyard.core.principal import Principal
from shipyard.core.redact import redact_uri
from shipyard.store import audit
from shipyard.store.db import Database
from shipyard.store.migrate import ensure_schema
from shipyard.store.projects import check_project_name, ensure_project
from shipyard.workspace.layout import CONFIG_FILE, DB_FILE, DOT_DIR, WorkspaceLayout

__all__ = ["GITIGNORE_LINES", "InitResult", "init_workspace"]

GITIGNORE_LINES = (
    "# Shipyard: local metadata and objects (config.toml is meant to be committed)",
    f"/{DOT_DIR}/*",
    f"!/{DOT_DIR}/{CONFIG_FILE}",
)

CONFIG_TEMPLATE = """\
# Shipyard workspace configuration. Commit this file; the rest of .shipyard/ is local.
# Any setting can also come from the environment (SHIPYARD_<SECTION>_<KEY>) or a flag.

[project]
name = "{project}"

[store]
# Metadata store. Empty means the embedded SQLite file .shipyard/{db_file}.
# Example: uri = "postgresql://user@db.example.com:5432/shipyard"
uri = ""

[objects]
# Object folder, relative to .shipyard/ unless absolute.
path = "objects"

[cost]
# Prices used to estimate what each run costs (any currency).
cpu_hour = 0.0
gpu_hour = 0.0

[models]
# Refuse to load models that are not signed by a key in .shipyard/keys/.
require_signatures = false

[data]
# How `shipyard data checkout` writes files: auto (reflink where possible, else
# copy), reflink, hardlink (checked-out files become read-only) or copy.
link = "auto"
# Default remote of `shipyard data push/pull`; add one with `shipyard remote add`.
remote = ""

# Promotion gates: what a version must pass before `shipyard models promote` moves an
# alias to it (see docs/models.md). For example:
# [gates.production]
# metrics = {{ accuracy = ">= 0.85" }}
# beats = {{ data = "data/holdout.csv", target = "label", metric = "f1", min_delta = 0.0 }}
# latency = {{ p99_ms = 10 }}
# card_complete = true
# signature_valid = true
# approval = true
"""


@dataclass(frozen=True)
class InitResult:
    root: Path
    project: str
    metadata_uri: str
    in_git_repository: bool
    gitignore_updated: bool


def init_workspace(
    root: Path, principal: Principal, *, project: str | None = None, uri: str = ""
) -> InitResult:
    """Create a workspace in ``root``.

    ``uri`` names an external metadata store (empty: embedded SQLite).
    Raises :class:`AlreadyExists` if ``root`` holds a workspace already, and
    leaves the folder as it was on any failure.
    """
    root = root.resolve()
    if not root.is_dir():
        raise InvalidInput(f"{root} is not a folder")
    layout = WorkspaceLayout(root)
    if layout.dot_dir.exists():
        raise AlreadyExists(
            f"{root} is a Shipyard workspace already; nothing was changed",
            hint="see what it holds with `shipyard status`",
        )
    name = check_project_name(project) if project else _project_name_from(root)

    staging = Path(tempfile.mkdtemp(prefix=f"{DOT_DIR}.init-", dir=root))
    try:
        (staging / "objects").mkdir()
        (staging / "tmp").mkdir()
        (staging / CONFIG_FILE).write_text(
            CONFIG_TEMPLATE.format(project=name, db_file=DB_FILE), encoding="utf-8"
        )
        _create_metadata(uri or f"sqlite:///{staging / DB_FILE}", principal, name, root)
        os.rename(staging, layout.dot_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    updated = _update_gitignore(root / ".gitignore")
    return InitResult(
        root=root,
        project=name,
        metadata_uri=redact_uri(uri) if uri else layout.embedded_uri,
        in_git_repository=_in_git_repository(root),
        gitignore_updated=updated,
    )


def _create_metadata(uri: str, principal: Principal, project: str, root: Path) -> None:
    db = Database(uri)
    try:
        ensure_schema(db, auto_upgrade=db.dialect == "sqlite")
        with db.write() as session:
            ensure_project(session, principal, project)
            audit.record(session, principal, "workspace.init", f"workspace:{root}", project=project)
    finally:
        db.dispose()


def _project_name_from(root: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", root.name).strip("-._")[:100]
    return name or "default"


def _update_gitignore(path: Path) -> bool:
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    present = {line.strip() for line in existing.splitlines()}
    missing = [line for line in GITIGNORE_LINES if line not in present]
    if not missing or missing == [GITIGNORE_LINES[0]]:
        return False
    prefix = "" if not existing or existing.endswith("\n") else "\n"
    separator = "\n" if existing.strip() else ""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(prefix + separator + "\n".join(missing) + "\n")
    return True


def _in_git_repository(root: Path) -> bool:
    return any((folder / ".git").exists() for folder in (root, *root.parents))
