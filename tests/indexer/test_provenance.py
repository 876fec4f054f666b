"""Trace back and forward over the on-chain provenance graph: splits, merges, packing,
depth 25 and a cycle recorded by mistake, answered by recursive SQL on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

from sqlmodel import Session

from api.queries.provenance import events, reached
from ftzchain.fingerprints import fingerprint
from ftzchain.trace import TraceItem
from tests.conftest import SH, World
from tests.indexer.helpers import fresh_db, indexer_for

DEPTH = 25


def _item(label: str, kind: int, inputs: list[str], outputs: list[str], key: bytes) -> TraceItem:
    return TraceItem(
        event_id=hashlib.sha256(label.encode()).digest(),
        event_type=kind,
        action=0 if kind == 3 else 1,
        biz_step=0,
        disposition=0,
        event_time=1_800_000_000 + len(label),
        where_hash=b"\2" * 32,
        inputs=tuple(fingerprint(i, key) for i in inputs),
        outputs=tuple(fingerprint(o, key) for o in outputs),
    )


def test_trace_back_and_forward(world: World, db_url: str) -> None:
    key = world.ctx.consortium_key
    chain = [f"X{i}" for i in range(1, DEPTH + 1)]
    graph = [
        ("commission A", 1, [], ["A"]),
        ("commission D", 1, [], ["D"]),
        ("split A", 3, ["A"], ["B", "C"]),
        ("merge B D", 3, ["B", "D"], ["E"]),
        ("pack E", 2, ["E"], ["P"]),
        ("first step", 3, ["P"], [chain[0]]),
        *[(f"step {i}", 3, [chain[i - 1]], [chain[i]]) for i in range(1, DEPTH)],
        ("cycle out", 3, [chain[-1]], ["Y"]),
        ("cycle back (a mistake)", 3, ["Y"], [chain[-2]]),
        ("observe C", 1, ["C"], []),
        ("C elsewhere", 3, ["C"], ["F"]),
    ]
    items = [_item(label, kind, ins, outs, key) for label, kind, ins, outs in graph]
    trace = world.ctx.traceability
    trace.record(world.sh_node, trace.sign_batch(world.sh_enterprise, SH, items))
    engine = fresh_db(db_url)
    indexer_for(world, engine).sync()
    chain_id = world.ctx.client.chain_id

    def fp(identifier: str) -> str:
        return "0x" + fingerprint(identifier, key).hex()

    def labels(found: list[object]) -> set[str]:
        by_id = {
            "0x" + i.event_id.hex(): label for (label, *_), i in zip(graph, items, strict=True)
        }
        return {by_id[e.event_id] for e in found}  # type: ignore[attr-defined]

    with Session(engine) as session:
        up = reached(session, chain_id, fp(chain[-1]), "upstream")
        assert up == {fp(x) for x in [*chain, "P", "E", "B", "D", "A", "Y"]}
        down = reached(session, chain_id, fp("A"), "downstream")
        assert down == {fp(x) for x in ["A", "B", "C", "E", "P", *chain, "Y", "F"]}
        assert fp("D") not in down

        back = labels(events(session, chain_id, fp(chain[-1]), "upstream"))
        assert {"commission A", "commission D", "split A", "merge B D", "pack E"} <= back
        assert {"cycle out", "cycle back (a mistake)", f"step {DEPTH - 1}"} <= back
        assert "C elsewhere" not in back and "observe C" not in back

        recall = labels(events(session, chain_id, fp("C"), "downstream"))
        assert recall == {"observe C", "C elsewhere"}
    engine.dispose()
