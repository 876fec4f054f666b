"""``ftz network``: a zone network on this machine, one geth Clique validator per zone."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ftzchain.cli.common import console
from ftzchain.cli.common import load_settings as _settings
from ftzchain.errors import ConfigError, ToolchainError

if TYPE_CHECKING:
    from ftzchain.network import ZoneNetwork

network_app = typer.Typer(
    help="A zone network on this machine: one geth 1.13 Clique validator per zone (development "
    "and tests; production guidance is Besu QBFT).",
    no_args_is_help=True,
)


def _workdir() -> Path:
    return _settings().state_dir / "network"


def _wait_http(url: str) -> None:
    """Poll ``url`` until it answers (the API started in the background)."""
    import urllib3

    deadline = time.monotonic() + 60
    while True:
        try:
            if urllib3.request("GET", url, timeout=1, retries=False).status == 200:
                return
        except urllib3.exceptions.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise ToolchainError(f"{url} did not answer within 60 s: see the services log")
        time.sleep(0.2)  # polling the API that is starting


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
    services: Annotated[
        bool,
        typer.Option(
            help="Also deploy the contracts (once, committee: dev account 0) and run each "
            "zone's own indexer, API and validator agent, on a SQLite database per zone."
        ),
    ] = True,
) -> None:
    """Start (or restart) the zone network in the background; prints each zone's node (and
    API)."""
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
    if services:
        _start_services(network)
    console.print(
        f"zone network up: chain {network.chain_id}, a block every {network.period} s, "
        f"data in {workdir}"
    )
    for node in network.nodes:
        api = f"  API {node.api_url}" if node.api_url else ""
        console.print(
            f"  {node.zone}  validator {node.signer}  node {node.url}{api}  (pid {node.pid})"
        )


def _start_services(network: ZoneNetwork) -> None:
    """Deploy once, then per zone: index its own node into its own SQLite database (first
    in the foreground, which creates the schema), then `ftz index --follow`, `ftz serve` and
    `ftz network agent` in the background, each with the other zones' nodes as fallbacks.
    SQLite per zone: nothing to install or share, and each zone's index
    is its own, as it is in production (where each zone has its own PostgreSQL)."""
    import subprocess
    import sys

    from ftzchain.context import FtzContext
    from ftzchain.deploy import deploy, load_deployment
    from ftzchain.devnet import dev_private_key, free_port
    from ftzchain.errors import NotDeployed
    from ftzchain.signing import LocalSigner

    settings = _settings()
    first = network.nodes[0]
    ctx = FtzContext(
        settings.model_copy(update={"rpc_url": first.url, "chain_id": network.chain_id})
    )
    try:
        load_deployment(settings.deployments_dir, network.chain_id)
    except NotDeployed:
        deployer = ctx.sender(LocalSigner.from_key(dev_private_key(0)))
        console.print(f"deploying the contracts through {first.zone} …")
        deploy(ctx.client, deployer, ctx.build, settings.deployments_dir, [deployer.address], 1)
    finally:
        ctx.close()
    ftz = str(Path(sys.executable).with_name("ftz"))
    for node in network.nodes:
        # Each zone's own state (its intake's outbox, caches) beside its node; the
        # deployment manifest is the one thing the zones share.
        zone_state = Path(network.workdir) / f"{node.zone}.state"
        shutil.copytree(settings.deployments_dir, zone_state / "deployments", dirs_exist_ok=True)
        env = {
            **os.environ,
            "FTZ_RPC_URL": node.url,
            "FTZ_RPC_FALLBACK_URLS": ",".join(o.url for o in network.nodes if o is not node),
            "FTZ_CHAIN_ID": str(network.chain_id),
            "FTZ_STATE_DIR": str(zone_state),
            "FTZ_DATABASE_URL": f"sqlite:///{zone_state / 'index.db'}",
            "FTZ_ZONE": node.zone,
        }
        log_path = Path(network.workdir) / f"{node.zone}-services.log"
        done = subprocess.run([ftz, "index"], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise ToolchainError(f"indexing {node.zone} failed: {done.stderr.strip()[-400:]}")
        node.api_port = node.api_port or free_port()
        with log_path.open("ab") as log_file:
            node.services = [
                subprocess.Popen(
                    command,
                    env=env,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                ).pid
                for command in (
                    [ftz, "index", "--follow"],
                    [ftz, "serve", "--port", str(node.api_port)],
                    [
                        ftz,
                        "network",
                        "agent",
                        "--zone",
                        node.zone,
                        "--network-dir",
                        network.workdir,
                    ],
                )
            ]
    network.save()
    for node in network.nodes:
        _wait_http(f"{node.api_url}/healthz")


@network_app.command("down")
def network_down() -> None:
    """Stop every zone's node (the chain data stays; `up` resumes it, `up --fresh` wipes it)."""
    from ftzchain import network as net

    workdir = _workdir()
    if not (workdir / "network.json").exists():
        console.print("no zone network here")
        return
    network = net.ZoneNetwork.load(workdir)
    from ftzchain.devnet import stop_pid

    for node in network.nodes:
        for pid in node.services:
            stop_pid(pid)
        node.services = []
    network.save()
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
        api = f"  API {node.api_url}" if node.api_url and any(map(_alive, node.services)) else ""
        console.print(
            f"  {node.zone}  block {block}  peers {peers}  validators {len(signers)}  "
            f"{node.url}{api}"
        )
    console.print(f"{running} of {len(network.nodes)} zone nodes up at {time.strftime('%X')}")
    if running == 0:
        raise typer.Exit(1)


@network_app.command("agent")
def network_agent(
    zone: Annotated[str, typer.Option(help="The zone whose validator votes (e.g. CN-SH).")],
    poll: Annotated[float, typer.Option(min=0.1, help="Seconds between looks.")] = 2.0,
    once: Annotated[bool, typer.Option(help="Vote once and exit, instead of following.")] = False,
    network_dir: Annotated[
        Path | None,
        typer.Option(help="The network's directory (default: FTZ_STATE_DIR/network)."),
    ] = None,
) -> None:
    """Make this zone's validator vote for the validator set Governance decided: a VALIDATOR
    role granted in an admitted zone is voted in, a revoked one or a suspended zone's voted
    out. Reads the zone's own index (FTZ_DATABASE_URL; run `ftz index --follow` beside it)."""
    from sqlmodel import Session

    from api.queries.governance import validator_votes
    from ftzchain import network as net
    from indexer.db import make_engine

    settings = _settings()
    workdir = network_dir or _workdir()
    if not (workdir / "network.json").exists():
        raise ConfigError(f"no zone network in {workdir}: start one with `ftz network up`")
    network = net.ZoneNetwork.load(workdir)
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
