"""The Kubernetes manifests in deploy/kubernetes: valid, consistent, and naming real settings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import Result

from shipyard.core.settings import ENV_ALIASES, env_var_for, setting_keys

FOLDER = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"
KNOWN_ENV = (
    {env_var_for(k) for k in setting_keys()}
    | set(ENV_ALIASES)
    | {
        "SHIPYARD_OBJECTS_KEY",  # the default objects.key_env: the key itself
    }
)


def _documents() -> list[dict[str, Any]]:
    docs = []
    for path in sorted(FOLDER.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is not None:
                doc["__file__"] = path.name
                docs.append(doc)
    return docs


def _one(kind: str, name: str | None = None) -> dict[str, Any]:
    found = [
        d for d in DOCS if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)
    ]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


DOCS = _documents()


def test_every_document_is_a_named_kubernetes_object() -> None:
    assert len(DOCS) >= 8
    for doc in DOCS:
        assert {"apiVersion", "kind", "metadata"} <= set(doc), doc["__file__"]
        assert doc["metadata"].get("name"), doc["__file__"]


def test_the_deployment_runs_several_ready_checked_replicas() -> None:
    deployment = _one("Deployment", "shipyard-server")
    spec = deployment["spec"]
    assert spec["replicas"] >= 2
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
    (container,) = spec["template"]["spec"]["containers"]
    assert container["args"][0] == "server"
    assert "--workers" in container["args"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    for probe in ("readinessProbe", "livenessProbe"):
        check = container[probe]["httpGet"]
        assert check["path"] == "/health"
        assert check["port"] in ports
    env = {e["name"]: e.get("value") for e in container["env"]}
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert env["PROMETHEUS_MULTIPROC_DIR"] in mounts  # workers share their metrics
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    volumes = {v["name"] for v in spec["template"]["spec"]["volumes"]}
    assert {m["name"] for m in container["volumeMounts"]} <= volumes


def test_configuration_comes_from_the_configmap_and_secrets_shipped() -> None:
    container = _one("Deployment")["spec"]["template"]["spec"]["containers"][0]
    sources = container["envFrom"]
    configmap = _one("ConfigMap", sources[0]["configMapRef"]["name"])
    secret = _one("Secret", sources[1]["secretRef"]["name"])
    assert "SHIPYARD_URI" in secret["stringData"]  # the database URL is a secret
    assert "SHIPYARD_OBJECTS_PATH" in configmap["data"]
    client = _one("Secret", "shipyard-client")
    assert client["stringData"]["SHIPYARD_TOKEN"].startswith("shy_")


def test_every_shipyard_variable_names_a_real_setting() -> None:
    names: list[str] = []
    for doc in DOCS:
        if doc["kind"] in ("ConfigMap", "Secret"):
            names += list((doc.get("data") or {}) | (doc.get("stringData") or {}))
        for spec in _pod_specs(doc):
            for container in spec["containers"]:
                names += [e["name"] for e in container.get("env", [])]
    unknown = sorted({n for n in names if n.startswith("SHIPYARD_")} - KNOWN_ENV)
    assert not unknown, f"not Shipyard settings: {unknown}"


def _pod_specs(doc: dict[str, Any]) -> list[dict[str, Any]]:
    template = (doc.get("spec") or {}).get("template")
    return [template["spec"]] if template else []


def test_the_service_and_ingress_reach_the_pods() -> None:
    service = _one("Service", "shipyard")
    pod = _one("Deployment")["spec"]["template"]
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    port_names = {p["name"] for p in pod["spec"]["containers"][0]["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names
    backend = _one("Ingress")["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "shipyard"
    assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}
    assert _one("Ingress")["spec"]["tls"]


def test_kustomization_lists_files_that_exist() -> None:
    kustomization = yaml.safe_load((FOLDER / "kustomization.yaml").read_text())
    for resource in kustomization["resources"]:
        assert (FOLDER / resource).is_file(), resource


@pytest.mark.parametrize("command", [["server"], ["db", "upgrade"]])
def test_the_commands_the_containers_run_exist(
    cli: Callable[..., Result], command: list[str]
) -> None:
    result = cli(*command, "--help")
    assert result.exit_code == 0, result.output
    if command == ["server"]:
        for option in ("--host", "--port", "--workers"):
            assert option in result.stdout
