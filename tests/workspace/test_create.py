from __future__ import annotations

import os
from pathlib import Path

import pytest

from shipyard.context import open_context
from shipyard.core.errors import AlreadyExists, InvalidInput, Unavailable
from shipyard.core.principal import LOCAL_OWNER
from shipyard.store import audit
from shipyard.store.projects import list_projects
from shipyard.workspace.create import GITIGNORE_LINES, init_workspace
from tests.conftest import git_init


def _snapshot(root: Path) -> dict[str, bytes]:
    files = {}
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            path = Path(dirpath, name)
            if ".git" not in path.relative_to(root).parts:
                files[str(path.relative_to(root))] = path.read_bytes()
    return files


def test_init_creates_config_database_objects_and_gitignore(tmp_path: Path) -> None:
    git_init(tmp_path)
    (tmp_path / ".gitignore").write_text("*.pyc")  # no trailing newline
    result = init_workspace(tmp_path, LOCAL_OWNER)
    dot = tmp_path / ".shipyard"
    assert (dot / "config.toml").is_file()
    assert (dot / "shipyard.db").is_file()
    assert (dot / "objects").is_dir()
    assert result.in_git_repository
    assert result.project == tmp_path.name
    lines = (tmp_path / ".gitignore").read_text().splitlines()
    assert lines[0] == "*.pyc"
    assert all(line in lines for line in GITIGNORE_LINES)
    with open_context(tmp_path) as ctx, ctx.db.read() as session:
        assert [p.name for p in list_projects(session)] == [result.project]
        assert {e.action for e in audit.list_events(session)} == {
            "project.create",
            "workspace.init",
        }


def test_init_twice_changes_nothing(workspace: Path) -> None:
    before = _snapshot(workspace)
    with pytest.raises(AlreadyExists) as caught:
        init_workspace(workspace, LOCAL_OWNER)
    assert "nothing was changed" in caught.value.message
    assert _snapshot(workspace) == before


def test_gitignore_lines_are_not_repeated(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("\n".join(GITIGNORE_LINES) + "\n")
    result = init_workspace(tmp_path, LOCAL_OWNER, project="p")
    assert not result.gitignore_updated
    assert not result.in_git_repository
    assert (tmp_path / ".gitignore").read_text().count("/.shipyard/*") == 1


def test_a_failed_init_leaves_the_folder_as_it_was(tmp_path: Path) -> None:
    with pytest.raises(Unavailable):
        init_workspace(tmp_path, LOCAL_OWNER, uri="postgresql://x@127.0.0.1:1/none")
    assert list(tmp_path.iterdir()) == []


def test_init_with_a_bad_project_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        init_workspace(tmp_path, LOCAL_OWNER, project="bad name")
    assert list(tmp_path.iterdir()) == []


def test_init_against_postgres_records_the_project_there(tmp_path: Path, postgres_url: str) -> None:
    from shipyard.store.db import Database
    from shipyard.store.migrate import upgrade

    db = Database(postgres_url)
    upgrade(db)
    db.dispose()
    init_workspace(tmp_path, LOCAL_OWNER, project="on-pg", uri=postgres_url)
    with open_context(tmp_path, env={"SHIPYARD_URI": postgres_url}) as ctx:
        assert ctx.db.dialect == "postgresql"
        with ctx.db.read() as session:
            assert "on-pg" in [p.name for p in list_projects(session)]
