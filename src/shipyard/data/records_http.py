"""Dataset records on a team server (``SHIPYARD_URI=https://…``), through its API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from shipyard.core.digest import Digest
from shipyard.core.principal import Principal
from shipyard.data.records import DatasetSummary, DatasetVersion, NewVersion
from shipyard.store.projects import check_project_name

if TYPE_CHECKING:
    from shipyard.client.http import ApiClient

__all__ = ["HttpRecords"]


class HttpRecords:
    """Dataset records on a team server (``SHIPYARD_URI=https://…``)."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    @staticmethod
    def _base(project: str) -> str:
        return f"/api/v1/projects/{check_project_name(project)}/datasets"

    def register(
        self, principal: Principal, project: str, items: Sequence[NewVersion]
    ) -> list[DatasetVersion]:
        answer = self.client.post(
            self._base(project) + "/versions", {"versions": [i.to_dict() for i in items]}
        )
        return [DatasetVersion.from_dict(v) for v in answer["versions"]]

    def datasets(self, principal: Principal, project: str) -> list[DatasetSummary]:
        answer = self.client.get(self._base(project))
        return [
            DatasetSummary(d["name"], d["versions"], DatasetVersion.from_dict(d["latest"]))
            for d in answer["datasets"]
        ]

    def versions(self, principal: Principal, project: str, name: str) -> list[DatasetVersion]:
        answer = self.client.get(self._base(project) + "/versions", name=name)
        return [DatasetVersion.from_dict(v) for v in answer["versions"]]

    def get(
        self, principal: Principal, project: str, name: str, *, version: int | None = None,
        digest: Digest | None = None,
    ) -> DatasetVersion:  # fmt: skip
        answer = self.client.get(
            self._base(project) + "/version", name=name, version=version,
            digest=digest.hex if digest else None,
        )  # fmt: skip
        return DatasetVersion.from_dict(answer)
