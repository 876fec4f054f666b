"""/v1/trace: EPCIS verification, provenance, custody, timeline, export."""

from __future__ import annotations

import copy
import csv
import io
import itertools
import json
from collections.abc import Iterator

import httpx
import pytest

from tests.api.conftest import (
    UNIT,
    Served,
)
from tests.api.signin import bearer
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def party(served: Served) -> Iterator[httpx.Client]:
    """The enterprise whose goods they are, signed in: look-ups by id are for the parties."""
    with httpx.Client(headers=bearer(served.base, served.world.sh_enterprise)) as client:
        yield client


def test_epcis_document_is_verified_by_recomputed_hash_id(served: Served) -> None:
    document = json.loads((ROOT / "tests" / "data" / "epcis-shipping.json").read_text())
    r = httpx.post(f"{served.base}/v1/trace/verify", json=document)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["all_recorded"] is True
    assert [e["fields_match"] for e in body["events"]] == [True, True]
    # Who recorded it, and where, is for the parties of the goods.
    assert body["events"][0]["zone"] is None and body["events"][0]["enterprise"] is None
    assert {w["field"] for w in body["withheld"]} == {
        "events[].zone",
        "events[].enterprise",
        "events[].conflicts",
    }
    owner = bearer(served.base, served.world.sh_enterprise)
    seen = httpx.post(f"{served.base}/v1/trace/verify", json=document, headers=owner).json()
    assert seen["events"][0]["zone"] == "CN-SH" and seen["withheld"] == []
    # One EPC changed: a different event, not on chain.
    changed = copy.deepcopy(document)
    changed["epcisBody"]["eventList"][0]["epcList"][0] = "urn:epc:id:sgtin:0614141.107346.1"
    body = httpx.post(f"{served.base}/v1/trace/verify", json=changed).json()
    assert [e["recorded"] for e in body["events"]] == [False, True]
    bad = httpx.post(f"{served.base}/v1/trace/verify", json={"type": "nonsense"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_epcis"


def test_trace_back_and_forward_over_http(served: Served, party: httpx.Client) -> None:
    epc = "urn:epc:id:sgtin:0614141.107999.1"  # made from ….2017 in the sample document
    anonymous = httpx.get(f"{served.base}/v1/trace/upstream", params={"id": epc})
    assert anonymous.status_code == 401  # an id alone is guessable
    stranger = bearer(served.base, served.world.ah_enterprise)
    refused = httpx.get(f"{served.base}/v1/trace/upstream", params={"id": epc}, headers=stranger)
    assert refused.status_code == 403, refused.text
    back = party.get(f"{served.base}/v1/trace/upstream", params={"id": epc})
    assert back.status_code == 200, back.text
    body = back.json()
    assert body["identifiers_reached"] == 2 and not body["truncated"]
    assert [e["event_type"] for e in body["events"]] == ["ObjectEvent", "TransformationEvent"]
    forward = party.get(
        f"{served.base}/v1/trace/downstream", params={"id": "urn:epc:id:sgtin:0614141.107346.2017"}
    ).json()
    assert forward["identifiers_reached"] == 2
    missing = party.get(f"{served.base}/v1/trace/upstream")
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "invalid_request"


def test_custody_and_timeline_of_a_batch(served: Served, party: httpx.Client) -> None:
    custody = party.get(f"{served.base}/v1/trace/custody", params={"id": UNIT})
    assert custody.status_code == 200, custody.text
    body = custody.json()
    assert (body["state"], body["zone"]) == ("held", "CN-AH")
    assert [s["event"] for s in body["steps"]] == [
        "CustodyTaken",
        "ConsignmentDispatched",
        "ConsignmentReceived",
    ]
    timeline = party.get(f"{served.base}/v1/trace/timeline", params={"id": UNIT}).json()
    kinds = [e["kind"] for e in timeline["events"]]
    assert kinds[0] == "TransformationEvent assembling"
    assert {"DeclarationFiled", "InspectionRecorded", "ConsignmentReceived"} <= set(kinds)
    unknown = party.get(f"{served.base}/v1/trace/custody", params={"id": "urn:epc:nothing"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_batch"


def test_export_of_the_upstream_graph_in_csv_and_json(served: Served, party: httpx.Client) -> None:
    r = party.get(
        f"{served.base}/v1/trace/export",
        params={"id": UNIT, "format": "csv", "sort": "kind", "order": "desc"},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    kinds = [row["kind"] for row in rows]
    assert kinds == sorted(kinds, reverse=True)
    assert "CertificateRevoked" in kinds  # the parts' certificate, one hop upstream
    as_json = party.get(f"{served.base}/v1/trace/export", params={"id": UNIT}).json()
    assert as_json["batches_reached"] == 2
    times = [e["time"] for e in as_json["events"]]
    assert times == sorted(times) and len(times) == len(rows)
    bad = party.get(f"{served.base}/v1/trace/export", params={"id": UNIT, "sort": "colour"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"


def test_verify_gives_the_published_ids_in_any_order_on_one_server(served: Served) -> None:
    vectors = ROOT / "tests" / "data" / "epcis-hash-vectors"
    names = ["epcisEventWithCURIEs", "epcisDocWithCustomSchemaInContext", "epcisQueryDocument"]
    expected = {n: (vectors / f"{n}.hashes").read_text().split() for n in names}
    for order in itertools.permutations(names):
        for name in order:
            r = httpx.post(
                f"{served.base}/v1/trace/verify",
                content=(vectors / f"{name}.jsonld").read_bytes(),
                headers={"content-type": "application/ld+json"},
            )
            assert r.status_code == 200, r.text
            assert [e["hash_id"] for e in r.json()["events"]] == expected[name]


def test_verify_refuses_other_content_types_and_unknown_contexts(served: Served) -> None:
    body = (ROOT / "tests" / "data" / "epcis-shipping.json").read_bytes()
    wrong = httpx.post(
        f"{served.base}/v1/trace/verify", content=body, headers={"content-type": "text/plain"}
    )
    assert wrong.status_code == 415 and wrong.json()["error"]["code"] == "unsupported_media_type"
    document = json.loads(body)
    document["@context"] = ["http://127.0.0.1:9/private-context.jsonld"]
    refused = httpx.post(f"{served.base}/v1/trace/verify", json=document)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_epcis"
    assert "http://127.0.0.1:9/private-context.jsonld" in refused.json()["error"]["message"]
