"""/v1/customs and /v1/origin: declarations and certificates of origin, graded."""

from __future__ import annotations

import hashlib

import httpx

from tests.api.conftest import (
    CERTIFICATE_DOCUMENT,
    Served,
)
from tests.api.signin import bearer

INSPECTION_FIELDS = ["origin_zone", "destination_zone", "rule", "blocking", "inspections"]


def test_declaration_with_an_inspection_missing_is_not_cleared(served: Served) -> None:
    url = f"{served.base}/v1/customs/declarations/API-DEC-1"
    assert httpx.get(url).json()["error"]["code"] == "unauthenticated"  # a guessable number
    customs = bearer(served.base, served.world.customs.signer)  # CUSTOMS of CN-SH, the origin
    r = httpx.get(url, headers=customs)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["cleared"] is False and body["status"] == "awaiting_inspection"
    assert body["blocking"] == ["inspection by CN-AH missing"]
    assert [i["zone"] for i in body["inspections"]] == ["CN-SH"]
    assert body["withheld"] == []
    # A financier of the same zone sees whether it cleared, not its route or inspections.
    bank = httpx.get(url, headers=bearer(served.base, served.world.bank_sh.signer)).json()
    assert bank["status"] == "awaiting_inspection" and bank["cleared"] is False
    assert [bank[f] for f in INSPECTION_FIELDS] == [None] * 5
    assert {w["field"] for w in bank["withheld"]} >= set(INSPECTION_FIELDS)
    missing = httpx.get(f"{served.base}/v1/customs/declarations/API-DEC-404", headers=customs)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "unknown_declaration"


def test_revoked_certificate_is_reported_as_such(served: Served) -> None:
    url = f"{served.base}/v1/origin/certificates/CO-API-1"
    genuine = hashlib.sha256(CERTIFICATE_DOCUMENT).hexdigest()
    r = httpx.get(url, params={"document_sha256": genuine})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "revoked" and body["reason"] == "wrong HS heading"
    assert body["genuine"] is True and body["zone"] == "CN-SH"
    assert body["issuer"] is None and [w["field"] for w in body["withheld"]] == [
        "issuer",
        "lot",
        "tx_hash",
    ]
    forged = hashlib.sha256(b"a forged copy").hexdigest()
    # Anonymous with another document: the same answer as an unknown number.
    anonymous = httpx.get(url, params={"document_sha256": forged})
    unknown = httpx.get(
        f"{served.base}/v1/origin/certificates/CO-404", params={"document_sha256": forged}
    )
    assert anonymous.status_code == unknown.status_code == 404
    assert anonymous.json()["error"]["code"] == unknown.json()["error"]["code"]
    assert httpx.get(url).json()["error"]["code"] == "unauthenticated"  # a number alone
    customs = bearer(served.base, served.world.customs_ah.signer)  # any zone's customs
    seen = httpx.get(url, params={"document_sha256": forged}, headers=customs).json()
    assert seen["genuine"] is False and seen["issuer"] == served.world.issuer.address.lower()
    missing = httpx.get(f"{served.base}/v1/origin/certificates/CO-404", headers=customs)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "unknown_certificate"
