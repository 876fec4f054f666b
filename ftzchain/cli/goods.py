"""``ftz custody``, ``ftz customs``, ``ftz origin``: goods across zones from the command line.

Numbers are typed as printed (consignment, declaration, certificate, lot ids); only their keyed
fingerprints (FTZ_CONSORTIUM_KEY) reach the chain. Writes are signed by ``--sender`` (a zone
node, a customs officer or an origin-certificate issuer); ``show``/``status``/``verify`` read the
chain's current state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ftzchain.cli.common import SenderOpt, console
from ftzchain.cli.common import context_and_sender as _context_and_sender
from ftzchain.cli.common import load_settings as _settings
from ftzchain.context import FtzContext
from ftzchain.custody import document_hash
from ftzchain.domain import zone_code, zone_id
from ftzchain.enums import CertificateStatus, LotState, Result, Rule
from ftzchain.errors import InvalidInput
from ftzchain.fingerprints import certificate_key, consignment_key, declaration_key, lot_key

custody_app = typer.Typer(
    help="Custody of lots: take, dispatch to another zone, receive (two-sided), show.",
    no_args_is_help=True,
)
customs_app = typer.Typer(
    help="Customs: one declaration, two inspections (一单两检), clearance by rule.",
    no_args_is_help=True,
)
origin_app = typer.Typer(
    help="Certificates of origin: issue, revoke, supersede, verify.", no_args_is_help=True
)

LotsOpt = Annotated[
    list[str], typer.Option("--lot", help="Lot, class or EPC id (repeat for several).")
]
ZoneOpt = Annotated[str, typer.Option(help="Zone code, e.g. CN-SH.")]
EventOpt = Annotated[
    str | None,
    typer.Option(
        "--event",
        help="CBV 2.0 hash id (ni:///sha-256;…) of the EPCIS event documenting the step.",
    ),
]
DocumentOpt = Annotated[
    Path | None, typer.Option(help="The document; only its SHA-256 goes on chain.")
]


def _event_id(hash_id: str | None) -> bytes:
    if not hash_id:
        return bytes(32)
    digest = hash_id.removeprefix("ni:///sha-256;").split("?")[0]
    try:
        raw = bytes.fromhex(digest)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise InvalidInput(f"not a CBV 2.0 hash id: {hash_id!r} (ni:///sha-256;<64 hex>?ver=…)")
    return raw


def _document(path: Path | None) -> bytes:
    return document_hash(path) if path is not None else bytes(32)


def _lots(ctx: FtzContext, lots: list[str]) -> list[bytes]:
    if not lots:
        raise InvalidInput("name at least one lot with --lot")
    return [lot_key(x, ctx.consortium_key) for x in lots]


def _done(what: str, tx_hash: str, block: int) -> None:
    console.print(f"{what}: tx {tx_hash} block {block}")


@custody_app.command("take")
def custody_take(
    zone: ZoneOpt, lot: LotsOpt, event: EventOpt = None, sender: SenderOpt = None
) -> None:
    """Zone node: take first custody of lots no zone has held (made or entered here)."""
    ctx, node = _context_and_sender(sender)
    r = ctx.custody.take_custody(ctx.sender(node), zone_id(zone), _lots(ctx, lot), _event_id(event))
    _done(f"{zone} holds {len(lot)} lot(s)", r.tx_hash, r.block_number)


@custody_app.command("dispatch")
def custody_dispatch(
    consignment: Annotated[str, typer.Argument(help="Consignment number.")],
    from_zone: Annotated[str, typer.Option("--from", help="The holding zone (yours).")],
    to_zone: Annotated[str, typer.Option("--to", help="The receiving zone.")],
    lot: LotsOpt,
    event: EventOpt = None,
    sender: SenderOpt = None,
) -> None:
    """Zone node of the custodian zone: hand lots to another zone (in transit until received)."""
    ctx, node = _context_and_sender(sender)
    r = ctx.custody.dispatch(
        ctx.sender(node),
        consignment_key(consignment, ctx.consortium_key),
        zone_id(from_zone),
        zone_id(to_zone),
        _lots(ctx, lot),
        _event_id(event),
    )
    _done(f"{consignment} dispatched {from_zone} → {to_zone}", r.tx_hash, r.block_number)


@custody_app.command("receive")
def custody_receive(
    consignment: Annotated[str, typer.Argument(help="Consignment number.")],
    lot: LotsOpt,
    event: EventOpt = None,
    sender: SenderOpt = None,
) -> None:
    """Zone node of the destination: record the receipt (the lots it was dispatched with)."""
    ctx, node = _context_and_sender(sender)
    r = ctx.custody.receive(
        ctx.sender(node),
        consignment_key(consignment, ctx.consortium_key),
        _lots(ctx, lot),
        _event_id(event),
    )
    _done(f"{consignment} received", r.tx_hash, r.block_number)


@custody_app.command("show")
def custody_show(lot: Annotated[str, typer.Argument(help="Lot, class or EPC id.")]) -> None:
    """Who holds a lot now (read from the chain)."""
    ctx = FtzContext(_settings())
    held = ctx.custody.lot(lot_key(lot, ctx.consortium_key))
    if held.state is LotState.NONE:
        console.print(f"{lot}: no zone has taken custody")
        raise typer.Exit(1)
    state = "in transit from" if held.state is LotState.IN_TRANSIT else "held by"
    console.print(f"{lot}: {state} {zone_code(held.zone_id)}")


@customs_app.command("declare")
def customs_declare(
    declaration: Annotated[str, typer.Argument(help="Declaration number.")],
    consignment: Annotated[str, typer.Option(help="Consignment number it covers.")],
    origin: Annotated[str, typer.Option(help="Origin zone (yours).")],
    destination: Annotated[str, typer.Option(help="Destination zone.")],
    rule: Annotated[
        str,
        typer.Option(help="both-zones (一单两检), origin-only or destination-only."),
    ] = "both-zones",
    document: DocumentOpt = None,
    sender: SenderOpt = None,
) -> None:
    """Zone node of the origin zone: file a declaration for a consignment."""
    parsed = Rule.__members__.get(rule.upper().replace("-", "_"), Rule.NONE)
    if parsed is Rule.NONE:
        raise InvalidInput(f"unknown rule {rule!r}: both-zones, origin-only or destination-only")
    ctx, node = _context_and_sender(sender)
    key = ctx.consortium_key
    r = ctx.customs.file_declaration(
        ctx.sender(node),
        declaration_key(declaration, key),
        consignment_key(consignment, key),
        zone_id(origin),
        zone_id(destination),
        parsed,
        _document(document),
    )
    _done(f"declaration {declaration} filed ({rule})", r.tx_hash, r.block_number)


@customs_app.command("inspect")
def customs_inspect(
    declaration: Annotated[str, typer.Argument(help="Declaration number.")],
    zone: ZoneOpt,
    passed: Annotated[bool, typer.Option("--passed/--failed", help="The inspection result.")],
    report: DocumentOpt = None,
    sender: SenderOpt = None,
) -> None:
    """Customs officer of the origin or destination zone: record its inspection (once)."""
    ctx, officer = _context_and_sender(sender)
    r = ctx.customs.inspect(
        ctx.sender(officer),
        declaration_key(declaration, ctx.consortium_key),
        zone_id(zone),
        passed,
        _document(report),
    )
    result = "passed" if passed else "failed"
    _done(f"{zone} inspection of {declaration}: {result}", r.tx_hash, r.block_number)


@customs_app.command("clear")
def customs_clear(
    declaration: Annotated[str, typer.Argument(help="Declaration number.")],
    zone: ZoneOpt,
    sender: SenderOpt = None,
) -> None:
    """Customs officer: clear a declaration whose rule is met (refused otherwise)."""
    ctx, officer = _context_and_sender(sender)
    r = ctx.customs.clear(
        ctx.sender(officer), declaration_key(declaration, ctx.consortium_key), zone_id(zone)
    )
    _done(f"declaration {declaration} cleared", r.tx_hash, r.block_number)


@customs_app.command("status")
def customs_status(
    declaration: Annotated[str, typer.Argument(help="Declaration number.")],
) -> None:
    """A declaration's inspections and clearance (read from the chain)."""
    ctx = FtzContext(_settings())
    found = ctx.customs.declaration(declaration_key(declaration, ctx.consortium_key))
    if found is None:
        console.print(f"no declaration {declaration!r} on chain")
        raise typer.Exit(1)
    origin, destination = zone_code(found.origin_zone), zone_code(found.destination_zone)
    console.print(f"declaration {declaration}: {origin} → {destination}, rule {found.rule.name}")
    for zone, result in ((origin, found.origin_result), (destination, found.destination_result)):
        shown = "not inspected" if result is Result.NONE else result.name.lower()
        console.print(f"  {zone}: {shown}")
    console.print("  cleared" if found.cleared else "  not cleared")


@origin_app.command("issue")
def origin_issue(
    certificate: Annotated[str, typer.Argument(help="Certificate number.")],
    zone: ZoneOpt,
    lot: Annotated[str, typer.Option(help="The batch it certifies.")],
    document: Annotated[Path, typer.Option(help="The certificate document (PDF, XML, …).")],
    sender: SenderOpt = None,
) -> None:
    """Origin-certificate issuer: issue a certificate for a batch."""
    ctx, issuer = _context_and_sender(sender)
    key = ctx.consortium_key
    r = ctx.origin_certificates.issue(
        ctx.sender(issuer),
        certificate_key(certificate, key),
        zone_id(zone),
        lot_key(lot, key),
        document_hash(document),
    )
    _done(f"certificate {certificate} issued", r.tx_hash, r.block_number)


@origin_app.command("revoke")
def origin_revoke(
    certificate: Annotated[str, typer.Argument(help="Certificate number.")],
    reason: Annotated[str, typer.Option(help="Why (public, kept on chain).")],
    sender: SenderOpt = None,
) -> None:
    """Issuer of the certificate's zone: revoke it with a reason."""
    ctx, issuer = _context_and_sender(sender)
    r = ctx.origin_certificates.revoke(
        ctx.sender(issuer), certificate_key(certificate, ctx.consortium_key), reason
    )
    _done(f"certificate {certificate} revoked", r.tx_hash, r.block_number)


@origin_app.command("supersede")
def origin_supersede(
    certificate: Annotated[str, typer.Argument(help="Certificate number being replaced.")],
    replacement: Annotated[str, typer.Option(help="The new certificate's number.")],
    lot: Annotated[str, typer.Option(help="The batch the new one certifies.")],
    document: Annotated[Path, typer.Option(help="The new certificate document.")],
    sender: SenderOpt = None,
) -> None:
    """Issuer of the certificate's zone: replace it with a new certificate."""
    ctx, issuer = _context_and_sender(sender)
    key = ctx.consortium_key
    r = ctx.origin_certificates.supersede(
        ctx.sender(issuer),
        certificate_key(certificate, key),
        certificate_key(replacement, key),
        lot_key(lot, key),
        document_hash(document),
    )
    _done(f"certificate {certificate} superseded by {replacement}", r.tx_hash, r.block_number)


@origin_app.command("verify")
def origin_verify(
    certificate: Annotated[str, typer.Argument(help="Certificate number.")],
    document: Annotated[
        Path | None, typer.Option(help="The copy you were shown, to compare with the issued one.")
    ] = None,
) -> None:
    """Is the certificate valid, revoked or superseded, and is this copy the one issued?
    Exit code 0 only when it is valid (and the copy, if given, matches)."""
    ctx = FtzContext(_settings())
    found = ctx.origin_certificates.certificate(certificate_key(certificate, ctx.consortium_key))
    if found is None:
        console.print(f"no certificate {certificate!r} on chain")
        raise typer.Exit(1)
    console.print(
        f"certificate {certificate}: {found.status.name.lower()}, issued in "
        f"{zone_code(found.zone_id)} by {found.issuer}"
    )
    ok = found.status is CertificateStatus.VALID
    if document is not None:
        genuine = document_hash(document) == found.document_hash
        console.print("  the copy matches the issued document" if genuine else "  COPY DIFFERS")
        ok = ok and genuine
    raise typer.Exit(0 if ok else 1)
