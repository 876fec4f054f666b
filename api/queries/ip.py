"""IP registrations as the index holds them: the first registration and its later history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from ftzchain.domain import ZONE_NAMES, WorkType
from indexer.models import IpEventRow, IpRegistrationRow


@dataclass(frozen=True)
class IpHistoryEntry:
    event: str
    at: datetime
    block_number: int
    tx_hash: str


@dataclass(frozen=True)
class IpRecord:
    """A registered work: the first registration plus what happened to it since."""

    content_hash: str
    zone: str
    zone_name: str | None
    owner: str
    current_owner: str
    frozen: bool
    work_type: str
    registered_at: datetime
    block_number: int
    tx_hash: str
    chain_id: int
    contract: str
    history: list[IpHistoryEntry] = field(default_factory=list)


def normalise_hash(sha256: str) -> str:
    """``0x``-prefixed lower-case hex, the form the index stores."""
    return "0x" + sha256.lower().removeprefix("0x")


def _work_type(value: int) -> str:
    try:
        return WorkType(value).name.lower()
    except ValueError:
        return str(value)


def find_registration(session: Session, content_hash: str, chain_id: int | None) -> IpRecord | None:
    """The first indexed registration of ``content_hash`` (``0x`` hex), on ``chain_id`` when
    given, with its transfers, licences and court actions in chain order; None if none."""
    query = select(IpRegistrationRow).where(IpRegistrationRow.content_hash == content_hash)
    if chain_id is not None:
        query = query.where(IpRegistrationRow.chain_id == chain_id)
    query = query.order_by(col(IpRegistrationRow.block_number), col(IpRegistrationRow.log_index))
    row = session.exec(query).first()
    if row is None:
        return None
    events = session.exec(
        select(IpEventRow)
        .where(IpEventRow.chain_id == row.chain_id)
        .where(IpEventRow.content_hash == content_hash)
        .order_by(col(IpEventRow.block_number), col(IpEventRow.log_index))
    ).all()
    current_owner, frozen = row.owner, False
    for event in events:
        if event.event == "IpTransferred" and event.counterparty:
            current_owner = event.counterparty
        elif event.event in ("IpFrozen", "IpUnfrozen"):
            frozen = event.event == "IpFrozen"
    return IpRecord(
        content_hash=row.content_hash,
        zone=row.zone,
        zone_name=ZONE_NAMES.get(row.zone),
        owner=row.owner,
        current_owner=current_owner,
        frozen=frozen,
        history=[
            IpHistoryEntry(
                event=e.event, at=e.block_time, block_number=e.block_number, tx_hash=e.tx_hash
            )
            for e in events
        ],
        work_type=_work_type(row.work_type),
        registered_at=row.block_time,
        block_number=row.block_number,
        tx_hash=row.tx_hash,
        chain_id=row.chain_id,
        contract=row.contract,
    )


def registration_tx(session: Session, chain_id: int, content_hash: bytes) -> str | None:
    """The indexed transaction that registered ``content_hash`` first, or None."""
    query = (
        select(IpRegistrationRow.tx_hash)
        .where(IpRegistrationRow.chain_id == chain_id)
        .where(IpRegistrationRow.content_hash == "0x" + content_hash.hex())
        .order_by(col(IpRegistrationRow.block_number), col(IpRegistrationRow.log_index))
    )
    found: str | None = session.exec(query).first()
    return found
