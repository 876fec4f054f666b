"""Set up a network's zones, roles and enterprises through committee votes (demo, tests, bench)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from ftzchain.client import TxSender
from ftzchain.domain import role_id, zone_id
from ftzchain.enums import GovernanceAction as Action
from ftzchain.errors import TransactionError
from ftzchain.governance import GovernanceContract
from ftzchain.ip import IpRegistryContract
from ftzchain.signing import Signer


@dataclass
class NetworkPlan:
    """What the committee should decide: zone codes, role grants and enterprise bindings."""

    zones: list[str] = field(default_factory=list)
    roles: list[tuple[str, str, str]] = field(default_factory=list)  # (role, account, zone)
    enterprises: list[tuple[str, str]] = field(default_factory=list)  # (account, zone)


def apply_plan(gov: GovernanceContract, voters: list[TxSender], plan: NetworkPlan) -> int:
    """Carry out the plan, one proposal per decision; returns the number of decisions."""
    decisions = 0
    for code in plan.zones:
        gov.decide(voters, Action.ADMIT_ZONE, zone_id=zone_id(code))
        decisions += 1
    for role, account, code in plan.roles:
        gov.decide(
            voters, Action.GRANT_ROLE, role=role_id(role), account=account, zone_id=zone_id(code)
        )
        decisions += 1
    for account, code in plan.enterprises:
        gov.decide(voters, Action.BIND_ENTERPRISE, account=account, zone_id=zone_id(code))
        decisions += 1
    return decisions


def bulk_register(
    registry: IpRegistryContract,
    zone_node: TxSender,
    enterprise: Signer,
    zone: str,
    count: int,
    per_tx: int = 100,
    label: str = "bulk",
) -> int:
    """Register ``count`` synthetic works in batches of ``per_tx``; returns the transactions.

    All transactions are sent before any receipt is awaited (the node mines them in order).
    """
    nonce = registry.nonce(enterprise.address)
    fees = registry.client.fees()
    zid = zone_id(zone)
    tx_hashes = []
    for start in range(0, count, per_tx):
        batch = [
            registry.sign(
                enterprise,
                hashlib.sha256(f"{label} {i}".encode()).digest(),
                zid,
                nonce=nonce + i,
                deadline=2**40,
            )
            for i in range(start, min(count, start + per_tx))
        ]
        data = registry.codec.encode_call(
            "registerBatch",
            [s.registration.as_tuple() for s in batch],
            [s.signature for s in batch],
        )
        tx_hashes.append(zone_node.send(registry.address, data, gas=80_000 * len(batch), fees=fees))
    for tx_hash in tx_hashes:
        if registry.client.wait_for_receipt(tx_hash).status != 1:
            raise TransactionError(f"bulk registration {tx_hash} reverted")
    return len(tx_hashes)


def epcis_document(label: str, count: int, company_prefix: str = "0614141") -> dict[str, Any]:
    """An EPCIS 2.0 document of ``count`` commissioning ObjectEvents, each of its own serial
    under ``label`` (demo data and load tests; every event has a distinct hash id)."""
    digest = int.from_bytes(hashlib.sha256(label.encode()).digest()[:4], "big")
    events = [
        {
            "type": "ObjectEvent",
            "eventTime": f"2026-11-01T08:{i // 60 % 60:02d}:{i % 60:02d}+08:00",
            "eventTimeZoneOffset": "+08:00",
            "epcList": [f"urn:epc:id:sgtin:{company_prefix}.107346.{digest}{i:06d}"],
            "action": "ADD",
            "bizStep": "commissioning",
            "disposition": "active",
            "readPoint": {"id": f"urn:epc:id:sgln:{company_prefix}.07346.1234"},
        }
        for i in range(count)
    ]
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-11-01T09:00:00+08:00",
        "epcisBody": {"eventList": events},
    }
