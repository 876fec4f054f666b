"""Decoders of IpRegistry's events: registrations, conflicts, transfers, licences, court."""

from __future__ import annotations

from collections.abc import Callable

from ftzchain.domain import zone_code
from indexer.decode.records import Decoder, IpEvent, IpRegistered, LogPosition, RawLog, Record
from indexer.decode.words import (
    addr_topic,
    addr_word,
    hex32,
    hex_data,
    uint,
    utc,
    words,
    zone_topic,
)


def _ip_registered(log: RawLog, pos: LogPosition) -> Record:
    # Data words: workType, titleHash, submitter, nonce, registeredAt (hex digits 2+64*i).
    t = log.topics
    d = hex_data(log, 5)
    return IpRegistered(
        pos,
        t[1],
        zone_topic(t[2]),
        "0x" + t[3][26:],
        int(d[2:66], 16),
        "0x" + d[66:130],
        "0x" + d[154:194],
        int(d[194:258], 16),
        utc(int(d[258:322], 16)),
    )


def _ip_transferred(log: RawLog, pos: LogPosition) -> Record:
    t = log.topics
    _from_zone, to_zone, submitter, _nonce = words(log, 4)
    return IpEvent(
        pos=pos,
        event="IpTransferred",
        content_hash=t[1],
        actor=addr_word(submitter),
        zone=zone_code(to_zone),
        owner=addr_topic(t[2]),
        counterparty=addr_topic(t[3]),
    )


def _ip_licensed(log: RawLog, pos: LogPosition) -> Record:
    t = log.topics
    owner, scope, valid_from, valid_until, submitter, _nonce = words(log, 6)
    return IpEvent(
        pos=pos,
        event="IpLicensed",
        content_hash=t[1],
        actor=addr_word(submitter),
        owner=addr_word(owner),
        counterparty=addr_topic(t[3]),
        document_hash=hex32(scope),
        licence_id=int(t[2], 16),
        valid_from=utc(uint(valid_from)),
        valid_until=utc(uint(valid_until)),
    )


def _ip_registration_conflict(log: RawLog, pos: LogPosition) -> Record:
    t = log.topics
    (_registered_at,) = words(log, 1)
    return IpEvent(
        pos=pos,
        event="IpRegistrationConflict",
        content_hash=t[1],
        actor=addr_topic(t[3]),
        owner=addr_topic(t[2]),
        counterparty=addr_topic(t[3]),
    )


def _court_event(name: str) -> Callable[[RawLog, LogPosition], Record]:
    def decode(log: RawLog, pos: LogPosition) -> Record:
        t = log.topics
        data = words(log, 2 if name == "IpRulingRecorded" else 1)
        return IpEvent(
            pos=pos,
            event=name,
            content_hash=t[1],
            case_id=t[2],
            actor=addr_topic(t[3]),
            zone=zone_code(data[0]),
            document_hash=hex32(data[1]) if len(data) == 2 else None,
        )

    return decode


# Event signature → decoder (tests/indexer/test_decode.py checks them against the ABI).
IP_EVENTS: dict[str, Decoder] = {
    "IpRegistered(bytes32,bytes32,address,uint8,bytes32,address,uint256,uint64)": _ip_registered,
    "IpRegistrationConflict(bytes32,address,address,uint64)": _ip_registration_conflict,
    "IpTransferred(bytes32,address,address,bytes32,bytes32,address,uint256)": _ip_transferred,
    "IpLicensed(bytes32,uint256,address,address,bytes32,uint64,uint64,address,uint256)": (
        _ip_licensed
    ),
    "IpFrozen(bytes32,bytes32,address,bytes32)": _court_event("IpFrozen"),
    "IpUnfrozen(bytes32,bytes32,address,bytes32)": _court_event("IpUnfrozen"),
    "IpRulingRecorded(bytes32,bytes32,address,bytes32,bytes32)": _court_event("IpRulingRecorded"),
}
