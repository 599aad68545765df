"""deploy/kubernetes as the cluster sees it: rendered by ``kubectl kustomize``, valid for
the newest Kubernetes kubernetes-validate knows (strict), and no checkov check fails but
those skipped, each with its reason, in deploy/kubernetes/.checkov.yaml."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.manifests import FOLDER, STANDALONE
from tests.tools.checkers import VENV, run

CHECKOV_CONFIG = FOLDER / ".checkov.yaml"
_SKIP_LINE = re.compile(r"^\s*-\s*(CKV2?_K8S_\d+)\s*(?:#\s*(.*))?$")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The kustomization rendered to one file, plus the manifests applied on their own."""
    done = run("kubectl", "kustomize", str(FOLDER))
    assert done.returncode == 0, done.stderr
    out = tmp_path_factory.mktemp("rendered") / "kustomization.yaml"
    out.write_text(done.stdout)
    return [out, *(FOLDER / name for name in STANDALONE)]


@pytest.fixture(scope="module")
def checkov_report(rendered: list[Path]) -> dict[str, Any]:
    """checkov run once over every manifest, with the skip file."""
    files = [arg for path in rendered for arg in ("-f", str(path))]
    done = run("checkov", "--config-file", str(CHECKOV_CONFIG), *files, "-o", "json",
               "--skip-download")  # fmt: skip
    assert done.stdout, done.stderr
    reports = json.loads(done.stdout)
    (report,) = reports if isinstance(reports, list) else [reports]
    assert report["check_type"] == "kubernetes"
    result: dict[str, Any] = report
    return result


def test_the_kustomization_renders_every_object_into_the_namespace(rendered: list[Path]) -> None:
    objects = [d for d in yaml.safe_load_all(rendered[0].read_text()) if d]
    kinds = sorted(d["kind"] for d in objects)
    assert kinds == sorted([
        "ConfigMap", "Deployment", "Ingress", "Namespace", "NetworkPolicy", "NetworkPolicy",
        "NetworkPolicy", "NetworkPolicy", "PodDisruptionBudget", "Role", "RoleBinding",
        "Service", "Service", "ServiceAccount",
    ])  # fmt: skip
    for obj in objects:
        assert obj["metadata"]["labels"]["app.kubernetes.io/part-of"] == "shipyard"
        if obj["kind"] != "Namespace":
            assert obj["metadata"]["namespace"] == "shipyard", obj["metadata"]["name"]


def test_kubernetes_validate_accepts_every_object_strictly(rendered: list[Path]) -> None:
    version = subprocess.run(
        [str(VENV / "bin" / "python"), "-c",
         "from kubernetes_validate.utils import latest_version; print(latest_version())"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    done = run("kubernetes-validate", "--strict", "-k", version, *map(str, rendered))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed" in done.stdout
    assert not re.search(r"\b(ERROR|WARN)", done.stdout + done.stderr)


def test_checkov_fails_no_check(checkov_report: dict[str, Any]) -> None:
    failed = [
        f"{c['check_id']} {c['check_name']}: {c['resource']}"
        for c in checkov_report["results"]["failed_checks"]
    ]
    assert not failed, "\n".join(failed)
    assert checkov_report["summary"]["parsing_errors"] == 0
    assert checkov_report["summary"]["resource_count"] >= 15  # every object was read


def test_every_skipped_checkov_check_says_why() -> None:
    lines = CHECKOV_CONFIG.read_text().splitlines()
    skips = [m for m in map(_SKIP_LINE.match, lines) if m]
    assert yaml.safe_load(CHECKOV_CONFIG.read_text())["skip-check"] == [m[1] for m in skips]
    assert all(m[2] and len(m[2]) > 20 for m in skips), "a skip without its reason"
