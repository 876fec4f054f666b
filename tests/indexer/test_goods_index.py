"""Custody, customs and certificates of origin reach SQL; the goods queries answer from it
(on SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib

from sqlmodel import Session

from api.queries.goods import (
    certificate_status,
    custody_chain,
    custody_state,
    declaration_status,
    sort_events,
    timeline,
    upstream_key_events,
)
from ftzchain.enums import Rule
from ftzchain.fingerprints import certificate_key, consignment_key, declaration_key, lot_key
from ftzchain.trace import TraceItem
from tests.conftest import AH, SH, World
from tests.indexer.helpers import fresh_db, indexer_for, table_rows


def _h(raw: bytes) -> str:
    return "0x" + raw.hex()


def test_goods_steps_are_indexed_and_answered(anvil_world: World, db_url: str) -> None:
    world, key = anvil_world, anvil_world.ctx.consortium_key
    parts, unit = lot_key("LOT-PARTS", key), lot_key("LOT-UNIT", key)
    csg, decl = consignment_key("CSG-1", key), declaration_key("DECL-1", key)
    cert, cert2 = certificate_key("CO-1", key), certificate_key("CO-2", key)
    assemble = TraceItem(
        hashlib.sha256(b"assemble").digest(), 3, 0, 3, 0, 1_700_000_000, b"\2" * 32,
        (parts,), (unit,),
    )  # fmt: skip
    trace = world.ctx.traceability
    trace.record(world.sh_node, trace.sign_batch(world.sh_enterprise, SH, [assemble]))
    custody, customs, origin = (
        world.ctx.custody,
        world.ctx.customs,
        world.ctx.origin_certificates,
    )
    custody.take_custody(world.sh_node, SH, [parts])
    custody.take_custody(world.sh_node, SH, [unit], assemble.event_id)
    custody.dispatch(world.sh_node, csg, SH, AH, [unit])
    customs.file_declaration(world.sh_node, decl, csg, SH, AH, Rule.BOTH_ZONES, b"\3" * 32)
    customs.inspect(world.customs, decl, SH, True, b"\4" * 32)
    origin.issue(world.issuer, cert, SH, parts, b"\5" * 32)

    engine = fresh_db(db_url)
    indexer_for(world, engine).sync()
    chain_id = world.ctx.client.chain_id
    rows = table_rows(engine, "trade_event")
    assert [r["event"] for r in rows] == [
        "CustodyTaken",
        "CustodyTaken",
        "ConsignmentDispatched",
        "DeclarationFiled",
        "InspectionRecorded",
        "CertificateIssued",
    ]
    assert rows[2]["lot"] == _h(unit) and rows[2]["zone"] == "CN-SH"
    assert rows[2]["other_zone"] == "CN-AH" and rows[1]["ref"] == _h(assemble.event_id)

    with Session(engine) as session:
        steps = custody_chain(session, chain_id, _h(unit))
        assert custody_state(steps) == ("in_transit", "CN-SH")
        status = declaration_status(session, chain_id, _h(decl))
        assert status is not None and status.status == "awaiting_inspection"
        assert status.blocking == ["inspection by CN-AH missing"]
        assert status.consignment == _h(csg)

    custody.receive(world.ah_node, csg, [unit])
    customs.inspect(world.customs_ah, decl, AH, True)
    customs.clear(world.customs_ah, decl, AH)
    origin.supersede(world.issuer, cert, cert2, parts, b"\6" * 32)
    origin.revoke(world.issuer, cert2, "origin criteria not met")
    indexer_for(world, engine).sync()

    with Session(engine) as session:
        assert custody_state(custody_chain(session, chain_id, _h(unit))) == ("held", "CN-AH")
        status = declaration_status(session, chain_id, _h(decl))
        assert status is not None and status.status == "cleared" and status.blocking == []
        old = certificate_status(session, chain_id, _h(cert))
        new = certificate_status(session, chain_id, _h(cert2))
        assert old is not None and old.status == "superseded" and old.replaced_by == _h(cert2)
        assert new is not None and new.status == "revoked" and new.replaces == _h(cert)
        assert new.closed is not None and new.closed.reason == "origin criteria not met"
        assert certificate_status(session, chain_id, _h(b"\7" * 32)) is None

        kinds = [e.kind for e in timeline(session, chain_id, _h(unit))]
        assert kinds[0] == "TransformationEvent assembling"  # the EPCIS time comes first
        assert set(kinds[1:]) == {
            "CustodyTaken",
            "ConsignmentDispatched",
            "DeclarationFiled",
            "InspectionRecorded",
            "ConsignmentReceived",
            "DeclarationCleared",
        }
        assert kinds.count("InspectionRecorded") == 2
        # The unit's upstream graph reaches the parts, and with them their certificates.
        found, lots = upstream_key_events(session, chain_id, _h(unit), limit=100)
        assert lots == 2
        kinds = [e.kind for e in found]
        assert "CertificateRevoked" in kinds and "CertificateSuperseded" in kinds
        assert kinds.count("CustodyTaken") == 2
        by_zone = sort_events(found, "zone", descending=True)
        assert [e.zone or "" for e in by_zone] == sorted(
            (e.zone or "" for e in found), reverse=True
        )
    engine.dispose()
