"""FTZ Chain benchmarks: each runs on a fresh local chain and ends with one key=value line.

Absolute times drift on shared machines; every figure is printed beside a baseline measured in
the same run. `--record` appends the result to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ftzchain.client import ChainClient, TxSender  # noqa: E402
from ftzchain.context import FtzContext  # noqa: E402
from ftzchain.deploy import deploy  # noqa: E402
from ftzchain.devnet import LocalNode, NodeKind, dev_private_key, start_node  # noqa: E402
from ftzchain.domain import role_id, zone_id  # noqa: E402
from ftzchain.enums import GovernanceAction as Action  # noqa: E402
from ftzchain.fingerprints import fingerprint  # noqa: E402
from ftzchain.reverts import RevertDecoder  # noqa: E402
from ftzchain.sandbox import NetworkPlan, apply_plan  # noqa: E402
from ftzchain.settings import FtzSettings  # noqa: E402
from ftzchain.signing import LocalSigner  # noqa: E402
from ftzchain.trace import TraceItem  # noqa: E402

log = logging.getLogger("bench")
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


def fresh_bench(kind: NodeKind, state: Path) -> Bench:
    node = start_node(kind, ROOT)
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


def bench_writer(args: argparse.Namespace) -> Result:
    from ftzchain.writer import Outbox, QueuedRecord, Writer, registered_on_chain

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
                on_chain = registered_on_chain(bench.ctx.ip_registry, ids)
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


def _tree_cpu_s(pid: int) -> float:
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
                _tree_cpu_s(bench.node.process.pid),
                _tree_cpu_s(postmaster) if pg else 0.0,
            )
            t0 = time.perf_counter()
            indexer.sync()
            ours_s = time.perf_counter() - t0
            own, node_cpu, pg_cpu = (
                time.process_time() - cpu_before[0],
                _tree_cpu_s(bench.node.process.pid) - cpu_before[1],
                (_tree_cpu_s(postmaster) - cpu_before[2]) if pg else 0.0,
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

            lags = sorted(follow_lag(bench, new_db("follow"), args.poll, args.lag_samples))
            p95 = lags[min(len(lags) - 1, int(0.95 * len(lags)))]
            print(
                f"  follow mode (poll {args.poll}s): lag p50 {lags[len(lags) // 2]:.2f}s, "
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


def bench_gas(args: argparse.Namespace) -> Result:
    from ftzchain.gas_snapshot import BATCH, load_snapshot, measure, write_snapshot

    with tempfile.TemporaryDirectory() as state:
        node = start_node(args.node, ROOT)
        try:
            ctx = FtzContext(
                FtzSettings(project_root=ROOT, state_dir=Path(state), rpc_url=node.url)
            )
            gas = measure(ctx, ctx.build)
            ctx.close()
        finally:
            node.stop()
    snapshot = load_snapshot(ROOT)
    print(
        f"gas per entry point on a fresh {args.node} (batch entries per record, batches of {BATCH})"
    )
    for name, used in gas.items():
        before = snapshot.get(name)
        note = "" if before == used else f"   (snapshot {before})"
        print(f"  {name:<52} {used:>9,}{note}")
    if args.write_snapshot:
        print(f"wrote {write_snapshot(ROOT, gas)}")
    per_record = gas["IpRegistry.registerSigned per record"]
    per_event = gas["Traceability.recordEvents per event"]
    single = gas["IpRegistry.register"]
    figures: dict[str, float | int | str] = {
        "trace_event_gas": gas["Traceability.recordEvents per event"],
        "trace_event_single_gas": gas["Traceability.recordEvents single"],
        "trace_event_naive_gas": gas["NaiveTraceStore.store (baseline: one struct per event)"],
        "ip_registration_gas": per_record,
        "ip_registration_single_gas": single,
        "ip_register_batch_per_record_gas": gas["IpRegistry.registerBatch per record"],
        "ip_resubmitted_per_record_gas": gas["IpRegistry.registerSigned resubmitted per record"],
        "ip_transfer_gas": gas["IpRegistry.transfer"],
        "ip_license_gas": gas["IpRegistry.license"],
        "ip_freeze_gas": gas["IpRegistry.freeze"],
        "anchor_gas": gas["FtzAnchor.anchor"],
        "invoice_issue_gas": gas["InvoiceRegistry.issue"],
        "pledge_gas": gas["InvoiceRegistry.pledge"],
        "dispatch_gas": gas["Custody.dispatch"],
        "declaration_gas": gas["Customs.fileDeclaration"],
        "certificate_gas": gas["OriginCertificates.issue"],
        "baseline_gas": single,
        "ratio": round(single / per_record, 2),
    }
    return Result(
        "gas",
        figures,
        headline=f"{per_record:,} gas per IP registration, {per_event:,} per trace event "
        f"(batches of {BATCH})",
        baseline=f"{single:,} gas (single register)",
        ratio=f"{single / per_record:.2f}",
    )


def _fill_blocks(bench: Bench, count: int, per_block: int) -> list[tuple[bytes, str]]:
    """``count`` single registrations, ``per_block`` transactions to a block (busy blocks)."""
    reg = bench.ctx.ip_registry
    rpc = bench.ctx.client.rpc
    zone = zone_id("CN-SH")
    nonce = reg.nonce(bench.enterprise.address)
    max_fee, tip = bench.ctx.client.fees()
    sent: list[tuple[bytes, str]] = []
    rpc.call("evm_setAutomine", [False])
    try:
        for i in range(count):
            content = hashlib.sha256(f"evidence {i}".encode()).digest()
            signed = reg.sign(bench.enterprise, content, zone, nonce=nonce + i, deadline=2**40)
            data = reg.codec.encode_call(
                "register", signed.registration.as_tuple(), signed.signature
            )
            sent.append(
                (content, bench.zone_node.send(reg.address, data, gas=200_000, fees=(max_fee, tip)))
            )
            if (i + 1) % per_block == 0 or i == count - 1:
                rpc.call("evm_mine", [])
    finally:
        rpc.call("evm_setAutomine", [True])
    for _, tx_hash in sent[-1:]:
        if bench.ctx.client.wait_for_receipt(tx_hash).status != 1:
            raise RuntimeError("a registration reverted while filling blocks")
    return sent


def _naive_export_fetch(url: str, tx_hash: str) -> None:
    """What a naive exporter fetches: the block, then every receipt one request at a time."""
    from web3 import Web3

    w3 = Web3(Web3.HTTPProvider(url))
    receipt = w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
    block = w3.eth.get_block(receipt["blockHash"], full_transactions=True)
    for tx in block["transactions"]:
        assert isinstance(tx, Mapping)  # full_transactions=True: objects, not hashes
        w3.eth.get_transaction_receipt(tx["hash"])


def _median_p95(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def bench_evidence(args: argparse.Namespace) -> Result:
    from ftzchain.anchor import Anchorer, deploy_anchor
    from ftzchain.evidence.export import AnchorSource, block_evidence, export_ip_bundle
    from ftzchain.evidence.service import REGISTRY_DOMAIN
    from ftzchain.evidence.verify import verify_bundle

    count, per_block = args.bundles, args.per_block
    with tempfile.TemporaryDirectory() as state:
        bench = fresh_bench(args.node, Path(state))
        outer_node = start_node("anvil", ROOT, chain_id=1_234_321)
        try:
            ctx = bench.ctx
            outer = ctx.sender_on(
                ChainClient(outer_node.url, RevertDecoder(ctx.abis.all_entries())),
                LocalSigner.from_key(dev_private_key(9)),
            )
            anchor_dep, _ = deploy_anchor(outer.client, outer, ctx.build, Path(state) / "anchors")
            contract = anchor_dep.address("FtzAnchor")
            print(
                f"evidence: {count} registrations, {per_block} transactions per block, "
                f"on {args.node}"
            )
            sent = _fill_blocks(bench, count, per_block)
            Anchorer(ctx.client, outer, contract, ctx.abis.get("FtzAnchor")).anchor_once()
            source = AnchorSource(outer.client.rpc, contract, outer.client.chain_id)
            rpc, chain_id, registry = ctx.client.rpc, ctx.client.chain_id, ctx.ip_registry.address

            def export(content: bytes, tx_hash: str) -> dict[str, object]:
                return export_ip_bundle(
                    rpc, chain_id, registry, tx_hash, content, REGISTRY_DOMAIN, source
                )

            export(*sent[0])  # warm-up: connections, caches
            export_times, verify_times, sizes = [], [], []
            for content, tx_hash in sent:
                started = time.perf_counter()
                bundle = export(content, tx_hash)
                export_times.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                verdict = verify_bundle(bundle)
                verify_times.append((time.perf_counter() - started) * 1000)
                if not verdict.ok or bundle["anchor"] is None:
                    raise RuntimeError(f"bundle of {tx_hash} failed: {verdict.reason}")
                sizes.append(len(json.dumps(bundle)))
            sample = sent[:: max(1, count // 50)]
            naive_times, fetch_times = [], []
            for _content, tx_hash in sample:
                started = time.perf_counter()
                _naive_export_fetch(bench.node.url, tx_hash)
                naive_times.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                block_evidence(rpc, tx_hash)
                fetch_times.append((time.perf_counter() - started) * 1000)
        finally:
            bench.ctx.close()
            bench.node.stop()
            outer_node.stop()
    export_ms, export_p95 = _median_p95(export_times)
    verify_ms, verify_p95 = _median_p95(verify_times)
    naive_ms, _ = _median_p95(naive_times)
    fetch_ms, _ = _median_p95(fetch_times)
    ratio = naive_ms / fetch_ms
    print(
        f"  export (anchored bundle): median {export_ms:.1f} ms, p95 {export_p95:.1f} ms "
        f"(target < 200 ms); bundle {sum(sizes) // len(sizes):,} bytes on average"
    )
    print(f"  offline verify: median {verify_ms:.2f} ms, p95 {verify_p95:.2f} ms (target < 50 ms)")
    print(
        f"  block data + proofs: {fetch_ms:.1f} ms batched vs {naive_ms:.1f} ms naive "
        f"(web3.py, one receipt per request): {ratio:.1f}x"
    )
    figures: dict[str, float | int | str] = {
        "export_ms": round(export_ms, 1),
        "export_p95_ms": round(export_p95, 1),
        "verify_ms": round(verify_ms, 2),
        "verify_p95_ms": round(verify_p95, 2),
        "baseline_fetch_ms": round(naive_ms, 1),
        "fetch_ms": round(fetch_ms, 1),
        "ratio": round(ratio, 1),
        "bundles": count,
        "tx_per_block": per_block,
        "node": args.node,
    }
    return Result(
        "evidence",
        figures,
        headline=f"export {export_ms:.1f} ms, verify {verify_ms:.2f} ms per record (median)",
        baseline=f"{naive_ms:.1f} ms naive block fetch (web3, per-receipt) vs {fetch_ms:.1f} ms",
        ratio=f"{ratio:.1f}",
    )


@contextlib.contextmanager
def _served_api(bench: Bench, url: str, state: str) -> Iterator[str]:
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

            base = stack.enter_context(_served_api(bench, url, state))
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
    times.sort()
    p50 = times[len(times) // 2]
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    rps = 1000 * len(times) / sum(times)
    naive_ms, _ = _median_p95(naive_times)
    export_ms, _ = _median_p95(export_times)
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


BENCH_SELLER_USCC = "91310115660123450W"


def _bench_invoice(i: int) -> dict[str, object]:
    """A valid, distinct invoice (the seller's and buyers' USCCs are real-format, made up)."""
    buyers = ["913401007899876504", "91320500691234560J", "91330200555512340Q"]
    amount = Decimal(1000 + i) + Decimal(i % 100) / 100
    return {
        "number": f"BENCH-2026-{i:06d}",
        "issue_date": f"2026-11-{1 + i % 28:02d}",
        "currency": "CNY",
        "seller": {"name": "Lingang Auto Parts R&D", "uscc": BENCH_SELLER_USCC},
        "buyer": {"name": f"Buyer {i % 3}", "uscc": buyers[i % 3]},
        "total_without_tax": str(amount),
        "total_with_tax": str((amount * Decimal("1.13")).quantize(Decimal("0.01"))),
    }


def _naive_invoice_verify(
    url: str, chain_id: int, invoice: dict[str, object]
) -> dict[str, list[str]]:
    """Baseline: what a first version would do, in process: load every issued invoice's rows
    through the ORM and compare fingerprints in Python."""
    from sqlmodel import Session, select

    from ftzchain.invoice import invoice_from_json
    from indexer.db import make_engine
    from indexer.models import InvoiceEventRow

    fps = {
        "0x" + f.hex()
        for f in invoice_from_json(invoice).fingerprints(bytes.fromhex(BENCH_CONSORTIUM_KEY))
    }
    engine = make_engine(url)
    with Session(engine) as session:
        rows = session.exec(
            select(InvoiceEventRow).where(InvoiceEventRow.chain_id == chain_id)
        ).all()
        hits = {r.invoice_id for r in rows if r.fingerprint in fps}
        events = {i: [r.event for r in rows if r.invoice_id == i] for i in hits}
    engine.dispose()
    return events


def bench_invoice_verify(args: argparse.Namespace) -> Result:

    import httpx

    from ftzchain.devpg import start_pg
    from ftzchain.fingerprints import seller_fingerprint
    from ftzchain.invoice import invoice_from_json
    from indexer.db import make_engine, migrate
    from indexer.service import build_indexer

    key = bytes.fromhex(BENCH_CONSORTIUM_KEY)
    with tempfile.TemporaryDirectory() as state:
        bench = fresh_bench(args.node, Path(state))
        pg = start_pg() if args.store == "postgres" else None
        stack = contextlib.ExitStack()
        try:
            ctx = bench.ctx
            bank = ctx.sender(LocalSigner.from_key(dev_private_key(2)))
            apply_plan(
                ctx.governance,
                [bench.admin],
                NetworkPlan(roles=[("FINANCIER", bank.address, "CN-SH")]),
            )
            invoices = [_bench_invoice(i) for i in range(args.invoices)]
            reg, zone_node = ctx.invoices, bench.zone_node
            seller_fp = seller_fingerprint(BENCH_SELLER_USCC, key)
            reg.bind_seller(zone_node, seller_fp, bench.enterprise.address)
            started = time.perf_counter()
            sent = []
            for i, invoice in enumerate(invoices):
                prints = invoice_from_json(invoice).prints(key)
                call = reg.issue_call(bench.enterprise, SH, prints)
                sent.append(zone_node.send(reg.address, call))
                if i % 2 == 0:  # every other one is financed
                    pledge = reg.pledge_call(prints.all, SH, f"loan {i}", False)
                    sent.append(bank.send(reg.address, pledge))
            for tx in sent:
                if ctx.client.wait_for_receipt(tx).status != 1:
                    raise RuntimeError(f"transaction {tx} reverted")
            print(
                f"invoice-verify: {len(invoices):,} invoices issued, half pledged "
                f"({time.perf_counter() - started:.0f} s); store: {args.store}"
            )
            url = pg.create_database() if pg else f"sqlite:///{state}/invoices.db"
            migrate(url)
            engine = make_engine(url)
            build_indexer(ctx, engine).sync()
            engine.dispose()

            sample = [invoices[(i * 7919) % len(invoices)] for i in range(args.queries)]
            naive_times = []
            for invoice in sample[: args.baseline_queries]:
                t0 = time.perf_counter()
                _naive_invoice_verify(url, ctx.client.chain_id, invoice)
                naive_times.append((time.perf_counter() - t0) * 1000)

            base = stack.enter_context(_served_api(bench, url, state))
            times = []
            with httpx.Client(timeout=30) as http:
                for i, invoice in enumerate(sample[:10] + sample):
                    t0 = time.perf_counter()
                    r = http.post(f"{base}/v1/invoices/verify", json=invoice)
                    elapsed = (time.perf_counter() - t0) * 1000
                    if r.status_code != 200 or r.json()["status"] not in ("issued", "pledged"):
                        raise RuntimeError(f"unexpected answer: {r.status_code} {r.text[:200]}")
                    if i >= 10:  # the first ones warm connections and caches
                        times.append(elapsed)
        finally:
            stack.close()
            bench.ctx.close()
            bench.node.stop()
            if pg:
                pg.stop()
    times.sort()
    p50 = times[len(times) // 2]
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    rps = 1000 * len(times) / sum(times)
    naive_ms, _ = _median_p95(naive_times)
    ratio = naive_ms / p50
    print(
        f"  POST /v1/invoices/verify over HTTP: p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
        f"{rps:.1f} requests/s (one client; target p95 < 50 ms)"
    )
    print(
        f"  baseline (ORM load of every invoice row, compared in Python, in process): "
        f"{naive_ms:.1f} ms median; ratio {ratio:.1f}x"
    )
    figures: dict[str, float | int | str] = {
        "p95_ms": round(p95, 1),
        "p50_ms": round(p50, 1),
        "rps": round(rps, 1),
        "baseline_ms": round(naive_ms, 1),
        "ratio": round(ratio, 1),
        "invoices": len(invoices),
        "store": args.store,
    }
    return Result(
        f"invoice-verify --store {args.store}",
        figures,
        headline=f"p95 {p95:.1f} ms, p50 {p50:.1f} ms per verification over HTTP "
        f"({len(invoices):,} invoices on chain)",
        baseline=f"{naive_ms:.1f} ms ORM scan (in process)",
        ratio=f"{ratio:.1f}",
    )


BENCHES: dict[str, Callable[[argparse.Namespace], Result] | str] = {
    "writer": bench_writer,
    "gas": bench_gas,
    "indexer": bench_indexer,
    "provenance": bench_provenance,
    "invoice-verify": bench_invoice_verify,
    "evidence": bench_evidence,
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
