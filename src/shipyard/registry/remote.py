"""The model registry of a team server: the HTTP side of :mod:`shipyard.registry.api`.

:class:`RemoteRegistry` and :class:`RemoteAliases` implement
:class:`~shipyard.registry.api.Registry` and
:class:`~shipyard.registry.api.Aliases` with the same arguments and results as
the in-process ones; they send them to the registry routes, where the token's
principal is checked (the ``principal`` argument is not sent: the server
knows who is asking). ``ctx.registry`` and ``ctx.aliases`` pick them;
:func:`model_store` is where model files are kept.

Publishing sends no bytes here: the files travel through the object routes
first (:func:`model_store`), then :meth:`RemoteRegistry.register_files`
names them and the server checks and registers (:mod:`.stored`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from shipyard.core.errors import NotFound
from shipyard.core.model_ref import ModelRef
from shipyard.core.principal import Principal
from shipyard.registry import wire
from shipyard.registry.api import VersionDetails
from shipyard.registry.workspace_models import WorkspaceModels

if TYPE_CHECKING:
    from shipyard.client.http import ApiClient
    from shipyard.context import Context
    from shipyard.core.model_manifest import FileEntry
    from shipyard.objects.api import ProjectObjects
    from shipyard.registry.aliases import MoveResult
    from shipyard.registry.entities import (
        AliasEvent,
        Approval,
        Evaluation,
        ModelVersion,
        RegisteredModel,
    )
    from shipyard.registry.gates.promote import Promotion

__all__ = ["RemoteAliases", "RemoteRegistry", "model_store"]

API = "/api/v1"
T = TypeVar("T")


def read_answer(parse: Callable[[Any], T], data: Any) -> T:
    """:func:`shipyard.client.http.read_answer`, imported on use: embedded mode never
    pays for the HTTP client (about 70 ms)."""
    from shipyard.client.http import read_answer as read

    return read(parse, data)


def model_store(ctx: Context) -> ProjectObjects:
    """Where model files are kept: the project's objects on the server, or the workspace's."""
    return ctx.project_objects


def _models(project: str, name: str | None = None) -> str:
    path = f"{API}/projects/{quote(project, safe='')}/models"
    return path if name is None else f"{path}/{quote(name, safe='')}"


def _segment(ref: ModelRef) -> str:
    """A version as the routes name it: ``3``, ``latest`` or ``@alias``."""
    if ref.version is not None:
        return str(ref.version)
    if ref.alias is None or ref.is_latest:
        return "latest"
    return "@" + quote(ref.alias, safe="")


class RemoteRegistry(WorkspaceModels):
    """Models and versions of a team server (the reads, card fields and registering)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.client: ApiClient = ctx.remote

    def register_files(
        self,
        principal: Principal,
        project: str,
        name: str,
        files: Sequence[FileEntry],
        *,
        run_id: str | None = None,
        description: str = "",
        source: str = "sdk",
    ) -> ModelVersion:
        """Register the next version of ``name`` from files already uploaded to ``project``.

        The server reads the manifest and the signature from its store and the
        lineage from its record of ``run_id``; it trusts none of them from here.
        """
        body = {
            "files": [f.to_dict() for f in files],
            "run_id": run_id,
            "description": description,
            "source": source,
        }
        answer = self.client.post(_models(project, name) + "/versions/stored", body)
        return read_answer(wire.version, answer)

    def list_models(self, principal: Principal, project: str) -> list[RegisteredModel]:
        return [read_answer(wire.model, m) for m in self.client.get(_models(project))]

    def get_model(self, principal: Principal, project: str, name: str) -> RegisteredModel:
        return read_answer(wire.model, self.client.get(_models(project, name)))

    def list_versions(
        self, principal: Principal, project: str, name: str, *, limit: int = 1000
    ) -> list[ModelVersion]:
        """Versions of ``name``, newest first."""
        answer = self.client.get(_models(project, name))
        return [read_answer(wire.version, v) for v in answer["versions"][:limit]]

    def get_version(self, principal: Principal, project: str, ref: ModelRef) -> ModelVersion:
        return read_answer(wire.version, self._version(project, ref))

    def version_details(self, principal: Principal, project: str, ref: ModelRef) -> VersionDetails:
        """A version with its metrics (the run's latest, as the server sees them) and
        evaluations, in one request."""
        answer = self._version(project, ref)

        def parse(data: dict[str, Any]) -> VersionDetails:
            metrics = {str(k): float(v) for k, v in dict(data["metrics"]).items()}
            evaluations = [wire.evaluation(e) for e in data["evaluations"]]
            return VersionDetails(wire.version(data), metrics, evaluations)

        return read_answer(parse, answer)

    def _version(self, project: str, ref: ModelRef) -> Any:
        return self.client.get(f"{_models(project, ref.name)}/versions/{_segment(ref)}")

    def alias_version(
        self, principal: Principal, project: str, name: str, alias: str
    ) -> int | None:
        """The version ``alias`` points at now (None if unset, or for an unknown model)."""
        try:
            answer = self.client.get(f"{_models(project, name)}/aliases/{quote(alias, safe='')}")
        except NotFound:
            return None
        return read_answer(lambda a: int(a["version"]), answer)

    def describe(
        self, principal: Principal, project: str, name: str, fields: Mapping[str, str | None]
    ) -> RegisteredModel:
        answer = self.client.request(
            "PUT", f"{_models(project, name)}/card", json={"fields": dict(fields)}
        ).json()
        return read_answer(wire.model, answer)

    def evaluations(
        self, principal: Principal, project: str, name: str, version: int
    ) -> list[Evaluation]:
        """Evaluations of one version, oldest first."""
        return self.version_details(principal, project, ModelRef(name, version=version))[2]

    def record_evaluation(
        self,
        principal: Principal,
        project: str,
        name: str,
        version: int,
        *,
        data_path: str,
        data_digest: str,
        rows: int,
        target: str,
        metrics: Mapping[str, float],
        source: str = "evaluate",
    ) -> Evaluation:
        """Store metrics of a version measured here on a data file (shown on its model card).

        The server keeps them as a record: its ``beats`` gate scores models itself.
        """
        body = {
            "data_path": data_path,
            "data_digest": data_digest,
            "rows": rows,
            "target": target,
            "metrics": {k: float(v) for k, v in metrics.items()},
            "source": source,
        }
        path = f"{_models(project, name)}/versions/{version}/evaluations"
        return read_answer(wire.evaluation, self.client.post(path, body))

    def card(self, principal: Principal, project: str, ref: ModelRef, fmt: str) -> str:
        """The model card of a version, rendered by the server (``json``, ``md`` or ``html``)."""
        path = f"{_models(project, ref.name)}/versions/{_segment(ref)}/card"
        return self.client.request("GET", path, params={"format": fmt}).text


class RemoteAliases:
    """Alias moves, history, approvals and promotions of a team server."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    def _alias(self, project: str, name: str, alias: str) -> str:
        return f"{_models(project, name)}/aliases/{quote(alias, safe='')}"

    def set_alias(
        self,
        principal: Principal,
        project: str,
        name: str,
        alias: str,
        version: int,
        *,
        reason: str = "",
    ) -> MoveResult:
        body = {"version": version, "reason": reason}
        answer = self.client.request("PUT", self._alias(project, name, alias), json=body)
        return read_answer(_move, answer.json())

    def remove_alias(
        self, principal: Principal, project: str, name: str, alias: str, *, reason: str = ""
    ) -> MoveResult:
        params = {"reason": reason} if reason else None
        answer = self.client.request("DELETE", self._alias(project, name, alias), params=params)
        return read_answer(_move, answer.json())

    def rollback(
        self, principal: Principal, project: str, name: str, alias: str, *, reason: str = ""
    ) -> MoveResult:
        answer = self.client.post(self._alias(project, name, alias) + "/rollback",
                                  {"reason": reason})  # fmt: skip
        return read_answer(_move, answer)

    def history(
        self, principal: Principal, project: str, name: str, alias: str | None = None
    ) -> list[AliasEvent]:
        """Every move of ``alias`` (or of every alias of the model), oldest first."""
        answer = self.client.get(f"{_models(project, name)}/history", alias=alias)
        return [read_answer(wire.event, e) for e in answer]

    def approve(
        self,
        principal: Principal,
        project: str,
        name: str,
        version: int,
        alias: str,
        *,
        note: str = "",
    ) -> Approval:
        path = f"{_models(project, name)}/versions/{version}/approvals"
        return read_answer(wire.approval, self.client.post(path, {"alias": alias, "note": note}))

    def approvals(
        self, principal: Principal, project: str, name: str, version: int, alias: str | None = None
    ) -> list[Approval]:
        """The approvals of ``version`` for ``alias`` (or for every alias), oldest first."""
        path = f"{_models(project, name)}/versions/{version}/approvals"
        return [read_answer(wire.approval, a) for a in self.client.get(path, alias=alias)]

    def promote(
        self,
        principal: Principal,
        project: str,
        ref: ModelRef,
        alias: str,
        *,
        dry_run: bool = False,
        reason: str = "",
        trusted: bool = False,
    ) -> Promotion:
        """Evaluate ``alias``'s gates on the server (its policy, its trust) and move it if all
        pass; ``trusted`` is not sent."""
        path = f"{_models(project, ref.name)}/versions/{_segment(ref)}/promote"
        answer = self.client.post(path, {"alias": alias, "dry_run": dry_run, "reason": reason})
        return read_answer(_promotion, answer)


def _move(data: dict[str, Any]) -> MoveResult:
    from shipyard.registry.aliases import MoveResult

    current = data["current"]
    moved = data["event"]
    return MoveResult(
        wire.event(moved) if moved is not None else None,
        int(current) if current is not None else None,
    )


def _promotion(data: dict[str, Any]) -> Promotion:
    from shipyard.registry.gates.checks import GateResult
    from shipyard.registry.gates.promote import Promotion

    previous, moved = data["previous"], data["event"]
    return Promotion(
        name=str(data["model"]),
        version=int(data["candidate"]),
        alias=str(data["alias"]),
        previous=int(previous) if previous is not None else None,
        results=[
            GateResult(
                gate=str(g["gate"]),
                check=str(g["check"]),
                passed=bool(g["passed"]),
                evidence=str(g["evidence"]),
                details=dict(g.get("details") or {}),
            )
            for g in data["gates"]
        ],
        dry_run=bool(data["dry_run"]),
        event=wire.event(moved) if moved is not None else None,
        already=bool(data["already"]),
        gates_configured=bool(data["gates_configured"]),
    )
