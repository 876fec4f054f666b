"""`scripts/bench gas`: gas per record and the snapshot the test suite compares against."""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

from ftzchain.context import FtzContext
from ftzchain.devnet import start_node
from ftzchain.settings import FtzSettings

from .harness import (
    ROOT,
    Result,
)

log = logging.getLogger("bench")


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
