"""`scripts/bench writer`: the crash-safe pipelined writer against the naive loop."""

from __future__ import annotations

import argparse
import hashlib
import logging
import tempfile
from pathlib import Path

from ftzchain.devnet import dev_private_key
from ftzchain.domain import role_id, zone_id
from ftzchain.enums import GovernanceAction as Action
from ftzchain.signing import LocalSigner

from .harness import (
    Result,
    fresh_bench,
    naive_loop,
)

log = logging.getLogger("bench")


def bench_writer(args: argparse.Namespace) -> Result:
    from ftzchain.writer import Outbox, QueuedRecord, Writer

    with tempfile.TemporaryDirectory() as state:
        bench = fresh_bench(args.node, Path(state))
        try:
            baseline_n = min(args.baseline_records, args.records)
            print(f"naive loop: {baseline_n} IP registrations on {args.node}, one per tx")
            naive_loop(bench, min(20, baseline_n), "warm-up")  # connections, caches
            seconds, gas = naive_loop(bench, baseline_n, "naive")
            baseline = baseline_n / seconds
            print(f"  {baseline_n} records in {seconds:.2f} s: {baseline:,.0f} records/s")
            if args.baseline_only:
                ours, tx_rate, gas_per_record = baseline, baseline, gas // baseline_n
            else:
                senders = [
                    bench.ctx.sender(LocalSigner.from_key(dev_private_key(i)))
                    for i in range(2, 2 + args.senders)
                ]
                for s in senders:  # the zone's extra sender keys get the zone-node role
                    bench.ctx.governance.decide(
                        [bench.admin],
                        Action.GRANT_ROLE,
                        role=role_id("ZONE_NODE"),
                        account=s.address,
                        zone_id=zone_id("CN-SH"),
                    )
                outbox = Outbox(Path(state) / "outbox.db")
                records = [
                    QueuedRecord(
                        hashlib.sha256(f"writer {i}".encode()).digest(),
                        bench.enterprise.address,
                        zone_id("CN-SH"),
                        1,
                    )
                    for i in range(args.records)
                ]
                outbox.enqueue(records)
                writer = Writer(
                    bench.ctx.ip_registry,
                    senders,
                    {bench.enterprise.address: bench.enterprise},
                    outbox,
                    batch_size=args.batch,
                )
                print(
                    f"writer: {args.records} records, batches of {args.batch}, "
                    f"{len(senders)} sender key(s), outbox {outbox.counts()}"
                )
                last_setup_block = bench.ctx.client.block_number()
                stats = writer.run()
                ids = ["0x" + r.content_hash.hex() for r in records]
                on_chain = bench.ctx.ip_registry.registered(ids)
                if len(on_chain) != len(ids) or stats.records != len(ids):
                    raise RuntimeError("the writer did not put every record on chain")
                ours = stats.records / stats.seconds
                tx_rate = stats.transactions / stats.seconds
                first_block = bench.ctx.client.rpc.call(
                    "eth_getBlockByNumber", [hex(last_setup_block + 1), False]
                )  # the first batch: a full one
                first = bench.ctx.client.rpc.call(
                    "eth_getTransactionReceipt", [first_block["transactions"][0]]
                )
                gas_per_record = int(first["gasUsed"], 16) // min(args.batch, args.records)
                print(
                    f"  {stats.records} records in {stats.seconds:.2f} s: {ours:,.0f} records/s, "
                    f"{tx_rate:,.1f} tx/s, {gas_per_record:,} gas/record; "
                    f"all {len(on_chain)} checked on chain"
                )
        finally:
            bench.ctx.close()
            bench.node.stop()
    ratio = ours / baseline
    figures: dict[str, float | int | str] = {
        "records_per_s": round(ours, 1),
        "tx_per_s": round(tx_rate, 1),
        "baseline_records_per_s": round(baseline, 1),
        "ratio": round(ratio, 1),
        "gas_per_record": gas_per_record,
        "records": args.records,
        "baseline_records": baseline_n,
        "node": args.node,
    }
    name = "writer --baseline-only" if args.baseline_only else "writer"
    return Result(
        name,
        figures,
        headline=f"{ours:,.0f} records/s, {tx_rate:,.1f} tx/s",
        baseline=f"{baseline:,.0f} records/s (naive loop)",
        ratio=f"{ratio:.1f}",
    )
