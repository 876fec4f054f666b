"""What the indexed Governance events say about the consensus validator set."""

from __future__ import annotations

from dataclasses import dataclass

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
