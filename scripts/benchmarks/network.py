"""`scripts/bench network`: the writer and the indexers on a real zone network.

Three geth 1.13 Clique validators (one per zone, 1 s blocks, 100 M gas) on this machine. One
zone's writer registers ``--network-records`` IP works (batches of 100, two sender keys of
the zone node) through its own zone's node; the baseline is the naive loop (sign, send, wait
for the receipt, one work at a time) on the same network in the same run. Lag: from a
registration's receipt at the writing zone to the work being answered by ANOTHER zone's API
(its own indexer following its own node). Block times: the spacing of block timestamps with
all validators up, then with one stopped.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ftzchain.context import FtzContext
from ftzchain.deploy import deploy
from ftzchain.devnet import dev_private_key, free_port, wait_for_http
from ftzchain.domain import zone_id
from ftzchain.network import create_network, start_sealing, start_zone_node, stop_zone_node
from ftzchain.sandbox import NetworkPlan, apply_plan
from ftzchain.settings import FtzSettings
from ftzchain.signing import LocalSigner

from .harness import ROOT, Result, median_p95

log = logging.getLogger("bench")

ZONES = ["CN-SH", "CN-AH", "CN-JS"]


def _block_spacing(ctx: FtzContext, first: int, last: int) -> list[float]:
    times = [
        int(ctx.client.rpc.call("eth_getBlockByNumber", [hex(n), False])["timestamp"], 16)
        for n in range(first, last + 1)
    ]
    return [float(b - a) for a, b in itertools.pairwise(times)]


def _wait_blocks(ctx: FtzContext, count: int) -> tuple[int, int]:
    start = ctx.client.block_number()
    while ctx.client.block_number() < start + count:
        time.sleep(0.2)  # polling the head
    return start, ctx.client.block_number()


def bench_network(args: argparse.Namespace) -> Result:
    from ftzchain.writer import Outbox, QueuedRecord, Writer

    with tempfile.TemporaryDirectory() as state_dir:
        state = Path(state_dir)
        net = create_network(ROOT, state / "network", ZONES)
        services: list[subprocess.Popen[bytes]] = []
        contexts: list[FtzContext] = []
        try:
            for zone in ZONES:
                start_zone_node(ROOT, net, zone)
            start_sealing(net)

            def context(zone: str) -> FtzContext:
                ctx = FtzContext(
                    FtzSettings(
                        project_root=ROOT,
                        state_dir=state,
                        rpc_url=net.node(zone).url,
                        chain_id=net.chain_id,
                        rpc_timeout=60,
                        tx_timeout=120,
                    )
                )
                contexts.append(ctx)
                return ctx

            sh = context("CN-SH")
            admin = sh.sender(LocalSigner.from_key(dev_private_key(0)))
            deploy(sh.client, admin, sh.build, sh.settings.deployments_dir, [admin.address], 1)
            senders = [sh.sender(LocalSigner.from_key(dev_private_key(i))) for i in (1, 2)]
            enterprise = LocalSigner.generate()
            apply_plan(
                sh.governance,
                [admin],
                NetworkPlan(
                    zones=ZONES,
                    roles=[("ZONE_NODE", s.address, "CN-SH") for s in senders],
                    enterprises=[(enterprise.address, "CN-SH")],
                ),
            )
            reg = sh.ip_registry
            zid = zone_id("CN-SH")

            # Baseline: one work at a time, each waited for.
            n_base = args.network_baseline_records
            nonce = reg.nonce(enterprise.address)
            print(f"baseline: {n_base} single registrations, each waited for (1 s blocks)")
            started = time.perf_counter()
            for i in range(n_base):
                content = hashlib.sha256(f"naive {i}".encode()).digest()
                signed = reg.sign(enterprise, content, zid, nonce=nonce + i)
                reg.register(senders[0], signed)
            baseline = n_base / (time.perf_counter() - started)
            print(f"  {baseline:.2f} records/s")

            # Another zone's indexer and API, following its own node.
            ah = net.node("CN-AH")
            port = free_port()
            env = {
                **os.environ,
                "FTZ_RPC_URL": ah.url,
                "FTZ_CHAIN_ID": str(net.chain_id),
                "FTZ_STATE_DIR": str(state),
                "FTZ_DATABASE_URL": f"sqlite:///{state / 'ah.db'}",
                "FTZ_POLL_INTERVAL": "0.2",
                "FTZ_RATE_LIMIT_PER_MINUTE": "0",
            }
            ftz = str(Path(sys.executable).with_name("ftz"))
            subprocess.run([ftz, "index"], env=env, check=True, capture_output=True)
            for command in ([ftz, "index", "--follow"], [ftz, "serve", "--port", str(port)]):
                services.append(
                    subprocess.Popen(
                        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                    )
                )
            api = f"http://127.0.0.1:{port}"
            wait_for_http(f"{api}/healthz", services[-1])

            # The writer: batches of 100 from two sender keys through CN-SH's node.
            outbox = Outbox(state / "outbox.db")
            records = [
                QueuedRecord(
                    hashlib.sha256(f"network {i}".encode()).digest(), enterprise.address, zid, 1
                )
                for i in range(args.network_records)
            ]
            outbox.enqueue(records)
            writer = Writer(
                reg,
                senders,
                {enterprise.address: enterprise},
                outbox,
                in_flight=args.network_in_flight,
            )
            print(
                f"writer: {len(records):,} records, batches of 100, 2 sender keys, "
                f"{args.network_in_flight} transactions in flight"
            )
            stats = writer.run()
            ids = ["0x" + r.content_hash.hex() for r in records]
            if len(reg.registered(ids)) != len(ids):
                raise RuntimeError("the writer did not put every record on chain")
            rate = stats.records / stats.seconds
            print(f"  {stats.records:,} in {stats.seconds:.1f} s: {rate:,.0f} records/s")

            # Lag: receipt at CN-SH → answered by CN-AH's API.
            import httpx

            lags = []
            nonce = reg.nonce(enterprise.address)
            for i in range(args.network_lag_samples):
                content = hashlib.sha256(f"lag {i}".encode()).digest()
                signed = reg.sign(enterprise, content, zid, nonce=nonce + i)
                reg.register(senders[0], signed)
                mined = time.perf_counter()
                while httpx.get(f"{api}/v1/ip/{content.hex()}", timeout=10).status_code != 200:
                    time.sleep(0.02)  # polling the other zone's API
                lags.append(time.perf_counter() - mined)
            _lag50, lag95 = median_p95(lags)
            print(f"  lag to CN-AH's API: p95 {lag95:.2f} s over {len(lags)} records")

            # Block spacing, all up and with CN-JS stopped.
            first, last = _wait_blocks(sh, args.network_blocks)
            _b, up95 = median_p95(_block_spacing(sh, first, last))
            stop_zone_node(net, "CN-JS")
            first, last = _wait_blocks(sh, args.network_blocks)
            _b, down95 = median_p95(_block_spacing(sh, first, last))
            print(f"  block time p95: {up95:.1f} s all up, {down95:.1f} s with one down")
        finally:
            for proc in services:
                proc.terminate()
            for proc in services:
                proc.wait(20)
            for ctx in contexts:
                ctx.close()
            for zone in ZONES:
                stop_zone_node(net, zone)
    ratio = rate / baseline
    figures: dict[str, float | int | str] = {
        "records_per_s": round(rate, 1),
        "baseline_records_per_s": round(baseline, 2),
        "ratio": round(ratio, 1),
        "lag_p95_s": round(lag95, 2),
        "block_time_p95_s": up95,
        "block_time_p95_one_down_s": down95,
        "records": args.network_records,
        "validators": len(ZONES),
    }
    return Result(
        "network",
        figures,
        headline=f"{rate:,.0f} records/s, lag p95 {lag95:.2f} s, blocks p95 {up95:.0f}/"
        f"{down95:.0f} s (all up / one down)",
        baseline=f"{baseline:.2f} records/s (naive loop, same network)",
        ratio=f"{ratio:.0f}",
    )
