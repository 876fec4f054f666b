"""``ftz invoice``: issue, void, verify, pledge and release electronic invoices.

The invoice file (JSON or UBL 2.1 XML) never leaves this machine: only keyed fingerprints of
its normalised fields (FTZ_CONSORTIUM_KEY) are signed and sent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ftzchain.cli.common import SenderOpt, console
from ftzchain.cli.common import context_and_sender as _context_and_sender
from ftzchain.cli.common import load_settings as _settings
from ftzchain.cli.common import password as _password
from ftzchain.context import FtzContext
from ftzchain.domain import zone_code, zone_id
from ftzchain.enums import InvoiceAction
from ftzchain.errors import ConfigError, InvalidInput
from ftzchain.fingerprints import consignment_key, seller_fingerprint
from ftzchain.invoice import FINGERPRINT_KINDS, Invoice, parse_invoice
from ftzchain.signing import LocalSigner

invoice_app = typer.Typer(
    help="Electronic invoices: bind-seller, issue, void, paid, link-goods, verify, pledge, "
    "release.",
    no_args_is_help=True,
)

FileArg = Annotated[Path, typer.Argument(help="The invoice: JSON or UBL 2.1 XML.")]
SellerOpt = Annotated[str, typer.Option(help="Keystore name of the seller enterprise.")]


def _read(path: Path) -> Invoice:
    try:
        return parse_invoice(path.read_bytes())
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None


def _seller(ctx: FtzContext, name: str) -> tuple[LocalSigner, bytes]:
    seller = ctx.signer(name, _password(ctx.settings))
    zid = ctx.governance.enterprise_zone(seller.address)
    if not any(zid):
        raise ConfigError(f"seller {seller.address} is bound to no zone: bind it first")
    return seller, zid


@invoice_app.command("bind-seller")
def invoice_bind_seller(
    seller: SellerOpt,
    uscc: Annotated[str, typer.Option(help="The company's USCC (统一社会信用代码).")],
    sender: SenderOpt = None,
) -> None:
    """Zone node of the seller's zone: vouch that this enterprise key is the company with
    this USCC (once; only its keyed fingerprint goes on chain). Needed before it issues."""
    from stdnum.cn import uscc as uscc_check
    from stdnum.exceptions import ValidationError

    try:
        checked = str(uscc_check.validate(uscc))
    except ValidationError as exc:
        raise InvalidInput(f"{uscc!r} is not a valid USCC ({exc})") from None
    ctx, node = _context_and_sender(sender)
    signer, zid = _seller(ctx, seller)
    fp = seller_fingerprint(checked, ctx.consortium_key)
    r = ctx.invoices.bind_seller(ctx.sender(node), fp, signer.address)
    console.print(f"{signer.address} issues as this USCC in {zone_code(zid)}: tx {r.tx_hash}")


@invoice_app.command("issue")
def invoice_issue(file: FileArg, seller: SellerOpt, sender: SenderOpt = None) -> None:
    """Zone node: issue the seller's invoice (signed by the seller, whose USCC must be bound
    to its key: `ftz invoice bind-seller`)."""
    ctx, node = _context_and_sender(sender)
    signer, zid = _seller(ctx, seller)
    prints = _read(file).prints(ctx.consortium_key)
    r = ctx.invoices.issue(ctx.sender(node), signer, zid, prints)
    console.print(f"issued 0x{prints.invoice_id.hex()} in {zone_code(zid)}: tx {r.tx_hash}")


def _act(file: Path, seller: str, action: InvoiceAction, reason: str, sender: str | None) -> None:
    ctx, node = _context_and_sender(sender)
    signer, _ = _seller(ctx, seller)
    invoice_id = _read(file).fingerprints(ctx.consortium_key)[0]
    r = ctx.invoices.act(ctx.sender(node), signer, invoice_id, action, reason)
    console.print(f"{action.name.lower().replace('_', ' ')}: tx {r.tx_hash}")


@invoice_app.command("void")
def invoice_void(
    file: FileArg,
    seller: SellerOpt,
    reason: Annotated[str, typer.Option(help="Why; only its SHA-256 goes on chain.")],
    credit_note: Annotated[
        bool, typer.Option(help="Cancelled by a credit note rather than voided.")
    ] = False,
    sender: SenderOpt = None,
) -> None:
    """Zone node, for the seller who issued it: void the invoice (or record a credit note)."""
    action = InvoiceAction.CREDIT_NOTE if credit_note else InvoiceAction.VOID
    _act(file, seller, action, reason, sender)


@invoice_app.command("paid")
def invoice_paid(
    file: FileArg,
    seller: SellerOpt,
    reference: Annotated[str, typer.Option(help="Payment reference; only its SHA-256.")],
    sender: SenderOpt = None,
) -> None:
    """Zone node, for the seller: record that the invoice was paid (no financing after)."""
    _act(file, seller, InvoiceAction.PAID, reference, sender)


@invoice_app.command("link-goods")
def invoice_link_goods(
    file: FileArg,
    seller: SellerOpt,
    consignment: Annotated[str, typer.Option(help="Consignment number of the goods billed.")],
    sender: SenderOpt = None,
) -> None:
    """Zone node, for the seller: link the dispatched consignment the invoice bills."""
    ctx, node = _context_and_sender(sender)
    signer, _ = _seller(ctx, seller)
    key = ctx.consortium_key
    invoice_id = _read(file).fingerprints(key)[0]
    r = ctx.invoices.link_goods(
        ctx.sender(node), signer, invoice_id, consignment_key(consignment, key)
    )
    console.print(f"goods linked: tx {r.tx_hash}")


@invoice_app.command("verify")
def invoice_verify(file: FileArg) -> None:
    """The invoice's state on chain and whether any fingerprint (exact or near duplicate) is
    pledged. Exit code 0 only when it is issued and free to finance."""
    ctx = FtzContext(_settings())
    fps = _read(file).fingerprints(ctx.consortium_key)
    found = ctx.invoices.invoice(fps[0])
    if found is None:
        console.print(f"0x{fps[0].hex()}: not issued on chain")
    else:
        pledged = f", pledged by {found.financier}" if found.financier else ""
        console.print(
            f"0x{fps[0].hex()}: {found.status.name.lower()} in {zone_code(found.zone_id)}{pledged}"
        )
    free = found is not None and found.status.name == "ISSUED" and found.financier is None
    for kind, fp in zip(FINGERPRINT_KINDS, fps, strict=True):
        holder = ctx.invoices.pledged_by(fp)
        if holder is not None:
            whose = "this invoice" if holder == fps[0] else "another invoice"
            console.print(f"  {kind}: pledged ({whose})")
            free = False
    raise typer.Exit(0 if free else 1)


@invoice_app.command("pledge")
def invoice_pledge(
    file: FileArg,
    zone: Annotated[str, typer.Option(help="Your zone (the financier's), e.g. CN-AH.")],
    reference: Annotated[str, typer.Option(help="Financing contract reference (hashed).")],
    require_goods: Annotated[
        bool, typer.Option(help="Refuse unless goods (a consignment) are linked.")
    ] = False,
    sender: SenderOpt = None,
) -> None:
    """Financier: pledge the invoice (refused if any fingerprint is pledged anywhere)."""
    ctx, bank = _context_and_sender(sender)
    fps = _read(file).fingerprints(ctx.consortium_key)
    r = ctx.invoices.pledge(ctx.sender(bank), fps, zone_id(zone), reference, require_goods)
    console.print(f"pledged 0x{fps[0].hex()}: tx {r.tx_hash}")


@invoice_app.command("release")
def invoice_release(
    file: FileArg,
    reference: Annotated[str, typer.Option(help="Financing contract reference (hashed).")],
    sender: SenderOpt = None,
) -> None:
    """Financier holding the pledge: release it."""
    ctx, bank = _context_and_sender(sender)
    fps = _read(file).fingerprints(ctx.consortium_key)
    r = ctx.invoices.release(ctx.sender(bank), fps, reference)
    console.print(f"released 0x{fps[0].hex()}: tx {r.tx_hash}")
