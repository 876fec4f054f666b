"""IP lifecycle after registration: transfer, licences, court freeze / ruling / unfreeze."""

from __future__ import annotations

import hashlib

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from ftzchain.eip712 import (
    ip_licence_digest,
    ip_transfer_digest,
    registry_typed_data,
)
from ftzchain.errors import InvalidSignature, InvalidState, PermissionDenied
from ftzchain.signing import LocalSigner
from tests.conftest import AH, SH, World

CASE = b"(2026) Hu 73 Min Chu 1".ljust(32, b"\0")


def _registered(world: World, label: str) -> bytes:
    reg = world.ctx.ip_registry
    content = hashlib.sha256(label.encode()).digest()
    reg.register(world.sh_node, reg.sign(world.sh_enterprise, content, SH))
    return content


def test_transfer_signed_by_owner_moves_the_record(world: World) -> None:
    reg = world.ctx.ip_registry
    content = _registered(world, "transfer me")
    t, sig = reg.sign_transfer(world.sh_enterprise, content, world.ah_enterprise.address, AH)
    receipt = reg.transfer(world.sh_node, t, sig)
    record = reg.record(content)
    assert record is not None and record.owner == world.ah_enterprise.address
    (log,) = receipt.logs
    assert bytes.fromhex(log["topics"][1][2:]) == content
    # The new owner may hand it on, relayed by its own zone's node.
    t2, sig2 = reg.sign_transfer(world.ah_enterprise, content, world.sh_enterprise.address, SH)
    reg.transfer(world.ah_node, t2, sig2)
    record = reg.record(content)
    assert record is not None and record.owner == world.sh_enterprise.address


def test_transfer_needs_the_current_owners_signature(world: World) -> None:
    reg = world.ctx.ip_registry
    content = _registered(world, "not yours")
    thief = LocalSigner.generate()
    t, _ = reg.sign_transfer(world.sh_enterprise, content, world.ah_enterprise.address, AH)
    forged = thief.sign_digest_unsafe(
        ip_transfer_digest(t, world.ctx.client.chain_id, world.ctx.ip_registry.address)
    )
    with pytest.raises(InvalidSignature) as err:
        reg.transfer(world.sh_node, t, forged)
    assert err.value.error_name == "IpRegistryInvalidSigner"
    # After a transfer the former owner can no longer sign one.
    t1, sig1 = reg.sign_transfer(world.sh_enterprise, content, world.ah_enterprise.address, AH)
    reg.transfer(world.sh_node, t1, sig1)
    t2, sig2 = reg.sign_transfer(world.sh_enterprise, content, world.sh_enterprise.address, SH)
    with pytest.raises(PermissionDenied) as err2:
        reg.transfer(world.sh_node, t2, sig2)  # the owner is now in CN-AH: not SH's business
    assert err2.value.error_name == "ZoneRoleMissing"


def test_transfer_to_an_enterprise_outside_the_named_zone_is_refused(world: World) -> None:
    reg = world.ctx.ip_registry
    content = _registered(world, "wrong zone")
    t, sig = reg.sign_transfer(world.sh_enterprise, content, world.ah_enterprise.address, SH)
    with pytest.raises(PermissionDenied) as err:
        reg.transfer(world.sh_node, t, sig)
    assert err.value.error_name == "IpRegistryEnterpriseNotInZone"


def test_frozen_record_cannot_be_transferred_or_licensed_until_unfrozen(world: World) -> None:
    reg = world.ctx.ip_registry
    content = _registered(world, "disputed")
    reg.freeze(world.court, content, CASE)
    record = reg.record(content)
    assert record is not None and record.frozen
    t, sig = reg.sign_transfer(world.sh_enterprise, content, world.ah_enterprise.address, AH)
    with pytest.raises(InvalidState) as err:
        reg.transfer(world.sh_node, t, sig)
    assert err.value.error_name == "IpRegistryFrozen"
    lic, lic_sig = reg.sign_licence(
        world.sh_enterprise, content, world.ah_enterprise.address, b"\1" * 32, 1, 2
    )
    with pytest.raises(InvalidState):
        reg.license(world.sh_node, lic, lic_sig)
    with pytest.raises(InvalidState) as err:
        reg.freeze(world.court, content, CASE)
    assert err.value.error_name == "IpRegistryFrozen"

    judgment = hashlib.sha256(b"judgment text").digest()
    receipt = reg.record_ruling(world.court, content, CASE, judgment)
    assert receipt.logs[0]["data"][-64:] == judgment.hex()
    reg.unfreeze(world.court, content, CASE)
    assert not reg.record(content).frozen  # type: ignore[union-attr]
    t, sig = reg.sign_transfer(world.sh_enterprise, content, world.ah_enterprise.address, AH)
    reg.transfer(world.sh_node, t, sig)
    with pytest.raises(InvalidState) as err:
        reg.unfreeze(world.court, content, CASE)
    assert err.value.error_name == "IpRegistryNotFrozen"


def test_only_the_court_role_freezes_and_rules(world: World) -> None:
    reg = world.ctx.ip_registry
    content = _registered(world, "court only")
    for caller in (world.sh_node, world.customs, world.outsider, world.committee[0]):
        with pytest.raises(PermissionDenied) as err:
            reg.freeze(caller, content, CASE)
        assert err.value.error_name == "IpRegistryNotCourt"
        with pytest.raises(PermissionDenied):
            reg.record_ruling(caller, content, CASE, b"\3" * 32)


def test_licences_are_numbered_and_need_a_valid_period(world: World) -> None:
    reg = world.ctx.ip_registry
    content = _registered(world, "licensed")
    scope = hashlib.sha256(b"field: EV batteries; territory: CN; non-exclusive").digest()
    lic, sig = reg.sign_licence(
        world.sh_enterprise,
        content,
        world.ah_enterprise.address,
        scope,
        1_800_000_000,
        1_900_000_000,
    )
    receipt = reg.license(world.sh_node, lic, sig)
    assert int(receipt.logs[0]["topics"][2], 16) == 1
    bad, bad_sig = reg.sign_licence(
        world.sh_enterprise, content, world.ah_enterprise.address, scope, 5, 5
    )
    with pytest.raises(InvalidState) as err:
        reg.license(world.sh_node, bad, bad_sig)
    assert err.value.error_name == "IpRegistryInvalidPeriod"


def test_fast_digests_equal_eth_account_typed_data(world: World) -> None:
    reg = world.ctx.ip_registry
    chain_id, address = world.ctx.client.chain_id, world.ctx.ip_registry.address
    content = hashlib.sha256(b"digest parity").digest()
    t, _ = reg.sign_transfer(world.sh_enterprise, content, world.ah_enterprise.address, AH, nonce=7)
    message = {
        "contentHash": t.content_hash,
        "newOwner": t.new_owner,
        "newZoneId": t.new_zone_id,
        "nonce": t.nonce,
        "deadline": t.deadline,
    }
    signable = encode_typed_data(
        full_message=registry_typed_data("IpTransfer", message, chain_id, address)
    )
    key = LocalSigner.generate()
    expected = Account.sign_message(signable, key.private_key).signature
    assert key.sign_digest_unsafe(ip_transfer_digest(t, chain_id, address)) == bytes(expected)

    lic, _ = reg.sign_licence(
        world.sh_enterprise, content, world.ah_enterprise.address, b"\5" * 32, 10, 20
    )
    message = {
        "contentHash": lic.content_hash,
        "licensee": lic.licensee,
        "scopeHash": lic.scope_hash,
        "validFrom": lic.valid_from,
        "validUntil": lic.valid_until,
        "nonce": lic.nonce,
        "deadline": lic.deadline,
    }
    signable = encode_typed_data(
        full_message=registry_typed_data("IpLicence", message, chain_id, address)
    )
    expected = Account.sign_message(signable, key.private_key).signature
    assert key.sign_digest_unsafe(ip_licence_digest(lic, chain_id, address)) == bytes(expected)
