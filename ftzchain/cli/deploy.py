"""``ftz deploy`` and ``ftz gov``: the contracts and the steering committee's proposals."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.table import Table

from ftzchain.cli.common import SenderOpt, console
from ftzchain.cli.common import address as _address
from ftzchain.cli.common import context_and_sender as _context_and_sender
from ftzchain.cli.common import load_settings as _settings
from ftzchain.context import FtzContext
from ftzchain.deploy import DEFAULT_PROPOSAL_LIFETIME
from ftzchain.deploy import deploy as deploy_contracts
from ftzchain.domain import role_id, zone_id
from ftzchain.enums import GovernanceAction as Action
from ftzchain.errors import InvalidInput

gov_app = typer.Typer(
    help="Steering-committee proposals: propose, approve, execute, list.", no_args_is_help=True
)


def deploy(
    member: Annotated[
        list[str] | None,
        typer.Option("--member", "-m", help="Committee member address (repeat; default: sender)."),
    ] = None,
    threshold: Annotated[int, typer.Option(help="Approvals needed (M of N).")] = 1,
    lifetime: Annotated[
        int, typer.Option(help="Seconds a proposal stays open.")
    ] = DEFAULT_PROPOSAL_LIFETIME,
    force: Annotated[bool, typer.Option(help="Deploy anew even if this build is live.")] = False,
    sender: SenderOpt = None,
) -> None:
    """Compile and deploy Governance, IpRegistry and Traceability; reuse a live deployment
    of the same build."""
    ctx, signer = _context_and_sender(sender)
    members = [_address(m) for m in member] if member else [signer.address]
    deployment, deployed = deploy_contracts(
        ctx.client,
        ctx.sender(signer),
        ctx.build,
        ctx.settings.deployments_dir,
        members,
        threshold,
        lifetime,
        force=force,
    )
    verb = "deployed" if deployed else "already deployed (same build, same chain)"
    console.print(f"chain {deployment.chain_id}: {verb}")
    for name, c in deployment.contracts.items():
        console.print(f"  {name:<11} {c.address}  block {c.block_number}")


# --- governance -----------------------------------------------------------------------

ACTION_NAMES = {a.name.lower().replace("_", "-"): a for a in Action}


@gov_app.command("propose")
def gov_propose(
    action: Annotated[str, typer.Argument(help="One of: " + ", ".join(ACTION_NAMES))],
    zone: Annotated[str | None, typer.Option(help="Zone code, e.g. CN-SH.")] = None,
    account: Annotated[
        str | None, typer.Option(help="Enterprise, role holder or member address.")
    ] = None,
    role: Annotated[
        str | None,
        typer.Option(
            help="zone_node, customs, court, financier, auditor, origin_issuer, validator."
        ),
    ] = None,
    value: Annotated[int, typer.Option(help="New threshold (set-threshold).")] = 0,
    sender: SenderOpt = None,
) -> None:
    """Propose a committee decision; your approval counts at once."""
    kind = ACTION_NAMES.get(action.lower())
    if kind is None:
        raise InvalidInput(f"unknown action {action!r}: one of {', '.join(ACTION_NAMES)}")
    ctx, signer = _context_and_sender(sender)
    proposal_id = ctx.governance.propose(
        ctx.sender(signer),
        kind,
        role=role_id(role) if role else b"\0" * 32,
        account=_address(account) if account else "0x" + "00" * 20,
        zone_id=zone_id(zone) if zone else b"\0" * 32,
        value=value,
    )
    console.print(f"proposal {proposal_id}: {ctx.governance.proposal(proposal_id).describe()}")


@gov_app.command("approve")
def gov_approve(proposal_id: int, sender: SenderOpt = None) -> None:
    """Approve a proposal as a committee member."""
    ctx, signer = _context_and_sender(sender)
    ctx.governance.approve(ctx.sender(signer), proposal_id)
    p = ctx.governance.proposal(proposal_id)
    console.print(f"proposal {proposal_id}: {p.approvals}/{ctx.governance.threshold()} approvals")


@gov_app.command("execute")
def gov_execute(proposal_id: int, sender: SenderOpt = None) -> None:
    """Execute a proposal that reached the threshold."""
    ctx, signer = _context_and_sender(sender)
    ctx.governance.execute(ctx.sender(signer), proposal_id)
    console.print(
        f"proposal {proposal_id} executed: {ctx.governance.proposal(proposal_id).describe()}"
    )


@gov_app.command("list")
def gov_list() -> None:
    """List proposals with their approvals and state."""
    ctx = FtzContext(_settings())
    gov = ctx.governance
    threshold = gov.threshold()
    table = Table("id", "action", "approvals", "state", "expires (UTC)")
    now = time.time()
    for p in gov.proposals():
        state = "executed" if p.executed else ("expired" if now > p.expires_at else "open")
        expires = time.strftime("%Y-%m-%d %H:%M", time.gmtime(p.expires_at))
        table.add_row(
            str(p.proposal_id), p.describe(), f"{p.approvals}/{threshold}", state, expires
        )
    console.print(table)
