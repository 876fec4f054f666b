"""Demo invoices for `make demo`: the auto-parts chain bills its goods, a bank finances one
invoice, and a second bank in another zone is refused the same invoice with its number
re-typed with a dash (double financing caught without either bank seeing the other's data).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from demo_goods import Actors

from ftzchain.client import TxSender
from ftzchain.context import FtzContext
from ftzchain.domain import zone_id
from ftzchain.errors import ContractRevert
from ftzchain.fingerprints import consignment_key, seller_fingerprint
from ftzchain.invoice import invoice_from_json
from ftzchain.sandbox import NetworkPlan, apply_plan
from ftzchain.signing import LocalSigner

log = logging.getLogger("demo")

LINGANG = {"name": "Lingang Auto Parts R&D Co., Ltd.", "uscc": "91310115660123450W"}
HEFEI = {"name": "Hefei Assembly Co., Ltd.", "uscc": "913401007899876504"}
SUZHOU = {"name": "Suzhou Logistics Co., Ltd.", "uscc": "91320500691234560J"}

INVOICES: dict[str, dict[str, Any]] = {
    "ecu-to-hefei": {
        "number": "SH-2026-00042",
        "issue_date": "2026-11-03",
        "currency": "CNY",
        "seller": LINGANG,
        "buyer": HEFEI,
        "total_without_tax": "100000.00",
        "total_with_tax": "113000.00",
    },
    "pallet-to-suzhou": {
        "number": "AH-2026-00917",
        "issue_date": "2026-11-07",
        "currency": "CNY",
        "seller": HEFEI,
        "buyer": SUZHOU,
        "total_without_tax": "250000.00",
        "total_with_tax": "282500.00",
    },
}
GOODS = {"ecu-to-hefei": ("CN-SH", "YRD-CSG-001"), "pallet-to-suzhou": ("CN-AH", "YRD-CSG-002")}


def run(
    ctx: FtzContext, actors: Actors, voters: list[TxSender], faucet: TxSender, out_dir: Path
) -> list[str]:
    """Issue, link and finance the invoices; returns the refusals (there should be one)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    banks = {z: ctx.sender(LocalSigner.generate()) for z in ("CN-SH", "CN-AH")}
    for tx in [faucet.send(b.address, b"", gas=21_000, value=10**20) for b in banks.values()]:
        ctx.client.wait_for_receipt(tx)
    apply_plan(
        ctx.governance,
        voters,
        NetworkPlan(roles=[("FINANCIER", b.address, z) for z, b in banks.items()]),
    )
    log.info("committee granted the financier role to a bank in CN-SH and one in CN-AH")
    key, reg = ctx.consortium_key, ctx.invoices
    # Each zone vouches that its enterprise key is the company with this USCC.
    for zone, company in (("CN-SH", LINGANG), ("CN-AH", HEFEI)):
        address = actors.enterprises[zone].address
        reg.bind_seller(actors.nodes[zone], seller_fingerprint(company["uscc"], key), address)
    prints = {}
    for name, invoice in INVOICES.items():
        (out_dir / f"{name}.invoice.json").write_text(json.dumps(invoice, indent=2) + "\n")
        zone, consignment = GOODS[name]
        issued = invoice_from_json(invoice).prints(key)
        prints[name] = issued.all
        seller, node = actors.enterprises[zone], actors.nodes[zone]
        reg.issue(node, seller, zone_id(zone), issued)
        reg.link_goods(node, seller, issued.invoice_id, consignment_key(consignment, key))
        log.info(
            "%s: invoice %s issued, linked to consignment %s", zone, invoice["number"], consignment
        )
    reg.pledge(banks["CN-SH"], prints["ecu-to-hefei"], zone_id("CN-SH"), "SH-BANK-LOAN-7781", True)
    log.info("CN-SH bank financed invoice SH-2026-00042 (goods-backed)")
    retyped = {**INVOICES["ecu-to-hefei"], "number": "SH-2026-0004-2", "issue_date": "2026/11/03"}
    (out_dir / "ecu-to-hefei.retyped.invoice.json").write_text(json.dumps(retyped, indent=2) + "\n")
    refused = []
    try:
        reg.pledge(
            banks["CN-AH"], invoice_from_json(retyped).fingerprints(key), zone_id("CN-AH"), "AH-9"
        )
    except ContractRevert as exc:
        refused.append(f"second financing of SH-2026-00042 (re-typed SH-2026-0004-2): {exc}")
        log.info("refused, as it should be: %s", refused[-1])
    reg.pledge(banks["CN-AH"], prints["pallet-to-suzhou"], zone_id("CN-AH"), "AH-BANK-0042", True)
    log.info("CN-AH bank financed invoice AH-2026-00917 (goods-backed)")
    return refused
