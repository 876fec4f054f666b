"""The indexer mirrors chain events into SQL, once each, and survives being killed."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine

from indexer.sink import SqlSink
from tests.conftest import World
from tests.indexer.helpers import TABLES, fresh_db, indexer_for, register_many, table_rows


def test_index_mirrors_registrations_and_governance(world: World, tmp_path: Path) -> None:
    hashes = register_many(world, 3)
    engine = fresh_db(f"sqlite:///{tmp_path / 'index.db'}")
    cursor = indexer_for(world, engine).sync()
    assert cursor.block_number == world.ctx.client.block_number()

    rows = table_rows(engine, "ip_registration")
    assert [r["content_hash"] for r in rows] == ["0x" + h.hex() for h in hashes]
    chain_record = world.ctx.ip_registry.record(hashes[0])
    assert chain_record is not None
    assert rows[0]["owner"] == world.sh_enterprise.address.lower()
    assert rows[0]["zone"] == "CN-SH"
    assert rows[0]["submitter"] == world.sh_node.address.lower()
    assert int(rows[0]["registered_at"].timestamp()) == chain_record.registered_at

    gov_logs = world.ctx.client.rpc.call(
        "eth_getLogs",
        [
            {
                "fromBlock": "0x0",
                "toBlock": "latest",
                "address": world.deployment.address("Governance"),
            }
        ],
    )
    events = table_rows(engine, "governance_event")
    assert len(events) == len(gov_logs)
    assert {"ZoneAdmitted", "RoleGranted", "EnterpriseBound", "ProposalExecuted"} <= {
        e["event"] for e in events
    }


def test_reindexing_a_range_inserts_nothing_twice(world: World, tmp_path: Path) -> None:
    register_many(world, 2)
    engine = fresh_db(f"sqlite:///{tmp_path / 'index.db'}")
    indexer = indexer_for(world, engine)
    final = indexer.sync()
    before = {t: table_rows(engine, t) for t in TABLES}
    # rewind the cursor to the deployment block and replay everything
    sink = SqlSink(engine)
    from dataclasses import replace

    sink.write(
        [], {}, replace(final, block_number=world.deployment.start_block - 1, block_hash="0x")
    )
    indexer.sync()
    assert {t: table_rows(engine, t) for t in TABLES} == before


def _cursor_block(engine: Engine, chain_id: int) -> int:
    cursor = SqlSink(engine).read_cursor(chain_id)
    return -1 if cursor is None else cursor.block_number


def test_killed_indexer_leaves_same_rows_as_uninterrupted_run(
    anvil_world: World, tmp_path: Path
) -> None:
    world = anvil_world
    register_many(world, 40, label="crash")
    world.ctx.client.rpc.call("anvil_mine", [hex(150)])
    register_many(world, 40, label="crash-late")
    head = world.ctx.client.block_number()

    env = {
        **os.environ,
        "FTZ_PROJECT_ROOT": str(world.ctx.settings.project_root),
        "FTZ_STATE_DIR": str(world.ctx.settings.state_dir),
        "FTZ_RPC_URL": world.node.url,
        "FTZ_LOG_RANGE": "1",  # one block per transaction: many commit points to die between
    }
    ftz = str(Path(sys.executable).with_name("ftz"))

    killed_url = f"sqlite:///{tmp_path / 'killed.db'}"
    killed = fresh_db(killed_url)
    rng = random.Random(20261127)
    start = world.deployment.start_block
    kill_points = sorted(rng.sample(range(start + 5, head - 5), 4))
    kills = 0
    for point in kill_points:
        proc = subprocess.Popen(
            [ftz, "index"],
            env={**env, "FTZ_DATABASE_URL": killed_url},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while _cursor_block(killed, world.node.chain_id) < point and proc.poll() is None:
            assert time.monotonic() < deadline, "indexer made no progress"
            time.sleep(0.005)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    subprocess.run(
        [ftz, "index"],
        env={**env, "FTZ_DATABASE_URL": killed_url},
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert kills >= 1

    clean = fresh_db(f"sqlite:///{tmp_path / 'clean.db'}")
    indexer_for(world, clean).sync(to_block=head)
    assert _cursor_block(killed, world.node.chain_id) >= head
    for table in TABLES:
        assert table_rows(killed, table) == table_rows(clean, table)
    assert len(table_rows(clean, "ip_registration")) == 80
