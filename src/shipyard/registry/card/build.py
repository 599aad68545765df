"""Building a model card from what the registry knows.

The card is a JSON document whose fields carry the Model Card Toolkit schema's
names (``schema_version``, ``model_details``, ``model_parameters``,
``quantitative_analysis``, ``considerations``, and their sub-fields); the
top level holds nothing else. Shipyard's additions sit inside those objects,
where the schema allows other properties: ``model_details.lineage``,
``model_details.deployment_history``, ``model_parameters.signature``, and
per-dataset and per-metric detail (digest, rows, role, source).

Sources: the model's editable fields (``shipyard models describe``), the
version (flavor, schema, files, signer), its lineage (run, git, params, tags,
inputs), its metrics (the run's, and evaluations on named data files), the
training data (via :mod:`shipyard.registry.datasets`) and every alias event.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from shipyard.core.model_manifest import ModelManifest
from shipyard.core.model_ref import ModelRef
from shipyard.core.signature import ColumnSchema, Schema, Signature
from shipyard.registry.entities import CARD_FIELDS, REQUIRED_CARD_FIELDS

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.registry.entities import AliasEvent, ModelVersion, RegisteredModel

__all__ = ["MCT_SCHEMA_VERSION", "build_card", "missing_fields"]

MCT_SCHEMA_VERSION = "0.0.2"


def build_card(ctx: Context, ref: ModelRef) -> dict[str, Any]:
    """The model card of the version ``ref`` names, as a JSON-ready dict."""
    from shipyard.registry.aliases import AliasService
    from shipyard.registry.lineage import current_lineage
    from shipyard.registry.service import RegistryService

    registry = RegistryService(ctx.db)
    principal, project = ctx.principal, ctx.project
    version = registry.get_version(principal, project, ref)
    model = registry.get_model(principal, project, version.name)
    events = AliasService(ctx.db).history(principal, project, version.name)
    evaluations = registry.evaluations(principal, project, version.name, version.version)
    manifest = _manifest(ctx, version)
    lineage = current_lineage(ctx, version)
    inputs = list(lineage.get("inputs") or [])
    card = model.card
    return {
        "schema_version": MCT_SCHEMA_VERSION,
        "model_details": _details(model, version, lineage, events),
        "model_parameters": {
            "model_architecture": _architecture(version, manifest),
            "data": _datasets(ctx, inputs, evaluations),
            "input_format": _schema_text(version.schema, "inputs"),
            "output_format": _schema_text(version.schema, "outputs"),
            "signature": version.schema.to_dict() if version.schema is not None else None,
        },
        "quantitative_analysis": {
            "performance_metrics": _metrics(version, lineage["metrics"], inputs, evaluations),
            "graphics": {"description": "", "collection": []},
        },
        "considerations": {
            "users": _items(card.get("users")),
            "use_cases": _items(card.get("intended_use")),
            "limitations": _items(card.get("limitations")),
            "tradeoffs": _items(card.get("tradeoffs")),
            "ethical_considerations": [
                {"name": text, "mitigation_strategy": ""}
                for text in _paragraphs(card.get("ethical_considerations"))
            ],
        },
    }


def missing_fields(card: dict[str, Any]) -> list[str]:
    """The required editable fields the card lacks (what ``card_complete`` checks)."""
    details = card["model_details"]
    considerations = card["considerations"]
    present = {
        "overview": bool(details.get("overview")),
        "intended_use": bool(considerations.get("use_cases")),
        "limitations": bool(considerations.get("limitations")),
        "ethical_considerations": bool(considerations.get("ethical_considerations")),
    }
    return [f for f in REQUIRED_CARD_FIELDS if not present.get(f, True)]


def _details(
    model: RegisteredModel,
    version: ModelVersion,
    lineage: dict[str, Any],
    events: list[AliasEvent],
) -> dict[str, Any]:
    card = model.card
    details: dict[str, Any] = {
        "name": model.name,
        "overview": card.get("overview", ""),
        "documentation": version.description,
        "owners": [{"name": o, "contact": ""} for o in _paragraphs(card.get("owners"))],
        "version": {
            "name": str(version.version),
            "date": version.created_at.date().isoformat(),
            "diff": version.description,
        },
        "licenses": [{"identifier": card["license"]}] if card.get("license") else [],
        "references": [{"reference": version.uri}],
        "citations": [],
        "lineage": {
            "uri": version.uri,
            "project": version.project,
            "registered_by": version.created_by,
            "registered_at": version.created_at.isoformat(),
            "source": version.source,
            "run": lineage.get("run"),
            "git": lineage.get("git"),
            "params": lineage.get("params", {}),
            "tags": lineage.get("tags", {}),
            "environment": lineage.get("environment"),
            "flavor": version.flavor,
            "files": len(version.files),
            "size": version.size,
            "manifest_digest": version.manifest_digest,
            "signed": version.signed,
            "signer": version.signer,
        },
        "aliases": list(version.aliases),
        "deployment_history": [_event(e, version.version) for e in events],
    }
    for key in CARD_FIELDS:  # the editable fields as written, for tools that edit them back
        details.setdefault("fields", {})[key] = card.get(key, "")
    return details


def _event(event: AliasEvent, version: int) -> dict[str, Any]:
    gates = None
    if event.evaluation is not None:
        results = list(event.evaluation.get("gates") or [])
        gates = {
            "passed": sum(1 for g in results if g.get("passed")),
            "total": len(results),
            "checks": [
                {"check": g.get("check"), "passed": g.get("passed"), "evidence": g.get("evidence")}
                for g in results
            ],
        }
    return {
        "time": event.time.isoformat(),
        "alias": event.alias,
        "action": event.action,
        "from_version": event.from_version,
        "to_version": event.to_version,
        "by": event.principal,
        "reason": event.reason,
        "this_version": version in (event.from_version, event.to_version),
        "gates": gates,
    }


def _architecture(version: ModelVersion, manifest: ModelManifest | None) -> str:
    params = dict(manifest.flavor_params) if manifest is not None else {}
    cls = params.get("estimator") or params.get("module_class") or params.get("class")
    flavor = f"{version.flavor} flavor"
    return f"{cls} ({flavor})" if cls else flavor


def _manifest(ctx: Context, version: ModelVersion) -> ModelManifest | None:
    from shipyard.core.digest import Digest
    from shipyard.core.errors import ShipyardError

    try:
        data = ctx.objects.read_bytes(Digest(version.manifest_digest))
        return ModelManifest.from_dict(json.loads(data))
    except (ShipyardError, ValueError):
        return None  # the card still says everything the registry itself holds


def _datasets(
    ctx: Context, inputs: list[dict[str, Any]], evaluations: list[Any]
) -> list[dict[str, Any]]:
    from shipyard.registry.datasets import describe_dataset

    found: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    roles = [("training", str(i["path"]), str(i["digest"]), i.get("size")) for i in inputs]
    roles += [("evaluation", e.data_path, e.data_digest, None) for e in evaluations]
    for role, path, digest, size in roles:
        if (role, digest) in seen:
            continue
        seen.add((role, digest))
        summary = describe_dataset(ctx, path, digest, size)
        shape = f"{summary.rows:,} rows × {len(summary.columns)} columns" if summary.rows else ""
        description = f"{role} data" + (f": {shape}" if shape else "")
        if summary.name:
            description += f"; dataset {summary.name} version {summary.version}"
        found.append(
            {
                "name": summary.name or path,
                "link": "",
                "description": description,
                "sensitive": {"sensitive_data": []},
                "role": role,
                **summary.to_dict(),
            }
        )
    return found


def _metrics(
    version: ModelVersion,
    run_metrics: dict[str, float],
    inputs: list[dict[str, Any]],
    evaluations: list[Any],
) -> list[dict[str, Any]]:
    found = []
    for evaluation in reversed(evaluations):  # newest first
        for key, value in sorted(evaluation.metrics.items()):
            found.append(
                {
                    "type": key,
                    "value": value,
                    "slice": evaluation.data_path,
                    "source": f"evaluation ({evaluation.source})",
                    "dataset": evaluation.data_path,
                    "dataset_digest": evaluation.data_digest,
                    "rows": evaluation.rows,
                    "target": evaluation.target,
                    "measured_at": evaluation.created_at.isoformat(),
                    "measured_by": evaluation.created_by,
                }
            )
    read = ", ".join(str(i["path"]) for i in inputs) or "no input files logged"
    run = version.run_id or "registration"
    for key, value in sorted(run_metrics.items()):
        found.append(
            {
                "type": key,
                "value": value,
                "slice": "",
                "source": f"logged by run {run}",
                "dataset": f"not named by the run (it read: {read})",
                "dataset_digest": None,
                "rows": None,
            }
        )
    return [m for m in found if isinstance(m["value"], float) and m["value"] == m["value"]]


def _schema_text(signature: Signature | None, side: str) -> str:
    if signature is None:
        return "not recorded (the model was saved without an input example)"
    schema: Schema | None = getattr(signature, side)
    if schema is None:
        return "not recorded"
    if isinstance(schema, ColumnSchema):
        return "columns: " + ", ".join(f"{c.name} ({c.dtype})" for c in schema.columns)
    return "tensors: " + ", ".join(
        f"{t.name or 'tensor'} {t.dtype}{t.shape_text()}" for t in schema.tensors
    )


def _paragraphs(text: str | None) -> list[str]:
    """Bullet lines (``- …``) become separate items; other text is one item."""
    if not text:
        return []
    lines = [line.strip() for line in text.strip().splitlines()]
    bullets = [line[1:].strip() for line in lines if line[:1] in ("-", "*") and line[1:].strip()]
    if bullets and len(bullets) == len([line for line in lines if line]):
        return bullets
    return [text.strip()]


def _items(text: str | None) -> list[dict[str, str]]:
    return [{"description": item} for item in _paragraphs(text)]
