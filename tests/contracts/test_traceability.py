"""EPCIS events on chain: reference hash ids, one enterprise signature per batch, zone relay."""

from __future__ import annotations

import copy
import json
from dataclasses import replace

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from ftzchain.eip712 import TRACE_DOMAIN_NAME, TRACE_DOMAIN_VERSION
from ftzchain.epcis.document import event_hash_ids
from ftzchain.errors import InvalidSignature, PermissionDenied
from ftzchain.signing import LocalSigner
from ftzchain.trace import trace_batch_digest, trace_items
from tests.conftest import AH, ROOT, SH, TEST_CONSORTIUM_KEY, World

KEY = bytes.fromhex(TEST_CONSORTIUM_KEY)
DOCUMENT = json.loads((ROOT / "tests" / "data" / "epcis-shipping.json").read_text())


def test_items_carry_the_reference_hash_ids_and_cbv_codes() -> None:
    ids = event_hash_ids(DOCUMENT)
    items = trace_items(DOCUMENT, KEY)
    assert [i.hash_id for i in items] == ids
    assert all(h.startswith("ni:///sha-256;") and h.endswith("?ver=CBV2.0") for h in ids)
    shipping, assembly = items
    assert (shipping.event_type, shipping.action) == (1, 2)  # ObjectEvent, OBSERVE
    assert shipping.biz_step > 0 and shipping.disposition > 0
    assert assembly.event_type == 3 and assembly.action == 0
    assert len(shipping.inputs) == 2 and shipping.outputs == ()  # observed: touched, not made
    assert len(assembly.inputs) == 1 and len(assembly.outputs) == 1
    # Identifiers are keyed: another key gives other fingerprints, the same hash id.
    other = trace_items(DOCUMENT, b"another key, 16+ bytes")
    assert other[1].event_id == assembly.event_id and other[1].inputs != assembly.inputs
    # The hash id is the reference one: reordering the EPC list (same event) keeps it, a
    # changed EPC changes it.
    reordered = copy.deepcopy(DOCUMENT)
    reordered["epcisBody"]["eventList"][0]["epcList"].reverse()
    assert event_hash_ids(reordered)[0] == ids[0]
    changed = copy.deepcopy(DOCUMENT)
    changed["epcisBody"]["eventList"][0]["epcList"][0] = "urn:epc:id:sgtin:0614141.107346.9999"
    assert event_hash_ids(changed)[0] != ids[0]


def test_batch_is_recorded_with_one_signature(world: World) -> None:
    trace = world.ctx.traceability
    items = trace_items(DOCUMENT, KEY)
    receipt = trace.record(world.sh_node, trace.sign_batch(world.sh_enterprise, SH, items))
    assert [bytes.fromhex(log["topics"][1][2:]) for log in receipt.logs] == [
        i.event_id for i in items
    ]
    assert all(log["topics"][2] == "0x" + SH.hex() for log in receipt.logs)


def test_batch_refuses_tampering_other_zones_and_expired_signatures(world: World) -> None:
    trace = world.ctx.traceability
    items = trace_items(DOCUMENT, KEY)
    batch = trace.sign_batch(world.sh_enterprise, SH, items)
    altered = replace(batch, items=[replace(items[0], disposition=1), items[1]])
    with pytest.raises(InvalidSignature):
        trace.record(world.sh_node, altered)
    with pytest.raises(PermissionDenied) as err:
        trace.record(world.ah_node, batch)
    assert err.value.error_name == "ZoneRoleMissing"
    other_zone = trace.sign_batch(world.ah_enterprise, SH, items)
    with pytest.raises(PermissionDenied) as err:
        trace.record(world.sh_node, other_zone)
    assert err.value.error_name == "TraceabilityEnterpriseNotInZone"
    late = trace.sign_batch(
        world.ah_enterprise, AH, items, deadline=world.ctx.client.latest_timestamp() - 1
    )
    with pytest.raises(InvalidSignature) as err:
        trace.record(world.ah_node, late)
    assert err.value.error_name == "TraceabilityExpiredSignature"


def test_trace_digest_equals_eth_account_typed_data(world: World) -> None:
    chain_id, address = world.ctx.client.chain_id, world.ctx.traceability.address
    items = trace_items(DOCUMENT, KEY)
    key = LocalSigner.generate()
    item_fields = [
        ("eventId", "bytes32"),
        ("eventType", "uint8"),
        ("action", "uint8"),
        ("bizStep", "uint16"),
        ("disposition", "uint16"),
        ("eventTime", "uint64"),
        ("whereHash", "bytes32"),
        ("inputs", "bytes32[]"),
        ("outputs", "bytes32[]"),
    ]
    typed = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "TraceBatch": [
                {"name": "enterprise", "type": "address"},
                {"name": "zoneId", "type": "bytes32"},
                {"name": "events", "type": "TraceItem[]"},
                {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint64"},
            ],
            "TraceItem": [{"name": n, "type": t} for n, t in item_fields],
        },
        "primaryType": "TraceBatch",
        "domain": {
            "name": TRACE_DOMAIN_NAME,
            "version": TRACE_DOMAIN_VERSION,
            "chainId": chain_id,
            "verifyingContract": address,
        },
        "message": {
            "enterprise": key.address,
            "zoneId": SH,
            "events": [
                dict(zip([n for n, _ in item_fields], i.as_tuple(), strict=True)) for i in items
            ],
            "nonce": 7,
            "deadline": 99,
        },
    }
    expected = Account.sign_message(encode_typed_data(full_message=typed), key.private_key)
    digest = trace_batch_digest(key.address, SH, items, 7, 99, chain_id, address)
    assert key.sign_digest_unsafe(digest) == bytes(expected.signature)


def test_a_recorded_batch_cannot_be_recorded_again(world: World) -> None:
    """A signed TraceBatch replayed by any zone node is refused and leaves no second log."""
    trace = world.ctx.traceability
    items = trace_items(DOCUMENT, KEY)
    batch = trace.sign_batch(world.sh_enterprise, SH, items)
    first = trace.record(world.sh_node, batch)
    assert len(first.logs) == len(items)
    with pytest.raises(InvalidSignature) as replayed:
        trace.record(world.sh_node, batch)
    assert replayed.value.error_name == "TraceabilityBadNonce"
    assert replayed.value.error_args["nonce"] == batch.nonce
    assert replayed.value.error_args["expected"] == batch.nonce + 1
    assert trace.nonce(world.sh_enterprise.address) == batch.nonce + 1


def test_batches_are_taken_in_nonce_order(world: World) -> None:
    trace = world.ctx.traceability
    items = trace_items(DOCUMENT, KEY)
    start = trace.nonce(world.sh_enterprise.address)
    ahead = trace.sign_batch(world.sh_enterprise, SH, items, nonce=start + 1)
    with pytest.raises(InvalidSignature) as early:
        trace.record(world.sh_node, ahead)
    assert early.value.error_name == "TraceabilityBadNonce"
    trace.record(world.sh_node, trace.sign_batch(world.sh_enterprise, SH, items, nonce=start))
    assert len(trace.record(world.sh_node, ahead).logs) == len(items)  # now it is its turn
