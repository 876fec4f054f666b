"""``ftz audit``: check the zone API's audit trail against its on-chain commitments, and commit
its head."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated

import typer

from ftzchain.cli.common import console, context_and_sender, load_settings
from ftzchain.errors import ConfigError

audit_app = typer.Typer(
    help="The audit trail of privileged reads (graded access): verify it, commit its head.",
    no_args_is_help=True,
)

ZoneOpt = Annotated[
    str | None,
    typer.Option(help="The zone whose trail this is (default: FTZ_ZONE)."),
]


def _zone(given: str | None) -> str:
    zone = given or load_settings().zone
    if not zone:
        raise ConfigError("name the zone: --zone CN-SH or FTZ_ZONE")
    return zone.strip().upper()


@dataclass(frozen=True)
class Broken:
    seq: int
    why: str


def check_trail(
    entries: list[dict[str, object]], commitments: list[tuple[int, str, int]]
) -> tuple[Broken | None, int]:
    """The first broken entry (or None) and how many commitments matched. ``entries`` are
    the table's rows in sequence order; ``commitments`` (seq, head, block) from the chain."""
    from ftzchain.audit import GENESIS, entry_hash

    first: Broken | None = None
    prev, expected = GENESIS, 1
    by_seq: dict[int, str] = {}
    for row in entries:
        seq = int(str(row["seq"]))
        if seq != expected:
            first = first or Broken(expected, f"entry {expected} is missing (the next is {seq})")
            break
        if row["prev_hash"] != prev:
            first = first or Broken(
                seq,
                f"entry {seq} does not follow entry {seq - 1} (moved, or one before it changed)",
            )
            break
        if entry_hash(prev, row) != row["hash"]:
            first = first or Broken(seq, f"entry {seq} was changed: its fields do not hash to it")
            break
        by_seq[seq] = str(row["hash"])
        prev, expected = str(row["hash"]), seq + 1
    matched = 0
    for seq, head, block in commitments:
        if seq not in by_seq and (first is None or seq < first.seq):
            first = Broken(seq, f"entry {seq}, committed on chain in block {block}, is gone")
        elif seq in by_seq and by_seq[seq] != head:
            if first is None or seq < first.seq:
                first = Broken(
                    seq,
                    f"entry {seq} differs from its commitment in block {block}: the trail "
                    f"up to it was rewritten",
                )
        elif seq in by_seq:
            matched += 1
    return first, matched


def _rows(database_url: str) -> list[dict[str, object]]:
    from sqlmodel import Session, col, select

    from indexer.api_tables import AuditEntry
    from indexer.db import make_engine

    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            rows = session.exec(select(AuditEntry).order_by(col(AuditEntry.seq))).all()
            return [r.model_dump() for r in rows]
    finally:
        engine.dispose()


def _head(database_url: str) -> tuple[int, str] | None:
    from sqlmodel import Session

    from api.audit import head
    from indexer.db import make_engine

    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return head(session)
    finally:
        engine.dispose()


@audit_app.command("verify")
def audit_verify(zone: ZoneOpt = None) -> None:
    """Check the trail in FTZ_DATABASE_URL: every entry chained to the one before, none
    missing, and every head the zone committed on chain (AuditTrail) still in the trail.
    Names the first broken entry and exits 1 if any is."""
    from ftzchain.context import FtzContext
    from ftzchain.domain import zone_id

    settings = load_settings()
    code = _zone(zone)
    rows = _rows(settings.database_url)
    ctx = FtzContext(settings)
    try:
        commitments = [
            (c.seq, c.head, c.block_number) for c in ctx.audit_trail.commitments(zone_id(code))
        ]
    finally:
        ctx.close()
    broken, matched = check_trail(rows, commitments)
    if broken is not None:
        console.print(f"[red]broken at entry {broken.seq}[/red]: {broken.why}")
        raise typer.Exit(1)
    last = max((c[0] for c in commitments), default=0)
    console.print(
        f"the audit trail of {code} holds: {len(rows)} entries chained, {matched} on-chain "
        f"commitments match (the last covers entries 1-{last}; "
        f"{len(rows) - last} since are not committed yet)"
    )


@audit_app.command("commit")
def audit_commit(
    zone: ZoneOpt = None,
    sender: Annotated[
        str | None, typer.Option(help="Keystore name of the zone node's key (ZONE_NODE).")
    ] = None,
    follow: Annotated[bool, typer.Option(help="Keep committing every --interval.")] = False,
    interval: Annotated[float, typer.Option(min=1, help="Seconds between commitments.")] = 300,
) -> None:
    """Commit the trail's head (its last entry's sequence number and hash) to the
    AuditTrail contract, when it moved since the last commitment."""
    from ftzchain.domain import zone_id

    code = _zone(zone)
    ctx, key = context_and_sender(sender)
    node = ctx.sender(key)
    try:
        while True:
            last = _head(ctx.settings.database_url)  # the last entry only, not the trail
            committed, _ = ctx.audit_trail.head_of(zone_id(code))
            if last is not None and last[0] > committed:
                seq, head = last
                receipt = ctx.audit_trail.commit(node, zone_id(code), seq, head)
                console.print(f"committed entry {seq} ({head}) in block {receipt.block_number}")
            elif not follow:
                console.print(f"nothing new since entry {committed}")
            if not follow:
                return
            time.sleep(interval)  # the commitment interval
    finally:
        ctx.close()
