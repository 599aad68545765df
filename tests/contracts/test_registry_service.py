"""The registry's metadata contract, on SQLite and PostgreSQL: versions, aliases, history."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from shipyard.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from shipyard.core.model_manifest import MANIFEST_FILE, FileEntry
from shipyard.core.model_ref import ModelRef
from shipyard.core.principal import LOCAL_OWNER, Principal, Role
from shipyard.registry.aliases import AliasService
from shipyard.registry.entities import VersionDraft
from shipyard.registry.service import RegistryService
from shipyard.store.db import Database
from shipyard.store.tables import AuditEventRow

PROJECT = "churn-project"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()  # any 64-hex value: metadata only


def draft(tag: str = "a", **extra: object) -> VersionDraft:
    manifest = FileEntry(MANIFEST_FILE, _digest(f"manifest-{tag}"), 100)
    model = FileEntry("model.skops", _digest(f"model-{tag}"), 2000)
    return VersionDraft(
        flavor="sklearn",
        files=(manifest, model),
        manifest_digest=manifest.blake3,
        **extra,  # type: ignore[arg-type]
    )


def member(role: Role, name: str | None = None) -> Principal:
    return Principal(name=name or role.label, roles={PROJECT: role})


@pytest.fixture
def registry(database: Database) -> RegistryService:
    return RegistryService(database)


@pytest.fixture
def aliases(database: Database) -> AliasService:
    return AliasService(database)


def test_versions_number_from_one_per_model_and_read_back(registry: RegistryService) -> None:
    first = registry.register_version(LOCAL_OWNER, PROJECT, "churn", draft("1"))
    second = registry.register_version(
        LOCAL_OWNER, PROJECT, "churn", draft("2", run_id="r" * 26, description="more data")
    )
    other = registry.register_version(LOCAL_OWNER, PROJECT, "fraud", draft("3"))
    assert (first.version, second.version, other.version) == (1, 2, 1)
    assert second.uri == "models:/churn/2"
    got = registry.get_version(LOCAL_OWNER, PROJECT, ModelRef("churn", version=2))
    assert got.files == second.files
    assert got.description == "more data"
    assert got.run_id == "r" * 26
    latest = registry.get_version(LOCAL_OWNER, PROJECT, ModelRef("churn", alias="latest"))
    assert latest.version == 2
    assert [v.version for v in registry.list_versions(LOCAL_OWNER, PROJECT, "churn")] == [2, 1]
    models = registry.list_models(LOCAL_OWNER, PROJECT)
    assert [(m.name, m.latest_version, m.version_count) for m in models] == [
        ("churn", 2, 2),
        ("fraud", 1, 1),
    ]
    assert set(registry.referenced_digests()) >= {f.blake3 for f in second.files}


def test_unknown_model_version_and_alias_are_not_found(registry: RegistryService) -> None:
    registry.register_version(LOCAL_OWNER, PROJECT, "churn", draft())
    with pytest.raises(NotFound, match="no model named 'nope'"):
        registry.get_version(LOCAL_OWNER, PROJECT, ModelRef("nope", version=1))
    with pytest.raises(NotFound, match="has no version 7"):
        registry.get_version(LOCAL_OWNER, PROJECT, ModelRef("churn", version=7))
    with pytest.raises(NotFound, match="has no alias 'production'"):
        registry.get_version(LOCAL_OWNER, PROJECT, ModelRef("churn", alias="production"))
    assert registry.alias_version(LOCAL_OWNER, PROJECT, "churn", "production") is None
    assert registry.alias_version(LOCAL_OWNER, PROJECT, "nope", "production") is None


def test_a_file_list_without_its_manifest_is_refused(registry: RegistryService) -> None:
    bad = VersionDraft("sklearn", (FileEntry("model.skops", _digest("m"), 1),), _digest("x"))
    with pytest.raises(InvalidInput, match=r"needs its shipyard-model\.json"):
        registry.register_version(LOCAL_OWNER, PROJECT, "churn", bad)
    with pytest.raises(InvalidInput, match="invalid model name"):
        registry.register_version(LOCAL_OWNER, PROJECT, "../churn", draft())
    with pytest.raises(NotFound):
        registry.get_model(LOCAL_OWNER, PROJECT, "churn")  # nothing was written


def test_alias_moves_are_events_and_rollback_walks_back(
    registry: RegistryService, aliases: AliasService
) -> None:
    for tag in "123":
        registry.register_version(LOCAL_OWNER, PROJECT, "churn", draft(tag))
    for version in (1, 2, 3):
        aliases.set_alias(
            LOCAL_OWNER, PROJECT, "churn", "production", version, reason=f"v{version}"
        )
    assert registry.alias_version(LOCAL_OWNER, PROJECT, "churn", "production") == 3
    back = aliases.rollback(LOCAL_OWNER, PROJECT, "churn", "production", reason="bad release")
    assert back.current == 2
    again = aliases.rollback(LOCAL_OWNER, PROJECT, "churn", "production")
    assert again.current == 1  # further back, never forward to 3
    with pytest.raises(Conflict, match="no earlier version"):
        aliases.rollback(LOCAL_OWNER, PROJECT, "churn", "production")
    history = aliases.history(LOCAL_OWNER, PROJECT, "churn", "production")
    assert [(e.action, e.from_version, e.to_version) for e in history] == [
        ("set", None, 1),
        ("set", 1, 2),
        ("set", 2, 3),
        ("rollback", 3, 2),
        ("rollback", 2, 1),
    ]
    assert history[3].reason == "bad release"
    assert history[0].principal == "local"
    version = registry.get_version(LOCAL_OWNER, PROJECT, ModelRef("churn", alias="production"))
    assert version.version == 1
    assert version.aliases == ("production",)


def test_setting_where_it_points_records_nothing_and_remove_is_undone_by_rollback(
    registry: RegistryService, aliases: AliasService
) -> None:
    registry.register_version(LOCAL_OWNER, PROJECT, "churn", draft())
    assert aliases.set_alias(LOCAL_OWNER, PROJECT, "churn", "staging", 1).changed
    assert not aliases.set_alias(LOCAL_OWNER, PROJECT, "churn", "staging", 1).changed
    aliases.remove_alias(LOCAL_OWNER, PROJECT, "churn", "staging", reason="pause")
    assert registry.alias_version(LOCAL_OWNER, PROJECT, "churn", "staging") is None
    assert aliases.rollback(LOCAL_OWNER, PROJECT, "churn", "staging").current == 1
    actions = [e.action for e in aliases.history(LOCAL_OWNER, PROJECT, "churn")]
    assert actions == ["set", "remove", "rollback"]


def test_bad_alias_moves_are_refused_and_change_nothing(
    registry: RegistryService, aliases: AliasService
) -> None:
    registry.register_version(LOCAL_OWNER, PROJECT, "churn", draft())
    with pytest.raises(InvalidInput, match="reserved alias"):
        aliases.set_alias(LOCAL_OWNER, PROJECT, "churn", "latest", 1)
    with pytest.raises(NotFound, match="has no version 9"):
        aliases.set_alias(LOCAL_OWNER, PROJECT, "churn", "production", 9)
    with pytest.raises(NotFound, match="no model named"):
        aliases.set_alias(LOCAL_OWNER, PROJECT, "nope", "production", 1)
    with pytest.raises(Conflict, match="moved to version None"):
        aliases.set_alias(LOCAL_OWNER, PROJECT, "churn", "production", 1, expect_current=5)
    assert aliases.history(LOCAL_OWNER, PROJECT, "churn") == []


def test_roles_viewers_read_contributors_register_maintainers_move(
    registry: RegistryService, aliases: AliasService
) -> None:
    viewer, contributor = member(Role.VIEWER), member(Role.CONTRIBUTOR)
    maintainer = member(Role.MAINTAINER, "ana")
    with pytest.raises(PermissionDenied, match="may not register model versions"):
        registry.register_version(viewer, PROJECT, "churn", draft())
    registry.register_version(contributor, PROJECT, "churn", draft())
    assert registry.list_models(viewer, PROJECT)[0].name == "churn"
    with pytest.raises(PermissionDenied, match="move model aliases"):
        aliases.set_alias(contributor, PROJECT, "churn", "production", 1)
    with pytest.raises(PermissionDenied, match="approve"):
        aliases.approve(contributor, PROJECT, "churn", 1, "production")
    with pytest.raises(PermissionDenied):
        registry.list_models(member(Role.VIEWER), "another-project")
    aliases.set_alias(maintainer, PROJECT, "churn", "production", 1)
    approval = aliases.approve(maintainer, PROJECT, "churn", 1, "production", note="ok")
    assert (approval.principal, approval.role) == ("ana", "maintainer")
    assert [a.principal for a in aliases.approvals(viewer, PROJECT, "churn", 1, "production")] == [
        "ana"
    ]
    aliases.approve(maintainer, PROJECT, "churn", 1, "staging", note="<b>fine</b>")
    every = aliases.approvals(viewer, PROJECT, "churn", 1)
    assert [(a.alias, a.note) for a in every] == [("production", "ok"), ("staging", "<b>fine</b>")]
    assert aliases.approvals(viewer, PROJECT, "churn", 2, "production") == []
    with pytest.raises(PermissionDenied):
        aliases.approvals(Principal("x", roles={"elsewhere": Role.VIEWER}), PROJECT, "churn", 1)


def test_card_fields_and_evaluations(registry: RegistryService) -> None:
    registry.register_version(LOCAL_OWNER, PROJECT, "churn", draft())
    model = registry.describe(
        LOCAL_OWNER, PROJECT, "churn", {"overview": " Predicts churn. ", "limitations": "- a"}
    )
    assert model.card == {"overview": "Predicts churn.", "limitations": "- a"}
    cleared = registry.describe(LOCAL_OWNER, PROJECT, "churn", {"limitations": ""})
    assert cleared.card == {"overview": "Predicts churn."}
    with pytest.raises(InvalidInput, match="unknown model card field 'colour'"):
        registry.describe(LOCAL_OWNER, PROJECT, "churn", {"colour": "blue"})
    registry.record_evaluation(
        LOCAL_OWNER, PROJECT, "churn", 1, data_path="holdout.csv", data_digest=_digest("d"),
        rows=200, target="churned", metrics={"accuracy": 0.91},
    )  # fmt: skip
    evaluations = registry.evaluations(LOCAL_OWNER, PROJECT, "churn", 1)
    assert [(e.data_path, e.rows, e.metrics) for e in evaluations] == [
        ("holdout.csv", 200, {"accuracy": 0.91})
    ]


def test_every_change_is_audited(
    database: Database, registry: RegistryService, aliases: AliasService
) -> None:
    registry.register_version(LOCAL_OWNER, PROJECT, "churn", draft())
    aliases.set_alias(LOCAL_OWNER, PROJECT, "churn", "production", 1, reason="go")
    aliases.approve(LOCAL_OWNER, PROJECT, "churn", 1, "staging")
    registry.describe(LOCAL_OWNER, PROJECT, "churn", {"overview": "x"})
    with database.read() as session:
        actions = session.scalars(
            select(AuditEventRow.action).where(AuditEventRow.action.like("model.%"))
        ).all()
    assert actions == ["model.register", "model.alias.set", "model.approve", "model.describe"]


def test_the_versions_a_run_registered_are_found_from_the_run(registry: RegistryService) -> None:
    run, other = "0" * 25 + "1", "0" * 25 + "2"
    registry.register_version(LOCAL_OWNER, PROJECT, "churn", draft("a", run_id=run))
    registry.register_version(LOCAL_OWNER, PROJECT, "churn", draft("b", run_id=other))
    registry.register_version(LOCAL_OWNER, PROJECT, "basket", draft("c", run_id=run))
    found = registry.versions_of_run(member(Role.VIEWER), PROJECT, run)
    assert [(v.name, v.version, v.run_id) for v in found] == [("basket", 1, run), ("churn", 1, run)]
    assert registry.versions_of_run(LOCAL_OWNER, PROJECT, "0" * 26) == []
    with pytest.raises(PermissionDenied):
        registry.versions_of_run(Principal("x", roles={"elsewhere": Role.VIEWER}), PROJECT, run)
