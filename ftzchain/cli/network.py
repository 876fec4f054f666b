"""``ftz network``: a zone network on this machine, one geth Clique validator per zone."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Annotated

import typer

from ftzchain.cli.common import console
from ftzchain.cli.common import load_settings as _settings
from ftzchain.errors import ConfigError, ToolchainError

network_app = typer.Typer(
    help="A zone network on this machine: one geth 1.13 Clique validator per zone (development "
    "and tests; production guidance is Besu QBFT).",
    no_args_is_help=True,
)


def _workdir() -> Path:
    return _settings().state_dir / "network"


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@network_app.command("up")
def network_up(
    zones: Annotated[
        str,
        typer.Option(help="Comma-separated zone codes, one validator each (3 or more, odd)."),
    ] = "CN-SH,CN-AH,CN-JS",
    period: Annotated[int, typer.Option(min=1, help="Seconds between blocks.")] = 1,
    fresh: Annotated[
        bool, typer.Option(help="Delete an existing network's chain and start a new one.")
    ] = False,
) -> None:
    """Start (or restart) the zone network in the background; prints each zone's node."""
    from ftzchain import network as net

    settings = _settings()
    workdir = _workdir()
    codes = net.parse_zones(zones)
    if (workdir / "network.json").exists() and not fresh:
        network = net.ZoneNetwork.load(workdir)
        if any(_alive(n.pid) for n in network.nodes):
            console.print(f"the network is running ({network.zones()}): `ftz network status`")
            return
        if [n.zone for n in network.nodes] != codes:
            raise ConfigError(
                f"{workdir} holds a network of {network.zones()}: pass the same --zones, "
                "or --fresh to replace it"
            )
    else:
        shutil.rmtree(workdir, ignore_errors=True)
        network = net.create_network(settings.project_root, workdir, codes, period=period)
    for node in network.nodes:
        net.start_zone_node(settings.project_root, network, node.zone, die_with_parent=False)
    try:
        net.start_sealing(network)
    except ToolchainError:
        for node in network.nodes:
            net.stop_zone_node(network, node.zone)
        raise
    console.print(
        f"zone network up: chain {network.chain_id}, a block every {network.period} s, "
        f"data in {workdir}"
    )
    for node in network.nodes:
        console.print(f"  {node.zone}  validator {node.signer}  {node.url}  (pid {node.pid})")


@network_app.command("down")
def network_down() -> None:
    """Stop every zone's node (the chain data stays; `up` resumes it, `up --fresh` wipes it)."""
    from ftzchain import network as net

    workdir = _workdir()
    if not (workdir / "network.json").exists():
        console.print("no zone network here")
        return
    network = net.ZoneNetwork.load(workdir)
    stopped = [n.zone for n in network.nodes if net.stop_zone_node(network, n.zone)]
    console.print(f"stopped {', '.join(stopped)}" if stopped else "no zone node was running")


@network_app.command("status")
def network_status() -> None:
    """Each zone's node: running, its block, its peers, and the validator set it sees."""
    from ftzchain import network as net
    from ftzchain.rpc import JsonRpc, RpcError

    workdir = _workdir()
    if not (workdir / "network.json").exists():
        console.print("no zone network here (start one with `ftz network up`)")
        raise typer.Exit(1)
    network = net.ZoneNetwork.load(workdir)
    running = 0
    for node in network.nodes:
        if not _alive(node.pid):
            console.print(f"  {node.zone}  down")
            continue
        rpc = JsonRpc(node.url, timeout=5)
        try:
            block = int(rpc.call("eth_blockNumber"), 16)
            peers = int(rpc.call("net_peerCount"), 16)
            signers = rpc.call("clique_getSigners", ["latest"])
        except RpcError as exc:
            console.print(f"  {node.zone}  not answering ({exc})")
            continue
        running += 1
        console.print(
            f"  {node.zone}  block {block}  peers {peers}  validators {len(signers)}  {node.url}"
        )
    console.print(f"{running} of {len(network.nodes)} zone nodes up at {time.strftime('%X')}")
    if running == 0:
        raise typer.Exit(1)


@network_app.command("agent")
def network_agent(
    zone: Annotated[str, typer.Option(help="The zone whose validator votes (e.g. CN-SH).")],
    poll: Annotated[float, typer.Option(min=0.1, help="Seconds between looks.")] = 2.0,
    once: Annotated[bool, typer.Option(help="Vote once and exit, instead of following.")] = False,
) -> None:
    """Make this zone's validator vote for the validator set Governance decided: a VALIDATOR
    role granted in an admitted zone is voted in, a revoked one or a suspended zone's voted
    out. Reads the zone's own index (FTZ_DATABASE_URL; run `ftz index --follow` beside it)."""
    from sqlmodel import Session

    from api.queries.governance import validator_votes
    from ftzchain import network as net
    from indexer.db import make_engine

    settings = _settings()
    network = net.ZoneNetwork.load(_workdir())
    node = network.node(zone.strip().upper())
    engine = make_engine(settings.database_url)
    from ftzchain.rpc import JsonRpc

    rpc = JsonRpc(node.url, timeout=10)
    while True:
        with Session(engine) as session:
            votes = validator_votes(session, network.chain_id)
        for address, authorize in net.cast_votes(rpc, set(votes.admit), set(votes.remove)):
            console.print(f"{node.zone} votes {'in' if authorize else 'out'} {address}")
        if once:
            return
        time.sleep(poll)
