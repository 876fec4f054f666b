"""The zone network on real geth 1.13 Clique validators (one per zone, 1 s blocks): losing one
of three stops nobody, and it catches up when it comes back; `ftz network` starts, reports and
stops it."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.queries.governance import validator_votes
from ftzchain.client import TxSender
from ftzchain.compile import Build
from ftzchain.context import FtzContext
from ftzchain.deploy import deploy
from ftzchain.devnet import dev_private_key
from ftzchain.domain import zone_id
from ftzchain.enums import GovernanceAction as Action
from ftzchain.evidence.service import ip_bundle
from ftzchain.evidence.verify import IP_REGISTERED_SIGNATURE, keccak256, verify_bundle
from ftzchain.network import (
    ZoneNetwork,
    cast_votes,
    create_network,
    start_sealing,
    start_zone_node,
    stop_zone_node,
)
from ftzchain.rpc import JsonRpc
from ftzchain.sandbox import NetworkPlan, apply_plan
from ftzchain.settings import FtzSettings
from ftzchain.signing import LocalSigner
from ftzchain.writer import Outbox, QueuedRecord, Writer
from indexer.digest import table_digest
from indexer.models import IpRegistrationRow
from indexer.service import build_indexer
from tests.conftest import ROOT
from tests.indexer.helpers import fresh_db
from tests.serving import FTZ

ZONES = ["CN-SH", "CN-AH", "CN-JS"]
IP_TOPIC = "0x" + keccak256(IP_REGISTERED_SIGNATURE.encode()).hex()


def _head(url: str) -> tuple[int, str]:
    block = JsonRpc(url, timeout=5).call("eth_getBlockByNumber", ["latest", False])
    return int(block["number"], 16), str(block["hash"])


def _until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what}")
        time.sleep(0.2)  # polling the nodes' heads


@pytest.fixture
def network(tmp_path: Path) -> Iterator[ZoneNetwork]:
    net = create_network(ROOT, tmp_path / "network", ZONES)
    try:
        for zone in ZONES:
            start_zone_node(ROOT, net, zone)
        start_sealing(net)
        yield net
    finally:
        for zone in ZONES:
            stop_zone_node(net, zone)


def test_one_validator_down_stops_nobody_and_catches_up(network: ZoneNetwork) -> None:
    sh, ah, js = (network.node(z) for z in ZONES)
    _until(lambda: min(_head(n.url)[0] for n in (sh, ah, js)) >= 2, 30, "all sealing")
    signers = JsonRpc(sh.url).call("clique_getSigners", ["latest"])
    assert sorted(s.lower() for s in signers) == sorted(n.signer.lower() for n in (sh, ah, js))
    assert stop_zone_node(network, "CN-JS")
    down_at = _head(sh.url)[0]
    _until(lambda: _head(sh.url)[0] >= down_at + 4, 30, "blocks without CN-JS")
    # The two left agree on the chain.
    number, block_hash = _head(ah.url)
    other = JsonRpc(sh.url).call("eth_getBlockByNumber", [hex(number), False])
    assert other is not None and other["hash"] == block_hash
    start_zone_node(ROOT, network, "CN-JS")
    start_sealing(network, ["CN-JS"])
    target = _head(sh.url)[0]
    _until(lambda: _head(js.url)[0] >= target, 60, "CN-JS catching up")
    back = JsonRpc(js.url).call("eth_getBlockByNumber", [hex(target), False])
    ours = JsonRpc(sh.url).call("eth_getBlockByNumber", [hex(target), False])
    assert back["hash"] == ours["hash"]


def test_ftz_network_up_status_down(tmp_path: Path) -> None:
    """`up` starts the validators, deploys once and runs each zone's indexer and API;
    `status` reports them; `down` stops every process it started."""
    env = {**os.environ, "FTZ_STATE_DIR": str(tmp_path)}

    def ftz(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [FTZ, "network", *args], env=env, capture_output=True, text=True, timeout=240
        )

    refused = ftz("up", "--zones", "CN-SH,CN-AH")
    assert refused.returncode == 1 and "odd number" in refused.stderr
    assert ftz("status").returncode == 1
    up = ftz("up", "--zones", ",".join(ZONES))
    try:
        assert up.returncode == 0, up.stderr
        for zone in ZONES:
            assert zone in up.stdout
        nodes = json.loads((tmp_path / "network" / "network.json").read_text())["nodes"]
        pids = [n["pid"] for n in nodes]
        assert all(pids)
        # Each zone's indexer, API and validator agent.
        assert all(len(n["services"]) == 3 for n in nodes)
        pids += [pid for n in nodes for pid in n["services"]]
        for pid in pids:
            os.kill(pid, 0)  # all running
        status = ftz("status")
        assert status.returncode == 0, status.stderr
        assert "3 of 3 zone nodes up" in status.stdout and "validators 3" in status.stdout
    finally:
        down = ftz("down")
    assert down.returncode == 0 and "stopped CN-SH, CN-AH, CN-JS" in down.stdout
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def _reached(ctx: FtzContext, block: int) -> Callable[[], bool]:
    return lambda: ctx.client.block_number() >= block


def test_governance_votes_a_zone_validator_in_and_out(tmp_path: Path, build: Build) -> None:
    """A fourth zone runs a node but does not seal; the committee grants its VALIDATOR role:
    each zone's agent, reading its own index of its own node, votes it in, and it seals.
    A registration's evidence bundle then derives the four validators from the genesis and
    the votes since, and a majority of them sealed on top of it. The committee suspends the
    zone: the agents vote it out, and it stops sealing."""
    zones = [*ZONES, "CN-ZJ"]
    net = create_network(ROOT, tmp_path / "network", zones, validators=ZONES)
    contexts: list[FtzContext] = []

    def context(zone: str) -> FtzContext:
        settings = FtzSettings(
            project_root=ROOT,
            state_dir=tmp_path / "state",
            rpc_url=net.node(zone).url,
            chain_id=net.chain_id,
            database_url=f"sqlite:///{tmp_path / (zone + '.db')}",
        )
        ctx = FtzContext(settings)
        ctx.__dict__["build"] = build
        contexts.append(ctx)
        return ctx

    def signers() -> set[str]:
        return {s.lower() for s in JsonRpc(net.node("CN-SH").url).call("clique_getSigners")}

    def agents(voting: list[str], through_block: int) -> None:
        for zone in voting:
            ctx = context(zone)
            _until(_reached(ctx, through_block), 30, f"{zone} synced")
            engine = fresh_db(ctx.settings.database_url)
            build_indexer(ctx, engine).sync()
            with Session(engine) as session:
                votes = validator_votes(session, net.chain_id)
            cast_votes(JsonRpc(net.node(zone).url), set(votes.admit), set(votes.remove))

    try:
        for zone in zones:
            start_zone_node(ROOT, net, zone)
        start_sealing(net)
        newcomer = net.node("CN-ZJ").signer.lower()
        assert newcomer not in signers() and len(signers()) == 3
        ctx = context("CN-SH")
        deployer = ctx.sender(LocalSigner.from_key(dev_private_key(0)))
        deploy(
            ctx.client,
            deployer,
            build,
            ctx.settings.deployments_dir,
            [deployer.address],
            threshold=1,
            force=True,
        )
        enterprise = LocalSigner.generate()
        zone_node = ctx.sender(LocalSigner.from_key(dev_private_key(1)))
        plan = NetworkPlan(
            zones=zones,
            roles=[("VALIDATOR", newcomer, "CN-ZJ"), ("ZONE_NODE", zone_node.address, "CN-SH")],
            enterprises=[(enterprise.address, "CN-SH")],
        )
        apply_plan(ctx.governance, [deployer], plan)
        agents(ZONES, ctx.client.block_number())
        _until(lambda: newcomer in signers(), 60, "CN-ZJ voted in")
        rpc = JsonRpc(net.node("CN-SH").url)
        joined = _head(net.node("CN-SH").url)[0]

        def sealed_by_newcomer(since: int) -> bool:
            head = _head(net.node("CN-SH").url)[0]
            return any(
                str(rpc.call("clique_getSigner", [hex(n)])).lower() == newcomer
                for n in range(since + 1, head + 1)
            )

        _until(lambda: sealed_by_newcomer(joined), 60, "CN-ZJ sealing")
        _assert_bundle_carries_the_voted_set(ctx, zone_node, enterprise, signers())
        ctx.governance.decide([deployer], Action.SUSPEND_ZONE, zone_id=zone_id("CN-ZJ"))
        agents(zones, ctx.client.block_number())
        _until(lambda: newcomer not in signers(), 60, "CN-ZJ voted out")
        left = _head(net.node("CN-SH").url)[0]
        _until(lambda: _head(net.node("CN-SH").url)[0] >= left + 4, 30, "blocks after it left")
        assert not sealed_by_newcomer(left)
    finally:
        for c in contexts:
            c.close()
        for zone in zones:
            stop_zone_node(net, zone)


def _assert_bundle_carries_the_voted_set(
    ctx: FtzContext, zone_node: TxSender, enterprise: LocalSigner, validators: set[str]
) -> None:
    work = hashlib.sha256(b"sealed by four zones").digest()
    ip = ctx.ip_registry
    receipt = ip.register(zone_node, ip.sign(enterprise, work, zone_id("CN-SH")))
    _until(_reached(ctx, receipt.block_number + 6), 30, "blocks on top of the registration")
    bundle = ip_bundle(ctx, work, receipt.tx_hash)
    seals = bundle["seals"]
    assert sorted(seals["validators"]) == sorted(validators) and len(validators) == 4
    assert seals["checkpoint"]["header"]["number"] == "0x0" and seals["link"]
    verdict = verify_bundle(bundle)
    assert verdict.ok, verdict.reason
    assert any("votes of the" in t and "genesis block" in t for t in verdict.trust), verdict.trust
    assert any("of 4 validators sealed the block" in c for c in verdict.checked), verdict.checked
    # The genesis lists three: without the votes in between, the fourth is not derived.
    votes = [h for h in seals["link"] if int(h["nonce"], 16) != 0]
    assert votes, "the link carries the blocks that voted CN-ZJ in"
    cut = copy.deepcopy(bundle)
    cut["seals"]["link"] = [h for h in seals["link"] if h != votes[-1]]
    assert verify_bundle(cut).failed_link == "seals"
    stated = copy.deepcopy(bundle)
    stated["seals"]["validators"] = sorted(validators)[:3]
    assert verify_bundle(stated).failed_link == "seals"


def test_a_partitioned_zone_rejoins_and_its_index_converges(tmp_path: Path, build: Build) -> None:
    """CN-SH is cut off from the other two validators (admin_removePeer): it seals one block
    of its own (then must wait for the others) and its indexer indexes it; a registration sent
    to it waits in its pool. Reconnected (admin_addPeer), CN-SH takes the majority's chain,
    its index rolls the orphaned block back, the registration is mined on the common chain,
    and both zones' indexes have the same digest, with the registration once."""
    net = create_network(ROOT, tmp_path / "network", ZONES)
    contexts: list[FtzContext] = []

    def context(zone: str, db: str) -> FtzContext:
        ctx = FtzContext(
            FtzSettings(
                project_root=ROOT,
                state_dir=tmp_path / "state",
                rpc_url=net.node(zone).url,
                chain_id=net.chain_id,
                database_url=f"sqlite:///{tmp_path / db}",
                max_reorg_depth=16,
            )
        )
        ctx.__dict__["build"] = build
        contexts.append(ctx)
        return ctx

    sh, ah, js = (net.node(z) for z in ZONES)
    sh_rpc = JsonRpc(sh.url)
    try:
        for zone in ZONES:
            start_zone_node(ROOT, net, zone)
        start_sealing(net)
        admin = context("CN-AH", "admin.db")
        deployer = admin.sender(LocalSigner.from_key(dev_private_key(0)))
        deploy(admin.client, deployer, build, admin.settings.deployments_dir, [deployer.address], 1)
        enterprise = LocalSigner.generate()
        zone_node = LocalSigner.from_key(dev_private_key(1))
        plan = NetworkPlan(
            zones=["CN-SH"],
            roles=[("ZONE_NODE", zone_node.address, "CN-SH")],
            enterprises=[(enterprise.address, "CN-SH")],
        )
        apply_plan(admin.governance, [deployer], plan)
        on_sh = context("CN-SH", "sh.db")
        _until(_reached(on_sh, admin.client.block_number()), 30, "CN-SH synced")
        # Cut CN-SH off just after a block another validator sealed (so it may seal one).
        _until(
            lambda: _sealer(sh_rpc, _head(sh.url)[1]) != sh.signer.lower(),
            30,
            "a head not sealed by CN-SH",
        )
        for other in (ah, js):
            sh_rpc.call("admin_removePeer", [other.enode])
            JsonRpc(other.url).call("admin_removePeer", [sh.enode])
        _until(lambda: int(sh_rpc.call("net_peerCount"), 16) == 0, 10, "CN-SH alone")
        _until(
            lambda: _sealer(sh_rpc, _head(sh.url)[1]) == sh.signer.lower(),
            10,
            "CN-SH sealing a block of its own",
        )
        orphan_number, orphan = _head(sh.url)
        work = hashlib.sha256(b"registered in a partition").digest()
        reg = on_sh.ip_registry
        signed = reg.sign(enterprise, work, zone_id("CN-SH"))
        tx = on_sh.sender(zone_node).send(
            reg.address,
            reg.codec.encode_call("register", signed.registration.as_tuple(), signed.signature),
            gas=300_000,
        )
        sh_engine = fresh_db(on_sh.settings.database_url)
        sh_indexer = build_indexer(on_sh, sh_engine)
        assert sh_indexer.sync().block_hash == orphan  # the index holds the orphan's hash
        assert JsonRpc(ah.url).call("eth_getBlockByHash", [orphan, False]) is None
        for other in (ah, js):
            sh_rpc.call("admin_addPeer", [other.enode])
            JsonRpc(other.url).call("admin_addPeer", [sh.enode])
        on_ah = context("CN-AH", "ah.db")
        _until(lambda: _mined_elsewhere(on_ah, tx, orphan), 90, "the registration mined")
        target = on_ah.client.block_number()
        _until(_reached(on_sh, target), 60, "CN-SH on the majority chain")
        ah_engine = fresh_db(on_ah.settings.database_url)
        build_indexer(on_ah, ah_engine).sync(to_block=target)
        sh_indexer.sync(to_block=target)
        ours, theirs = (table_digest(e, net.chain_id, target) for e in (sh_engine, ah_engine))
        assert ours == theirs
        assert sh_indexer.metrics.registry.get_sample_value("ftz_indexer_reorgs_total") >= 1
        (mined,) = _registrations(sh_engine, work)
        assert mined != orphan and orphan_number <= target
    finally:
        for c in contexts:
            c.close()
        for zone in ZONES:
            stop_zone_node(net, zone)


def _sealer(rpc: JsonRpc, block_hash: str) -> str:
    return str(rpc.call("clique_getSigner", [block_hash])).lower()


def _registrations(engine: Engine, work: bytes) -> list[str]:
    with Session(engine) as session:
        rows = session.exec(
            select(IpRegistrationRow).where(IpRegistrationRow.content_hash == "0x" + work.hex())
        ).all()
    return [r.block_hash for r in rows]


def _mined_elsewhere(ctx: FtzContext, tx: str, orphan_block: str) -> bool:
    receipt = ctx.client.rpc.call("eth_getTransactionReceipt", [tx])
    return receipt is not None and receipt["blockHash"] != orphan_block


def test_a_zone_writer_fails_over_through_its_node_restart_exactly_once(
    tmp_path: Path, build: Build
) -> None:
    """CN-SH's writer sends through its own node, with the other zones' nodes as fallbacks
    (FTZ_RPC_FALLBACK_URLS). Its node is stopped mid-run: the writer goes on through CN-AH's
    node, settles again what it had in flight, and when CN-SH's node is back every record is
    on chain exactly once, counted from the chain's logs."""
    net = create_network(ROOT, tmp_path / "network", ZONES)
    sh, ah, js = (net.node(z) for z in ZONES)
    ctx = FtzContext(
        FtzSettings(
            project_root=ROOT,
            state_dir=tmp_path / "state",
            rpc_url=sh.url,
            rpc_fallback_urls=[ah.url, js.url],
            chain_id=net.chain_id,
        )
    )
    ctx.__dict__["build"] = build
    try:
        for zone in ZONES:
            start_zone_node(ROOT, net, zone)
        start_sealing(net)
        deployer = ctx.sender(LocalSigner.from_key(dev_private_key(0)))
        deploy(ctx.client, deployer, build, ctx.settings.deployments_dir, [deployer.address], 1)
        enterprise = LocalSigner.generate()
        zone_node = ctx.sender(LocalSigner.from_key(dev_private_key(1)))
        plan = NetworkPlan(
            zones=["CN-SH"],
            roles=[("ZONE_NODE", zone_node.address, "CN-SH")],
            enterprises=[(enterprise.address, "CN-SH")],
        )
        apply_plan(ctx.governance, [deployer], plan)
        records = [
            QueuedRecord(
                hashlib.sha256(f"failover {i}".encode()).digest(),
                enterprise.address,
                zone_id("CN-SH"),
                1,
            )
            for i in range(3_000)
        ]
        outbox = Outbox(tmp_path / "outbox.db")
        outbox.enqueue(records)
        writer = Writer(
            ctx.ip_registry,
            [zone_node],
            {enterprise.address: enterprise},
            outbox,
            batch_size=50,
            in_flight=4,
            stall_after=2.0,
        )
        errors: list[BaseException] = []

        def run() -> None:
            try:
                writer.run()
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
        try:
            _until(lambda: outbox.counts()["confirmed"] > 0, 60, "a first batch confirmed")
            assert stop_zone_node(net, "CN-SH")
            before = outbox.counts()["confirmed"]
            _until(lambda: ctx.client.rpc.failovers >= 1, 30, "the writer on another node")
            _until(lambda: outbox.counts()["confirmed"] > before, 60, "batches via CN-AH")
            start_zone_node(ROOT, net, "CN-SH")
            start_sealing(net, ["CN-SH"])
        finally:
            thread.join(240)
        assert not thread.is_alive() and not errors, errors
        assert ctx.client.rpc.url != sh.url
        assert outbox.counts()["confirmed"] == len(records)
        # Counted on CN-SH's own node, once it has caught up with the chain written meanwhile.
        target = ctx.client.block_number()
        _until(lambda: _head(sh.url)[0] >= target, 60, "CN-SH catching up")
        logs = JsonRpc(sh.url).call(
            "eth_getLogs",
            [{"address": ctx.ip_registry.address, "topics": [IP_TOPIC], "fromBlock": "0x0"}],
        )
        per_work: dict[str, int] = {}
        for log in logs:
            per_work[log["topics"][1]] = per_work.get(log["topics"][1], 0) + 1
        ids = {"0x" + r.content_hash.hex() for r in records}
        assert set(per_work) == ids and set(per_work.values()) == {1}
    finally:
        ctx.close()
        for zone in ZONES:
            stop_zone_node(net, zone)


def test_a_planned_network_gives_every_node_ports_of_its_own(tmp_path: Path) -> None:
    """Every RPC, P2P and auth port of a network is distinct (ports were once picked one at a
    time before any node bound them, and two nodes got the same one)."""
    net = create_network(ROOT, tmp_path / "network", ["CN-SH", "CN-AH", "CN-JS", "CN-ZJ", "CN-FJ"])
    ports = [p for n in net.nodes for p in (n.rpc_port, n.p2p_port, n.auth_port)]
    assert len(set(ports)) == len(ports) == 15
