"""Decoders of Governance's events: proposals, zones, enterprises, roles, members."""

from __future__ import annotations

from collections.abc import Callable

from ftzchain.domain import role_name, zone_code
from ftzchain.enums import GovernanceAction, enum_name
from indexer.decode.records import Decoder, GovernanceEvent, LogPosition, RawLog, Record
from indexer.decode.words import addr_topic, addr_word, b32_topic, uint, utc, words


def _proposal_created(log: RawLog, pos: LogPosition) -> Record:
    t = log.topics
    action_word, role, account, zone, value, expires_at = words(log, 6)
    action = uint(action_word)
    return GovernanceEvent(
        pos=pos,
        event="ProposalCreated",
        proposal_id=int(t[1], 16),
        action=enum_name(GovernanceAction, action),
        actor=addr_topic(t[2]),
        account=addr_word(account) if any(account) else None,
        zone=zone_code(zone) if any(zone) else None,
        role=role_name(role) if any(role) else None,
        value=uint(value),
        expires_at=utc(uint(expires_at)),
    )


def _proposal_vote(name: str) -> Callable[[RawLog, LogPosition], Record]:
    def decode(log: RawLog, pos: LogPosition) -> Record:
        t = log.topics
        return GovernanceEvent(
            pos=pos, event=name, proposal_id=int(t[1], 16), actor=addr_topic(t[2])
        )

    return decode


def _zone_event(name: str) -> Callable[[RawLog, LogPosition], Record]:
    def decode(log: RawLog, pos: LogPosition) -> Record:
        return GovernanceEvent(pos=pos, event=name, zone=zone_code(b32_topic(log.topics[1])))

    return decode


def _enterprise_event(name: str) -> Callable[[RawLog, LogPosition], Record]:
    def decode(log: RawLog, pos: LogPosition) -> Record:
        t = log.topics
        return GovernanceEvent(
            pos=pos, event=name, account=addr_topic(t[1]), zone=zone_code(b32_topic(t[2]))
        )

    return decode


def _role_event(name: str) -> Callable[[RawLog, LogPosition], Record]:
    def decode(log: RawLog, pos: LogPosition) -> Record:
        t = log.topics
        return GovernanceEvent(
            pos=pos,
            event=name,
            role=role_name(b32_topic(t[1])),
            account=addr_topic(t[2]),
            zone=zone_code(b32_topic(t[3])),
        )

    return decode


def _member_event(name: str) -> Callable[[RawLog, LogPosition], Record]:
    def decode(log: RawLog, pos: LogPosition) -> Record:
        return GovernanceEvent(pos=pos, event=name, account=addr_topic(log.topics[1]))

    return decode


def _threshold_changed(log: RawLog, pos: LogPosition) -> Record:
    _old, new = words(log, 2)
    return GovernanceEvent(pos=pos, event="ThresholdChanged", value=uint(new))


# Event signature → decoder (tests/indexer/test_decode.py checks them against the ABI).
GOVERNANCE_EVENTS: dict[str, Decoder] = {
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
