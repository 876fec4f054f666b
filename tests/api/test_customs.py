"""/v1/customs and /v1/origin: declarations and certificates of origin."""

from __future__ import annotations

import hashlib

import httpx

from tests.api.conftest import (
    CERTIFICATE_DOCUMENT,
    Served,
)


def test_declaration_with_an_inspection_missing_is_not_cleared(served: Served) -> None:
    r = httpx.get(f"{served.base}/v1/customs/declarations/API-DEC-1")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["cleared"] is False and body["status"] == "awaiting_inspection"
    assert body["blocking"] == ["inspection by CN-AH missing"]
    assert [i["zone"] for i in body["inspections"]] == ["CN-SH"]
    missing = httpx.get(f"{served.base}/v1/customs/declarations/API-DEC-404")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "unknown_declaration"


def test_revoked_certificate_is_reported_as_such(served: Served) -> None:
    genuine = hashlib.sha256(CERTIFICATE_DOCUMENT).hexdigest()
    r = httpx.get(
        f"{served.base}/v1/origin/certificates/CO-API-1", params={"document_sha256": genuine}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "revoked" and body["reason"] == "wrong HS heading"
    assert body["genuine"] is True and body["zone"] == "CN-SH"
    forged = hashlib.sha256(b"a forged copy").hexdigest()
    r = httpx.get(
        f"{served.base}/v1/origin/certificates/CO-API-1", params={"document_sha256": forged}
    )
    assert r.json()["genuine"] is False
    missing = httpx.get(f"{served.base}/v1/origin/certificates/CO-404")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "unknown_certificate"
