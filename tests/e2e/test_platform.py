"""The three services as separate processes: ready, documented, guarded, request ids passed on."""

import httpx

from huimin_shared.auth import Role
from huimin_shared.testing import bearer

from .suite import SERVICES, WAIT, Suite


def test_every_service_is_ready_with_migrations_at_head(suite: Suite) -> None:
    for service in SERVICES:
        body = httpx.get(suite.url(service) + "/ready", timeout=WAIT).json()
        assert body["status"] == "ready", body
        assert body["revision"] == body["head"]


def test_every_v1_route_is_in_the_docs_and_refuses_a_request_without_a_token(suite: Suite) -> None:
    for service in SERVICES:
        spec = httpx.get(suite.url(service) + "/openapi.json", timeout=WAIT).json()
        for path, operations in spec["paths"].items():
            if not path.startswith("/v1"):
                continue
            for method, operation in operations.items():
                assert "**Roles:**" in operation.get("description", ""), f"{service} {method} {path}"
                assert operation.get("summary"), f"{service} {method} {path} has no summary"
                concrete = path.replace("{", "").replace("}", "")
                response = httpx.request(method.upper(), suite.url(service) + concrete, timeout=WAIT)
                assert response.status_code == 401, f"{service} {method} {path}: {response.status_code}"


def test_metrics_count_requests(suite: Suite) -> None:
    httpx.get(suite.url("premium") + "/health", headers=bearer(Role.auditor), timeout=WAIT)
    metrics = httpx.get(suite.url("premium") + "/metrics", timeout=WAIT).text
    assert 'http_requests_total{method="GET",route="/health",service="premium",status="200"}' in metrics
