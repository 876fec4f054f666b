"""EPCIS events as recorded on chain: does a presented event match its first record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from ftzchain.trace import TraceItem
from indexer.models import TraceConflictRow, TraceEventRow, TraceLinkRow


@dataclass(frozen=True)
class LaterClaim:
    """Another log that claimed an event id already recorded; it does not count."""

    zone: str
    enterprise: str
    block_number: int
    tx_hash: str


@dataclass(frozen=True)
class RecordedEvent:
    """The first on-chain record of an event id, and whether it equals the presented event."""

    fields_match: bool
    zone: str
    enterprise: str
    recorded_at: datetime
    block_number: int
    tx_hash: str
    conflicts: list[LaterClaim]


def _matches(session: Session, item: TraceItem, row: TraceEventRow) -> bool:
    """The chain's fields and input/output fingerprints equal the posted event's."""
    links = session.exec(
        select(TraceLinkRow)
        .where(TraceLinkRow.chain_id == row.chain_id)
        .where(TraceLinkRow.tx_hash == row.tx_hash)
        .where(TraceLinkRow.log_index == row.log_index)
        .order_by(col(TraceLinkRow.role), col(TraceLinkRow.position))
    ).all()
    recorded_in = [link.fingerprint for link in links if link.role == "in"]
    recorded_out = [link.fingerprint for link in links if link.role == "out"]
    return (
        item.event_type == row.event_type
        and item.action == row.action
        and item.biz_step == row.biz_step
        and item.disposition == row.disposition
        and item.event_time == int(row.event_time.timestamp())
        and "0x" + item.where_hash.hex() == row.where_hash
        and recorded_in == ["0x" + f.hex() for f in item.inputs]
        and recorded_out == ["0x" + f.hex() for f in item.outputs]
    )


def recorded_event(session: Session, chain_id: int | None, item: TraceItem) -> RecordedEvent | None:
    """The first record of ``item``'s event id (on ``chain_id`` when given), or None."""
    event_id = "0x" + item.event_id.hex()
    query = select(TraceEventRow).where(TraceEventRow.event_id == event_id)
    if chain_id is not None:
        query = query.where(TraceEventRow.chain_id == chain_id)
    row = session.exec(
        query.order_by(col(TraceEventRow.block_number), col(TraceEventRow.log_index))
    ).first()
    if row is None:
        return None
    later = session.exec(
        select(TraceConflictRow)
        .where(TraceConflictRow.chain_id == row.chain_id)
        .where(TraceConflictRow.event_id == event_id)
        .order_by(col(TraceConflictRow.block_number), col(TraceConflictRow.log_index))
    ).all()
    return RecordedEvent(
        fields_match=_matches(session, item, row),
        zone=row.zone,
        enterprise=row.enterprise,
        recorded_at=row.block_time,
        block_number=row.block_number,
        tx_hash=row.tx_hash,
        conflicts=[LaterClaim(c.zone, c.enterprise, c.block_number, c.tx_hash) for c in later],
    )


def recorded_ids(session: Session, chain_id: int | None, event_ids: list[str]) -> list[str]:
    """Which of ``event_ids`` (0x digests) are indexed as recorded, in JSON-RPC-free SQL."""
    found: list[str] = []
    for start in range(0, len(event_ids), 500):
        query = select(TraceEventRow.event_id).where(
            col(TraceEventRow.event_id).in_(event_ids[start : start + 500])
        )
        if chain_id is not None:
            query = query.where(TraceEventRow.chain_id == chain_id)
        found += session.exec(query).all()
    return sorted(found)
