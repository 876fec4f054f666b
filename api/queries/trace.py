"""EPCIS events as recorded on chain: does a presented event match its first record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from ftzchain.trace import TraceItem
from indexer.models import TraceEventRow, TraceLinkRow


@dataclass(frozen=True)
class RecordedEvent:
    """The first on-chain record of an event id, and whether it equals the presented event."""

    fields_match: bool
    zone: str
    enterprise: str
    recorded_at: datetime
    block_number: int
    tx_hash: str


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
    query = select(TraceEventRow).where(TraceEventRow.event_id == "0x" + item.event_id.hex())
    if chain_id is not None:
        query = query.where(TraceEventRow.chain_id == chain_id)
    row = session.exec(
        query.order_by(col(TraceEventRow.block_number), col(TraceEventRow.log_index))
    ).first()
    if row is None:
        return None
    return RecordedEvent(
        fields_match=_matches(session, item, row),
        zone=row.zone,
        enterprise=row.enterprise,
        recorded_at=row.block_time,
        block_number=row.block_number,
        tx_hash=row.tx_hash,
    )
