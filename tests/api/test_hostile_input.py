"""Hostile bodies against the served API: none may kill the server or answer 500."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest

from tests.api.conftest import INVOICE_JSON, Served
from tests.api.signin import bearer
from tests.conftest import ROOT
from tests.listener import ContextListener

DEEP = b"[" * 100_000
JSON_ENDPOINTS = [
    "/v1/trace/verify",
    "/v1/invoices/verify",
    "/v1/invoices/pledge-request?zone=CN-SH&reference=x",
    "/v1/invoices/release-request?reference=x",
]


def test_the_server_runs_with_a_sane_recursion_limit() -> None:
    probe = "import sys, api.app, ftzchain.cli.app; print(sys.getrecursionlimit())"
    limit = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    assert int(limit) <= 1000


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_a_deeply_nested_body_is_refused_and_the_server_lives(served: Served, path: str) -> None:
    # The prepared calls are for financiers: sign in as one, so the body is read.
    session = bearer(served.base, served.world.bank_ah.signer) if "request" in path else {}
    r = httpx.post(
        f"{served.base}{path}",
        content=DEEP,
        headers={"content-type": "application/json", **session},
    )
    assert r.status_code == 422, r.text
    assert "nests deeper" in r.json()["error"]["message"]
    assert httpx.get(f"{served.base}/healthz").status_code == 200


def _shipping() -> dict[str, object]:
    loaded: dict[str, object] = json.loads(
        (ROOT / "tests" / "data" / "epcis-shipping.json").read_text()
    )
    return loaded


def _first_event(document: dict[str, object]) -> dict[str, object]:
    body = document["epcisBody"]
    assert isinstance(body, dict)
    event: dict[str, object] = body["eventList"][0]
    return event


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(epcisBody="x"),
        lambda d: _first_event(d).update(readPoint="urn:epc:id:sgln:0614141.00777.0"),
        lambda d: _first_event(d).update(bizStep=17),
        lambda d: _first_event(d).update(disposition={"not": "a string"}),
        lambda d: _first_event(d).update(eventTime="22-07-2026"),
        lambda d: d.clear(),
    ],
    ids=["body-is-text", "readpoint-is-text", "bizstep-number", "disposition-object",
         "bad-time", "empty-object"],
)  # fmt: skip
def test_wrong_types_in_an_epcis_document_are_422(served: Served, mutate: object) -> None:
    document = _shipping()
    mutate(document)  # type: ignore[operator]
    r = httpx.post(f"{served.base}/v1/trace/verify", json=document)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid_epcis"


def test_an_integer_of_5000_digits_in_an_invoice_is_422(served: Served) -> None:
    body = INVOICE_JSON.replace(
        '"total_with_tax": "', '"total_with_tax": ' + "9" * 5000 + ', "x": "', 1
    )
    r = httpx.post(
        f"{served.base}/v1/invoices/verify",
        content=body.encode(),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422, r.text


@pytest.mark.parametrize("page", ["/origin/%20", "/customs/%20"])
def test_a_blank_number_on_a_portal_page_is_not_a_server_error(served: Served, page: str) -> None:
    r = httpx.get(f"{served.base}{page}")
    assert r.status_code == 422


@pytest.mark.parametrize("where", ["document", "event"])
def test_a_remote_context_is_refused_and_never_fetched(served: Served, where: str) -> None:
    listener = ContextListener()
    try:
        document = _shipping()
        if where == "document":
            document["@context"] = [listener.url]
        else:
            _first_event(document)["@context"] = [listener.url]
        r = httpx.post(f"{served.base}/v1/trace/verify", json=document)
        assert r.status_code == 422, r.text
        assert listener.url in r.json()["error"]["message"]
        assert listener.requests == 0
    finally:
        listener.close()


def test_an_invoice_over_the_size_limit_is_413(served: Served) -> None:
    padded = INVOICE_JSON.replace('"number"', '"padding": "' + "x" * 300_000 + '", "number"', 1)
    r = httpx.post(
        f"{served.base}/v1/invoices/verify",
        content=padded.encode(),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"


def test_too_many_events_or_bytes_in_one_verification_are_refused_fast(served: Served) -> None:
    document = _shipping()
    body = document["epcisBody"]
    assert isinstance(body, dict)
    event = body["eventList"][0]
    body["eventList"] = [event] * 1001
    many = httpx.post(f"{served.base}/v1/trace/verify", json=document, timeout=60)
    assert many.status_code == 422 and "1,001 events" in many.json()["error"]["message"]
    body["eventList"] = [event] * 25_000  # about 10 MB
    huge = httpx.post(f"{served.base}/v1/trace/verify", json=document, timeout=60)
    assert huge.status_code == 413
