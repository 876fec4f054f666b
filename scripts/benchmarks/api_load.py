"""`scripts/bench api-load`: open-loop load on the served API, and where it saturates.

Requests are sent at a fixed offered rate whatever the answers do (open loop: a slow server
does not slow the offer), over up to ``--connections`` connections, mixing IP look-ups,
invoice verifications, trace upstream and timeline queries and /healthz. Latency runs from
the moment a request was due to its answer, so time spent waiting for a free connection
counts. Then a ladder of offered rates finds the saturation rate (the highest whose IP and
invoice p95 stay under 100 ms with no server errors), and one step past it checks that the
excess is shed as fast 503s. /healthz is polled throughout. The baseline is the same mix from
one client, one request at a time, in the same run.

The load is signed in (Sign-In with Ethereum) as the enterprise whose records they are, as a
zone system would be: each request reads its session and standing, graded answers are
redacted for it, and each privileged read is appended to the audit trail before it is sent.
``auth_overhead`` is what that costs: the p95 of the IP and invoice calls signed in over their
p95 anonymous, one client one request at a time, the anonymous and signed-in requests
interleaved, in the same run. Under load, the same is
measured at the offered rate on the IP and invoice calls alone (``ip_invoice_only_*``: p95,
and the machine's CPU per answer), anonymous and then signed in. The machine's CPU (all
cores, read from /proc/stat) is reported for each open-loop run: on these 2-core machines the
server processes, the database and the load generator share it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftzchain.devnet import dev_private_key
from ftzchain.sandbox import NetworkPlan, apply_plan
from ftzchain.signing import LocalSigner

from .harness import (
    BENCH_CONSORTIUM_KEY,
    SH,
    Result,
    fresh_bench,
    median_p95,
    naive_loop,
    served_api,
)
from .invoice_verify import BENCH_SELLER_USCC, _bench_invoice
from .provenance import _merge_tree

log = logging.getLogger("bench")

_TARGET_MS = 100.0
_LADDER = (100, 200, 300, 400, 500, 600, 800, 1000, 1400)
_MIX = (("ip", 7), ("invoice", 7), ("upstream", 2), ("timeline", 2), ("health", 2))


@dataclass(frozen=True)
class Call:
    kind: str
    method: str
    path: str
    body: bytes | None = None


@dataclass
class Run:
    offered_rps: float
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: int = 0  # timeouts and connection errors
    health_max_ms: float = 0.0
    shed_ms: list[float] = field(default_factory=list)  # how fast the 503s came

    def add(self, kind: str, status: int, ms: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status == 200:
            self.latencies.setdefault(kind, []).append(ms)
        elif status == 503:
            self.shed_ms.append(ms)

    @property
    def server_errors(self) -> int:
        return self.failures + sum(n for s, n in self.statuses.items() if s >= 500 and s != 503)

    @property
    def shed(self) -> int:
        return self.statuses.get(503, 0)

    def percentile(self, q: float, kinds: tuple[str, ...] | None = None) -> float:
        values = sorted(
            v for k, vs in self.latencies.items() if kinds is None or k in kinds for v in vs
        )
        if not values:
            return float("nan")
        return values[min(len(values) - 1, int(q * len(values)))]

    def within_target(self) -> bool:
        return (
            self.server_errors == 0
            and self.shed == 0
            and self.percentile(0.95, ("ip", "invoice")) < _TARGET_MS
        )


def _calls(ip_hashes: list[str], invoices: list[bytes], lots: list[str]) -> list[Call]:
    """The request mix, cycled through in this order."""
    calls: list[Call] = []
    counters = dict.fromkeys(("ip", "invoice", "lot"), 0)
    for round_ in range(len(ip_hashes)):
        for kind, weight in _MIX:
            for _ in range(weight):
                if kind == "ip":
                    h = ip_hashes[counters["ip"] % len(ip_hashes)]
                    counters["ip"] += 1
                    calls.append(Call(kind, "GET", f"/v1/ip/{h}"))
                elif kind == "invoice":
                    body = invoices[counters["invoice"] % len(invoices)]
                    counters["invoice"] += 1
                    calls.append(Call(kind, "POST", "/v1/invoices/verify", body))
                elif kind in ("upstream", "timeline"):
                    lot = lots[(counters["lot"] + round_) % len(lots)]
                    counters["lot"] += 1
                    calls.append(Call(kind, "GET", f"/v1/trace/{kind}?id={lot}"))
                else:
                    calls.append(Call(kind, "GET", "/healthz"))
    return calls


async def _send(session: object, base: str, call: Call) -> int:
    import aiohttp

    assert isinstance(session, aiohttp.ClientSession)
    headers = {"content-type": "application/json"} if call.body is not None else None
    async with session.request(
        call.method, base + call.path, data=call.body, headers=headers
    ) as response:
        await response.read()
        return response.status


async def _open_loop(
    base: str,
    calls: list[Call],
    rate: float,
    seconds: float,
    connections: int,
    headers: dict[str, str] | None = None,
) -> Run:
    import aiohttp

    run = Run(offered_rps=rate)
    loop = asyncio.get_running_loop()
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, headers=headers
    ) as session:
        stop = asyncio.Event()

        async def poll_health() -> None:
            async with aiohttp.ClientSession(timeout=timeout) as own:  # its own connection
                while not stop.is_set():
                    started = loop.time()
                    with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                        await _send(own, base, Call("health", "GET", "/healthz"))
                    run.health_max_ms = max(run.health_max_ms, (loop.time() - started) * 1000)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), 0.5)

        async def one(call: Call, due: float) -> None:
            try:
                status = await _send(session, base, call)
            except (aiohttp.ClientError, TimeoutError):
                run.failures += 1
                return
            run.add(call.kind, status, (loop.time() - due) * 1000)

        health = asyncio.create_task(poll_health())
        tasks = []
        start = loop.time() + 0.05
        for i in range(int(rate * seconds)):
            due = start + i / rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing the offer (not waiting for answers)
            tasks.append(asyncio.create_task(one(calls[i % len(calls)], due)))
        await asyncio.gather(*tasks)
        stop.set()
        await health
    return run


def _cpu_times() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, all cores (Linux /proc/stat)."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle and iowait
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - idle) / hz, sum(ticks) / hz


def _measured(load: Coroutine[None, None, Run]) -> tuple[Run, float, float]:
    """Run ``load``; return it with the machine's busy fraction and CPU ms per answer."""
    before = _cpu_times()
    run = asyncio.run(load)
    busy, total = (a - b for a, b in zip(_cpu_times(), before, strict=True))
    answered = sum(run.statuses.values())
    return run, busy / total if total else 0.0, busy * 1000 / answered if answered else 0.0


def _report_cpu(busy: float, ms_per_answer: float) -> None:
    print(
        f"    the machine's CPU: {busy:.0%} busy (all cores: server processes, database, load "
        f"generator), {ms_per_answer:.1f} ms of CPU per answer",
        flush=True,
    )


def _timed(http: Any, call: Call, run: Run, signed: dict[str, str] | None = None) -> None:
    """Send ``call`` on the httpx client ``http`` (with the ``signed`` headers, if any) and
    add its answer to ``run``."""
    headers = {"content-type": "application/json"} if call.body is not None else {}
    headers |= signed or {}
    started = time.perf_counter()
    r = http.request(call.method, call.path, content=call.body, headers=headers)
    run.add(call.kind, r.status_code, (time.perf_counter() - started) * 1000)


def _closed_loop(
    base: str, calls: list[Call], count: int, headers: dict[str, str] | None = None
) -> Run:
    """Baseline: one client, one request at a time."""
    import httpx

    run = Run(offered_rps=0)
    with httpx.Client(base_url=base, timeout=30, headers=headers) as http:
        for call in calls[:count]:
            _timed(http, call, run)
    return run


def _paired_closed_loop(
    base: str, calls: list[Call], pairs: int, headers: dict[str, str]
) -> tuple[Run, Run]:
    """Each call sent anonymously and signed in, one request at a time, the two interleaved
    (and which goes first alternating), so that both see the same moments of this shared
    machine: two runs one after the other differed by whatever else ran meanwhile. Both go
    over one connection, so to the same server process: over a connection each, they were
    answered by whichever processes had taken the two connections, and the processes of one
    run differed by more than half a millisecond a request (seen interleaving the answers of
    two servers)."""
    import httpx

    runs = (Run(offered_rps=0), Run(offered_rps=0))
    with httpx.Client(base_url=base, timeout=30) as http:
        for i in range(pairs):
            for which in (0, 1) if i % 2 == 0 else (1, 0):
                _timed(http, calls[i % len(calls)], runs[which], headers if which else None)
    return runs


def _populate(bench: object, args: argparse.Namespace) -> tuple[list[str], list[bytes], list[str]]:
    """IP records, invoices (half pledged) and a traced product on the bench chain."""
    import hashlib

    from ftzchain.fingerprints import seller_fingerprint
    from ftzchain.invoice import invoice_from_json

    from .harness import Bench

    assert isinstance(bench, Bench)
    key = bytes.fromhex(BENCH_CONSORTIUM_KEY)
    ctx = bench.ctx
    naive_loop(bench, args.records_ip, "api-load")
    ip_hashes = [
        "0x" + hashlib.sha256(f"api-load {i}".encode()).hexdigest() for i in range(args.records_ip)
    ]
    bank = ctx.sender(LocalSigner.from_key(dev_private_key(2)))
    apply_plan(
        ctx.governance, [bench.admin], NetworkPlan(roles=[("FINANCIER", bank.address, "CN-SH")])
    )
    reg = ctx.invoices
    reg.bind_seller(
        bench.zone_node, seller_fingerprint(BENCH_SELLER_USCC, key), bench.enterprise.address
    )
    invoices = [_bench_invoice(i) for i in range(args.invoices_load)]
    sent = []
    for i, invoice in enumerate(invoices):
        prints = invoice_from_json(invoice).prints(key)
        sent.append(bench.zone_node.send(reg.address, reg.issue_call(bench.enterprise, SH, prints)))
        if i % 2 == 0:
            sent.append(bank.send(reg.address, reg.pledge_call(prints.all, SH, f"loan {i}", False)))
    for tx in sent:
        if ctx.client.wait_for_receipt(tx).status != 1:
            raise RuntimeError(f"transaction {tx} reverted")
    items, product = _merge_tree(key, 64, "api-load")
    trace = ctx.traceability
    trace.record(bench.zone_node, trace.sign_batch(bench.enterprise, SH, items))
    lots = [product, *(f"api-load:L3:{i}" for i in range(8))]
    bodies = [json.dumps(invoice).encode() for invoice in invoices]
    return ip_hashes, bodies, lots


def bench_api_load(args: argparse.Namespace) -> Result:
    from ftzchain.devpg import start_pg
    from indexer.db import make_engine, migrate
    from indexer.service import build_indexer

    with tempfile.TemporaryDirectory() as state:
        bench = fresh_bench(args.node, Path(state))
        pg = start_pg() if args.store == "postgres" else None
        try:
            ip_hashes, invoices, lots = _populate(bench, args)
            url = pg.create_database() if pg else f"sqlite:///{state}/api-load.db"
            migrate(url)
            engine = make_engine(url)
            build_indexer(bench.ctx, engine).sync()
            engine.dispose()
            calls = _calls(ip_hashes, invoices, lots)
            env = {
                "FTZ_RATE_LIMIT_PER_MINUTE": "0",  # one load generator, one address
                "FTZ_LOOKUP_RATE_PER_MINUTE": "0",  # and one signed-in caller
                "FTZ_API_WORKERS": str(args.api_workers),
            }
            with served_api(bench, url, state, env) as base:
                from ftzchain.cli.intake import sign_in

                session = sign_in(base, bench.enterprise)
                _closed_loop(base, calls, 100, session)  # warm-up
                public = [c for c in calls if c.kind in ("ip", "invoice")]
                anonymous, signed = _paired_closed_loop(base, public, args.auth_pairs, session)
                auth_overhead = signed.percentile(0.95) / anonymous.percentile(0.95)
                print(
                    f"api-load: IP and invoice calls, one at a time ({args.auth_pairs} pairs, "
                    "anonymous and signed in interleaved): anonymous p95 "
                    f"{anonymous.percentile(0.95):.1f} ms, signed in (session, standing, "
                    f"redaction, audit entry) p95 {signed.percentile(0.95):.1f} ms: "
                    f"auth_overhead {auth_overhead:.2f}"
                )
                baseline = _closed_loop(base, calls, args.baseline_queries_load, session)
                print(
                    f"api-load ({args.store}, {args.api_workers} server processes): baseline, "
                    "one client one request at a time: "
                    f"p50 {baseline.percentile(0.5):.1f} ms, p95 {baseline.percentile(0.95):.1f} ms"
                )
                main, cpu_busy, cpu_ms = _measured(
                    _open_loop(base, calls, args.rate, args.duration, args.connections, session)
                )
                _report(main)
                _report_cpu(cpu_busy, cpu_ms)
                # The same offered rate of IP and invoice calls only, anonymous then signed in:
                # what sign-in, redaction and the audit trail cost under load, on the same work.
                under_load = {}
                for label, headers in (("anonymous", None), ("signed in", session)):
                    print(f"  IP and invoice calls only, {label}:")
                    run, busy, per_answer = _measured(
                        _open_loop(
                            base, public, args.rate, args.step_seconds, args.connections, headers
                        )
                    )
                    _report(run)
                    _report_cpu(busy, per_answer)
                    under_load[label] = (run.percentile(0.95), per_answer)
                saturation = 0
                past: Run | None = None
                for rate in _LADDER:
                    step = asyncio.run(
                        _open_loop(base, calls, rate, args.step_seconds, args.connections, session)
                    )
                    _report(step)
                    if step.within_target():
                        saturation = rate
                    else:
                        past = step
                        break
        finally:
            bench.ctx.close()
            bench.node.stop()
            if pg:
                pg.stop()
    p95 = main.percentile(0.95)
    base_p95 = baseline.percentile(0.95)
    shed_p95 = median_p95(past.shed_ms)[1] if past and past.shed_ms else 0.0
    ratio = p95 / base_p95 if base_p95 else float("nan")
    print(
        f"  saturation: {saturation} requests/s (the highest offered rate whose IP and invoice "
        f"p95 stayed under {_TARGET_MS:.0f} ms with no server error)"
    )
    if past:
        print(
            f"  past it, at {past.offered_rps:.0f}/s: {past.shed} shed as 503 (p95 "
            f"{shed_p95:.0f} ms), {past.server_errors} server errors or timeouts, /healthz max "
            f"{past.health_max_ms:.0f} ms"
        )
    figures: dict[str, float | int | str] = {
        "offered_rps": args.rate,
        "p50_ms": round(main.percentile(0.5), 1),
        "p95_ms": round(p95, 1),
        "p99_ms": round(main.percentile(0.99), 1),
        "errors": main.server_errors,
        "saturation_rps": saturation,
        "store": args.store,
        "workers": args.api_workers,
        "ip_invoice_p95_ms": round(main.percentile(0.95, ("ip", "invoice")), 1),
        "shed": main.shed,
        "health_max_ms": round(max(main.health_max_ms, past.health_max_ms if past else 0), 1),
        "shed_p95_ms_past_saturation": round(shed_p95, 1),
        "baseline_p95_ms": round(base_p95, 1),
        "ratio": round(ratio, 2),
        "auth_overhead": round(auth_overhead, 2),
        "cpu_busy": round(cpu_busy, 2),
        "cpu_ms_per_request": round(cpu_ms, 1),
        "ip_invoice_only_p95_ms_anonymous": round(under_load["anonymous"][0], 1),
        "ip_invoice_only_p95_ms_signed_in": round(under_load["signed in"][0], 1),
        "ip_invoice_only_cpu_ms_anonymous": round(under_load["anonymous"][1], 1),
        "ip_invoice_only_cpu_ms_signed_in": round(under_load["signed in"][1], 1),
    }
    return Result(
        name=f"api-load --store {args.store}",
        figures=figures,
        headline=f"p95 {p95:.1f} ms at {args.rate} offered req/s ({main.server_errors} errors), "
        f"saturation {saturation} req/s",
        baseline=f"p95 {base_p95:.1f} ms, one client, one request at a time",
        ratio=f"{ratio:.2f}",
    )


def _report(run: Run) -> None:
    done = sum(run.statuses.values())
    print(
        f"  offered {run.offered_rps:.0f}/s: {done} answered ({run.statuses}), "
        f"{run.failures} failed; p50 {run.percentile(0.5):.1f} ms, p95 "
        f"{run.percentile(0.95):.1f} ms, p99 {run.percentile(0.99):.1f} ms; IP+invoice p95 "
        f"{run.percentile(0.95, ('ip', 'invoice')):.1f} ms; /healthz max "
        f"{run.health_max_ms:.0f} ms",
        flush=True,
    )
