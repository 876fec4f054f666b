"""FTZ Chain benchmarks: each runs on a fresh local chain and ends with one key=value line.

Absolute times drift on shared machines; every figure is printed beside a baseline measured in
the same run. `--record` appends the result to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ftzchain.client import TxSender  # noqa: E402
from ftzchain.context import FtzContext  # noqa: E402
from ftzchain.deploy import deploy  # noqa: E402
from ftzchain.devnet import LocalNode, NodeKind, dev_private_key, start_node  # noqa: E402
from ftzchain.domain import zone_id  # noqa: E402
from ftzchain.sandbox import NetworkPlan, apply_plan  # noqa: E402
from ftzchain.settings import FtzSettings  # noqa: E402
from ftzchain.signing import LocalSigner  # noqa: E402

log = logging.getLogger("bench")


@dataclass
class Result:
    name: str
    figures: dict[str, float | int | str]
    headline: str  # what BENCHMARKS.md shows as the figure
    baseline: str
    ratio: str


@dataclass
class Bench:
    """A fresh chain with contracts, one zone (CN-SH), its node and one bound enterprise."""

    node: LocalNode
    ctx: FtzContext
    zone_node: TxSender
    enterprise: LocalSigner


def fresh_bench(kind: NodeKind, state: Path) -> Bench:
    node = start_node(kind, ROOT)
    ctx = FtzContext(FtzSettings(project_root=ROOT, state_dir=state, rpc_url=node.url))
    admin = ctx.sender(LocalSigner.from_key(dev_private_key(0)))
    zone_node = ctx.sender(LocalSigner.from_key(dev_private_key(1)))
    enterprise = LocalSigner.generate()
    deploy(ctx.client, admin, ctx.build, ctx.settings.deployments_dir, [admin.address], 1)
    plan = NetworkPlan(
        zones=["CN-SH"],
        roles=[("ZONE_NODE", zone_node.address, "CN-SH")],
        enterprises=[(enterprise.address, "CN-SH")],
    )
    apply_plan(ctx.governance, [admin], plan)
    return Bench(node, ctx, zone_node, enterprise)


def naive_loop(bench: Bench, records: int, label: str) -> tuple[float, int]:
    """Sign, send, wait for the receipt, one IP registration at a time.

    Returns (seconds, total gas). This is the baseline every throughput figure is compared with.
    """
    reg = bench.ctx.ip_registry
    client = bench.ctx.client
    sender = bench.zone_node
    zone = zone_id("CN-SH")
    nonce = reg.nonce(bench.enterprise.address)
    max_fee, tip = client.fees()
    gas_total = 0
    started = time.perf_counter()
    for i in range(records):
        content = hashlib.sha256(f"{label} {i}".encode()).digest()
        signed = reg.sign(bench.enterprise, content, zone, nonce=nonce + i, deadline=2**40)
        data = reg.codec.encode_call("register", signed.registration.as_tuple(), signed.signature)
        tx_hash = sender.send(reg.address, data, gas=200_000, fees=(max_fee, tip))
        receipt = client.wait_for_receipt(tx_hash)
        if receipt.status != 1:
            raise RuntimeError(f"registration {i} reverted in the baseline loop")
        gas_total += receipt.gas_used
    return time.perf_counter() - started, gas_total


def bench_writer(args: argparse.Namespace) -> Result:
    if not args.baseline_only:
        raise SystemExit(
            "bench writer: the pipelined writer is not built yet (issue 7); "
            "run `scripts/bench writer --baseline-only` for the naive-loop baseline"
        )
    with tempfile.TemporaryDirectory() as state:
        bench = fresh_bench(args.node, Path(state))
        try:
            print(f"naive loop: {args.records} IP registrations on {args.node}, one per tx")
            naive_loop(bench, min(20, args.records), "warm-up")  # connections, caches
            seconds, gas = naive_loop(bench, args.records, "naive")
        finally:
            bench.ctx.close()
            bench.node.stop()
    rate = args.records / seconds
    print(f"  {args.records} records in {seconds:.2f} s: {rate:,.0f} records/s, {rate:,.0f} tx/s")
    print(f"  gas per record (single register): {gas // args.records:,}")
    figures: dict[str, float | int | str] = {
        "baseline_records_per_s": round(rate, 1),
        "baseline_tx_per_s": round(rate, 1),
        "gas_per_record": gas // args.records,
        "records": args.records,
        "node": args.node,
    }
    return Result(
        "writer --baseline-only",
        figures,
        headline=f"{rate:,.0f} records/s (naive loop)",
        baseline="itself",
        ratio="1.00",
    )


BENCHES: dict[str, Callable[[argparse.Namespace], Result] | str] = {
    "writer": bench_writer,
    "gas": "issue 7 (gas per record in batches of 100)",
    "indexer": "issue 3 (backfill events/s)",
    "provenance": "issue 4 (trace queries)",
    "invoice-verify": "issue 5 (invoice verification)",
    "evidence": "issue 6 (evidence bundle export and verify)",
}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def record(result: Result, command: str) -> None:
    path = ROOT / "BENCHMARKS.md"
    if not path.exists():
        path.write_text(
            "# Benchmarks\n\nEach row: one `scripts/bench` run; the baseline is measured in the "
            "same run.\n\n| date (UTC) | benchmark | figure | baseline | ratio | machine | "
            "command | key=value line |\n|---|---|---|---|---|---|---|---|\n"
        )
    line = " ".join(f"{k}={v}" for k, v in result.figures.items())
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    with path.open("a") as fh:
        fh.write(
            f"| {date} | {result.name} | {result.headline} | {result.baseline} | "
            f"{result.ratio} | {machine()} | `{command}` | `{line}` |\n"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/bench",
        description="Run FTZ Chain benchmarks on a fresh local chain. Each ends with one "
        "key=value line including the baseline measured in the same run.",
    )
    parser.add_argument("name", choices=[*BENCHES, "all"], help="benchmark to run")
    parser.add_argument("--node", choices=["anvil", "ganache"], default="anvil")
    parser.add_argument("--records", type=int, default=1000, help="records to submit")
    parser.add_argument(
        "--baseline-only", action="store_true", help="writer: measure only the naive loop"
    )
    parser.add_argument("--record", action="store_true", help="append the result to BENCHMARKS.md")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    names = list(BENCHES) if args.name == "all" else [args.name]
    if args.name == "all":
        args.baseline_only = True  # until the writer of issue 7 exists
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
