"""Helpers shared by indexer and API tests."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import SQLModel

from ftzchain.sandbox import bulk_register
from indexer.db import make_engine, migrate
from indexer.runner import Indexer
from indexer.service import build_indexer
from tests.conftest import SH, World

TABLES = ("ip_registration", "governance_event")


def register_many(world: World, count: int, label: str = "work") -> list[bytes]:
    """Register ``count`` works, one transaction each (a block each on automining nodes)."""
    reg = world.ctx.ip_registry
    owner = world.sh_enterprise
    start = reg.nonce(owner.address)
    hashes, tx_hashes = [], []
    for i in range(count):
        content = hashlib.sha256(f"{label} {i}".encode()).digest()
        signed = reg.sign(owner, content, SH, nonce=start + i)
        data = reg.codec.encode_call("register", signed.registration.as_tuple(), signed.signature)
        tx_hashes.append(world.sh_node.send(reg.address, data, gas=200_000))
        hashes.append(content)
    for tx_hash in tx_hashes:
        assert world.ctx.client.wait_for_receipt(tx_hash).status == 1
    return hashes


def fresh_db(url: str) -> Engine:
    migrate(url)
    return make_engine(url)


def indexer_for(world: World, engine: Engine) -> Indexer:
    return build_indexer(world.ctx, engine)


def table_rows(engine: Engine, table: str) -> list[dict[str, Any]]:
    """Every row but the surrogate id, in natural-key order."""
    t = SQLModel.metadata.tables[table]
    with engine.connect() as conn:
        rows = conn.execute(select(t).order_by(t.c.block_number, t.c.log_index))
        return [{k: v for k, v in row._mapping.items() if k != "id"} for row in rows]


def register_bulk(world: World, count: int, per_tx: int = 100, label: str = "bulk") -> int:
    """Register ``count`` works in batches of ``per_tx`` (one block per batch); returns blocks."""
    return bulk_register(
        world.ctx.ip_registry, world.sh_node, world.sh_enterprise, "CN-SH", count, per_tx, label
    )
