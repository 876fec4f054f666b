"""Two indexes of the same chain have the same per-block digest, on SQLite and PostgreSQL
alike; one changed row, or another block, changes it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from indexer.digest import table_digest
from tests.conftest import World
from tests.indexer.helpers import fresh_db, indexer_for, register_many


def test_indexes_of_one_chain_have_one_digest(world: World, db_url: str, tmp_path: Path) -> None:
    register_many(world, 3, label="digest")
    middle = world.ctx.client.block_number()
    register_many(world, 2, label="digest later")
    here = fresh_db(db_url)
    there = fresh_db(f"sqlite:///{tmp_path / 'other.db'}")
    for engine in (here, there):
        indexer_for(world, engine).sync()
    chain_id, head = world.ctx.client.chain_id, world.ctx.client.block_number()
    ours, theirs = table_digest(here, chain_id, head), table_digest(there, chain_id, head)
    assert ours == theirs and ours.rows > 5
    earlier = table_digest(there, chain_id, middle)
    assert earlier.rows < ours.rows and earlier.digest != ours.digest
    with there.begin() as conn:
        conn.execute(
            text(
                "UPDATE ip_registration SET work_type = work_type + 1 "
                "WHERE id = (SELECT MAX(id) FROM ip_registration)"
            )
        )
    assert table_digest(there, chain_id, head).digest != ours.digest
    assert table_digest(there, chain_id, middle) == earlier  # the change is after `middle`
