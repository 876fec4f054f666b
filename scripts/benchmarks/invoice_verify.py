"""`scripts/bench invoice-verify`: invoice verification over HTTP against an ORM scan."""

from __future__ import annotations

import argparse
import contextlib
import logging
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from ftzchain.devnet import dev_private_key
from ftzchain.sandbox import NetworkPlan, apply_plan
from ftzchain.signing import LocalSigner

from .harness import (
    BENCH_CONSORTIUM_KEY,
    SH,
    Result,
    fresh_bench,
    median_p95,
    served_api,
)

log = logging.getLogger("bench")


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

            base = stack.enter_context(served_api(bench, url, state))
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
    p50, p95 = median_p95(times)
    rps = 1000 * len(times) / sum(times)
    naive_ms, _ = median_p95(naive_times)
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
