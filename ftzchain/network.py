"""A zone network on one machine: one geth 1.13 Clique validator per zone, statically peered.

This is the development and test network (`ftz network up`); production runs Besu QBFT (see
docs/production.md, to come). Each zone's node has its own data directory, its own free
ports, its own validator key and node key, and lists the other zones' nodes as static peers
in its ``config.toml`` (``[Node.P2P] StaticNodes``; geth's ``static-nodes.json`` is
deprecated). Blocks come every ``period`` seconds (1 by default: a Clique network with
``period = 0`` stops sealing when idle, and a fixed period keeps out-of-turn blocks rare).

Validator and node keys are derived from the zone's code, so that a network can be recreated
identically: they are development keys, never for a network that holds value.

The network's layout is written to ``network.json`` in its directory; ``start_zone_node``
and ``stop_zone_node`` start and stop one zone's node (the fault tests kill and restart
them).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import coincurve
from eth_account import Account
from eth_utils.crypto import keccak

from ftzchain.clique import clique_genesis, geth_binary, init_datadir
from ftzchain.devnet import LocalNode, free_ports, spawn_node, stop_pid
from ftzchain.domain import zone_id
from ftzchain.errors import InvalidInput, ToolchainError
from ftzchain.rpc import JsonRpc, RpcError

NETWORK_CHAIN_ID = 4343
BLOCK_GAS_LIMIT = 100_000_000  # ~2,500 batched IP registrations (28.5k gas) per 1 s block
# A checkpoint (the validators listed in a header) every 256 blocks: an evidence bundle then
# carries at most 255 headers from the last checkpoint to its block (see evidence/export.py).
CHECKPOINT_EPOCH = 256
_PASSWORD = "ftz-zone-network-dev\n"


def validator_key(zone: str) -> bytes:
    """The development validator key of ``zone`` (derived from its code)."""
    return keccak(text=f"ftz development validator {zone}")


def _node_key(zone: str) -> bytes:
    return keccak(text=f"ftz development node key {zone}")


@dataclass
class ZoneNode:
    zone: str
    signer: str
    rpc_port: int
    p2p_port: int
    auth_port: int
    enode: str
    datadir: str
    pid: int | None = None
    genesis_validator: bool = True
    api_port: int | None = None  # the zone's API (`ftz network up` starts one per zone)
    services: list[int] = field(default_factory=list)  # pids of its indexer and API

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rpc_port}"

    @property
    def api_url(self) -> str | None:
        return f"http://127.0.0.1:{self.api_port}" if self.api_port else None


@dataclass
class ZoneNetwork:
    chain_id: int
    period: int
    workdir: str
    nodes: list[ZoneNode] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return Path(self.workdir) / "network.json"

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1))
        os.replace(tmp, self.path)

    @classmethod
    def load(cls, workdir: Path) -> ZoneNetwork:
        data = json.loads((workdir / "network.json").read_text())
        nodes = [ZoneNode(**n) for n in data.pop("nodes")]
        return cls(nodes=nodes, **data)

    def node(self, zone: str) -> ZoneNode:
        for node in self.nodes:
            if node.zone == zone:
                return node
        raise InvalidInput(f"zone {zone} is not in this network ({self.zones()})")

    def zones(self) -> str:
        return ", ".join(n.zone for n in self.nodes)


def parse_zones(text: str) -> list[str]:
    """``CN-SH,CN-AH,CN-JS`` → the codes, checked: at least 3, an odd number, no repeats."""
    zones = [z.strip().upper() for z in text.split(",") if z.strip()]
    for zone in zones:
        zone_id(zone)  # raises on a malformed code
    if len(set(zones)) != len(zones):
        raise InvalidInput(f"--zones names a zone twice: {text}")
    if len(zones) < 3 or len(zones) % 2 == 0:
        raise InvalidInput(
            f"a Clique zone network needs an odd number of at least 3 validators (one per "
            f"zone), not {len(zones)}: with 2 both must vote and either one down stops it"
        )
    return zones


def create_network(
    project_root: Path,
    workdir: Path,
    zones: list[str],
    *,
    period: int = 1,
    chain_id: int = NETWORK_CHAIN_ID,
    validators: list[str] | None = None,
) -> ZoneNetwork:
    """Write the genesis, each zone's data directory, keys and static peers (nothing runs).
    ``validators``: the zones whose keys seal from the genesis on (default: every zone; the
    others run a node and become validators when governance grants their ``VALIDATOR``)."""
    if period < 1:
        raise InvalidInput("the block period must be at least 1 s (period 0 stalls Clique)")
    geth = geth_binary(project_root)
    workdir.mkdir(parents=True, exist_ok=True)
    signers = [Account.from_key(validator_key(z)).address for z in zones]
    sealing = set(zones if validators is None else validators)
    genesis_signers = [s for z, s in zip(zones, signers, strict=True) if z in sealing]
    genesis = workdir / "genesis.json"
    genesis.write_text(
        json.dumps(
            clique_genesis(
                chain_id,
                genesis_signers,
                period,
                gas_limit=BLOCK_GAS_LIMIT,
                timestamp=int(time.time()) + 2,
                epoch=CHECKPOINT_EPOCH,
            )
        )
    )
    password = workdir / "password"
    password.write_text(_PASSWORD)
    network = ZoneNetwork(chain_id=chain_id, period=period, workdir=str(workdir))
    ports = iter(free_ports(3 * len(zones)))  # RPC, P2P and auth of every node: all distinct
    for zone, signer in zip(zones, signers, strict=True):
        datadir = workdir / zone
        init_datadir(geth, datadir, genesis, validator_key(zone), password)
        public = coincurve.PrivateKey(_node_key(zone)).public_key.format(compressed=False)[1:]
        rpc, p2p, auth = next(ports), next(ports), next(ports)
        network.nodes.append(
            ZoneNode(
                zone=zone,
                signer=signer,
                rpc_port=rpc,
                p2p_port=p2p,
                auth_port=auth,
                enode=f"enode://{public.hex()}@127.0.0.1:{p2p}",
                datadir=str(datadir),
                genesis_validator=zone in sealing,
            )
        )
    for node in network.nodes:
        (Path(node.datadir) / "nodekey.hex").write_text(_node_key(node.zone).hex())
        peers = ", ".join(json.dumps(o.enode) for o in network.nodes if o is not node)
        (Path(node.datadir) / "config.toml").write_text(f"[Node.P2P]\nStaticNodes = [{peers}]\n")
    network.save()
    return network


def start_zone_node(
    project_root: Path, network: ZoneNetwork, zone: str, *, die_with_parent: bool = True
) -> LocalNode:
    """Start one zone's validator and wait until it answers JSON-RPC."""
    node = network.node(zone)
    datadir = Path(node.datadir)
    command = [
        str(geth_binary(project_root)),
        "--config",
        str(datadir / "config.toml"),
        "--datadir",
        str(datadir),
        "--nodekey",
        str(datadir / "nodekey.hex"),
        "--networkid",
        str(network.chain_id),
        "--syncmode",
        "full",
        "--nodiscover",
        "--maxpeers",
        str(len(network.nodes) + 2),
        "--port",
        str(node.p2p_port),
        "--authrpc.port",
        str(node.auth_port),
        "--ipcdisable",
        "--http",
        "--http.addr",
        "127.0.0.1",
        "--http.port",
        str(node.rpc_port),
        "--http.api",
        "eth,net,web3,clique,admin,txpool,miner",
        "--miner.etherbase",
        node.signer,
        "--miner.gaslimit",
        str(BLOCK_GAS_LIMIT),
        "--miner.gasprice",
        "1",
        "--unlock",
        node.signer,
        "--password",
        str(Path(network.workdir) / "password"),
        "--allow-insecure-unlock",
    ]
    started = spawn_node(
        "geth-clique",
        command,
        node.rpc_port,
        network.chain_id,
        Path(network.workdir) / f"{zone}.log",
        die_with_parent,
    )
    node.pid = started.process.pid
    network.save()
    return started


def start_sealing(
    network: ZoneNetwork, zones: list[str] | None = None, timeout: float = 30
) -> None:
    """Let validators seal once each sees its peers. A validator sealing before it has peers
    makes a block 1 of its own, and every validator stuck on its own fork ("signed recently,
    must wait for others"); so nodes start without ``--mine`` and are started here."""
    chosen = [n for n in network.nodes if zones is None or n.zone in zones]
    want = len(network.nodes) - 1 if zones is None else 1
    deadline = time.monotonic() + timeout
    rpcs = [JsonRpc(node.url) for node in chosen]
    for node, rpc in zip(chosen, rpcs, strict=True):
        while not _unlocked(rpc, node.signer) or int(rpc.call("net_peerCount"), 16) < want:
            if time.monotonic() > deadline:
                raise ToolchainError(
                    f"the {node.zone} validator is not unlocked with its peers after "
                    f"{timeout:g} s: see {Path(network.workdir) / (node.zone + '.log')}"
                )
            time.sleep(0.1)  # waiting for the static peers to connect
    for rpc in rpcs:  # all at once, when all are ready
        rpc.call("miner_start", [])


def _unlocked(rpc: JsonRpc, signer: str) -> bool:
    """geth unlocks ``--unlock`` accounts after it starts serving: sealing earlier fails once
    ("authentication needed") and is not retried."""
    try:
        rpc.call("eth_sign", [signer, "0x00"])
    except RpcError:
        return False
    return True


def cast_votes(rpc: JsonRpc, admit: set[str], remove: set[str]) -> list[tuple[str, bool]]:
    """Make this node's validator vote (``clique_propose``) for what governance decided and
    drop votes already carried; returns the (address, authorize) votes it cast now. A vote
    stays with the node and goes into each block it seals until the change is made."""
    signers = {str(s).lower() for s in rpc.call("clique_getSigners", ["latest"])}
    pending = {str(a).lower(): bool(v) for a, v in (rpc.call("clique_proposals") or {}).items()}
    for address, authorize in pending.items():
        if (address in signers) == authorize:
            rpc.call("clique_discard", [address])  # done: the set already is what we wanted
    cast = []
    for address, authorize in [*((a, True) for a in admit), *((a, False) for a in remove)]:
        if (address in signers) != authorize and pending.get(address) is not authorize:
            rpc.call("clique_propose", [address, authorize])
            cast.append((address, authorize))
    return cast


def stop_zone_node(network: ZoneNetwork, zone: str) -> bool:
    """Stop one zone's validator; False if it was not running."""
    node = network.node(zone)
    stopped = node.pid is not None and stop_pid(node.pid)
    node.pid = None
    network.save()
    return stopped
