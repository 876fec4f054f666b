"""An event id is recorded once: a later claim of an id already on chain (another enterprise's
batch, or the same id twice in one batch) is kept as a conflict, never as a second event, on
anvil and ganache and on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from api.queries.trace import recorded_event
from ftzchain.trace import TraceItem
from indexer.models import TraceConflictRow, TraceEventRow, TraceLinkRow
from tests.conftest import AH, SH, World
from tests.indexer.helpers import fresh_db, indexer_for


def _item(label: str, where: bytes, output: bytes) -> TraceItem:
    return TraceItem(
        event_id=hashlib.sha256(label.encode()).digest(),
        event_type=1,
        action=1,
        biz_step=5,
        disposition=1,
        event_time=1_800_000_000,
        where_hash=where,
        outputs=(output,),
    )


def _count(engine: Engine, table: type, **where: str) -> int:
    with Session(engine) as session:
        query = select(func.count()).select_from(table)
        for name, value in where.items():
            query = query.where(getattr(table, name) == value)
        return int(session.exec(query).one())


def test_a_second_claim_of_an_event_id_is_a_conflict(world: World, db_url: str) -> None:
    trace = world.ctx.traceability
    shared = _item("commission lot 7", b"\1" * 32, b"\7" * 32)
    own = _item("commission lot 8", b"\1" * 32, b"\x08" * 32)
    first = trace.record(world.sh_node, trace.sign_batch(world.sh_enterprise, SH, [shared]))
    # Another enterprise, in another zone, claims the same id with other fields; and its
    # batch repeats an id of its own.
    claimed = _item("commission lot 7", b"\2" * 32, b"\x09" * 32)
    later = trace.record(
        world.ah_node, trace.sign_batch(world.ah_enterprise, AH, [claimed, own, own])
    )
    engine = fresh_db(db_url)
    indexer = indexer_for(world, engine)
    indexer.sync()
    shared_id = "0x" + shared.event_id.hex()
    own_id = "0x" + own.event_id.hex()
    assert _count(engine, TraceEventRow, event_id=shared_id) == 1
    assert _count(engine, TraceEventRow, event_id=own_id) == 1
    assert _count(engine, TraceConflictRow, event_id=shared_id) == 1
    assert _count(engine, TraceConflictRow, event_id=own_id) == 1
    # The conflicting claim's output is no edge of the provenance graph.
    assert _count(engine, TraceLinkRow, fingerprint="0x" + (b"\x09" * 32).hex()) == 0
    with Session(engine) as session:
        conflict = session.exec(
            select(TraceConflictRow).where(TraceConflictRow.event_id == shared_id)
        ).one()
        found = recorded_event(session, world.ctx.client.chain_id, shared)
    assert conflict.tx_hash == later.tx_hash
    assert conflict.first_tx_hash == first.tx_hash
    assert conflict.enterprise == world.ah_enterprise.address.lower()
    # The first record stands, and the answer names the later claim.
    assert found is not None and found.fields_match and found.tx_hash == first.tx_hash
    assert [c.tx_hash for c in found.conflicts] == [later.tx_hash]
    # Writing the same blocks again (a replayed range) adds nothing.
    cursor = indexer.sink.read_cursor(world.ctx.client.chain_id)
    assert cursor is not None
    head = world.ctx.client.block_number()
    batch = indexer._fetch(first.block_number, later.block_number, head)
    assert indexer.sink.write(batch.rows, cursor) == 0
    assert _count(engine, TraceEventRow, event_id=shared_id) == 1
    assert _count(engine, TraceConflictRow, event_id=shared_id) == 1
