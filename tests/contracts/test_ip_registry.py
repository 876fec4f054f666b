"""IP registry: first-to-file, EIP-712 enterprise signatures, zone-node submission."""

from __future__ import annotations

import hashlib

import pytest

from ftzchain.domain import WorkType
from ftzchain.errors import AlreadyExists, InvalidSignature, PermissionDenied
from ftzchain.governance import Action
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


def test_replayed_signature_is_rejected(world: World) -> None:
    reg = world.ctx.ip_registry
    signed = reg.sign(world.sh_enterprise, _hash("replayed"), SH)
    reg.register(world.sh_node, signed)
    with pytest.raises(InvalidSignature) as err:
        reg.register(world.sh_node, signed)  # nonce consumed: the signature no longer matches
    assert err.value.error_name == "IpRegistryInvalidSigner"
    assert err.value.error_args["expected"].lower() == world.sh_enterprise.address.lower()


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
    assert err.value.error_name == "IpRegistryNotZoneNode"
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
