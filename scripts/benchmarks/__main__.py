"""FTZ Chain benchmarks: each runs on a fresh local chain and ends with one key=value line.

Absolute times drift on shared machines; every figure is printed beside a baseline measured in
the same run. `--record` appends the result to BENCHMARKS.md."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

from .api_load import bench_api_load
from .evidence import bench_evidence
from .gas import bench_gas
from .harness import (
    Result,
    record,
)
from .indexer import bench_indexer
from .intake import bench_intake
from .invoice_verify import bench_invoice_verify
from .network import bench_network
from .provenance import bench_provenance
from .writer import bench_writer

log = logging.getLogger("bench")


BENCHES: dict[str, Callable[[argparse.Namespace], Result] | str] = {
    "writer": bench_writer,
    "gas": bench_gas,
    "indexer": bench_indexer,
    "provenance": bench_provenance,
    "invoice-verify": bench_invoice_verify,
    "evidence": bench_evidence,
    "api-load": bench_api_load,
    "intake": bench_intake,
    "network": bench_network,
}


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/bench",
        description="Run FTZ Chain benchmarks on a fresh local chain. Each ends with one "
        "key=value line including the baseline measured in the same run.",
    )
    parser.add_argument("name", choices=[*BENCHES, "all"], help="benchmark to run")
    parser.add_argument("--node", choices=["anvil", "ganache"], default="anvil")
    parser.add_argument("--records", type=int, default=20_000, help="writer: records to submit")
    parser.add_argument(
        "--baseline-only", action="store_true", help="writer: measure only the naive loop"
    )
    parser.add_argument(
        "--store",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="indexer, provenance, invoice-verify: the database the answers come from",
    )
    parser.add_argument(
        "--events", type=int, default=100_000, help="indexer: events to pre-mine and backfill"
    )
    parser.add_argument("--poll", type=float, default=1.0, help="indexer: follow-mode poll (s)")
    parser.add_argument(
        "--lag-samples", type=int, default=20, help="indexer: registrations timed in follow mode"
    )
    parser.add_argument("--batch", type=int, default=100, help="writer: records per transaction")
    parser.add_argument("--senders", type=int, default=2, help="writer: sender keys")
    parser.add_argument(
        "--baseline-records",
        type=int,
        default=1000,
        help="writer: records the naive loop registers for the baseline",
    )
    parser.add_argument(
        "--write-snapshot",
        action="store_true",
        help="gas: rewrite contracts/gas-snapshot.json (the test suite compares against it)",
    )
    parser.add_argument(
        "--bundles", type=int, default=200, help="evidence: registrations to export and verify"
    )
    parser.add_argument(
        "--per-block", type=int, default=100, help="evidence: transactions per block"
    )
    parser.add_argument(
        "--upstream",
        type=int,
        default=1000,
        help="provenance: events upstream of the product queried (a pairwise merge tree)",
    )
    parser.add_argument(
        "--noise", type=int, default=4, help="provenance: unrelated products of the same size"
    )
    parser.add_argument("--queries", type=int, default=200, help="provenance: timed HTTP requests")
    parser.add_argument(
        "--baseline-queries",
        type=int,
        default=5,
        help="provenance, invoice-verify: timed baseline queries",
    )
    parser.add_argument(
        "--invoices", type=int, default=2000, help="invoice-verify: invoices issued on chain"
    )
    parser.add_argument(
        "--rate", type=int, default=300, help="api-load: offered requests per second (open loop)"
    )
    parser.add_argument(
        "--duration", type=float, default=60, help="api-load: seconds of the main run"
    )
    parser.add_argument(
        "--step-seconds", type=float, default=10, help="api-load: seconds per saturation step"
    )
    parser.add_argument(
        "--connections", type=int, default=200, help="api-load: concurrent connections at most"
    )
    parser.add_argument(
        "--api-workers", type=int, default=2, help="api-load: server processes (one per core)"
    )
    parser.add_argument(
        "--records-ip", type=int, default=200, help="api-load: IP records registered"
    )
    parser.add_argument(
        "--invoices-load", type=int, default=200, help="api-load: invoices issued (half pledged)"
    )
    parser.add_argument(
        "--baseline-queries-load",
        type=int,
        default=400,
        help="api-load: requests of the one-at-a-time baseline",
    )
    parser.add_argument(
        "--auth-pairs",
        type=int,
        default=1000,
        help="api-load: IP and invoice calls each sent anonymously and signed in, interleaved, "
        "for auth_overhead",
    )
    parser.add_argument(
        "--intake-events", type=int, default=20_000, help="intake: events the clients submit"
    )
    parser.add_argument("--clients", type=int, default=4, help="intake: concurrent enterprises")
    parser.add_argument("--doc-events", type=int, default=100, help="intake: events per document")
    parser.add_argument(
        "--intake-baseline-docs",
        type=int,
        default=10,
        help="intake: documents of the one-at-a-time baseline",
    )
    parser.add_argument(
        "--block-time",
        type=float,
        default=0,
        help="intake: seconds between blocks (0: anvil mines each transaction at once)",
    )
    parser.add_argument(
        "--network-records", type=int, default=20_000, help="network: records the writer sends"
    )
    parser.add_argument(
        "--network-baseline-records",
        type=int,
        default=10,
        help="network: single registrations of the naive loop (about one per block)",
    )
    parser.add_argument(
        "--network-lag-samples",
        type=int,
        default=20,
        help="network: registrations timed to the other zone's API",
    )
    parser.add_argument(
        "--network-in-flight",
        type=int,
        default=96,
        help="network: the writer's transactions in flight",
    )
    parser.add_argument(
        "--network-blocks", type=int, default=20, help="network: blocks timed all up, one down"
    )
    parser.add_argument("--record", action="store_true", help="append the result to BENCHMARKS.md")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    names = list(BENCHES) if args.name == "all" else [args.name]
    for name in names:
        bench = BENCHES[name]
        if isinstance(bench, str):
            print(f"{name}: not built yet, see {bench}", file=sys.stderr)
            if args.name != "all":
                return 2
            continue
        result = bench(args)
        print(" ".join(f"{k}={v}" for k, v in result.figures.items()), flush=True)
        if args.record:
            record(result, "scripts/bench " + " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
