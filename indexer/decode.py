"""Pure decoders: one JSON-RPC log → one typed record. No I/O, no web3 contract objects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from eth_abi.abi import decode as abi_decode
from eth_utils.crypto import keccak

from ftzchain.domain import role_name, zone_code
from ftzchain.errors import DecodeError
from indexer.source import RpcLog

GOVERNANCE_ACTIONS = (
    "admit_zone",
    "suspend_zone",
    "reinstate_zone",
    "bind_enterprise",
    "unbind_enterprise",
    "grant_role",
    "revoke_role",
    "add_member",
    "remove_member",
    "set_threshold",
)


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


def _words(log: RawLog, count: int) -> list[bytes]:
    """The data's static 32-byte words (every field of our events is a static type)."""
    data = bytes.fromhex(log.data[2:])
    if len(data) != 32 * count:
        raise MalformedLog(f"expected {count} data words, got {len(data)} bytes")
    return [data[i : i + 32] for i in range(0, len(data), 32)]


def _words_prefix(log: RawLog, count: int) -> list[bytes]:
    """The first ``count`` head words of data that also holds dynamic values."""
    data = bytes.fromhex(log.data[2:])
    if len(data) < 32 * count:
        raise MalformedLog(f"expected at least {count} data words, got {len(data)} bytes")
    return [data[i : i + 32] for i in range(0, 32 * count, 32)]


def _uint(word: bytes) -> int:
    return int.from_bytes(word, "big")


def _addr_word(word: bytes) -> str:
    return "0x" + word[12:].hex()


def _topic(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()


def _h(raw: bytes) -> str:
    return "0x" + raw.hex()


def _addr_topic(topic: str) -> str:
    return "0x" + topic[-40:]


def _b32_topic(topic: str) -> bytes:
    return bytes.fromhex(topic[2:])


@lru_cache(maxsize=4096)
def _zone_topic(topic: str) -> str:
    return zone_code(bytes.fromhex(topic[2:]))


@lru_cache(maxsize=4096)
def _time(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def position(log: RawLog, chain_id: int) -> LogPosition:
    return LogPosition(
        chain_id,
        int(log.blockNumber, 16),
        log.blockHash.lower(),
        log.transactionHash.lower(),
        int(log.logIndex, 16),
        log.address.lower(),
    )


def _topics(log: RawLog) -> list[str]:
    return log.topics  # JSON-RPC hex data is lowercase


def _hex_data(log: RawLog, words: int) -> str:
    """The data as lowercase ``0x`` hex of exactly ``words`` static words: the hot path slices
    fields out of the hex text instead of converting it to bytes and back."""
    data = log.data.lower()
    if len(data) != 2 + 64 * words or not data.startswith("0x"):
        raise MalformedLog(f"expected {words} data words, got {(len(data) - 2) / 64:g}")
    return data


def _ip_registered(log: RawLog, pos: LogPosition) -> Record:
    # Data words: workType, titleHash, submitter, nonce, registeredAt (hex digits 2+64*i).
    t = _topics(log)
    d = _hex_data(log, 5)
    return IpRegistered(
        pos,
        t[1],
        _zone_topic(t[2]),
        "0x" + t[3][26:],
        int(d[2:66], 16),
        "0x" + d[66:130],
        "0x" + d[154:194],
        int(d[194:258], 16),
        _time(int(d[258:322], 16)),
    )


def _ip_transferred(log: RawLog, pos: LogPosition) -> Record:
    t = _topics(log)
    _from_zone, to_zone, submitter, _nonce = _words(log, 4)
    return IpEvent(
        pos=pos,
        event="IpTransferred",
        content_hash=t[1],
        actor=_addr_word(submitter),
        zone=zone_code(to_zone),
        owner=_addr_topic(t[2]),
        counterparty=_addr_topic(t[3]),
    )


def _ip_licensed(log: RawLog, pos: LogPosition) -> Record:
    t = _topics(log)
    owner, scope, valid_from, valid_until, submitter, _nonce = _words(log, 6)
    return IpEvent(
        pos=pos,
        event="IpLicensed",
        content_hash=t[1],
        actor=_addr_word(submitter),
        owner=_addr_word(owner),
        counterparty=_addr_topic(t[3]),
        document_hash=_h(scope),
        licence_id=int(t[2], 16),
        valid_from=_time(_uint(valid_from)),
        valid_until=_time(_uint(valid_until)),
    )


def _word_array(data: bytes, offset: int) -> list[str]:
    if offset + 32 > len(data):
        raise MalformedLog("array offset past the data")
    count = int.from_bytes(data[offset : offset + 32], "big")
    start = offset + 32
    if start + 32 * count > len(data):
        raise MalformedLog("array runs past the data")
    return ["0x" + data[start + 32 * i : start + 32 * (i + 1)].hex() for i in range(count)]


def _trace_event(log: RawLog, pos: LogPosition) -> Record:
    t = _topics(log)
    data = bytes.fromhex(log.data[2:])
    if len(data) < 9 * 32:
        raise MalformedLog(f"expected at least 9 data words, got {len(data)} bytes")
    kind, action, biz_step, disposition, event_time, where, submitter = (
        data[i : i + 32] for i in range(0, 7 * 32, 32)
    )
    return TraceEvent(
        pos=pos,
        event_id=t[1],
        zone=_zone_topic(t[2]),
        enterprise=_addr_topic(t[3]),
        event_type=_uint(kind),
        action=_uint(action),
        biz_step=_uint(biz_step),
        disposition=_uint(disposition),
        event_time=_time(_uint(event_time)),
        where_hash=_h(where),
        submitter=_addr_word(submitter),
        inputs=_word_array(data, _uint(data[224:256])),
        outputs=_word_array(data, _uint(data[256:288])),
    )


def _custody_taken(log: RawLog, pos: LogPosition) -> Record:
    t = _topics(log)
    (event_id,) = _words_prefix(log, 1)
    return TradeEvent(
        pos=pos,
        event="CustodyTaken",
        subject=t[1],
        lots=[t[1]],
        zone=_zone_topic(t[2]),
        actor=_addr_topic(t[3]),
        ref=_h(event_id) if any(event_id) else None,
    )


def _consignment_event(name: str) -> Callable[[RawLog, LogPosition], Record]:
    def decode(log: RawLog, pos: LogPosition) -> Record:
        t = _topics(log)
        data = bytes.fromhex(log.data[2:])
        submitter, event_id, offset = _words_prefix(log, 3)
        return TradeEvent(
            pos=pos,
            event=name,
            subject=t[1],
            zone=_zone_topic(t[2]),
            other_zone=_zone_topic(t[3]),
            actor=_addr_word(submitter),
            ref=_h(event_id) if any(event_id) else None,
            lots=_word_array(data, _uint(offset)),
        )

    return decode


def _declaration_filed(log: RawLog, pos: LogPosition) -> Record:
    t = _topics(log)
    destination, rule, document, submitter = _words(log, 4)
    return TradeEvent(
        pos=pos,
        event="DeclarationFiled",
        subject=t[1],
        ref=t[2],
        zone=_zone_topic(t[3]),
        other_zone=zone_code(destination),
        rule=_uint(rule),
        document_hash=_h(document),
        actor=_addr_word(submitter),
    )


def _inspection_recorded(log: RawLog, pos: LogPosition) -> Record:
    t = _topics(log)
    passed, report = _words(log, 2)
    return TradeEvent(
        pos=pos,
        event="InspectionRecorded",
        subject=t[1],
        zone=_zone_topic(t[2]),
        actor=_addr_topic(t[3]),
        passed=bool(_uint(passed)),
        document_hash=_h(report),
    )


def _declaration_cleared(log: RawLog, pos: LogPosition) -> Record:
    t = _topics(log)
    return TradeEvent(
        pos=pos,
        event="DeclarationCleared",
        subject=t[1],
        zone=_zone_topic(t[2]),
        actor=_addr_topic(t[3]),
    )


def _certificate_issued(log: RawLog, pos: LogPosition) -> Record:
    t = _topics(log)
    lot, document, replaces = _words(log, 3)
    return TradeEvent(
        pos=pos,
        event="CertificateIssued",
        subject=t[1],
        zone=_zone_topic(t[2]),
        actor=_addr_topic(t[3]),
        lots=[_h(lot)],
        document_hash=_h(document),
        ref=_h(replaces) if any(replaces) else None,
    )


def _certificate_revoked(log: RawLog, pos: LogPosition) -> Record:
    t = _topics(log)
    (reason,) = abi_decode(["string"], bytes.fromhex(log.data[2:]))
    return TradeEvent(
        pos=pos,
        event="CertificateRevoked",
        subject=t[1],
        zone=_zone_topic(t[2]),
        actor=_addr_topic(t[3]),
        reason=str(reason)[:1000],
    )


def _certificate_superseded(log: RawLog, pos: LogPosition) -> Record:
    t = _topics(log)
    return TradeEvent(
        pos=pos, event="CertificateSuperseded", subject=t[1], ref=t[2], actor=_addr_topic(t[3])
    )


def _invoice_issued(log: RawLog, pos: LogPosition) -> Record:
    t = _topics(log)
    submitter, offset = _words_prefix(log, 2)
    data = bytes.fromhex(log.data[2:])
    del submitter  # the relaying zone node; the seller is the actor
    return InvoiceEvent(
        pos=pos,
        event="InvoiceIssued",
        invoice_id=t[1],
        zone=_zone_topic(t[2]),
        actor=_addr_topic(t[3]),
        fingerprints=_word_array(data, _uint(offset)),
    )


def _seller_bound(log: RawLog, pos: LogPosition) -> Record:
    t = _topics(log)
    return InvoiceEvent(
        pos=pos,
        event="SellerBound",
        invoice_id=t[1],  # here the seller's fingerprint
        actor=_addr_topic(t[2]),
        zone=_zone_topic(t[3]),
    )


def _invoice_status_changed(log: RawLog, pos: LogPosition) -> Record:
    t = _topics(log)
    (reason,) = _words(log, 1)
    return InvoiceEvent(
        pos=pos,
        event="InvoiceStatusChanged",
        invoice_id=t[1],
        action=int(t[2], 16),
        actor=_addr_topic(t[3]),
        ref=_h(reason),
    )


def _invoice_goods_linked(log: RawLog, pos: LogPosition) -> Record:
    t = _topics(log)
    return InvoiceEvent(
        pos=pos, event="InvoiceGoodsLinked", invoice_id=t[1], ref=t[2], actor=_addr_topic(t[3])
    )


def _invoice_pledged(log: RawLog, pos: LogPosition) -> Record:
    t = _topics(log)
    ref, goods = _words(log, 2)
    return InvoiceEvent(
        pos=pos,
        event="InvoicePledged",
        invoice_id=t[1],
        actor=_addr_topic(t[2]),
        zone=_zone_topic(t[3]),
        ref=_h(ref),
        goods_required=bool(_uint(goods)),
    )


def _invoice_released(log: RawLog, pos: LogPosition) -> Record:
    t = _topics(log)
    (ref,) = _words(log, 1)
    return InvoiceEvent(
        pos=pos, event="InvoiceReleased", invoice_id=t[1], actor=_addr_topic(t[2]), ref=_h(ref)
    )


def _ip_registration_conflict(log: RawLog, pos: LogPosition) -> Record:
    t = _topics(log)
    (_registered_at,) = _words(log, 1)
    return IpEvent(
        pos=pos,
        event="IpRegistrationConflict",
        content_hash=t[1],
        actor=_addr_topic(t[3]),
        owner=_addr_topic(t[2]),
        counterparty=_addr_topic(t[3]),
    )


def _court_event(name: str) -> Callable[[RawLog, LogPosition], Record]:
    def decode(log: RawLog, pos: LogPosition) -> Record:
        t = _topics(log)
        words = _words(log, 2 if name == "IpRulingRecorded" else 1)
        return IpEvent(
            pos=pos,
            event=name,
            content_hash=t[1],
            case_id=t[2],
            actor=_addr_topic(t[3]),
            zone=zone_code(words[0]),
            document_hash=_h(words[1]) if len(words) == 2 else None,
        )

    return decode


def _proposal_created(log: RawLog, pos: LogPosition) -> Record:
    t = _topics(log)
    action_word, role, account, zone, value, expires_at = _words(log, 6)
    action = _uint(action_word)
    return GovernanceEvent(
        pos=pos,
        event="ProposalCreated",
        proposal_id=int(t[1], 16),
        action=GOVERNANCE_ACTIONS[action] if action < len(GOVERNANCE_ACTIONS) else str(action),
        actor=_addr_topic(t[2]),
        account=_addr_word(account) if any(account) else None,
        zone=zone_code(zone) if any(zone) else None,
        role=role_name(role) if any(role) else None,
        value=_uint(value),
        expires_at=_time(_uint(expires_at)),
    )


def _proposal_vote(name: str) -> Callable[[RawLog, LogPosition], Record]:
    def decode(log: RawLog, pos: LogPosition) -> Record:
        t = _topics(log)
        return GovernanceEvent(
            pos=pos, event=name, proposal_id=int(t[1], 16), actor=_addr_topic(t[2])
        )

    return decode


def _zone_event(name: str) -> Callable[[RawLog, LogPosition], Record]:
    def decode(log: RawLog, pos: LogPosition) -> Record:
        return GovernanceEvent(pos=pos, event=name, zone=zone_code(_b32_topic(_topics(log)[1])))

    return decode


def _enterprise_event(name: str) -> Callable[[RawLog, LogPosition], Record]:
    def decode(log: RawLog, pos: LogPosition) -> Record:
        t = _topics(log)
        return GovernanceEvent(
            pos=pos, event=name, account=_addr_topic(t[1]), zone=zone_code(_b32_topic(t[2]))
        )

    return decode


def _role_event(name: str) -> Callable[[RawLog, LogPosition], Record]:
    def decode(log: RawLog, pos: LogPosition) -> Record:
        t = _topics(log)
        return GovernanceEvent(
            pos=pos,
            event=name,
            role=role_name(_b32_topic(t[1])),
            account=_addr_topic(t[2]),
            zone=zone_code(_b32_topic(t[3])),
        )

    return decode


def _member_event(name: str) -> Callable[[RawLog, LogPosition], Record]:
    def decode(log: RawLog, pos: LogPosition) -> Record:
        return GovernanceEvent(pos=pos, event=name, account=_addr_topic(_topics(log)[1]))

    return decode


def _threshold_changed(log: RawLog, pos: LogPosition) -> Record:
    _old, new = _words(log, 2)
    return GovernanceEvent(pos=pos, event="ThresholdChanged", value=_uint(new))


# Event signature → decoder. tests/indexer/test_decode.py checks these against the compiled ABI.
EVENT_SIGNATURES: dict[str, Callable[[RawLog, LogPosition], Record]] = {
    "IpRegistered(bytes32,bytes32,address,uint8,bytes32,address,uint256,uint64)": _ip_registered,
    "IpRegistrationConflict(bytes32,address,address,uint64)": _ip_registration_conflict,
    "TraceEventRecorded(bytes32,bytes32,address,uint8,uint8,uint16,uint16,uint64,bytes32,address,"
    "bytes32[],bytes32[])": _trace_event,
    "IpTransferred(bytes32,address,address,bytes32,bytes32,address,uint256)": _ip_transferred,
    "IpLicensed(bytes32,uint256,address,address,bytes32,uint64,uint64,address,uint256)": (
        _ip_licensed
    ),
    "IpFrozen(bytes32,bytes32,address,bytes32)": _court_event("IpFrozen"),
    "IpUnfrozen(bytes32,bytes32,address,bytes32)": _court_event("IpUnfrozen"),
    "IpRulingRecorded(bytes32,bytes32,address,bytes32,bytes32)": _court_event("IpRulingRecorded"),
    "CustodyTaken(bytes32,bytes32,address,bytes32)": _custody_taken,
    "InvoiceIssued(bytes32,bytes32,address,address,bytes32[])": _invoice_issued,
    "SellerBound(bytes32,address,bytes32)": _seller_bound,
    "InvoiceStatusChanged(bytes32,uint8,address,bytes32)": _invoice_status_changed,
    "InvoiceGoodsLinked(bytes32,bytes32,address)": _invoice_goods_linked,
    "InvoicePledged(bytes32,address,bytes32,bytes32,bool)": _invoice_pledged,
    "InvoiceReleased(bytes32,address,bytes32)": _invoice_released,
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
    "ProposalCreated(uint256,address,uint8,bytes32,address,bytes32,uint256,uint64)": (
        _proposal_created
    ),
    "ProposalApproved(uint256,address)": _proposal_vote("ProposalApproved"),
    "ProposalExecuted(uint256,address)": _proposal_vote("ProposalExecuted"),
    "ZoneAdmitted(bytes32)": _zone_event("ZoneAdmitted"),
    "ZoneSuspended(bytes32)": _zone_event("ZoneSuspended"),
    "ZoneReinstated(bytes32)": _zone_event("ZoneReinstated"),
    "EnterpriseBound(address,bytes32)": _enterprise_event("EnterpriseBound"),
    "EnterpriseUnbound(address,bytes32)": _enterprise_event("EnterpriseUnbound"),
    "RoleGranted(bytes32,address,bytes32)": _role_event("RoleGranted"),
    "RoleRevoked(bytes32,address,bytes32)": _role_event("RoleRevoked"),
    "MemberAdded(address)": _member_event("MemberAdded"),
    "MemberRemoved(address)": _member_event("MemberRemoved"),
    "ThresholdChanged(uint256,uint256)": _threshold_changed,
}
DECODERS: dict[str, Callable[[RawLog, LogPosition], Record]] = {
    _topic(sig): fn for sig, fn in EVENT_SIGNATURES.items()
}
TOPICS: list[str] = sorted(DECODERS)


def decode_log(log: RawLog, chain_id: int) -> Record:
    """Decode one log; raises :class:`UnknownEvent` for a topic we do not index."""
    topics = _topics(log)
    decoder = DECODERS.get(topics[0].lower()) if topics else None
    if decoder is None:
        raise UnknownEvent(topics[0] if topics else "anonymous log")
    try:
        return decoder(log, position(log, chain_id))
    except (IndexError, ValueError) as exc:
        if isinstance(exc, MalformedLog):
            raise
        raise MalformedLog(f"{exc} in log {log.transactionHash}:{log.logIndex}") from exc
