"""The indexer mirrors chain events into SQL, once each, on SQLite and PostgreSQL; survives
SIGKILL, reorgs, node outages and nodes that refuse large ranges."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ftzchain.compile import Build
from ftzchain.devnet import LocalNode
from ftzchain.rpc import RpcError
from indexer.runner import Indexer, ReorgTooDeep
from indexer.service import build_indexer
from indexer.sink import EMPTY, SqlSink
from tests.conftest import World, make_world
from tests.indexer.helpers import (
    TABLES,
    fresh_db,
    indexer_for,
    register_bulk,
    register_many,
    table_rows,
)
from tests.indexer.rpc_proxy import RpcProxy


def _snapshot(engine: Engine) -> dict[str, list[dict[str, object]]]:
    return {t: table_rows(engine, t) for t in TABLES}


def _cursor_block(engine: Engine, chain_id: int) -> int:
    cursor = SqlSink(engine).read_cursor(chain_id)
    return -1 if cursor is None else cursor.block_number


def _indexer_via(world: World, url: str, engine: Engine, **options: int) -> Indexer:
    """An indexer of the world's contracts that talks to ``url`` (e.g. a proxy), no retries."""
    indexer = build_indexer(world.ctx, engine, rpc_url=url)
    indexer.source.rpc.retries = 0
    for name, value in options.items():
        setattr(indexer, name, value)
    return indexer


def _fresh_index(world: World, url: str) -> dict[str, list[dict[str, object]]]:
    engine = fresh_db(url)
    indexer_for(world, engine).sync()
    return _snapshot(engine)


def test_index_mirrors_registrations_and_governance(world: World, db_url: str) -> None:
    hashes = register_many(world, 3)
    engine = fresh_db(db_url)
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


def test_reindexing_a_range_inserts_nothing_twice(world: World, db_url: str) -> None:
    register_many(world, 2)
    engine = fresh_db(db_url)
    indexer = indexer_for(world, engine)
    final = indexer.sync()
    before = _snapshot(engine)
    # rewind the cursor to the deployment block and replay everything
    SqlSink(engine).write(
        EMPTY, replace(final, block_number=world.deployment.start_block - 1, block_hash="0x")
    )
    indexer.sync()
    assert _snapshot(engine) == before


def test_new_genesis_means_a_clean_resync_not_a_reorg(anvil_world: World, db_url: str) -> None:
    world = anvil_world
    engine = fresh_db(db_url)
    indexer = indexer_for(world, engine)
    indexer.sync()
    assert table_rows(engine, "governance_event")
    other = _indexer_via(world, world.node.url, engine)
    other.genesis_hash = "0x" + "ab" * 32  # as if the devnet had been restarted
    other.sync()
    assert _cursor_block(engine, world.node.chain_id) == world.ctx.client.block_number()
    assert SqlSink(engine).read_cursor(world.node.chain_id).genesis_hash == "0x" + "ab" * 32


@pytest.mark.parametrize("depth", [1, 3, 10])
def test_reorg_is_rolled_back_and_replayed(
    anvil_world: World, db_factory: Callable[[], str], depth: int
) -> None:
    world = anvil_world
    rpc = world.ctx.client.rpc
    engine = fresh_db(db_factory())
    indexer = indexer_for(world, engine)
    register_many(world, 2, label="before")
    indexer.sync()

    snapshot = rpc.call("evm_snapshot")
    register_many(world, depth, label="orphaned")  # one block each
    indexer.sync()
    orphaned = {r["content_hash"] for r in table_rows(engine, "ip_registration")}
    assert len(orphaned) == 2 + depth

    assert rpc.call("evm_revert", [snapshot]) is True
    world.sh_node.resync_nonce()  # the revert took our transactions' nonces back too
    register_many(world, depth + 1, label="canonical")  # a longer, different branch
    indexer.sync()

    assert indexer.metrics.reorgs._value.get() == 1
    assert _snapshot(engine) == _fresh_index(world, db_factory())
    assert not any("orphaned" in str(r) for r in table_rows(engine, "ip_registration"))


def test_reorg_deeper_than_the_maximum_stops_and_touches_nothing(
    anvil_world: World, db_url: str
) -> None:
    world = anvil_world
    rpc = world.ctx.client.rpc
    engine = fresh_db(db_url)
    indexer = indexer_for(world, engine)
    indexer.max_reorg_depth = 3
    snapshot = rpc.call("evm_snapshot")
    register_many(world, 5, label="doomed")
    indexer.sync()
    before = _snapshot(engine)
    cursor_before = SqlSink(engine).read_cursor(world.node.chain_id)
    rpc.call("evm_revert", [snapshot])
    world.sh_node.resync_nonce()
    register_many(world, 6, label="winner")
    with pytest.raises(ReorgTooDeep, match="nothing was deleted"):
        indexer.sync()
    assert _snapshot(engine) == before
    assert SqlSink(engine).read_cursor(world.node.chain_id) == cursor_before


def test_node_outage_is_waited_out_and_nothing_is_lost(anvil_world: World, db_url: str) -> None:
    world = anvil_world
    proxy = RpcProxy(world.node.url)
    proxy.start()
    engine = fresh_db(db_url)
    indexer = _indexer_via(world, proxy.url, engine)
    stop = threading.Event()
    follower = threading.Thread(target=indexer.follow, args=(0.05,), kwargs={"stop": stop})
    follower.start()
    try:
        register_many(world, 3, label="up")
        _wait_for(
            lambda: _cursor_block(engine, world.node.chain_id) >= world.ctx.client.block_number()
        )
        proxy.stop()  # the node goes away
        register_many(world, 3, label="while down")
        _wait_for(lambda: indexer.metrics.node_errors._value.get() >= 2)
        proxy.start()  # and comes back on the same port
        head = world.ctx.client.block_number()
        _wait_for(lambda: _cursor_block(engine, world.node.chain_id) >= head)
    finally:
        stop.set()
        follower.join(30)
        proxy.close()
    assert not follower.is_alive()
    assert _snapshot(engine) == _fresh_index(world, f"sqlite:///{_tmp(world)}/fresh.db")


def test_malformed_log_from_the_node_stops_with_a_clear_error(
    anvil_world: World, tmp_path: Path
) -> None:
    world = anvil_world
    register_many(world, 2, label="malformed")
    engine = fresh_db(f"sqlite:///{tmp_path / 'malformed.db'}")
    with RpcProxy(world.node.url) as proxy:
        proxy.malformed_logs = True
        indexer = _indexer_via(world, proxy.url, engine, max_reorg_depth=1)
        with pytest.raises(RpcError, match="malformed answer from the node"):
            indexer.sync()
    assert table_rows(engine, "ip_registration") == []


def test_node_refusing_large_ranges_is_handled(anvil_world: World, db_url: str) -> None:
    world = anvil_world
    register_many(world, 6, label="ranges")
    engine = fresh_db(db_url)
    with RpcProxy(world.node.url) as proxy:
        proxy.max_log_range = 3
        # A window of one block, so the older blocks are read by range (and refused).
        _indexer_via(world, proxy.url, engine, max_range=1000, max_reorg_depth=1).sync()
    assert proxy.refused_ranges >= 1
    assert _snapshot(engine) == _fresh_index(world, f"sqlite:///{_tmp(world)}/fresh.db")


def test_block_whose_bloom_names_us_but_came_back_empty_is_asked_again(
    anvil_world: World, tmp_path: Path
) -> None:
    world = anvil_world
    register_many(world, 3, label="bloom")
    hidden = world.ctx.client.block_number() - 1
    engine = fresh_db(f"sqlite:///{tmp_path / 'bloom.db'}")
    with RpcProxy(world.node.url) as proxy:
        proxy.hide_logs_of_block = hidden
        # A window of one block: the hidden block is read by range, not by hash.
        _indexer_via(world, proxy.url, engine, max_reorg_depth=1).sync()
    assert hidden in {r["block_number"] for r in table_rows(engine, "ip_registration")}
    hidden_hash = world.ctx.client.rpc.call("eth_getBlockByNumber", [hex(hidden), False])["hash"]
    assert proxy.asked_by_hash[0] == hidden_hash  # the bloom re-check found it
    assert _snapshot(engine) == _fresh_index(world, f"sqlite:///{tmp_path / 'fresh.db'}")


def test_blocks_in_the_reorg_window_are_read_by_hash(anvil_world: World, tmp_path: Path) -> None:
    """New blocks' logs are asked by block hash; older ones by range, and never both."""
    world = anvil_world
    register_many(world, 4, label="window")
    head = world.ctx.client.block_number()
    engine = fresh_db(f"sqlite:///{tmp_path / 'window.db'}")
    with RpcProxy(world.node.url) as proxy:
        _indexer_via(world, proxy.url, engine, max_reorg_depth=3).sync()
    window_blocks = {
        world.ctx.client.rpc.call("eth_getBlockByNumber", [hex(n), False])["hash"]: n
        for n in range(head - 2, head + 1)
    }
    rows = table_rows(engine, "ip_registration")
    with_logs = {r["block_hash"] for r in rows if r["block_number"] > head - 3}
    assert with_logs and with_logs <= set(proxy.asked_by_hash) <= set(window_blocks)
    assert _snapshot(engine) == _fresh_index(world, f"sqlite:///{tmp_path / 'fresh.db'}")


def test_overloaded_node_answers_are_retried_with_backoff(
    anvil_world: World, tmp_path: Path
) -> None:
    world = anvil_world
    register_many(world, 2, label="busy")
    engine = fresh_db(f"sqlite:///{tmp_path / 'busy.db'}")
    with RpcProxy(world.node.url) as proxy:
        proxy.fail_next = 3
        indexer = _indexer_via(world, proxy.url, engine)
        indexer.source.rpc.retries = 5
        indexer.sync()
    assert proxy.fail_next == 0
    assert _snapshot(engine) == _fresh_index(world, f"sqlite:///{tmp_path / 'fresh.db'}")


def test_metrics_are_served_for_prometheus(anvil_world: World, tmp_path: Path) -> None:
    import httpx

    from ftzchain.devnet import free_port

    world = anvil_world
    register_many(world, 2, label="metrics")
    indexer = indexer_for(world, fresh_db(f"sqlite:///{tmp_path / 'm.db'}"))
    port = free_port()
    indexer.metrics.serve(port)
    try:
        indexer.sync()
        text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    finally:
        indexer.metrics.close()
    head = world.ctx.client.block_number()
    assert f"ftz_indexer_indexed_block {float(head)}" in text
    assert "ftz_indexer_events_total" in text and "ftz_indexer_reorgs_total 0.0" in text


def _tmp(world: World) -> Path:
    return world.ctx.settings.state_dir


def _wait_for(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


@pytest.fixture(scope="module")
def world_with_50k_events(
    anvil: LocalNode, build: Build, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One chain with 50,000 registrations (500 blocks of 100), shared by both databases."""
    world = make_world(anvil, tmp_path_factory.mktemp("bulk"), build)
    register_bulk(world, 50_000, per_tx=100, label="crash")
    yield world
    world.ctx.close()


@pytest.mark.slow
def test_sigkilled_20_times_during_a_50k_event_backfill_leaves_same_rows(
    world_with_50k_events: World, db_factory: Callable[[], str]
) -> None:
    world = world_with_50k_events
    head = world.ctx.client.block_number()
    env = {
        **os.environ,
        "FTZ_PROJECT_ROOT": str(world.ctx.settings.project_root),
        "FTZ_STATE_DIR": str(world.ctx.settings.state_dir),
        "FTZ_RPC_URL": world.node.url,
        "FTZ_LOG_RANGE": "4",  # 400 events per transaction: many commit points to die between
    }
    ftz = str(Path(sys.executable).with_name("ftz"))
    killed_url = db_factory()
    killed = fresh_db(killed_url)
    start = world.deployment.start_block
    points = sorted(random.Random(20261127).sample(range(start + 10, head - 20), 20))
    kills = 0
    for point in points:
        proc = subprocess.Popen(
            [ftz, "index"],
            env={**env, "FTZ_DATABASE_URL": killed_url},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for(
            lambda p=point, pr=proc: (
                _cursor_block(killed, world.node.chain_id) >= p or pr.poll() is not None
            ),
            timeout=300,
        )
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
    assert kills == 20

    clean = fresh_db(db_factory())
    indexer_for(world, clean).sync(to_block=head)
    assert _cursor_block(killed, world.node.chain_id) >= head
    killed_rows, clean_rows = _snapshot(killed), _snapshot(clean)
    assert len(clean_rows["ip_registration"]) == 50_000
    assert killed_rows == clean_rows
