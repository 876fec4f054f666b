"""``ftz trace``: EPCIS 2.0 events (hash ids, recording) and a batch's timeline and export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from api.queries.sort import SortKey
from ftzchain.cli.common import SenderOpt, console
from ftzchain.cli.common import context_and_sender as _context_and_sender
from ftzchain.cli.common import load_settings as _settings
from ftzchain.cli.common import password as _password
from ftzchain.context import FtzContext
from ftzchain.domain import zone_code
from ftzchain.errors import ConfigError, InvalidInput

if TYPE_CHECKING:
    from sqlmodel import Session

trace_app = typer.Typer(
    help="EPCIS 2.0 supply-chain events: hash ids, recording, a batch's timeline and export.",
    no_args_is_help=True,
)


def _epcis(file: Path) -> dict[str, Any]:
    """An EPCIS document, an EPCIS query document or a bare event, read within the limits
    (numbers exact)."""
    from ftzchain.epcis.document import parse_epcis_json

    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {file}: {exc.strerror}") from None
    return parse_epcis_json(raw)


@trace_app.command("hash")
def trace_hash(
    file: Annotated[Path, typer.Argument(help="EPCIS 2.0 JSON document.")],
) -> None:
    """Print the CBV 2.0 Event Hash ID of every event (a document, a query result or a bare
    event; validated against GS1's EPCIS 2.0 schema first)."""
    from ftzchain.epcis.document import event_hash_ids

    for hash_id in event_hash_ids(_epcis(file)):
        typer.echo(hash_id)


@trace_app.command("record")
def trace_record(
    file: Annotated[Path, typer.Argument(help="EPCIS 2.0 JSON document; stays off chain.")],
    enterprise: Annotated[str, typer.Option(help="Keystore name of the capturing enterprise.")],
    sender: SenderOpt = None,
) -> None:
    """Record the document's events: signed once by the enterprise, relayed by the zone node."""
    from ftzchain.trace import trace_items

    ctx, zone_node = _context_and_sender(sender)
    items = trace_items(_epcis(file), ctx.consortium_key)
    owner = ctx.signer(enterprise, _password(ctx.settings))
    zid = ctx.governance.enterprise_zone(owner.address)
    if not any(zid):
        raise ConfigError(f"enterprise {owner.address} is bound to no zone: bind it first")
    batch = ctx.traceability.sign_batch(owner, zid, items)
    receipt = ctx.traceability.record(ctx.sender(zone_node), batch)
    for item in items:
        console.print(item.hash_id)
    console.print(
        f"recorded {len(items)} events in {zone_code(zid)}: tx {receipt.tx_hash} "
        f"block {receipt.block_number}"
    )


def _goods_session() -> tuple[Session, int, bytes]:
    from sqlmodel import Session

    from indexer.db import make_engine

    settings = _settings()
    ctx = FtzContext(settings)
    chain_id = settings.chain_id or ctx.client.chain_id
    return Session(make_engine(settings.database_url)), chain_id, ctx.consortium_key


@trace_app.command("timeline")
def trace_timeline(
    lot: Annotated[str, typer.Argument(help="Lot, class or EPC id.")],
) -> None:
    """Everything that happened to one batch, oldest first (from the indexed SQL)."""
    from api.queries.goods import timeline
    from ftzchain.fingerprints import fingerprint

    session, chain_id, key = _goods_session()
    with session:
        found = timeline(session, chain_id, "0x" + fingerprint(lot, key).hex())
    if not found:
        console.print(f"nothing about {lot!r} is indexed (run `ftz index`, check the id)")
        raise typer.Exit(1)
    table = Table("time (UTC)", "what", "zone", "to", "detail", "block")
    for e in found:
        table.add_row(
            e.time.strftime("%Y-%m-%d %H:%M:%S"),
            e.kind,
            e.zone or "",
            e.other_zone or "",
            e.detail or "",
            str(e.block_number),
        )
    console.print(table)


@trace_app.command("export")
def trace_export(
    lot: Annotated[str, typer.Argument(help="Lot, class or EPC id.")],
    out: Annotated[Path, typer.Option(help="File to write (.csv or .json).")],
    sort: Annotated[SortKey, typer.Option(help="time, zone, kind or block.")] = "time",
    descending: Annotated[bool, typer.Option(help="Newest (or last) first.")] = False,
) -> None:
    """Write every key event of a batch's upstream graph (EPCIS events, custody, customs and
    origin steps of every batch it came from) as CSV or JSON."""
    import csv
    from dataclasses import asdict

    from api.queries.goods import sort_events, upstream_key_events
    from ftzchain.fingerprints import fingerprint

    if out.suffix not in (".csv", ".json"):
        raise InvalidInput(f"{out} must end in .csv or .json")
    session, chain_id, key = _goods_session()
    with session:
        found, lots = upstream_key_events(
            session, chain_id, "0x" + fingerprint(lot, key).hex(), limit=100_000
        )
    if not found:
        console.print(f"nothing about {lot!r} is indexed (run `ftz index`, check the id)")
        raise typer.Exit(1)
    rows = [{**asdict(e), "time": e.time.isoformat()} for e in sort_events(found, sort, descending)]
    if out.suffix == ".json":
        out.write_text(json.dumps({"identifier": lot, "batches_reached": lots, "events": rows}))
    else:
        with out.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    console.print(f"wrote {len(rows)} events from {lots} batches to {out}")
