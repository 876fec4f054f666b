"""The verification API served by uvicorn, called over HTTP, on a real indexed chain."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ftzchain.compile import Build
from ftzchain.devnet import LocalNode, free_port, wait_for_http
from ftzchain.evidence.verify import verify_bundle
from ftzchain.trace import trace_items
from tests.conftest import ROOT, SH, TEST_CONSORTIUM_KEY, make_world
from tests.indexer.helpers import fresh_db, indexer_for, register_many


@dataclass
class Served:
    base: str
    registered: bytes
    zone_node: str
    owner: str


@pytest.fixture(scope="module")
def served(
    anvil: LocalNode, build: Build, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    state = tmp_path_factory.mktemp("api")
    world = make_world(anvil, state, build)
    (registered,) = register_many(world, 1, label="api")
    document = json.loads((ROOT / "tests" / "data" / "epcis-shipping.json").read_text())
    trace = world.ctx.traceability
    trace.record(
        world.sh_node,
        trace.sign_batch(world.sh_enterprise, SH, trace_items(document, world.ctx.consortium_key)),
    )
    url = f"sqlite:///{state / 'api.db'}"
    indexer_for(world, fresh_db(url)).sync()
    port = free_port()
    env = {
        **os.environ,
        "FTZ_DATABASE_URL": url,
        "FTZ_CHAIN_ID": str(anvil.chain_id),
        "FTZ_RPC_URL": anvil.url,
        "FTZ_STATE_DIR": str(state),
        "FTZ_PUBLIC_URL": "https://sh.zone.example",
        "FTZ_CONSORTIUM_KEY": TEST_CONSORTIUM_KEY,
    }
    ftz = str(Path(sys.executable).with_name("ftz"))
    proc = subprocess.Popen(
        [ftz, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    wait_for_http(f"{base}/healthz", proc)
    try:
        yield Served(base, registered, world.sh_node.address, world.sh_enterprise.address)
    finally:
        proc.terminate()
        proc.wait(10)
        world.ctx.close()


def test_registered_hash_answers_when_where_and_who(served: Served) -> None:
    r = httpx.get(f"{served.base}/v1/ip/0x{served.registered.hex()}")
    assert r.status_code == 200
    body = r.json()
    assert body["registered"] is True
    assert body["zone"] == "CN-SH" and body["zone_name"] == "Shanghai"
    assert body["owner"] == served.owner.lower()
    assert body["block_number"] > 0 and body["tx_hash"].startswith("0x")
    assert body["registered_at"].endswith("Z") or "+00:00" in body["registered_at"]


def test_hash_without_prefix_and_in_capitals_is_accepted(served: Served) -> None:
    r = httpx.get(f"{served.base}/v1/ip/{served.registered.hex().upper()}")
    assert r.status_code == 200


def test_unknown_hash_is_404_with_error_shape(served: Served) -> None:
    unknown = "0x" + hashlib.sha256(b"never registered").hexdigest()
    r = httpx.get(f"{served.base}/v1/ip/{unknown}")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "ip_not_registered"
    assert r.json()["error"]["detail"] == {"content_hash": unknown}


@pytest.mark.parametrize("bad", ["1234", "0x" + "zz" * 32, "0x" + "ab" * 33])
def test_malformed_hash_is_422_with_error_shape(served: Served, bad: str) -> None:
    r = httpx.get(f"{served.base}/v1/ip/{bad}")
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_request"


def test_uploaded_file_is_hashed_and_verified(served: Served) -> None:
    r = httpx.post(f"{served.base}/v1/ip/verify", files={"file": ("work.txt", b"api 0")})
    assert r.status_code == 200
    body = r.json()
    assert body["content_hash"] == "0x" + served.registered.hex()
    assert body["registered"] is True and body["record"]["zone"] == "CN-SH"
    other = httpx.post(f"{served.base}/v1/ip/verify", files={"file": ("x.txt", b"other")})
    assert other.json() == {
        "content_hash": "0x" + hashlib.sha256(b"other").hexdigest(),
        "registered": False,
        "record": None,
    }


def test_upload_without_file_is_422(served: Served) -> None:
    r = httpx.post(f"{served.base}/v1/ip/verify")
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"


def test_health_reports_indexed_block(served: Served) -> None:
    body = httpx.get(f"{served.base}/healthz").json()
    assert body["status"] == "ok"
    assert body["chains"][0]["indexed_block"] > 0


def test_openapi_docs_are_served(served: Served) -> None:
    assert httpx.get(f"{served.base}/docs").status_code == 200
    spec = httpx.get(f"{served.base}/openapi.json").json()
    assert "/v1/ip/{sha256}" in spec["paths"] and "/v1/ip/verify" in spec["paths"]
    assert "/v1/evidence/{sha256}" in spec["paths"]


def test_portal_page_shows_the_registration(served: Served) -> None:
    page = httpx.get(f"{served.base}/ip/{served.registered.hex()}")
    assert page.status_code == 200
    assert "Registered." in page.text and "CN-SH" in page.text
    missing = httpx.get(f"{served.base}/ip/{'ab' * 32}")
    assert "Not registered." in missing.text


def test_evidence_bundle_over_http_verifies_offline(served: Served) -> None:
    r = httpx.get(f"{served.base}/v1/evidence/{served.registered.hex()}")
    assert r.status_code == 200
    verdict = verify_bundle(r.json())
    assert verdict.ok, verdict.reason
    assert verdict.facts["zone node"] == served.zone_node.lower()
    assert verdict.facts["owner"] == served.owner.lower()


def test_evidence_for_unknown_hash_is_404(served: Served) -> None:
    r = httpx.get(f"{served.base}/v1/evidence/{'cd' * 32}")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "ip_not_registered"


def test_certificate_html_and_pdf(served: Served) -> None:
    page = httpx.get(f"{served.base}/v1/evidence/{served.registered.hex()}/certificate")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "0x" + served.registered.hex() in page.text
    assert "CST" in page.text and "<svg" in page.text
    assert f"https://sh.zone.example/v1/evidence/0x{served.registered.hex()}" in page.text
    pdf = httpx.get(f"{served.base}/v1/evidence/{served.registered.hex()}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    portal = httpx.get(f"{served.base}/ip/{served.registered.hex()}")
    assert "/certificate" in portal.text and "Evidence bundle" in portal.text


def test_epcis_document_is_verified_by_recomputed_hash_id(served: Served) -> None:
    document = json.loads((ROOT / "tests" / "data" / "epcis-shipping.json").read_text())
    r = httpx.post(f"{served.base}/v1/trace/verify", json=document)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["all_recorded"] is True
    assert [e["fields_match"] for e in body["events"]] == [True, True]
    assert body["events"][0]["zone"] == "CN-SH"
    # One EPC changed: a different event, not on chain.
    changed = copy.deepcopy(document)
    changed["epcisBody"]["eventList"][0]["epcList"][0] = "urn:epc:id:sgtin:0614141.107346.1"
    body = httpx.post(f"{served.base}/v1/trace/verify", json=changed).json()
    assert [e["recorded"] for e in body["events"]] == [False, True]
    bad = httpx.post(f"{served.base}/v1/trace/verify", json={"type": "nonsense"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_epcis"


def test_trace_back_and_forward_over_http(served: Served) -> None:
    epc = "urn:epc:id:sgtin:0614141.107999.1"  # made from ….2017 in the sample document
    back = httpx.get(f"{served.base}/v1/trace/upstream", params={"id": epc})
    assert back.status_code == 200, back.text
    body = back.json()
    assert body["identifiers_reached"] == 2 and not body["truncated"]
    assert [e["event_type"] for e in body["events"]] == ["ObjectEvent", "TransformationEvent"]
    forward = httpx.get(
        f"{served.base}/v1/trace/downstream", params={"id": "urn:epc:id:sgtin:0614141.107346.2017"}
    ).json()
    assert forward["identifiers_reached"] == 2
    missing = httpx.get(f"{served.base}/v1/trace/upstream")
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "invalid_request"
