"""No invoice field reaches the chain in any form an outsider could read or test guesses
against: every transaction input, log and storage slot is scanned for the invoices' numbers,
ids, names, amounts and dates, raw and normalised, in several encodings and as unkeyed hashes."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from eth_utils.crypto import keccak

from ftzchain.enums import InvoiceAction
from ftzchain.fingerprints import consignment_key, lot_key
from ftzchain.invoice import invoice_from_json
from ftzchain.rpc import JsonRpc
from tests.conftest import AH, ROOT, SH, TEST_CONSORTIUM_KEY, World

KEY = bytes.fromhex(TEST_CONSORTIUM_KEY)
BASE: dict[str, Any] = json.loads((ROOT / "tests" / "data" / "invoice-auto-parts.json").read_text())
INVOICES: list[dict[str, Any]] = [
    BASE,
    {
        **BASE,
        "number": "SH-2026-00043",
        "total_without_tax": "2500.00",
        "total_with_tax": "2825.00",
    },
    {**BASE, "number": "SH/2026/00044", "issue_date": "2026-11-21", "total_with_tax": "113000.00"},
]


def _chain_data(world: World) -> bytes:
    """Every byte the chain holds about this world's contracts: the inputs of transactions to
    them, their logs, their storage (the session's node also holds other tests' data, whose
    numbers may equal an invoice's date by chance)."""
    client = world.ctx.client
    ours = {c.address.lower() for c in world.deployment.contracts.values()}
    parts: list[bytes] = []
    with JsonRpc(world.node.url) as rpc:
        for number in range(world.deployment.start_block, client.block_number() + 1):
            block = rpc.call("eth_getBlockByNumber", [hex(number), True])
            for tx in block["transactions"]:
                if (tx.get("to") or "").lower() not in ours:
                    continue
                parts.append(bytes.fromhex(tx["input"][2:]))
                receipt = rpc.call("eth_getTransactionReceipt", [tx["hash"]])
                for log in receipt["logs"]:
                    parts += [bytes.fromhex(t[2:]) for t in log["topics"]]
                    parts.append(bytes.fromhex(log["data"][2:]))
        dump = rpc.call("anvil_dumpState", [])
    state = json.loads(gzip.decompress(bytes.fromhex(dump[2:])))
    for address, account in state["accounts"].items():
        if address.lower() not in ours:
            continue
        for slot, value in account.get("storage", {}).items():
            parts += [
                bytes.fromhex(slot[2:].rjust(64, "0")),
                bytes.fromhex(value[2:].rjust(64, "0")),
            ]
    return b"\n".join(parts)


def _needles(invoice: dict[str, Any]) -> dict[str, bytes]:
    parsed = invoice_from_json(invoice)
    texts = {
        "number": invoice["number"],
        "number normalised": parsed.number,
        "seller USCC": parsed.seller_id,
        "buyer USCC": parsed.buyer_id,
        "seller name": parsed.seller_name,
        "buyer name": parsed.buyer_name,
        "date": parsed.issue_date.isoformat(),
        "date compact": parsed.issue_date.strftime("%Y%m%d"),
        "total": f"{parsed.total_with_tax:.2f}",
        "total plain": str(int(parsed.total_with_tax)),
        "net": f"{parsed.total_without_tax:.2f}",
    }
    needles: dict[str, bytes] = {}
    for label, text in texts.items():
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            needles[f"{label} ({encoding})"] = text.encode(encoding)
        needles[f"{label} (ascii hex)"] = text.encode().hex().encode()
        for name, digest in (
            ("sha256", hashlib.sha256(text.encode()).digest()),
            ("keccak256", keccak(text.encode())),
            ("md5", hashlib.md5(text.encode()).digest()),
        ):
            needles[f"{label} ({name})"] = digest
    day = datetime(parsed.issue_date.year, parsed.issue_date.month, parsed.issue_date.day)
    for label, number in (
        ("total in fen", int(parsed.total_with_tax * 100)),
        ("total in yuan", int(parsed.total_with_tax)),
        ("net in fen", int(parsed.total_without_tax * 100)),
        ("date as unix time", int(day.replace(tzinfo=UTC).timestamp())),
        ("total x 1e18", int(parsed.total_with_tax * Decimal(10**18))),
    ):
        needles[f"{label} (uint256)"] = number.to_bytes(32, "big")
        if number < 2**64:
            needles[f"{label} (uint64)"] = number.to_bytes(8, "big")
    # Unkeyed versions of the fingerprints themselves (what a careless design would publish).
    for kind, fields in (
        ("id", [parsed.seller_id, parsed.number]),
        ("pair", [parsed.seller_id, parsed.buyer_id]),
        ("seller", ["seller", parsed.seller_id]),
    ):
        joined = "\x1f".join(fields).encode()
        needles[f"unkeyed {kind} (sha256)"] = hashlib.sha256(joined).digest()
        needles[f"unkeyed {kind} (keccak256)"] = keccak(joined)
    return needles


def test_no_invoice_field_is_readable_on_chain(anvil_world: World) -> None:
    world = anvil_world
    reg = world.ctx.invoices
    issued = [invoice_from_json(i).prints(KEY) for i in INVOICES]
    reg.bind_seller(world.sh_node, issued[0].seller, world.sh_enterprise.address)
    for invoice in issued:
        reg.issue(world.sh_node, world.sh_enterprise, SH, invoice)
    prints = [i.all for i in issued]
    lot = lot_key("urn:epc:class:lgtin:4012345.000001.PRIV", KEY)
    consignment = consignment_key("CSG-PRIVACY", KEY)
    world.ctx.custody.take_custody(world.sh_node, SH, [lot])
    world.ctx.custody.dispatch(world.sh_node, consignment, SH, AH, [lot])
    reg.link_goods(world.sh_node, world.sh_enterprise, prints[0][0], consignment)
    reg.pledge(world.bank_sh, prints[0], SH, "loan SH-2026-00042", require_goods=True)
    reg.release(world.bank_sh, prints[0], "loan SH-2026-00042")
    reg.pledge(world.bank_ah, prints[0], AH, "loan 2")
    reg.act(world.sh_node, world.sh_enterprise, prints[1][0], InvoiceAction.VOID, "wrong buyer")
    reg.act(world.sh_node, world.sh_enterprise, prints[2][0], InvoiceAction.PAID, "paid")

    haystack = _chain_data(world)
    # The scan sees what is there: the keyed fingerprints, in logs and in pledge storage.
    assert all(fp in haystack for fps in prints for fp in fps)
    assert issued[0].seller in haystack and all(i.number in haystack for i in issued)
    found = {
        f"invoice {i}: {label}"
        for i, invoice in enumerate(INVOICES)
        for label, needle in _needles(invoice).items()
        if needle in haystack
    }
    assert not found, sorted(found)
