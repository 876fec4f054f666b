"""Transfers, licences and court actions reach SQL and the verification answer."""

from __future__ import annotations

import hashlib

from sqlmodel import Session

from api.routers.ip import find_registration
from tests.conftest import AH, World
from tests.indexer.helpers import fresh_db, indexer_for, register_many, table_rows

CASE = b"(2026) Wan 01 Min Chu 9".ljust(32, b"\0")


def test_lifecycle_events_are_indexed_and_answered(anvil_world: World, db_url: str) -> None:
    world = anvil_world
    ip = world.ctx.ip_registry
    (content,) = register_many(world, 1, label="lifecycle")
    lic, sig = ip.sign_licence(
        world.sh_enterprise, content, world.ah_enterprise.address, b"\7" * 32, 100, 200
    )
    ip.license(world.sh_node, lic, sig)
    t, sig = ip.sign_transfer(world.sh_enterprise, content, world.ah_enterprise.address, AH)
    ip.transfer(world.sh_node, t, sig)
    judgment = hashlib.sha256(b"judgment").digest()
    ip.freeze(world.court, content, CASE)
    ip.record_ruling(world.court, content, CASE, judgment)

    engine = fresh_db(db_url)
    indexer_for(world, engine).sync()
    rows = table_rows(engine, "ip_event")
    assert [r["event"] for r in rows] == [
        "IpLicensed",
        "IpTransferred",
        "IpFrozen",
        "IpRulingRecorded",
    ]
    licensed, transferred, frozen, ruling = rows
    assert (
        licensed["licence_id"] == 1
        and licensed["counterparty"] == world.ah_enterprise.address.lower()
    )
    assert licensed["document_hash"] == "0x" + "07" * 32
    assert transferred["owner"] == world.sh_enterprise.address.lower()
    assert transferred["zone"] == "CN-AH"
    assert frozen["actor"] == world.court.address.lower() and frozen["zone"] == "CN-AH"
    assert frozen["case_id"] == "0x" + CASE.hex()
    assert ruling["document_hash"] == "0x" + judgment.hex()

    with Session(engine) as session:
        answer = find_registration(session, "0x" + content.hex(), world.ctx.client.chain_id)
    assert answer is not None
    assert answer.owner == world.sh_enterprise.address.lower()
    assert answer.current_owner == world.ah_enterprise.address.lower()
    assert answer.frozen is True
    assert [h.event for h in answer.history] == [r["event"] for r in rows]

    ip.unfreeze(world.court, content, CASE)
    indexer_for(world, engine).sync()
    with Session(engine) as session:
        answer = find_registration(session, "0x" + content.hex(), world.ctx.client.chain_id)
    assert answer is not None and answer.frozen is False
    engine.dispose()
