"""SQL tables the indexer writes (it is their only writer; the API imports them to read).

Hashes and addresses are stored as lowercase ``0x`` hex text, zone ids as their readable code,
so rows read the same on SQLite and PostgreSQL. Every event row carries its natural key
``(chain_id, tx_hash, log_index)``, unique, so replaying any block range inserts nothing twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class ChainCursor(SQLModel, table=True):
    """How far the indexer got on one chain; written in the same transaction as the rows."""

    __tablename__ = "chain_cursor"

    chain_id: int = Field(primary_key=True, sa_type=BigInteger)
    genesis_hash: str = Field(max_length=66)
    start_block: int = Field(sa_type=BigInteger)
    block_number: int = Field(sa_type=BigInteger)
    block_hash: str = Field(max_length=66)
    updated_at: datetime


class EventRowBase(SQLModel):
    """Where a log came from: the natural key plus its block."""

    chain_id: int = Field(sa_type=BigInteger)
    block_number: int = Field(sa_type=BigInteger, index=True)
    block_hash: str = Field(max_length=66)
    block_time: datetime
    tx_hash: str = Field(max_length=66)
    log_index: int
    contract: str = Field(max_length=42)


class IpRegistrationRow(EventRowBase, table=True):
    """One ``IpRegistered`` event."""

    __tablename__ = "ip_registration"
    __table_args__ = (
        UniqueConstraint("chain_id", "tx_hash", "log_index", name="uq_ip_registration_log"),
        # Equality lookups of random hashes: a hash index on PostgreSQL (migration 0009).
        Index("ix_ip_registration_content_hash", "content_hash", postgresql_using="hash"),
    )

    id: int | None = Field(default=None, primary_key=True)
    content_hash: str = Field(max_length=66)
    zone: str = Field(max_length=66)
    owner: str = Field(max_length=42)
    work_type: int
    title_hash: str = Field(max_length=66)
    submitter: str = Field(max_length=42)
    nonce: str = Field(max_length=78, description="uint256 as a decimal string (exact anywhere)")
    registered_at: datetime


class GovernanceEventRow(EventRowBase, table=True):
    """One governance event; the columns its kind does not use are null."""

    __tablename__ = "governance_event"
    __table_args__ = (
        UniqueConstraint("chain_id", "tx_hash", "log_index", name="uq_governance_event_log"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event: str = Field(max_length=40, index=True)
    proposal_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    action: str | None = Field(default=None, max_length=40)
    actor: str | None = Field(default=None, max_length=42)
    account: str | None = Field(default=None, max_length=42)
    zone: str | None = Field(default=None, max_length=66)
    role: str | None = Field(default=None, max_length=66)
    value: str | None = Field(
        default=None, max_length=78, description="uint256 as a decimal string (exact anywhere)"
    )
    expires_at: datetime | None = None


class IpEventRow(EventRowBase, table=True):
    """A registered work's later life (transfer, licence, court action); unused columns null."""

    __tablename__ = "ip_event"
    __table_args__ = (
        UniqueConstraint("chain_id", "tx_hash", "log_index", name="uq_ip_event_log"),
        Index("ix_ip_event_content_hash", "chain_id", "content_hash"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event: str = Field(max_length=40)
    content_hash: str = Field(max_length=66)
    actor: str = Field(max_length=42, description="submitting zone node, or the court")
    zone: str | None = Field(default=None, max_length=66)
    owner: str | None = Field(default=None, max_length=42)
    counterparty: str | None = Field(default=None, max_length=42)
    case_id: str | None = Field(default=None, max_length=66)
    document_hash: str | None = Field(default=None, max_length=66)
    licence_id: int | None = Field(default=None, sa_type=BigInteger)
    valid_from: datetime | None = None
    valid_until: datetime | None = None


class TraceEventRow(EventRowBase, table=True):
    """One EPCIS event recorded on chain; the EPCIS JSON itself stays with its zone."""

    __tablename__ = "trace_event"
    __table_args__ = (
        UniqueConstraint("chain_id", "tx_hash", "log_index", name="uq_trace_event_log"),
        # An event id has one record: the first claim on chain. Later claims of the same id
        # (a replay by another enterprise) go to ``trace_conflict`` (migration 0011).
        Index("ix_trace_event_event_id", "chain_id", "event_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(
        max_length=66, description="The digest inside the event's hash id ni:///sha-256;…"
    )
    id_version: str = Field(
        default="CBV2.0",
        max_length=16,
        description="The canonicalisation the id was computed with (its ?ver=)",
    )
    zone: str = Field(max_length=66)
    enterprise: str = Field(max_length=42)
    event_type: int
    action: int
    biz_step: int
    disposition: int
    event_time: datetime
    where_hash: str = Field(max_length=66)
    submitter: str = Field(max_length=42)


class TraceConflictRow(EventRowBase, table=True):
    """A later on-chain claim of an event id that is already recorded: the first record
    stands (``trace_event``); this one is kept only to report the conflict."""

    __tablename__ = "trace_conflict"
    __table_args__ = (
        UniqueConstraint("chain_id", "tx_hash", "log_index", name="uq_trace_conflict_log"),
        Index("ix_trace_conflict_event_id", "chain_id", "event_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=66)
    zone: str = Field(max_length=66)
    enterprise: str = Field(max_length=42)
    submitter: str = Field(max_length=42)
    first_tx_hash: str = Field(
        max_length=66, description="The transaction of the record that stands"
    )
    first_log_index: int


class TraceLinkRow(EventRowBase, table=True):
    """One identifier an event consumed (``in``) or produced (``out``): the provenance graph's
    edges pair each of an event's inputs with each of its outputs. Fingerprints are keyed
    (HMAC), never raw ids."""

    __tablename__ = "trace_link"
    __table_args__ = (
        UniqueConstraint(
            "chain_id", "tx_hash", "log_index", "role", "position", name="uq_trace_link"
        ),
        Index("ix_trace_link_fingerprint", "chain_id", "fingerprint", "role"),
        Index("ix_trace_link_log", "chain_id", "tx_hash", "log_index", "role"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=66)
    role: str = Field(max_length=3, description="in | out")
    position: int
    fingerprint: str = Field(max_length=66)


class TradeEventRow(EventRowBase, table=True):
    """Custody hand-overs, customs declarations and inspections, certificates of origin.

    One row per log, except that a consignment's dispatch and receipt give one row per lot
    (``position`` numbers them). ``subject`` is the consignment, declaration or certificate id
    (for ``CustodyTaken``, the lot); every id is a keyed fingerprint, never a readable number.
    """

    __tablename__ = "trade_event"
    __table_args__ = (
        UniqueConstraint("chain_id", "tx_hash", "log_index", "position", name="uq_trade_event"),
        Index("ix_trade_event_subject", "chain_id", "subject"),
        Index("ix_trade_event_lot", "chain_id", "lot"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event: str = Field(max_length=32)
    subject: str = Field(max_length=66)
    position: int = 0
    lot: str | None = Field(default=None, max_length=66)
    zone: str | None = Field(default=None, max_length=66)  # acting / origin / from zone
    other_zone: str | None = Field(default=None, max_length=66)  # destination / to zone
    actor: str = Field(max_length=42)
    passed: bool | None = None
    rule: int | None = None
    document_hash: str | None = Field(default=None, max_length=66)
    ref: str | None = Field(default=None, max_length=66)  # EPCIS event, consignment, replacement
    reason: str | None = Field(default=None, max_length=1000)


class InvoiceEventRow(EventRowBase, table=True):
    """An invoice's life on chain: issued (one row per fingerprint, ``position`` numbering
    them), voided / credited / paid, goods linked, pledged, released; and a seller's USCC
    fingerprint bound to its key. Only keyed fingerprints
    and hashes: no invoice field is readable here."""

    __tablename__ = "invoice_event"
    __table_args__ = (
        UniqueConstraint("chain_id", "tx_hash", "log_index", "position", name="uq_invoice_event"),
        Index("ix_invoice_event_invoice", "chain_id", "invoice_id"),
        Index("ix_invoice_event_fingerprint", "chain_id", "fingerprint"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event: str = Field(max_length=32)
    invoice_id: str = Field(max_length=66, description="The invoice (SellerBound: the seller)")
    position: int = 0
    fingerprint: str | None = Field(default=None, max_length=66)
    zone: str | None = Field(default=None, max_length=66)
    actor: str = Field(max_length=42)  # the seller, or the financier
    action: int | None = None  # 1 void, 2 credit note, 3 paid
    ref: str | None = Field(default=None, max_length=66)  # reason hash, pledge ref, consignment
    goods_required: bool | None = None


class IndexedBlock(SQLModel, table=True):
    """Hashes of recently indexed blocks (the unfinalised window) for reorg detection."""

    __tablename__ = "indexed_block"

    chain_id: int = Field(primary_key=True, sa_type=BigInteger)
    number: int = Field(primary_key=True, sa_type=BigInteger)
    hash: str = Field(max_length=66)
    parent_hash: str = Field(max_length=66)
