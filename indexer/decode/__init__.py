"""Pure decoders: one JSON-RPC log → one typed record. No I/O, no web3 contract objects.

One module per contract family holds its decoders and its part of the signature table;
:mod:`indexer.decode.records` the records, :mod:`indexer.decode.words` the shared readers.
"""

from __future__ import annotations

from indexer.decode.goods import GOODS_EVENTS
from indexer.decode.governance import GOVERNANCE_EVENTS
from indexer.decode.invoices import INVOICE_EVENTS
from indexer.decode.ip import IP_EVENTS
from indexer.decode.records import (
    Decoder,
    GovernanceEvent,
    InvoiceEvent,
    IpEvent,
    IpRegistered,
    LogPosition,
    MalformedLog,
    RawLog,
    Record,
    TraceEvent,
    TradeEvent,
    UnknownEvent,
)
from indexer.decode.trace import TRACE_EVENTS
from indexer.decode.words import position, topic_of

__all__ = [
    "DECODERS",
    "EVENT_SIGNATURES",
    "NOT_INDEXED",
    "TOPICS",
    "GovernanceEvent",
    "InvoiceEvent",
    "IpEvent",
    "IpRegistered",
    "LogPosition",
    "MalformedLog",
    "RawLog",
    "Record",
    "TraceEvent",
    "TradeEvent",
    "UnknownEvent",
    "decode_log",
    "position",
]

# Event signature → decoder, every contract's.
EVENT_SIGNATURES: dict[str, Decoder] = {
    **IP_EVENTS,
    **TRACE_EVENTS,
    **GOODS_EVENTS,
    **INVOICE_EVENTS,
    **GOVERNANCE_EVENTS,
}
# Events of the core contracts deliberately not indexed, and why.
NOT_INDEXED: dict[str, str] = {
    "AuditHeadCommitted(bytes32,uint64,bytes32,address)": "`ftz audit verify` reads the "
    "commitments from the chain itself: checking a zone's audit trail must not trust that "
    "zone's own database for them",
}
DECODERS: dict[str, Decoder] = {topic_of(sig): fn for sig, fn in EVENT_SIGNATURES.items()}
TOPICS: list[str] = sorted(DECODERS)


def decode_log(log: RawLog, chain_id: int) -> Record:
    """Decode one log; raises :class:`UnknownEvent` for a topic we do not index."""
    topics = log.topics
    decoder = DECODERS.get(topics[0].lower()) if topics else None
    if decoder is None:
        raise UnknownEvent(topics[0] if topics else "anonymous log")
    try:
        return decoder(log, position(log, chain_id))
    except (IndexError, ValueError) as exc:
        if isinstance(exc, MalformedLog):
            raise
        raise MalformedLog(f"{exc} in log {log.transactionHash}:{log.logIndex}") from exc
