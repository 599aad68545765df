"""The manifests of deploy/kubernetes, parsed once for the deploy tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

FOLDER = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"
NAMESPACE = "shipyard"
# Applied on their own (docs/deploy.md), not through the kustomization.
STANDALONE = ("migrate-job.yaml", "training-job.example.yaml", "secret.example.yaml")
CLUSTER_SCOPED = {"Namespace"}


def documents() -> list[dict[str, Any]]:
    """Every object of every manifest, with its file name under ``__file__``."""
    docs = []
    for path in sorted(FOLDER.glob("*.yaml")):
        if path.name == "kustomization.yaml" or path.name.startswith("."):
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is not None:
                doc["__file__"] = path.name
                docs.append(doc)
    return docs


DOCS = documents()


def one(kind: str, name: str | None = None) -> dict[str, Any]:
    found = [
        d for d in DOCS if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)
    ]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def pod_template(doc: dict[str, Any]) -> dict[str, Any] | None:
    template: dict[str, Any] | None = (doc.get("spec") or {}).get("template")
    return template


def pod_templates() -> list[dict[str, Any]]:
    return [t for t in map(pod_template, DOCS) if t is not None]


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Whether a ``matchLabels`` selector picks an object with ``labels``."""
    assert set(selector) <= {"matchLabels"}, selector  # the only form the manifests use
    wanted: dict[str, str] = selector.get("matchLabels") or {}
    return wanted.items() <= labels.items()
