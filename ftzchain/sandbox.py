"""Set up a network's zones, roles and enterprises through committee votes (demo, tests, bench)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ftzchain.client import TxSender
from ftzchain.domain import role_id, zone_id
from ftzchain.governance import Action, GovernanceContract


@dataclass
class NetworkPlan:
    """What the committee should decide: zone codes, role grants and enterprise bindings."""

    zones: list[str] = field(default_factory=list)
    roles: list[tuple[str, str, str]] = field(default_factory=list)  # (role, account, zone)
    enterprises: list[tuple[str, str]] = field(default_factory=list)  # (account, zone)


def apply_plan(gov: GovernanceContract, voters: list[TxSender], plan: NetworkPlan) -> int:
    """Carry out the plan, one proposal per decision; returns the number of decisions."""
    decisions = 0
    for code in plan.zones:
        gov.decide(voters, Action.ADMIT_ZONE, zone_id=zone_id(code))
        decisions += 1
    for role, account, code in plan.roles:
        gov.decide(
            voters, Action.GRANT_ROLE, role=role_id(role), account=account, zone_id=zone_id(code)
        )
        decisions += 1
    for account, code in plan.enterprises:
        gov.decide(voters, Action.BIND_ENTERPRISE, account=account, zone_id=zone_id(code))
        decisions += 1
    return decisions
