"""The verification API served by uvicorn, called over HTTP, on a real indexed chain."""

from __future__ import annotations

import copy
import csv
import hashlib
import io
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
from ftzchain.enums import Rule
from ftzchain.evidence.verify import verify_bundle
from ftzchain.fingerprints import certificate_key, consignment_key, declaration_key, lot_key
from ftzchain.invoice import Invoice, invoice_from_json, parse_invoice
from ftzchain.trace import TraceItem, trace_items
from tests.conftest import AH, ROOT, SH, TEST_CONSORTIUM_KEY, World, make_world
from tests.indexer.helpers import fresh_db, indexer_for, register_many


@dataclass
class Served:
    base: str
    registered: bytes
    zone_node: str
    owner: str
    world: World
    db_url: str


PARTS = "urn:epc:class:lgtin:4012345.000001.PARTS"
UNIT = "urn:epc:class:lgtin:4012345.000002.UNIT"
CERTIFICATE_DOCUMENT = b"Certificate of origin CO-API-1"


INVOICE_JSON = (ROOT / "tests" / "data" / "invoice-auto-parts.json").read_text()


def _invoice_json(**changes: object) -> dict[str, object]:
    data: dict[str, object] = json.loads(INVOICE_JSON)
    data.update(changes)
    return data


def _second_invoice() -> Invoice:
    return invoice_from_json(
        _invoice_json(number="SH-2026-00043", total_without_tax="500.00", total_with_tax="565.00")
    )


def _goods_flow(world: World) -> None:
    """Parts made into a unit in CN-SH, the unit sent to CN-AH (received), a declaration with
    the destination's inspection missing, a certificate of origin revoked."""
    key = world.ctx.consortium_key
    parts, unit = lot_key(PARTS, key), lot_key(UNIT, key)
    assemble = TraceItem(
        hashlib.sha256(b"api assemble").digest(), 3, 0, 3, 0, 1_700_000_000, b"\2" * 32,
        (parts,), (unit,),
    )  # fmt: skip
    trace = world.ctx.traceability
    trace.record(world.sh_node, trace.sign_batch(world.sh_enterprise, SH, [assemble]))
    csg = consignment_key("API-CSG-1", key)
    world.ctx.custody.take_custody(world.sh_node, SH, [parts, unit])
    world.ctx.custody.dispatch(world.sh_node, csg, SH, AH, [unit])
    world.ctx.custody.receive(world.ah_node, csg, [unit])
    decl = declaration_key("API-DEC-1", key)
    world.ctx.customs.file_declaration(world.sh_node, decl, csg, SH, AH, Rule.BOTH_ZONES)
    world.ctx.customs.inspect(world.customs, decl, SH, True)
    # Invoices: the sample is issued and pledged in CN-SH; a second one only issued.
    invoices = world.ctx.invoices
    sample = parse_invoice(INVOICE_JSON).prints(key)
    invoices.bind_seller(world.sh_node, sample.seller, world.sh_enterprise.address)
    invoices.issue(world.sh_node, world.sh_enterprise, SH, sample)
    invoices.pledge(world.bank_sh, sample.all, SH, "SH bank loan 1")
    invoices.issue(world.sh_node, world.sh_enterprise, SH, _second_invoice().prints(key))
    cert = certificate_key("CO-API-1", key)
    document = hashlib.sha256(CERTIFICATE_DOCUMENT).digest()
    world.ctx.origin_certificates.issue(world.issuer, cert, SH, parts, document)
    world.ctx.origin_certificates.revoke(world.issuer, cert, "wrong HS heading")


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
    _goods_flow(world)
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
        yield Served(
            base, registered, world.sh_node.address, world.sh_enterprise.address, world, url
        )
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


def test_custody_and_timeline_of_a_batch(served: Served) -> None:
    custody = httpx.get(f"{served.base}/v1/trace/custody", params={"id": UNIT})
    assert custody.status_code == 200, custody.text
    body = custody.json()
    assert (body["state"], body["zone"]) == ("held", "CN-AH")
    assert [s["event"] for s in body["steps"]] == [
        "CustodyTaken",
        "ConsignmentDispatched",
        "ConsignmentReceived",
    ]
    timeline = httpx.get(f"{served.base}/v1/trace/timeline", params={"id": UNIT}).json()
    kinds = [e["kind"] for e in timeline["events"]]
    assert kinds[0] == "TransformationEvent assembling"
    assert {"DeclarationFiled", "InspectionRecorded", "ConsignmentReceived"} <= set(kinds)
    unknown = httpx.get(f"{served.base}/v1/trace/custody", params={"id": "urn:epc:nothing"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_batch"


def test_export_of_the_upstream_graph_in_csv_and_json(served: Served) -> None:
    r = httpx.get(
        f"{served.base}/v1/trace/export",
        params={"id": UNIT, "format": "csv", "sort": "kind", "order": "desc"},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    kinds = [row["kind"] for row in rows]
    assert kinds == sorted(kinds, reverse=True)
    assert "CertificateRevoked" in kinds  # the parts' certificate, one hop upstream
    as_json = httpx.get(f"{served.base}/v1/trace/export", params={"id": UNIT}).json()
    assert as_json["batches_reached"] == 2
    times = [e["time"] for e in as_json["events"]]
    assert times == sorted(times) and len(times) == len(rows)
    bad = httpx.get(f"{served.base}/v1/trace/export", params={"id": UNIT, "sort": "colour"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"


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


def test_invoice_is_verified_from_json_and_ubl(served: Served) -> None:
    r = httpx.post(f"{served.base}/v1/invoices/verify", content=INVOICE_JSON)
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
    from_xml = httpx.post(
        f"{served.base}/v1/invoices/verify",
        content=ubl,
        headers={"content-type": "application/xml"},
    ).json()
    assert from_xml == body


def test_retyped_invoice_is_the_pledged_one_and_unknown_is_unknown(served: Served) -> None:
    retyped = _invoice_json(number="SH-2026-0004-2", issue_date="2026/11/20")
    body = httpx.post(f"{served.base}/v1/invoices/verify", json=retyped).json()
    assert body["status"] == "pledged"
    unknown = _invoice_json(number="SH-2026-99999", total_with_tax="1.00", total_without_tax="1")
    body = httpx.post(f"{served.base}/v1/invoices/verify", json=unknown).json()
    assert body["status"] == "unknown" and body["matched"] == [] and body["zone"] is None


def test_near_duplicate_reports_only_which_fingerprint_matched(served: Served) -> None:
    renumbered = _invoice_json(number="SH-2026-00042-B")
    r = httpx.post(f"{served.base}/v1/invoices/verify", json=renumbered)
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
    served: Served, change: dict[str, object], field: str
) -> None:
    r = httpx.post(f"{served.base}/v1/invoices/verify", json=_invoice_json(**change))
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "invalid_invoice" and error["detail"] == {"field": field}
    assert field in error["message"]
    empty = httpx.post(f"{served.base}/v1/invoices/verify", content=b"")
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "invalid_invoice"


def test_financier_pledges_through_a_prepared_call(served: Served) -> None:
    world = served.world
    second = _second_invoice().fingerprints(world.ctx.consortium_key)
    payload = json.loads(INVOICE_JSON) | {
        "number": "SH-2026-00043",
        "total_without_tax": "500.00",
        "total_with_tax": "565.00",
    }
    r = httpx.post(
        f"{served.base}/v1/invoices/pledge-request",
        params={"zone": "CN-AH", "reference": "AH bank loan 7"},
        json=payload,
    )
    assert r.status_code == 200, r.text
    prepared = r.json()
    assert prepared["verification"]["financeable"] is True
    world.bank_ah.transact(prepared["to"], bytes.fromhex(prepared["data"][2:]))
    indexer_for(world, fresh_db(served.db_url)).sync()
    body = httpx.post(f"{served.base}/v1/invoices/verify", json=payload).json()
    assert body["status"] == "pledged" and body["invoice_id"] == "0x" + second[0].hex()
    refused = httpx.post(
        f"{served.base}/v1/invoices/pledge-request",
        params={"zone": "CN-SH", "reference": "again"},
        json=payload,
    ).json()
    assert refused["verification"]["financeable"] is False
    not_pledged = httpx.post(
        f"{served.base}/v1/invoices/release-request",
        params={"reference": "x"},
        json=_invoice_json(number="SH-2026-99999"),
    )
    assert not_pledged.status_code == 409


def test_portal_pages_for_batches_certificates_and_declarations(served: Served) -> None:
    page = httpx.get(f"{served.base}/goods", params={"id": UNIT})
    assert page.status_code == 200 and "held by CN-AH" in page.text
    assert "ConsignmentReceived" in page.text and "/v1/trace/export?id=" in page.text
    unknown = httpx.get(f"{served.base}/goods", params={"id": "urn:epc:nothing"})
    assert "Nothing on chain" in unknown.text
    certificate = httpx.get(f"{served.base}/origin/CO-API-1").text
    assert "Revoked." in certificate and "wrong HS heading" in certificate
    declaration = httpx.get(f"{served.base}/customs/API-DEC-1").text
    assert "awaiting inspection" in declaration and "inspection by CN-AH missing" in declaration
    home = httpx.get(f"{served.base}/").text
    assert "/goods" in home and "/invoice" in home
    assert "/v1/invoices/verify" in httpx.get(f"{served.base}/invoice").text
