"""What the indexed Governance events say about the consensus validator set."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from indexer.models import GovernanceEventRow

_EVENTS = ("RoleGranted", "RoleRevoked", "ZoneAdmitted", "ZoneSuspended", "ZoneReinstated")


@dataclass(frozen=True)
class ValidatorVotes:
    """Lowercase addresses governance wants sealing (``admit``) and not sealing (``remove``).
    Validators governance never named (a network's genesis set) are in neither."""

    admit: frozenset[str]
    remove: frozenset[str]


def validator_votes(session: Session, chain_id: int) -> ValidatorVotes:
    """Replay the committee's decisions in chain order: a ``VALIDATOR`` role granted in a zone
    that is admitted (and not suspended) is to be voted in; a revoked one, or one whose zone
    is suspended, voted out."""
    rows = session.exec(
        select(GovernanceEventRow)
        .where(GovernanceEventRow.chain_id == chain_id)
        .where(col(GovernanceEventRow.event).in_(_EVENTS))
        .order_by(col(GovernanceEventRow.block_number), col(GovernanceEventRow.log_index))
    ).all()
    active: set[str] = set()
    holders: dict[str, str] = {}
    revoked: set[str] = set()
    for row in rows:
        if row.event in ("ZoneAdmitted", "ZoneReinstated") and row.zone:
            active.add(row.zone)
        elif row.event == "ZoneSuspended" and row.zone:
            active.discard(row.zone)
        elif row.role == "VALIDATOR" and row.account and row.zone:
            account = row.account.lower()
            if row.event == "RoleGranted":
                holders[account] = row.zone
                revoked.discard(account)
            else:
                holders.pop(account, None)
                revoked.add(account)
    admit = {a for a, zone in holders.items() if zone in active}
    remove = revoked | {a for a, zone in holders.items() if zone not in active}
    return ValidatorVotes(frozenset(admit), frozenset(remove - admit))


@dataclass(frozen=True)
class Standing:
    """What the indexed Governance events say about one account, now: committee membership,
    the roles it holds in zones that are admitted and not suspended, and the zones it is
    bound to as an enterprise."""

    address: str
    committee: bool
    roles: frozenset[tuple[str, str]]  # (role name, zone code)
    enterprise_zones: frozenset[str]

    def holds(self, role: str, zone: str | None = None) -> bool:
        return any(r == role and (zone is None or z == zone) for r, z in self.roles)

    def zones_with(self, role: str) -> frozenset[str]:
        return frozenset(z for r, z in self.roles if r == role)


_STANDING_EVENTS = (
    "RoleGranted",
    "RoleRevoked",
    "EnterpriseBound",
    "EnterpriseUnbound",
    "MemberAdded",
    "MemberRemoved",
)
_ZONE_EVENTS = ("ZoneAdmitted", "ZoneSuspended", "ZoneReinstated")


def standing(session: Session, chain_id: int, address: str) -> Standing:
    """Replay the account's governance events (and every zone's) in chain order. Read on
    each request: a revocation counts as soon as the indexer has passed its block."""
    account = address.lower()
    rows = session.exec(  # one round trip: the account's events and every zone's
        select(GovernanceEventRow)
        .where(GovernanceEventRow.chain_id == chain_id)
        .where(
            or_(
                and_(
                    col(GovernanceEventRow.event).in_(_STANDING_EVENTS),
                    col(GovernanceEventRow.account) == account,
                ),
                col(GovernanceEventRow.event).in_(_ZONE_EVENTS),
            )
        )
        .order_by(col(GovernanceEventRow.block_number), col(GovernanceEventRow.log_index))
    ).all()
    own = [r for r in rows if r.event in _STANDING_EVENTS]
    zones = [r for r in rows if r.event in _ZONE_EVENTS]
    active: set[str] = set()
    for row in zones:
        if row.zone and row.event == "ZoneSuspended":
            active.discard(row.zone)
        elif row.zone:
            active.add(row.zone)
    committee = False
    roles: set[tuple[str, str]] = set()
    bound: set[str] = set()
    for row in own:
        if row.event == "MemberAdded":
            committee = True
        elif row.event == "MemberRemoved":
            committee = False
        elif row.event in ("RoleGranted", "RoleRevoked") and row.role and row.zone:
            (roles.add if row.event == "RoleGranted" else roles.discard)((row.role, row.zone))
        elif row.event in ("EnterpriseBound", "EnterpriseUnbound") and row.zone:
            (bound.add if row.event == "EnterpriseBound" else bound.discard)(row.zone)
    return Standing(
        address=account,
        committee=committee,
        roles=frozenset((r, z) for r, z in roles if z in active),
        enterprise_zones=frozenset(z for z in bound if z in active),
    )
