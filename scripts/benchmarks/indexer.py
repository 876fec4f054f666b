"""`scripts/bench indexer`: backfill events/s and follow-mode lag against a naive indexer."""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from ftzchain.domain import zone_id

from .harness import (
    Bench,
    Result,
    fresh_bench,
    median_p95,
    tree_cpu_s,
)

log = logging.getLogger("bench")


def naive_backfill(bench: Bench, url: str, first: int, last: int) -> int:
    """The baseline: web3 contract-event get_logs over the whole range, one ORM add per row."""
    from sqlmodel import Session
    from web3 import Web3

    from indexer.db import make_engine, migrate
    from indexer.models import IpRegistrationRow

    migrate(url)
    engine = make_engine(url)
    w3 = Web3(Web3.HTTPProvider(bench.node.url, request_kwargs={"timeout": 600}))
    registry = w3.eth.contract(
        address=Web3.to_checksum_address(bench.ctx.ip_registry.address),
        abi=bench.ctx.abis.get("IpRegistry"),
    )
    events = registry.events.IpRegistered.get_logs(from_block=first, to_block=last)
    times: dict[int, datetime] = {}
    with Session(engine) as session:
        for ev in events:
            number = ev["blockNumber"]
            if number not in times:
                block = w3.eth.get_block(number)
                times[number] = datetime.fromtimestamp(block["timestamp"], UTC)
            args = ev["args"]
            session.add(
                IpRegistrationRow(
                    chain_id=bench.node.chain_id,
                    block_number=number,
                    block_hash="0x" + ev["blockHash"].hex().removeprefix("0x"),
                    block_time=times[number],
                    tx_hash="0x" + ev["transactionHash"].hex().removeprefix("0x"),
                    log_index=ev["logIndex"],
                    contract=ev["address"].lower(),
                    content_hash="0x" + args["contentHash"].hex().removeprefix("0x"),
                    zone=args["zoneId"].rstrip(b"\0").decode(),
                    owner=args["owner"].lower(),
                    work_type=args["workType"],
                    title_hash="0x" + args["titleHash"].hex().removeprefix("0x"),
                    submitter=args["submitter"].lower(),
                    nonce=args["nonce"],
                    registered_at=datetime.fromtimestamp(args["registeredAt"], UTC),
                )
            )
        session.commit()
    engine.dispose()
    return len(events)


def follow_lag(bench: Bench, url: str, poll: float, samples: int) -> list[float]:
    """Seconds from a registration's receipt to its row being queryable, in follow mode."""
    import threading

    from sqlalchemy import text

    from indexer.db import make_engine, migrate
    from indexer.service import build_indexer

    migrate(url)
    engine = make_engine(url)
    indexer = build_indexer(bench.ctx, engine)
    indexer.sync()
    stop = threading.Event()
    thread = threading.Thread(target=indexer.follow, args=(poll,), kwargs={"stop": stop})
    thread.start()
    reg = bench.ctx.ip_registry
    lags = []
    try:
        for i in range(samples):
            content = hashlib.sha256(f"lag {i} {time.time()}".encode()).digest()
            signed = reg.sign(bench.enterprise, content, zone_id("CN-SH"))
            reg.register(bench.zone_node, signed)
            mined = time.perf_counter()
            query = text("SELECT 1 FROM ip_registration WHERE content_hash = :h")
            while True:
                with engine.connect() as conn:
                    if conn.execute(query, {"h": "0x" + content.hex()}).first():
                        break
                time.sleep(0.01)
            lags.append(time.perf_counter() - mined)
            time.sleep((i % 5) * poll / 5)  # spread submissions over the poll cycle
    finally:
        stop.set()
        thread.join()
        engine.dispose()
    return lags


def bench_indexer(args: argparse.Namespace) -> Result:
    from ftzchain.devpg import start_pg
    from ftzchain.sandbox import bulk_register
    from indexer.db import make_engine, migrate
    from indexer.service import build_indexer

    with tempfile.TemporaryDirectory() as state:
        bench = fresh_bench(args.node, Path(state))
        pg = start_pg() if args.store == "postgres" else None

        def new_db(name: str) -> str:
            return pg.create_database() if pg else f"sqlite:///{state}/{name}.db"

        try:
            first = bench.ctx.client.block_number() + 1
            started = time.perf_counter()
            txs = bulk_register(
                bench.ctx.ip_registry,
                bench.zone_node,
                bench.enterprise,
                "CN-SH",
                args.events,
                per_tx=100,
                label="indexer bench",
            )
            last = bench.ctx.client.block_number()
            print(
                f"pre-mined {args.events:,} IpRegistered events in {txs} blocks "
                f"({time.perf_counter() - started:.0f} s); store: {args.store}"
            )

            url = new_db("ours")
            migrate(url)
            engine = make_engine(url)
            indexer = build_indexer(bench.ctx, engine)
            # Warm the node once over the whole range with the indexer's own reads (its logs
            # filter and the headers), so neither the indexer nor the baseline measures a cold
            # node: anvil answered the first pass with about twice the CPU of later ones.
            for lo in range(first, last + 1, 100):
                hi = min(last, lo + 99)
                indexer.source.logs(lo, hi)
                indexer.source.headers(list(range(lo, hi + 1)))
            postmaster = int((pg.data_dir / "postmaster.pid").read_text().split()[0]) if pg else 0
            cpu_before = (
                time.process_time(),
                tree_cpu_s(bench.node.process.pid),
                tree_cpu_s(postmaster) if pg else 0.0,
            )
            t0 = time.perf_counter()
            indexer.sync()
            ours_s = time.perf_counter() - t0
            own, node_cpu, pg_cpu = (
                time.process_time() - cpu_before[0],
                tree_cpu_s(bench.node.process.pid) - cpu_before[1],
                (tree_cpu_s(postmaster) - cpu_before[2]) if pg else 0.0,
            )
            with engine.connect() as conn:
                from sqlalchemy import text

                count = conn.execute(text("SELECT count(*) FROM ip_registration")).scalar_one()
            engine.dispose()
            ours = count / ours_s
            print(f"  indexer backfill: {count:,} events in {ours_s:.2f} s = {ours:,.0f} events/s")
            print(
                f"  CPU during the backfill: indexer {own:.2f} s, node {node_cpu:.2f} s"
                + (f", PostgreSQL {pg_cpu:.2f} s" if pg else "")
                + f" ({os.cpu_count()} cores x {ours_s:.2f} s available)"
            )

            t0 = time.perf_counter()
            naive_count = naive_backfill(bench, new_db("naive"), first, last)
            naive_s = time.perf_counter() - t0
            naive = naive_count / naive_s
            print(
                f"  naive baseline (web3 get_logs + ORM add per row): {naive_count:,} events "
                f"in {naive_s:.2f} s = {naive:,.0f} events/s"
            )

            lags = follow_lag(bench, new_db("follow"), args.poll, args.lag_samples)
            lag_p50, p95 = median_p95(lags)
            print(
                f"  follow mode (poll {args.poll}s): lag p50 {lag_p50:.2f}s, "
                f"p95 {p95:.2f}s over {len(lags)} registrations"
            )
        finally:
            bench.ctx.close()
            bench.node.stop()
            if pg:
                pg.stop()
    ratio = ours / naive
    figures: dict[str, float | int | str] = {
        "events_per_s": round(ours),
        "baseline_events_per_s": round(naive),
        "ratio": round(ratio, 1),
        "lag_p95_s": round(p95, 2),
        "poll_s": args.poll,
        "events": count,
        "store": args.store,
    }
    return Result(
        f"indexer --store {args.store}",
        figures,
        headline=f"{ours:,.0f} events/s backfill, lag p95 {p95:.2f}s",
        baseline=f"{naive:,.0f} events/s (web3 get_logs + ORM add)",
        ratio=f"{ratio:.1f}",
    )
