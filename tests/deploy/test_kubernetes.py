"""The Kubernetes manifests in deploy/kubernetes: valid, consistent, and naming real settings."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import yaml
from typer.testing import Result

from shipyard.core.settings import ENV_ALIASES, env_var_for, setting_keys
from tests.deploy.manifests import DOCS, FOLDER, STANDALONE, one, pod_template

KNOWN_ENV = (
    {env_var_for(k) for k in setting_keys()}
    | set(ENV_ALIASES)
    | {
        "SHIPYARD_OBJECTS_KEY",  # the default objects.key_env: the key itself
    }
)


def test_every_document_is_a_named_kubernetes_object() -> None:
    assert len(DOCS) >= 8
    for doc in DOCS:
        assert {"apiVersion", "kind", "metadata"} <= set(doc), doc["__file__"]
        assert doc["metadata"].get("name"), doc["__file__"]


def test_the_deployment_runs_several_ready_checked_replicas() -> None:
    deployment = one("Deployment", "shipyard-server")
    spec = deployment["spec"]
    assert spec["replicas"] >= 2
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
    (container,) = spec["template"]["spec"]["containers"]
    assert container["args"][0] == "server"
    assert "--workers" in container["args"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["port"] in ports
    # liveness asks only whether the process answers (tests/deploy/test_probes.py runs both)
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"
    env = {e["name"]: e.get("value") for e in container["env"]}
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert env["PROMETHEUS_MULTIPROC_DIR"] in mounts  # workers share their metrics
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    volumes = {v["name"] for v in spec["template"]["spec"]["volumes"]}
    assert {m["name"] for m in container["volumeMounts"]} <= volumes


def test_configuration_comes_from_the_configmap_and_secrets_shipped() -> None:
    container = one("Deployment")["spec"]["template"]["spec"]["containers"][0]
    sources = container["envFrom"]
    configmap = one("ConfigMap", sources[0]["configMapRef"]["name"])
    secret = one("Secret", sources[1]["secretRef"]["name"])
    assert "SHIPYARD_URI" in secret["stringData"]  # the database URL is a secret
    assert "SHIPYARD_OBJECTS_PATH" in configmap["data"]
    client = one("Secret", "shipyard-client")
    assert client["stringData"]["SHIPYARD_TOKEN"].startswith("shy_")


def test_every_shipyard_variable_names_a_real_setting() -> None:
    names: list[str] = []
    for doc in DOCS:
        if doc["kind"] in ("ConfigMap", "Secret"):
            names += list((doc.get("data") or {}) | (doc.get("stringData") or {}))
        template = pod_template(doc)
        if template is not None:
            for container in template["spec"]["containers"]:
                names += [e["name"] for e in container.get("env", [])]
    unknown = sorted({n for n in names if n.startswith("SHIPYARD_")} - KNOWN_ENV)
    assert not unknown, f"not Shipyard settings: {unknown}"


def test_the_service_and_ingress_reach_the_pods() -> None:
    service = one("Service", "shipyard")
    pod = one("Deployment")["spec"]["template"]
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    port_names = {p["name"] for p in pod["spec"]["containers"][0]["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names
    backend = one("Ingress")["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "shipyard"
    assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}
    assert one("Ingress")["spec"]["tls"]


def test_kustomization_lists_every_manifest_but_the_jobs_and_secrets() -> None:
    kustomization = yaml.safe_load((FOLDER / "kustomization.yaml").read_text())
    for resource in kustomization["resources"]:
        assert (FOLDER / resource).is_file(), resource
    listed = set(kustomization["resources"]) | set(STANDALONE)
    assert {d["__file__"] for d in DOCS} == listed


@pytest.mark.parametrize("command", [["server"], ["db", "upgrade"]])
def test_the_commands_the_containers_run_exist(
    cli: Callable[..., Result], command: list[str]
) -> None:
    result = cli(*command, "--help")
    assert result.exit_code == 0, result.output
    if command == ["server"]:
        for option in ("--host", "--port", "--workers"):
            assert option in result.stdout
