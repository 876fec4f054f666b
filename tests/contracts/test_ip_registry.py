"""IP registry: first-to-file, EIP-712 enterprise signatures, zone-node submission."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from ftzchain.domain import WorkType
from ftzchain.eip712 import IpItem
from ftzchain.enums import GovernanceAction as Action
from ftzchain.errors import AlreadyExists, InvalidSignature, PermissionDenied
from ftzchain.signing import LocalSigner
from tests.conftest import AH, SH, World


def _hash(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def test_registration_is_recorded_with_owner_and_time(world: World) -> None:
    reg = world.ctx.ip_registry
    content = _hash("first work")
    signed = reg.sign(world.sh_enterprise, content, SH, work_type=int(WorkType.PATENT))
    receipt = reg.register(world.sh_node, signed)
    record = reg.record(content)
    assert record is not None
    assert record.owner == world.sh_enterprise.address
    assert record.work_type == WorkType.PATENT
    block = world.ctx.client.rpc.call("eth_getBlockByNumber", [hex(receipt.block_number), False])
    assert record.registered_at == int(block["timestamp"], 16)
    assert reg.nonce(world.sh_enterprise.address) == 1


def test_second_registration_of_same_hash_names_the_earlier_record(world: World) -> None:
    reg = world.ctx.ip_registry
    content = _hash("contested work")
    reg.register(world.sh_node, reg.sign(world.sh_enterprise, content, SH))
    first = reg.record(content)
    assert first is not None
    with pytest.raises(AlreadyExists) as err:
        reg.register(world.ah_node, reg.sign(world.ah_enterprise, content, AH))
    assert err.value.error_name == "IpRegistryAlreadyRegistered"
    assert err.value.error_args["owner"].lower() == world.sh_enterprise.address.lower()
    assert err.value.error_args["registeredAt"] == first.registered_at
    assert err.value.error_args["contentHash"] == content


def test_replayed_signature_is_rejected_naming_the_nonce(world: World) -> None:
    reg = world.ctx.ip_registry
    owner = world.sh_enterprise.address
    signed = reg.sign(world.sh_enterprise, _hash("replayed"), SH)
    used = signed.registration.nonce
    reg.register(world.sh_node, signed)
    with pytest.raises(InvalidSignature) as err:
        reg.register(world.sh_node, signed)  # its nonce is used: the error says so
    assert err.value.error_name == "IpRegistryBadNonce"
    assert err.value.error_args["owner"].lower() == owner.lower()
    assert (err.value.error_args["nonce"], err.value.error_args["expected"]) == (used, used + 1)
    # Signed ahead of its turn: the same error, with the nonce the chain expects.
    ahead = reg.sign(world.sh_enterprise, _hash("ahead"), SH, nonce=used + 5)
    with pytest.raises(InvalidSignature) as err:
        reg.register(world.sh_node, ahead)
    assert err.value.error_name == "IpRegistryBadNonce"
    assert (err.value.error_args["nonce"], err.value.error_args["expected"]) == (used + 5, used + 1)


def test_expired_signature_is_rejected(world: World) -> None:
    reg = world.ctx.ip_registry
    past = world.ctx.client.latest_timestamp() - 1
    signed = reg.sign(world.sh_enterprise, _hash("late"), SH, deadline=past)
    with pytest.raises(InvalidSignature) as err:
        reg.register(world.sh_node, signed)
    assert err.value.error_name == "IpRegistryExpiredSignature"


def test_signature_for_another_chain_is_rejected(world: World) -> None:
    reg = world.ctx.ip_registry
    signed = reg.sign(
        world.sh_enterprise, _hash("other chain"), SH, chain_id=world.ctx.client.chain_id + 1
    )
    with pytest.raises(InvalidSignature) as err:
        reg.register(world.sh_node, signed)
    assert err.value.error_name == "IpRegistryInvalidSigner"


def test_signature_by_another_key_is_rejected(world: World) -> None:
    reg = world.ctx.ip_registry
    good = reg.sign(world.sh_enterprise, _hash("forged"), SH)
    forged = reg.sign(LocalSigner.generate(), _hash("forged"), SH)
    tampered = type(good)(good.registration, forged.signature)
    with pytest.raises(InvalidSignature):
        reg.register(world.sh_node, tampered)


def test_enterprise_not_bound_to_that_zone_is_rejected(world: World) -> None:
    reg = world.ctx.ip_registry
    # the Anhui enterprise claims Shanghai, submitted by Shanghai's node
    signed = reg.sign(world.ah_enterprise, _hash("wrong zone"), SH)
    with pytest.raises(PermissionDenied) as err:
        reg.register(world.sh_node, signed)
    assert err.value.error_name == "IpRegistryEnterpriseNotInZone"
    assert err.value.error_args["boundZone"] == AH
    unbound = reg.sign(LocalSigner.generate(), _hash("unbound"), SH)
    with pytest.raises(PermissionDenied):
        reg.register(world.sh_node, unbound)


def test_zone_node_of_another_zone_cannot_submit(world: World) -> None:
    reg = world.ctx.ip_registry
    signed = reg.sign(world.sh_enterprise, _hash("relay"), SH)
    with pytest.raises(PermissionDenied) as err:
        reg.register(world.ah_node, signed)
    assert err.value.error_name == "ZoneRoleMissing"
    assert err.value.error_args["zoneId"] == SH


def test_suspended_zone_node_cannot_submit(world: World) -> None:
    world.ctx.governance.decide(world.committee[:2], Action.SUSPEND_ZONE, zone_id=SH)
    reg = world.ctx.ip_registry
    with pytest.raises(PermissionDenied):
        reg.register(world.sh_node, reg.sign(world.sh_enterprise, _hash("suspended"), SH))


def test_batch_registers_every_record_in_one_transaction(world: World) -> None:
    reg = world.ctx.ip_registry
    owner = world.sh_enterprise
    start = reg.nonce(owner.address)
    batch = [reg.sign(owner, _hash(f"batch {i}"), SH, nonce=start + i) for i in range(5)]
    receipt = reg.register_batch(world.sh_node, batch)
    assert len(receipt.logs) == 5
    assert all(reg.record(_hash(f"batch {i}")) is not None for i in range(5))


def test_batch_is_all_or_nothing(world: World) -> None:
    reg = world.ctx.ip_registry
    owner = world.sh_enterprise
    reg.register(world.sh_node, reg.sign(owner, _hash("taken"), SH))
    start = reg.nonce(owner.address)
    batch = [
        reg.sign(owner, _hash(label), SH, nonce=start + i)
        for i, label in enumerate(["fresh", "taken"])
    ]
    with pytest.raises(AlreadyExists):
        reg.register_batch(world.sh_node, batch)
    assert reg.record(_hash("fresh")) is None


def _items(label: str, n: int) -> list[IpItem]:
    return [IpItem(_hash(f"{label} {i}"), 3) for i in range(n)]


def test_signed_batch_registers_every_work_under_one_signature(world: World) -> None:
    reg = world.ctx.ip_registry
    items = _items("signed batch", 5)
    receipt = reg.register_signed(world.sh_node, reg.sign_batch(world.sh_enterprise, SH, items))
    assert len(receipt.logs) == 5
    for item in items:
        record = reg.record(item.content_hash)
        assert record is not None and record.owner == world.sh_enterprise.address
    assert reg.nonce(world.sh_enterprise.address) == 0  # no nonce used: batches are unordered
    nonce_word = receipt.logs[0]["data"][2:][192:256]
    assert int(nonce_word, 16) == 2**256 - 1


def test_resubmitted_signed_batch_is_a_no_op_and_conflicts_are_reported(world: World) -> None:
    reg = world.ctx.ip_registry
    items = _items("resubmitted", 4)
    batch = reg.sign_batch(world.sh_enterprise, SH, items)
    reg.register_signed(world.sh_node, batch)
    again = reg.register_signed(world.sh_node, batch)  # after a crash, say: nothing doubles
    assert again.status == 1 and again.logs == []
    # Another enterprise's batch holding one of those works: the rest go through.
    mixed = [items[0], *_items("newcomer", 2)]
    receipt = reg.register_signed(world.ah_node, reg.sign_batch(world.ah_enterprise, AH, mixed))
    names = [log["topics"][0] for log in receipt.logs]
    assert len(names) == 3 and len(set(names)) == 2  # one conflict, two registrations
    record = reg.record(items[0].content_hash)
    assert record is not None and record.owner == world.sh_enterprise.address


def test_signed_batch_refuses_tampering_and_other_signers(world: World) -> None:
    reg = world.ctx.ip_registry
    batch = reg.sign_batch(world.sh_enterprise, SH, _items("tampered", 3))
    longer = replace(batch, items=[*batch.items, IpItem(_hash("smuggled"))])
    with pytest.raises(InvalidSignature):
        reg.register_signed(world.sh_node, longer)
    forged = replace(batch, signature=LocalSigner.generate().sign_digest_unsafe(b"\1" * 32))
    with pytest.raises(InvalidSignature):
        reg.register_signed(world.sh_node, forged)
    with pytest.raises(PermissionDenied):
        reg.register_signed(world.ah_node, batch)  # a node of another zone
    past = reg.sign_batch(
        world.sh_enterprise, SH, _items("late", 1), deadline=world.ctx.client.latest_timestamp() - 1
    )
    with pytest.raises(InvalidSignature) as err:
        reg.register_signed(world.sh_node, past)
    assert err.value.error_name == "IpRegistryExpiredSignature"


def test_batch_digest_equals_eth_account_typed_data(world: World) -> None:
    from eth_account import Account
    from eth_account.messages import encode_typed_data

    from ftzchain.eip712 import ip_batch_digest, registry_typed_data

    chain_id, address = world.ctx.client.chain_id, world.ctx.ip_registry.address
    items = _items("typed data", 3)
    key = LocalSigner.generate()
    message = {
        "owner": key.address,
        "zoneId": SH,
        "items": [
            {"contentHash": i.content_hash, "workType": i.work_type, "titleHash": i.title_hash}
            for i in items
        ],
        "deadline": 12345,
    }
    signable = encode_typed_data(
        full_message=registry_typed_data("IpBatch", message, chain_id, address)
    )
    expected = Account.sign_message(signable, key.private_key).signature
    digest = ip_batch_digest(key.address, SH, items, 12345, chain_id, address)
    assert key.sign_digest_unsafe(digest) == bytes(expected)
