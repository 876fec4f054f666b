"""`scripts/bench provenance`: upstream walks over HTTP against a hop-by-hop ORM walk."""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import logging
import tempfile
import time
from pathlib import Path

from ftzchain.fingerprints import fingerprint
from ftzchain.trace import TraceItem

from .harness import (
    BENCH_CONSORTIUM_KEY,
    SH,
    Result,
    fresh_bench,
    median_p95,
    served_api,
)

log = logging.getLogger("bench")


def _merge_tree(key: bytes, leaves: int, label: str) -> tuple[list[TraceItem], str]:
    """A product made by merging lots pairwise: ``leaves`` commissioned lots, then
    transformations of two lots into one until one is left (about 2 x leaves events, depth
    log2(leaves)); returns the events and the final product's lot id."""
    events: list[TraceItem] = []

    def add(kind: int, inputs: list[str], outputs: list[str]) -> None:
        n = len(events)
        events.append(
            TraceItem(
                event_id=hashlib.sha256(f"{label} event {n}".encode()).digest(),
                event_type=kind,
                action=1 if kind == 1 else 0,
                biz_step=5 if kind == 1 else 3,
                disposition=1,
                event_time=1_767_225_600 + n * 60,
                where_hash=hashlib.sha256(f"{label} site {n % 7}".encode()).digest(),
                inputs=tuple(fingerprint(i, key) for i in inputs),
                outputs=tuple(fingerprint(o, key) for o in outputs),
            )
        )

    level = [f"{label}:raw:{i}" for i in range(leaves)]
    for lot in level:
        add(1, [], [lot])
    depth = 0
    while len(level) > 1:
        depth += 1
        merged = []
        for i in range(0, len(level), 2):
            out = f"{label}:L{depth}:{i // 2}"
            add(3, level[i : i + 2], [out])
            merged.append(out)
        level = merged
    return events, level[0]


def _naive_upstream(url: str, chain_id: int, start: str) -> int:
    """Baseline: walk the graph hop by hop from Python, one ORM query per identifier and one
    per event, as a first implementation would."""
    from sqlmodel import Session, select

    from indexer.db import make_engine
    from indexer.models import TraceEventRow, TraceLinkRow

    engine = make_engine(url)
    seen, frontier, found = {start}, [start], set()
    with Session(engine) as session:
        while frontier:
            fp = frontier.pop()
            producers = session.exec(
                select(TraceLinkRow)
                .where(TraceLinkRow.chain_id == chain_id)
                .where(TraceLinkRow.fingerprint == fp)
                .where(TraceLinkRow.role == "out")
            ).all()
            for link in producers:
                event = session.exec(
                    select(TraceEventRow)
                    .where(TraceEventRow.chain_id == chain_id)
                    .where(TraceEventRow.tx_hash == link.tx_hash)
                    .where(TraceEventRow.log_index == link.log_index)
                ).one()
                found.add(event.event_id)
                inputs = session.exec(
                    select(TraceLinkRow)
                    .where(TraceLinkRow.chain_id == chain_id)
                    .where(TraceLinkRow.tx_hash == link.tx_hash)
                    .where(TraceLinkRow.log_index == link.log_index)
                    .where(TraceLinkRow.role == "in")
                ).all()
                for i in inputs:
                    if i.fingerprint not in seen:
                        seen.add(i.fingerprint)
                        frontier.append(i.fingerprint)
    engine.dispose()
    return len(found)


def bench_provenance(args: argparse.Namespace) -> Result:
    import urllib.parse

    import httpx

    from ftzchain.devpg import start_pg
    from indexer.db import make_engine, migrate
    from indexer.service import build_indexer

    key = bytes.fromhex(BENCH_CONSORTIUM_KEY)
    leaves = max(2, args.upstream // 2)
    with tempfile.TemporaryDirectory() as state:
        bench = fresh_bench(args.node, Path(state))
        pg = start_pg() if args.store == "postgres" else None
        stack = contextlib.ExitStack()
        try:
            ctx = bench.ctx
            trace = ctx.traceability
            target, target_lot = _merge_tree(key, leaves, "product")
            # Unrelated products beside it, so the tables are not just the graph asked about.
            others = [_merge_tree(key, leaves, f"other {i}")[0] for i in range(args.noise)]
            every = [*target, *(e for o in others for e in o)]
            for lo in range(0, len(every), 100):
                chunk = every[lo : lo + 100]
                trace.record(bench.zone_node, trace.sign_batch(bench.enterprise, SH, chunk))
            print(
                f"provenance: {len(target):,} events upstream of one product "
                f"(merge tree of {leaves} lots), {len(every):,} events on chain; "
                f"store: {args.store}"
            )
            url = pg.create_database() if pg else f"sqlite:///{state}/provenance.db"
            migrate(url)
            engine = make_engine(url)
            build_indexer(ctx, engine).sync()
            engine.dispose()
            start = "0x" + fingerprint(target_lot, key).hex()

            naive_times = []
            for _ in range(args.baseline_queries):
                t0 = time.perf_counter()
                naive_found = _naive_upstream(url, ctx.client.chain_id, start)
                naive_times.append((time.perf_counter() - t0) * 1000)
            if naive_found != len(target):
                raise RuntimeError(f"baseline found {naive_found} events, not {len(target)}")

            base = stack.enter_context(served_api(bench, url, state))
            query = f"{base}/v1/trace/upstream?id={urllib.parse.quote(target_lot, safe='')}"
            times = []
            with httpx.Client(timeout=30) as http:
                for i in range(args.queries + 10):
                    t0 = time.perf_counter()
                    r = http.get(query)
                    elapsed = (time.perf_counter() - t0) * 1000
                    if r.status_code != 200 or len(r.json()["events"]) != len(target):
                        raise RuntimeError(f"unexpected answer: {r.status_code} {r.text[:200]}")
                    if i >= 10:  # the first ones warm connections and caches
                        times.append(elapsed)
                export_times = []
                export = query.replace("/upstream?", "/export?")
                for _ in range(max(5, args.queries // 10)):
                    t0 = time.perf_counter()
                    if http.get(export).status_code != 200:
                        raise RuntimeError("export failed")
                    export_times.append((time.perf_counter() - t0) * 1000)
        finally:
            stack.close()
            bench.ctx.close()
            bench.node.stop()
            if pg:
                pg.stop()
    p50, p95 = median_p95(times)
    rps = 1000 * len(times) / sum(times)
    naive_ms, _ = median_p95(naive_times)
    export_ms, _ = median_p95(export_times)
    ratio = naive_ms / p50
    print(
        f"  GET /v1/trace/upstream over HTTP ({len(target):,} events in the answer): "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, {rps:.1f} requests/s "
        "(one client; target p95 < 100 ms)"
    )
    print(
        "  GET /v1/trace/export (same graph, with custody/customs/origin steps): "
        f"{export_ms:.1f} ms"
    )
    print(
        f"  baseline (hop-by-hop ORM walk in process, no HTTP): {naive_ms:.1f} ms median; "
        f"ratio {ratio:.1f}x"
    )
    figures: dict[str, float | int | str] = {
        "p95_ms": round(p95, 1),
        "p50_ms": round(p50, 1),
        "rps": round(rps, 1),
        "export_ms": round(export_ms, 1),
        "baseline_ms": round(naive_ms, 1),
        "ratio": round(ratio, 1),
        "upstream_events": len(target),
        "events_on_chain": len(every),
        "store": args.store,
    }
    return Result(
        f"provenance --store {args.store}",
        figures,
        headline=f"p95 {p95:.1f} ms, p50 {p50:.1f} ms for {len(target):,} upstream events (HTTP)",
        baseline=f"{naive_ms:.1f} ms hop-by-hop ORM walk (in process)",
        ratio=f"{ratio:.1f}",
    )
