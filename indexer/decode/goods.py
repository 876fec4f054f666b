"""Decoders of Custody, Customs and OriginCertificates events."""

from __future__ import annotations

from collections.abc import Callable

from eth_abi.abi import decode as abi_decode

from ftzchain.domain import zone_code
from indexer.decode.records import Decoder, LogPosition, RawLog, Record, TradeEvent
from indexer.decode.words import (
    addr_topic,
    addr_word,
    hex32,
    uint,
    word_array,
    words,
    words_prefix,
    zone_topic,
)


def _custody_taken(log: RawLog, pos: LogPosition) -> Record:
    t = log.topics
    (event_id,) = words_prefix(log, 1)
    return TradeEvent(
        pos=pos,
        event="CustodyTaken",
        subject=t[1],
        lots=[t[1]],
        zone=zone_topic(t[2]),
        actor=addr_topic(t[3]),
        ref=hex32(event_id) if any(event_id) else None,
    )


def _consignment_event(name: str) -> Callable[[RawLog, LogPosition], Record]:
    def decode(log: RawLog, pos: LogPosition) -> Record:
        t = log.topics
        data = bytes.fromhex(log.data[2:])
        submitter, event_id, offset = words_prefix(log, 3)
        return TradeEvent(
            pos=pos,
            event=name,
            subject=t[1],
            zone=zone_topic(t[2]),
            other_zone=zone_topic(t[3]),
            actor=addr_word(submitter),
            ref=hex32(event_id) if any(event_id) else None,
            lots=word_array(data, uint(offset)),
        )

    return decode


def _declaration_filed(log: RawLog, pos: LogPosition) -> Record:
    t = log.topics
    destination, rule, document, submitter = words(log, 4)
    return TradeEvent(
        pos=pos,
        event="DeclarationFiled",
        subject=t[1],
        ref=t[2],
        zone=zone_topic(t[3]),
        other_zone=zone_code(destination),
        rule=uint(rule),
        document_hash=hex32(document),
        actor=addr_word(submitter),
    )


def _inspection_recorded(log: RawLog, pos: LogPosition) -> Record:
    t = log.topics
    passed, report = words(log, 2)
    return TradeEvent(
        pos=pos,
        event="InspectionRecorded",
        subject=t[1],
        zone=zone_topic(t[2]),
        actor=addr_topic(t[3]),
        passed=bool(uint(passed)),
        document_hash=hex32(report),
    )


def _declaration_cleared(log: RawLog, pos: LogPosition) -> Record:
    t = log.topics
    return TradeEvent(
        pos=pos,
        event="DeclarationCleared",
        subject=t[1],
        zone=zone_topic(t[2]),
        actor=addr_topic(t[3]),
    )


def _certificate_issued(log: RawLog, pos: LogPosition) -> Record:
    t = log.topics
    lot, document, replaces = words(log, 3)
    return TradeEvent(
        pos=pos,
        event="CertificateIssued",
        subject=t[1],
        zone=zone_topic(t[2]),
        actor=addr_topic(t[3]),
        lots=[hex32(lot)],
        document_hash=hex32(document),
        ref=hex32(replaces) if any(replaces) else None,
    )


def _certificate_revoked(log: RawLog, pos: LogPosition) -> Record:
    t = log.topics
    (reason,) = abi_decode(["string"], bytes.fromhex(log.data[2:]))
    return TradeEvent(
        pos=pos,
        event="CertificateRevoked",
        subject=t[1],
        zone=zone_topic(t[2]),
        actor=addr_topic(t[3]),
        reason=str(reason)[:1000],
    )


def _certificate_superseded(log: RawLog, pos: LogPosition) -> Record:
    t = log.topics
    return TradeEvent(
        pos=pos, event="CertificateSuperseded", subject=t[1], ref=t[2], actor=addr_topic(t[3])
    )


# Event signature → decoder (tests/indexer/test_decode.py checks them against the ABI).
GOODS_EVENTS: dict[str, Decoder] = {
    "CustodyTaken(bytes32,bytes32,address,bytes32)": _custody_taken,
    "ConsignmentDispatched(bytes32,bytes32,bytes32,address,bytes32,bytes32[])": (
        _consignment_event("ConsignmentDispatched")
    ),
    "ConsignmentReceived(bytes32,bytes32,bytes32,address,bytes32,bytes32[])": (
        _consignment_event("ConsignmentReceived")
    ),
    "DeclarationFiled(bytes32,bytes32,bytes32,bytes32,uint8,bytes32,address)": _declaration_filed,
    "InspectionRecorded(bytes32,bytes32,address,bool,bytes32)": _inspection_recorded,
    "DeclarationCleared(bytes32,bytes32,address)": _declaration_cleared,
    "CertificateIssued(bytes32,bytes32,address,bytes32,bytes32,bytes32)": _certificate_issued,
    "CertificateRevoked(bytes32,bytes32,address,string)": _certificate_revoked,
    "CertificateSuperseded(bytes32,bytes32,address)": _certificate_superseded,
}
