"""/v1/invoices: verification, near duplicates, prepared pledge calls."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.api.conftest import (
    INVOICE_JSON,
    Served,
    _invoice_json,
    _second_invoice,
)
from tests.api.signin import bearer
from tests.conftest import ROOT
from tests.indexer.helpers import fresh_db, indexer_for


@pytest.fixture(scope="module")
def bank(served: Served) -> Iterator[httpx.Client]:
    """A financier of CN-AH, signed in: the pledge state is for financiers (and the seller)."""
    with httpx.Client(headers=bearer(served.base, served.world.bank_ah.signer)) as client:
        yield client


def test_whoever_presents_an_invoice_learns_only_if_it_is_financeable(served: Served) -> None:
    r = httpx.post(
        f"{served.base}/v1/invoices/verify",
        content=INVOICE_JSON,
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["financeable"] is False and body["zone"] == "CN-SH"
    assert [body[f] for f in ("status", "refusal", "matched")] == [None, None, None]
    assert [w["field"] for w in body["withheld"]] == ["status", "refusal", "matched"]
    seller = bearer(served.base, served.world.sh_enterprise)
    own = httpx.post(
        f"{served.base}/v1/invoices/verify",
        content=INVOICE_JSON,
        headers={"content-type": "application/json", **seller},
    ).json()
    assert own["status"] == "pledged" and own["withheld"] == []
    refused = httpx.post(
        f"{served.base}/v1/invoices/pledge-request",
        params={"zone": "CN-SH", "reference": "x"},
        content=INVOICE_JSON,
        headers={"content-type": "application/json", **seller},
    )
    assert refused.status_code == 403  # prepared calls are for financiers


def test_invoice_is_verified_from_json_and_ubl(served: Served, bank: httpx.Client) -> None:
    r = bank.post(
        f"{served.base}/v1/invoices/verify",
        content=INVOICE_JSON,
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "pledged" and body["zone"] == "CN-SH"
    assert body["financeable"] is False and "already pledged" in body["refusal"]
    assert [m["fingerprint"] for m in body["matched"]] == [
        "id",
        "parties_amount_date",
        "buyer_amount_date",
    ]
    ubl = (ROOT / "tests" / "data" / "invoice-auto-parts.ubl.xml").read_bytes()
    from_xml = bank.post(
        f"{served.base}/v1/invoices/verify",
        content=ubl,
        headers={"content-type": "application/xml"},
    ).json()
    assert from_xml == body


def test_retyped_invoice_is_the_pledged_one_and_unknown_is_unknown(
    served: Served, bank: httpx.Client
) -> None:
    retyped = _invoice_json(number="SH-2026-0004-2", issue_date="2026/11/20")
    body = bank.post(f"{served.base}/v1/invoices/verify", json=retyped).json()
    assert body["status"] == "pledged"
    unknown = _invoice_json(number="SH-2026-99999", total_with_tax="1.00", total_without_tax="1")
    body = bank.post(f"{served.base}/v1/invoices/verify", json=unknown).json()
    assert body["status"] == "unknown" and body["matched"] == [] and body["zone"] is None


def test_near_duplicate_reports_only_which_fingerprint_matched(
    served: Served, bank: httpx.Client
) -> None:
    renumbered = _invoice_json(number="SH-2026-00042-B")
    r = bank.post(f"{served.base}/v1/invoices/verify", json=renumbered)
    body = r.json()
    assert body["status"] == "unknown" and body["financeable"] is False
    assert {(m["fingerprint"], m["same_invoice"], m["status"]) for m in body["matched"]} == {
        ("parties_amount_date", False, "pledged"),
        ("buyer_amount_date", False, "pledged"),
    }
    # Nothing of the other invoice: not its id, not its number.
    assert "SH202600042" not in r.text and "00042" not in r.text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"seller": {"name": "X", "uscc": "91310115660123450X"}}, "seller.uscc"),
        ({"total_with_tax": "-5"}, "total_with_tax"),
        ({"number": ""}, "number"),
    ],
)
def test_malformed_invoice_is_422_naming_the_field(
    served: Served, bank: httpx.Client, change: dict[str, object], field: str
) -> None:
    r = bank.post(f"{served.base}/v1/invoices/verify", json=_invoice_json(**change))
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "invalid_invoice" and error["detail"] == {"field": field}
    assert field in error["message"]
    empty = bank.post(
        f"{served.base}/v1/invoices/verify",
        content=b"",
        headers={"content-type": "application/json"},
    )
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "invalid_invoice"
    untyped = bank.post(f"{served.base}/v1/invoices/verify", content=INVOICE_JSON.encode())
    assert untyped.status_code == 415


def test_financier_pledges_through_a_prepared_call(served: Served, bank: httpx.Client) -> None:
    world = served.world
    second = _second_invoice().fingerprints(world.ctx.consortium_key)
    payload = json.loads(INVOICE_JSON) | {
        "number": "SH-2026-00043",
        "total_without_tax": "500.00",
        "total_with_tax": "565.00",
    }
    r = bank.post(
        f"{served.base}/v1/invoices/pledge-request",
        params={"zone": "CN-AH", "reference": "AH bank loan 7"},
        json=payload,
    )
    assert r.status_code == 200, r.text
    prepared = r.json()
    assert prepared["verification"]["financeable"] is True
    world.bank_ah.transact(prepared["to"], bytes.fromhex(prepared["data"][2:]))
    indexer_for(world, fresh_db(served.db_url)).sync()
    body = bank.post(f"{served.base}/v1/invoices/verify", json=payload).json()
    assert body["status"] == "pledged" and body["invoice_id"] == "0x" + second[0].hex()
    refused = bank.post(
        f"{served.base}/v1/invoices/pledge-request",
        params={"zone": "CN-SH", "reference": "again"},
        json=payload,
    ).json()
    assert refused["verification"]["financeable"] is False
    not_pledged = bank.post(
        f"{served.base}/v1/invoices/release-request",
        params={"reference": "x"},
        json=_invoice_json(number="SH-2026-99999"),
    )
    assert not_pledged.status_code == 409
