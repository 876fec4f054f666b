"""/healthz and the OpenAPI document."""

from __future__ import annotations

import httpx

from tests.api.conftest import (
    Served,
)


def test_health_reports_indexed_block(served: Served) -> None:
    body = httpx.get(f"{served.base}/healthz").json()
    assert body["status"] == "ok"
    assert body["chains"][0]["indexed_block"] > 0


def test_openapi_docs_are_served(served: Served) -> None:
    assert httpx.get(f"{served.base}/docs").status_code == 200
    spec = httpx.get(f"{served.base}/openapi.json").json()
    assert "/v1/ip/{sha256}" in spec["paths"] and "/v1/ip/verify" in spec["paths"]
    assert "/v1/evidence/{sha256}" in spec["paths"]
