"""What every benchmark shares: a fresh chain with the contracts, the naive baseline loop,
the served API, percentiles, the machine line and BENCHMARKS.md rows."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import platform
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ftzchain.client import TxSender
from ftzchain.context import FtzContext
from ftzchain.deploy import deploy
from ftzchain.devnet import LocalNode, NodeKind, dev_private_key, start_node
from ftzchain.domain import zone_id
from ftzchain.network import BLOCK_GAS_LIMIT
from ftzchain.sandbox import NetworkPlan, apply_plan
from ftzchain.settings import FtzSettings
from ftzchain.signing import LocalSigner

log = logging.getLogger("bench")


ROOT = Path(__file__).resolve().parent.parent.parent

BENCH_CONSORTIUM_KEY = "62656e63682d636f6e736f727469756d2d6b6579"  # "bench-consortium-key"
SH = zone_id("CN-SH")


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
    admin: TxSender  # the committee of one (threshold 1)


def fresh_bench(kind: NodeKind, state: Path, block_time: float | None = None) -> Bench:
    """A node with the contracts deployed, CN-SH admitted, one zone node and one enterprise.

    With ``block_time`` the node mines a block every so many seconds instead of one per
    transaction, and (anvil) with the zone network's 100 M gas per block.
    """
    extra = ["--gas-limit", str(BLOCK_GAS_LIMIT)] if block_time and kind == "anvil" else None
    node = start_node(kind, ROOT, block_time=block_time, extra_args=extra)
    ctx = FtzContext(
        FtzSettings(
            project_root=ROOT,
            state_dir=state,
            rpc_url=node.url,
            consortium_key=BENCH_CONSORTIUM_KEY,
        )
    )
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
    return Bench(node, ctx, zone_node, enterprise, admin)


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


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid`` and its live children (Linux /proc):
    the node, or PostgreSQL's postmaster with its backends and workers."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def median_p95(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


@contextlib.contextmanager
def served_api(
    bench: Bench, url: str, state: str, extra_env: Mapping[str, str] | None = None
) -> Iterator[str]:
    """`ftz serve` on a free port over ``url``'s database; yields its base URL."""
    import subprocess

    from ftzchain.devnet import free_port, wait_for_http

    port = free_port()
    env = {
        **os.environ,
        "FTZ_DATABASE_URL": url,
        "FTZ_CHAIN_ID": str(bench.ctx.client.chain_id),
        "FTZ_RPC_URL": bench.node.url,
        "FTZ_STATE_DIR": state,
        "FTZ_CONSORTIUM_KEY": BENCH_CONSORTIUM_KEY,
        **(extra_env or {}),
    }
    ftz = str(Path(sys.executable).with_name("ftz"))
    server = subprocess.Popen(
        [ftz, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/healthz", server)
        yield base
    finally:
        server.terminate()
        server.wait(10)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import subprocess

        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = "?"
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, at {commit}"


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
