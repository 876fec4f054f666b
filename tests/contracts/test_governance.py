"""Governance: M-of-N decisions, expiry, membership, and the committee's own rules."""

from __future__ import annotations

import pytest

from ftzchain.domain import role_id, zone_id
from ftzchain.enums import GovernanceAction as Action
from ftzchain.enums import ZoneStatus
from ftzchain.errors import AlreadyExists, InvalidState, NotFound, PermissionDenied
from tests.conftest import SH, World, increase_time

JS = zone_id("CN-JS")


def test_admit_zone_executes_at_threshold(world: World) -> None:
    gov = world.ctx.governance
    pid = gov.propose(world.committee[0], Action.ADMIT_ZONE, zone_id=JS)
    gov.approve(world.committee[2], pid)
    gov.execute(world.committee[1], pid)
    assert gov.zone_status(JS) == ZoneStatus.ACTIVE
    assert gov.proposal(pid).executed


def test_proposal_below_threshold_cannot_execute(world: World) -> None:
    gov = world.ctx.governance
    pid = gov.propose(world.committee[0], Action.ADMIT_ZONE, zone_id=JS)
    with pytest.raises(InvalidState) as err:
        gov.execute(world.committee[0], pid)
    assert err.value.error_name == "GovernanceThresholdNotMet"
    assert err.value.error_args == {"proposalId": pid, "approvals": 1, "threshold": 2}
    assert gov.zone_status(JS) == ZoneStatus.NONE


def test_expired_proposal_cannot_be_approved_or_executed(world: World) -> None:
    gov = world.ctx.governance
    pid = gov.propose(world.committee[0], Action.ADMIT_ZONE, zone_id=JS)
    lifetime = gov.proposal(pid).expires_at - gov.proposal(pid).created_at
    increase_time(world.node.url, lifetime + 1)
    with pytest.raises(InvalidState) as err:
        gov.approve(world.committee[1], pid)
    assert err.value.error_name == "GovernanceProposalExpired"
    with pytest.raises(InvalidState):
        gov.execute(world.committee[0], pid)
    assert gov.zone_status(JS) == ZoneStatus.NONE


def test_non_member_cannot_propose(world: World) -> None:
    with pytest.raises(PermissionDenied) as err:
        world.ctx.governance.propose(world.outsider, Action.ADMIT_ZONE, zone_id=JS)
    assert err.value.error_name == "GovernanceNotMember"
    assert err.value.error_args["caller"].lower() == world.outsider.address.lower()


def test_member_cannot_approve_twice(world: World) -> None:
    gov = world.ctx.governance
    pid = gov.propose(world.committee[0], Action.ADMIT_ZONE, zone_id=JS)
    with pytest.raises(AlreadyExists) as err:
        gov.approve(world.committee[0], pid)
    assert err.value.error_name == "GovernanceAlreadyApproved"


def test_executed_proposal_cannot_run_again(world: World) -> None:
    gov = world.ctx.governance
    pid = gov.decide(world.committee[:2], Action.ADMIT_ZONE, zone_id=JS)
    with pytest.raises(InvalidState) as err:
        gov.execute(world.committee[0], pid)
    assert err.value.error_name == "GovernanceProposalAlreadyExecuted"


def test_unknown_proposal_is_named(world: World) -> None:
    with pytest.raises(NotFound) as err:
        world.ctx.governance.approve(world.committee[0], 999)
    assert err.value.error_args == {"proposalId": 999}


def test_removed_member_approval_no_longer_counts(world: World) -> None:
    gov = world.ctx.governance
    c0, c1, c2 = world.committee
    pid = gov.propose(c2, Action.ADMIT_ZONE, zone_id=JS)  # c2 approves by proposing
    gov.decide([c0, c1], Action.REMOVE_MEMBER, account=c2.address)
    assert c2.address not in gov.members()
    with pytest.raises(InvalidState) as err:
        gov.execute(c0, pid)
    assert err.value.error_args["approvals"] == 0


def test_suspend_and_reinstate_zone(world: World) -> None:
    gov = world.ctx.governance
    gov.decide(world.committee[:2], Action.SUSPEND_ZONE, zone_id=SH)
    assert gov.zone_status(SH) == ZoneStatus.SUSPENDED
    gov.decide(world.committee[:2], Action.REINSTATE_ZONE, zone_id=SH)
    assert gov.zone_status(SH) == ZoneStatus.ACTIVE


def test_threshold_change_and_invalid_threshold(world: World) -> None:
    gov = world.ctx.governance
    gov.decide(world.committee[:2], Action.SET_THRESHOLD, value=3)
    assert gov.threshold() == 3
    pid = gov.propose(world.committee[0], Action.SET_THRESHOLD, value=4)
    gov.approve(world.committee[1], pid)
    gov.approve(world.committee[2], pid)
    with pytest.raises(InvalidState) as err:
        gov.execute(world.committee[0], pid)
    assert err.value.error_name == "GovernanceInvalidThreshold"
    assert err.value.error_args == {"threshold": 4, "memberCount": 3}


def test_grant_and_revoke_role(world: World) -> None:
    gov = world.ctx.governance
    court = role_id("COURT")
    gov.decide(
        world.committee[:2],
        Action.GRANT_ROLE,
        role=court,
        account=world.outsider.address,
        zone_id=SH,
    )
    assert gov.role_zone(court, world.outsider.address) == SH
    gov.decide(world.committee[:2], Action.REVOKE_ROLE, role=court, account=world.outsider.address)
    assert gov.role_zone(court, world.outsider.address) == b"\0" * 32


def test_grant_unknown_role_fails_at_execution(world: World) -> None:
    gov = world.ctx.governance
    pid = gov.propose(
        world.committee[0],
        Action.GRANT_ROLE,
        role=b"\x01" * 32,
        account=world.outsider.address,
        zone_id=SH,
    )
    gov.approve(world.committee[1], pid)
    with pytest.raises(NotFound) as err:
        gov.execute(world.committee[0], pid)
    assert err.value.error_name == "GovernanceUnknownRole"


def test_bind_enterprise_to_unknown_zone_is_refused(world: World) -> None:
    gov = world.ctx.governance
    pid = gov.propose(
        world.committee[0], Action.BIND_ENTERPRISE, account=world.outsider.address, zone_id=JS
    )
    gov.approve(world.committee[1], pid)
    with pytest.raises(NotFound) as err:
        gov.execute(world.committee[0], pid)
    assert err.value.error_args == {"zoneId": JS}
