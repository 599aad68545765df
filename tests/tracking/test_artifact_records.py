"""Recording artifacts: the service and the use case check items by one rule."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from shipyard.core.digest import Digest, digest_of
from shipyard.core.errors import InvalidInput, ShipyardError
from shipyard.core.principal import LOCAL_OWNER, Principal
from shipyard.store.db import Database
from shipyard.tracking.artifact_records import record_artifacts
from shipyard.tracking.entities import RunSpec
from shipyard.tracking.service import TrackingService

GOOD = digest_of(b"weights").hex
BAD_ITEMS: dict[str, tuple[str, str, int]] = {
    "escaping path": ("../outside", GOOD, 7),
    "absolute path": ("/abs", GOOD, 7),
    "negative size": ("w.bin", GOOD, -1),
    "size as bool": ("w.bin", GOOD, True),
    "size as float": ("w.bin", GOOD, 7.0),  # type: ignore[dict-item]
    "bad digest": ("w.bin", "not-a-digest", 7),
}


class HoldsAll:
    """A project that holds every object, each of ``size`` bytes."""

    def __init__(self, size: int) -> None:
        self.size = size

    def held(
        self, principal: Principal, project: str, digests: Iterable[Digest]
    ) -> dict[Digest, int]:
        return dict.fromkeys(digests, self.size)


@pytest.fixture
def service(database: Database) -> TrackingService:
    return TrackingService(database)


def _refusal(call: object) -> ShipyardError:
    assert callable(call)
    with pytest.raises(ShipyardError) as caught:
        call()
    return caught.value


@pytest.mark.parametrize("case", BAD_ITEMS, ids=str)
def test_the_service_and_the_use_case_refuse_an_item_alike(
    service: TrackingService, case: str
) -> None:
    run_id = service.create_run(LOCAL_OWNER, "p", RunSpec("e", "r")).id
    items = [("first.bin", GOOD, 7), BAD_ITEMS[case]]
    direct = _refusal(lambda: service.record_artifacts(LOCAL_OWNER, run_id, items))
    use_case = _refusal(lambda: record_artifacts(service, HoldsAll(7), LOCAL_OWNER, run_id, items))
    assert isinstance(direct, InvalidInput)
    assert (type(use_case), use_case.message) == (type(direct), direct.message)
    assert service.get_run(LOCAL_OWNER, run_id).artifacts == ()  # all or nothing


def test_a_path_given_twice_is_recorded_once_with_its_last_object(
    service: TrackingService,
) -> None:
    run_id = service.create_run(LOCAL_OWNER, "p", RunSpec("e", "r")).id
    other = digest_of(b"other").hex
    items = [("w.bin", GOOD, 7), ("a.txt", other, 7), ("w.bin", other, 7)]
    records = record_artifacts(service, HoldsAll(7), LOCAL_OWNER, run_id[:10], items)
    assert [(r.path, r.digest) for r in records] == [("w.bin", other), ("a.txt", other)]
    stored = {a.path: a.digest for a in service.get_run(LOCAL_OWNER, run_id).artifacts}
    assert stored == {"w.bin": other, "a.txt": other}
