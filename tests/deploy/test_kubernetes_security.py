"""deploy/kubernetes grants least privilege: one namespace, a ServiceAccount that can do
nothing and mounts no token, hardened pods, network policies, a disruption budget."""

from __future__ import annotations

from typing import Any

import yaml

from tests.deploy.manifests import (
    CLUSTER_SCOPED,
    DOCS,
    FOLDER,
    NAMESPACE,
    STANDALONE,
    one,
    pod_template,
    pod_templates,
    selects,
)


def test_everything_lives_in_the_shipyard_namespace() -> None:
    namespace = one("Namespace", NAMESPACE)
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for doc in DOCS:
        if doc["kind"] not in CLUSTER_SCOPED:  # files applied with -f need it as well as -k
            assert doc["metadata"].get("namespace") == NAMESPACE, doc["__file__"]
    kustomization = yaml.safe_load((FOLDER / "kustomization.yaml").read_text())
    assert kustomization["namespace"] == NAMESPACE


def test_the_service_account_is_bound_to_a_role_that_grants_nothing() -> None:
    account = one("ServiceAccount")
    assert account["automountServiceAccountToken"] is False
    role = one("Role")
    assert role["rules"] == []  # no Shipyard feature calls the Kubernetes API
    binding = one("RoleBinding")
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role["metadata"]["name"],
    }  # fmt: skip
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": account["metadata"]["name"], "namespace": NAMESPACE}
    ]
    assert not [d for d in DOCS if d["kind"] in ("ClusterRole", "ClusterRoleBinding")]
    for template in pod_templates():
        spec = template["spec"]
        assert spec["serviceAccountName"] == account["metadata"]["name"]
        assert spec["automountServiceAccountToken"] is False


def _containers(template: dict[str, Any]) -> list[dict[str, Any]]:
    spec = template["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def test_every_pod_meets_the_restricted_profile_and_has_bounded_resources() -> None:
    files = set()
    for doc in DOCS:
        template = pod_template(doc)
        if template is None:
            continue
        files.add(doc["__file__"])
        pod = template["spec"]["securityContext"]
        assert pod["runAsNonRoot"] is True, doc["__file__"]
        assert pod["runAsUser"] >= 10000, doc["__file__"]
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, doc["__file__"]
        for container in _containers(template):
            where = f"{doc['__file__']}: {container['name']}"
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["capabilities"] == {"drop": ["ALL"]}, where
            image = container["image"]
            assert ":" in image.rpartition("/")[2], where  # a tag (or a digest), never implied
            assert not image.endswith(":latest"), where
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][bound]), where
    assert files == {"deployment.yaml", "migrate-job.yaml", "training-job.example.yaml"}


def _policies_for(labels: dict[str, str]) -> list[dict[str, Any]]:
    return [
        d["spec"] for d in DOCS
        if d["kind"] == "NetworkPolicy" and selects(d["spec"]["podSelector"], labels)
    ]  # fmt: skip


def _egress_ports(labels: dict[str, str]) -> set[int]:
    return {
        port["port"]
        for policy in _policies_for(labels)
        for rule in policy.get("egress", [])
        for port in rule.get("ports", [])
    }


def test_network_policies_deny_by_default_and_admit_only_what_each_pod_needs() -> None:
    deny = one("NetworkPolicy", "default-deny")["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    server = one("Deployment")["spec"]["template"]
    server_labels = server["metadata"]["labels"]
    (port,) = (p["containerPort"] for p in server["spec"]["containers"][0]["ports"])
    # the server: reached on its one port; reaches DNS, PostgreSQL and S3 only
    ingress = [rule for p in _policies_for(server_labels) for rule in p.get("ingress", [])]
    assert ingress, "nothing admits traffic to the server"
    assert all(rule["ports"] == [{"protocol": "TCP", "port": port}] for rule in ingress)
    assert _egress_ports(server_labels) == {53, 5432, 443}
    # the migration: PostgreSQL and DNS only, nothing reaches it
    migration = one("Job", "shipyard-db-upgrade")["spec"]["template"]["metadata"]["labels"]
    assert _egress_ports(migration) == {53, 5432}
    assert not [r for p in _policies_for(migration) for r in p.get("ingress", [])]
    # a client job: DNS and the server's port, on the server's pods
    client = one("Job", "train-churn")["spec"]["template"]["metadata"]["labels"]
    assert _egress_ports(client) == {53, port}
    rules = [rule for p in _policies_for(client) for rule in p.get("egress", [])]
    to_server = [
        peer for rule in rules for peer in rule.get("to", [])
        if "podSelector" in peer and "namespaceSelector" not in peer
    ]  # fmt: skip
    assert to_server
    assert all(selects(peer["podSelector"], server_labels) for peer in to_server)
    admitted = [peer for rule in ingress for peer in rule["from"] if "podSelector" in peer]
    assert any(selects(peer["podSelector"], client) for peer in admitted)


def test_the_disruption_budget_keeps_replicas_serving_and_lets_nodes_drain() -> None:
    budget = one("PodDisruptionBudget")["spec"]
    deployment = one("Deployment")["spec"]
    assert selects(budget["selector"], deployment["template"]["metadata"]["labels"])
    assert 1 <= budget["minAvailable"] < deployment["replicas"]


def test_the_standalone_files_are_not_applied_by_the_kustomization() -> None:
    kustomization = yaml.safe_load((FOLDER / "kustomization.yaml").read_text())
    assert not set(STANDALONE) & set(kustomization["resources"])
