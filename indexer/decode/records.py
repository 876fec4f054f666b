"""The typed records decoders produce (one per log), and the decoding errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ftzchain.errors import DecodeError
from indexer.source import RpcLog


@dataclass(slots=True)
class LogPosition:
    """The natural key of a log and the block it is in."""

    chain_id: int
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int
    contract: str


@dataclass(slots=True)
class IpRegistered:
    pos: LogPosition
    content_hash: str
    zone: str
    owner: str
    work_type: int
    title_hash: str
    submitter: str
    nonce: int
    registered_at: datetime


@dataclass(slots=True)
class GovernanceEvent:
    pos: LogPosition
    event: str
    proposal_id: int | None = None
    action: str | None = None
    actor: str | None = None  # who proposed, approved or executed
    account: str | None = None  # the enterprise, role holder or member the event is about
    zone: str | None = None
    role: str | None = None
    value: int | None = None
    expires_at: datetime | None = None


@dataclass(slots=True)
class IpEvent:
    """A registered work's later life: transfer, licence, court freeze / ruling / unfreeze."""

    pos: LogPosition
    event: str
    content_hash: str
    actor: str  # the submitting zone node, the court, or (conflicts) the later claimant
    zone: str | None = None  # the new owner's zone, or the court's
    owner: str | None = None  # the owner before a transfer, the licensor
    counterparty: str | None = None  # the new owner, the licensee
    case_id: str | None = None
    document_hash: str | None = None  # licence terms, judgment
    licence_id: int | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None


@dataclass(slots=True)
class TraceEvent:
    """One EPCIS event recorded on chain (``TraceEventRecorded``)."""

    pos: LogPosition
    event_id: str  # 0x SHA-256 digest of the CBV 2.0 Event Hash ID
    zone: str
    enterprise: str
    event_type: int
    action: int
    biz_step: int
    disposition: int
    event_time: datetime
    where_hash: str
    submitter: str
    inputs: list[str]
    outputs: list[str]


@dataclass(slots=True)
class TradeEvent:
    """Custody, customs or certificate-of-origin event (see ``trade_event``)."""

    pos: LogPosition
    event: str
    subject: str
    actor: str
    zone: str | None = None
    other_zone: str | None = None
    lots: list[str] | None = None
    passed: bool | None = None
    rule: int | None = None
    document_hash: str | None = None
    ref: str | None = None
    reason: str | None = None


@dataclass(slots=True)
class InvoiceEvent:
    """An InvoiceRegistry event (see ``invoice_event``)."""

    pos: LogPosition
    event: str
    invoice_id: str
    actor: str
    fingerprints: list[str] | None = None
    zone: str | None = None
    action: int | None = None
    ref: str | None = None
    goods_required: bool | None = None


Record = IpRegistered | GovernanceEvent | IpEvent | TraceEvent | TradeEvent | InvoiceEvent
RawLog = RpcLog  # as the source hands logs over (typed when the JSON is parsed)


class UnknownEvent(DecodeError, LookupError):
    """The log's first topic is not an event the indexer knows."""


class MalformedLog(DecodeError):
    """A known topic with data or topics of the wrong shape."""


Decoder = Callable[[RawLog, LogPosition], Record]
