"""``GET …/datasets/profile`` and ``…/datasets/diff``: a version's figures and two versions
compared, as the web UI reads them, in the embedded workspace (``shipyard ui``'s app,
as its owner) and on a team server over PostgreSQL (data pushed and registered over
HTTP by a contributor, read by a viewer)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import Result

from shipyard.context import open_context
from shipyard.core.digest import digest_of
from shipyard.profiling.profiler import profile_file
from shipyard.server.app import create_app
from shipyard.store.db import Database
from tests.data.conftest import RETYPED
from tests.serverkit import PROJECT, Team, make_team, server_context
from tests.ui.livekit import HOSTILE

Cli = Callable[..., Result]
NAME = "data/train.csv"
V1, V2 = RETYPED


class Api:
    """GET the two routes of one project as one caller."""

    def __init__(self, client: TestClient, project: str, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers
        self.base = f"/api/v1/projects/{project}/datasets"

    def profile(self, name: str = NAME, version: Any = 2) -> Any:
        params = {"name": name, "version": version}
        return self.client.get(f"{self.base}/profile", params=params, headers=self.headers)

    def diff(self, name: str = NAME, **versions: Any) -> Any:
        params = {"name": name, "from": versions.get("before", 1), "to": versions.get("after", 2)}
        return self.client.get(f"{self.base}/diff", params=params, headers=self.headers)


def _columns(answer: Any) -> dict[str, dict[str, Any]]:
    assert answer.status_code == 200, answer.text
    [file] = answer.json()["files"]
    return {c["name"]: c for c in file["columns"]}


def _check_the_train_csv(api: Api) -> None:
    """What both modes must answer about the two versions of data/train.csv."""
    answer = api.profile()
    columns = _columns(answer)
    assert answer.json()["version"]["version"] == 2
    assert answer.json()["files"][0]["rows"] == 4
    assert list(columns) == ["id", "score", "city", HOSTILE, "segment"]
    assert (columns["id"]["dtype"], columns["id"]["kind"]) == ("double", "numeric")
    score = columns["score"]
    assert (score["nulls"], score["distinct"], score["min"], score["max"]) == (1, 3, 0.5, 2.5)
    assert score["mean"] == pytest.approx(4.0 / 3)
    assert len(score["histogram"]["edges"]) == len(score["histogram"]["counts"]) + 1
    assert sum(score["histogram"]["counts"]) == pytest.approx(3)
    assert columns["city"]["histogram"] is None
    assert columns["city"]["top"][0] == {"value": "a", "count": 2}
    assert columns[HOSTILE]["distinct"] == 2  # names and values come back as given

    diff = api.diff()
    assert diff.status_code == 200, diff.text
    [file] = diff.json()["files"]
    assert (file["path"], file["change"], file["rows_before"], file["rows_after"]) == (
        NAME, "modified", 3, 4,
    )  # fmt: skip
    assert file["columns_added"] == ["segment"]
    assert file["columns_removed"] == []
    assert file["types_changed"] == [{"name": "id", "before": "int64", "after": "double"}]
    compared = {c["name"]: c for c in file["columns"]}
    assert set(compared) == {"id", "score", "city", HOSTILE}
    rows = {s["stat"]: s for s in compared["score"]["stats"]}["rows"]
    assert (rows["before"], rows["after"], rows["changed"]) == (3, 4, True)
    stats = {s["stat"]: s for s in compared["score"]["stats"]}
    assert stats["nulls"]["changed"] is False
    assert compared["id"]["changed"] is True
    backwards = api.diff(before=2, after=1).json()["files"][0]
    assert backwards["columns_removed"] == ["segment"]
    assert api.diff(before=2, after=2).json()["files"] == []


def _check_bad_input(api: Api) -> None:
    """4xx with one line for every kind of bad or unknown input, never a 500."""
    for version in ("x", "0", "1.5", str(2**60), "-1"):
        assert api.profile(version=version).status_code == 422, version
    assert api.client.get(f"{api.base}/diff", params={"name": NAME, "from": 1},
                          headers=api.headers).status_code == 422  # fmt: skip
    assert api.diff(before="two").status_code == 422
    assert api.profile(name="x" * 1001).status_code == 422
    for hostile in ("../etc/passwd", "/etc/passwd", "data/../../x.csv"):
        refused = api.profile(name=hostile)
        assert refused.status_code == 400, hostile
        assert "\n" not in refused.json()["error"]["message"]
    unknown = api.profile(name="data/nothing.csv", version=1)
    assert unknown.status_code == 404
    assert "no dataset 'data/nothing.csv'" in unknown.json()["error"]["message"]
    missing = api.profile(version=9)
    assert (missing.status_code, missing.json()["error"]["message"]) == (
        404, f"dataset {NAME!r} has no version v9",
    )  # fmt: skip
    assert api.diff(after=9).status_code == 404


# -- the embedded workspace: `shipyard ui`'s app, as the workspace's owner ------------------


@pytest.fixture
def embedded(workspace: Path, cli: Cli) -> Iterator[Api]:
    data = workspace / "data"
    data.mkdir()
    for text in (V1, V2):
        (data / "train.csv").write_text(text)
        assert cli("data", "add", NAME).exit_code == 0
    (data / "notes.txt").write_text("free text\n")
    (data / "raw.csv").write_text("a,b\n1,2\n")
    (data / "parts").mkdir()
    (data / "parts" / "a.csv").write_text("k,v\n1,x\n2,y\n")
    (data / "parts" / "blob.bin").write_bytes(b"\x00\x01")
    cli("data", "add", "data/notes.txt", "data/parts")
    cli("data", "add", "data/raw.csv", "--no-profile")
    (data / "parts" / "a.csv").write_text("k,v\n1,x\n2,y\n3,z\n")
    (data / "parts" / "b.csv").write_text("n\n1.5\n")
    cli("data", "add", "data/parts")
    ctx = open_context(workspace)
    app = create_app(ctx)
    with TestClient(app) as client:
        yield _entered(app, client)
    ctx.close()


def _entered(app: Any, client: TestClient) -> Api:
    """In as the workspace's owner, as `shipyard ui`'s link lets one in."""
    app.state.ui_key = "k" * 43
    entered = client.get("/ui/enter", params={"key": "k" * 43}, follow_redirects=False)
    assert entered.status_code == 303
    return Api(client, "demo", {})


def test_the_workspace_owner_reads_profiles_and_diffs(embedded: Api) -> None:
    _check_the_train_csv(embedded)


def test_a_folder_shows_each_profiled_file_and_its_changes(embedded: Api) -> None:
    answer = embedded.profile(name="data/parts", version=2)
    assert answer.status_code == 200, answer.text
    files = {f["path"]: f for f in answer.json()["files"]}
    assert list(files) == ["data/parts/a.csv", "data/parts/b.csv"]  # not blob.bin
    assert files["data/parts/a.csv"]["rows"] == 3
    diff = embedded.diff(name="data/parts").json()
    changes = {f["path"]: f for f in diff["files"]}
    assert {p: f["change"] for p, f in changes.items()} == {
        "data/parts/a.csv": "modified", "data/parts/b.csv": "added",
    }  # fmt: skip
    stats = {s["stat"]: s for s in changes["data/parts/a.csv"]["columns"][0]["stats"]}
    assert (stats["rows"]["before"], stats["rows"]["after"]) == (2, 3)


def test_a_version_without_a_profile_says_why(embedded: Api) -> None:
    notes = embedded.profile(name="data/notes.txt", version=1).json()
    assert notes["files"] == []
    assert (
        notes["note"]
        == "no profile: data/notes.txt is not a table (CSV, TSV and Parquet files get one)"
    )
    raw = embedded.profile(name="data/raw.csv", version=1).json()
    assert raw["note"].startswith("no profile: data/raw.csv@v1 was added without one")


def test_bad_input_is_refused_in_the_workspace(embedded: Api) -> None:
    _check_bad_input(embedded)


def test_the_answer_is_bounded_whatever_the_table(workspace: Path, cli: Cli) -> None:
    header = ",".join(f"c{i}" for i in range(300))
    rows = "".join(",".join(str(i * r) for i in range(300)) + "\n" for r in range(50))
    (workspace / "wide.csv").write_text(header + "\n" + rows)
    (workspace / "long.csv").write_text("text\n" + "".join(f"{'é' * 5000}{r}\n" for r in range(3)))
    cli("data", "add", "wide.csv", "long.csv")
    with open_context(workspace) as ctx:
        app = create_app(ctx)
        with TestClient(app) as client:
            api = _entered(app, client)
            [wide] = api.profile(name="wide.csv", version=1).json()["files"]
            [long] = api.profile(name="long.csv", version=1).json()["files"]
    assert (wide["columns_total"], len(wide["columns"])) == (300, 200)
    assert {len(c["histogram"]["counts"]) for c in wide["columns"][1:]} == {20}
    [text] = long["columns"]
    assert [len(t["value"]) for t in text["top"]] == [200, 200, 200]
    assert text["top"][0]["value"].endswith("é…")


# -- the team server on PostgreSQL: pushed over HTTP, read by a viewer ---------------------


@dataclass
class Server:
    client: TestClient
    team: Team
    scratch: Path

    def push(self, project: str, who: str, name: str, text: str) -> None:
        """What `data push` then registering sends: the file, its profile, the record."""
        path = self.scratch / "table.csv"
        path.write_text(text)
        profiled = profile_file(path)
        profile = profiled.to_json().encode()
        headers = self.team.headers(who)
        for data in (text.encode(), profile):
            url = f"/api/v1/projects/{project}/objects/{digest_of(data).hex}"
            assert self.client.put(url, content=data, headers=headers).status_code == 201
        version = {
            "name": name,
            "kind": "file",
            "digest": digest_of(text.encode()).hex,
            "size": len(text),
            "files": 1,
            "rows": profiled.rows,
            "profile_digest": digest_of(profile).hex,
        }
        self.register(project, who, version)

    def register(self, project: str, who: str, version: dict[str, Any]) -> None:
        answer = self.client.post(
            f"/api/v1/projects/{project}/datasets/versions",
            json={"versions": [version]},
            headers=self.team.headers(who),
        )
        assert answer.status_code == 200, answer.text

    def api(self, who: str, project: str = PROJECT) -> Api:
        return Api(self.client, project, self.team.headers(who))


@pytest.fixture
def server(database: Database, tmp_path: Path) -> Iterator[Server]:
    ctx = server_context(database, objects=tmp_path / "objects")
    with TestClient(create_app(ctx), raise_server_exceptions=False) as client:
        made = Server(client, make_team(database), tmp_path)
        for text in (V1, V2):
            made.push(PROJECT, "contributor", NAME, text)
        yield made
    ctx.close()


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_viewer_reads_profiles_and_diffs_on_the_server(server: Server) -> None:
    _check_the_train_csv(server.api("viewer"))
    assert server.api("outsider").profile().status_code == 403
    assert Api(server.client, PROJECT, {}).diff().status_code == 401


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_bad_input_is_refused_on_the_server(server: Server) -> None:
    _check_bad_input(server.api("viewer"))


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_record_naming_another_projects_object_reveals_nothing(server: Server) -> None:
    # Another project's profile, pushed there by its maintainer: its digest is no key.
    server.push("fraud", "outsider", "secret.csv", "salary\n1000000\n")
    theirs = server.api("outsider", "fraud").profile(name="secret.csv", version=1)
    assert theirs.status_code == 200, theirs.text
    stolen = {
        "name": "data/stolen.csv",
        "kind": "file",
        "digest": "ab" * 32,
        "size": 1,
        "files": 1,
        "profile_digest": theirs.json()["version"]["profile_digest"],
    }
    server.register(PROJECT, "contributor", stolen)
    answer = server.api("viewer").profile(name="data/stolen.csv", version=1)
    assert answer.status_code == 404
    assert "salary" not in answer.text
    assert answer.json()["error"]["message"].startswith("the profile of data/stolen.csv@v1 (")
    # An object the project holds that is no profile (the data itself): said, not a 500.
    odd = {**stolen, "name": "data/odd.csv", "profile_digest": digest_of(V1.encode()).hex}
    server.register(PROJECT, "contributor", odd)
    said = server.api("viewer").profile(name="data/odd.csv", version=1)
    assert said.status_code == 200, said.text
    assert said.json()["files"][0]["note"].startswith("profile not available:")
