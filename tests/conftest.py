"""Shared fixtures: one real chain node per kind (anvil, ganache 7) for the whole session.

Chain-facing tests take ``world`` (fresh contracts with zones, roles and an enterprise
already set up by the committee) and run once on each node kind.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from ftzchain.client import TxSender
from ftzchain.compile import Build, compile_contracts
from ftzchain.context import FtzContext
from ftzchain.deploy import Deployment, deploy
from ftzchain.devnet import LocalNode, dev_private_key, start_node
from ftzchain.devpg import PgServer, start_pg
from ftzchain.domain import zone_id
from ftzchain.sandbox import NetworkPlan, apply_plan
from ftzchain.settings import FtzSettings
from ftzchain.signing import LocalSigner

ROOT = Path(__file__).resolve().parent.parent
NODE_KINDS = os.environ.get("FTZ_TEST_NODES", "anvil,ganache").split(",")
DB_KINDS = os.environ.get("FTZ_TEST_DBS", "sqlite,postgresql").split(",")

SH = zone_id("CN-SH")
TEST_CONSORTIUM_KEY = "746573742d636f6e736f727469756d2d6b6579"  # "test-consortium-key"
AH = zone_id("CN-AH")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    server = start_pg()
    yield server
    server.stop()


@pytest.fixture(params=DB_KINDS)
def db_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """Makes fresh, empty databases of each kind: SQLite (the default) and PostgreSQL."""
    if request.param == "sqlite":
        counter = itertools.count(1)
        return lambda: f"sqlite:///{tmp_path / f'index-{next(counter)}.db'}"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.create_database


@pytest.fixture
def db_url(db_factory: Callable[[], str]) -> str:
    return db_factory()


@pytest.fixture(scope="session")
def build() -> Build:
    return compile_contracts(ROOT, ROOT / "build")


@pytest.fixture(scope="session", params=NODE_KINDS)
def node(request: pytest.FixtureRequest) -> Iterator[LocalNode]:
    started = start_node(request.param, ROOT)
    yield started
    started.stop()


@pytest.fixture(scope="session")
def anvil() -> Iterator[LocalNode]:
    """An anvil node for tests that need anvil-only behaviour or do not depend on the kind."""
    started = start_node("anvil", ROOT)
    yield started
    started.stop()


@dataclass
class World:
    """Fresh contracts on one node, set up as the committee would."""

    node: LocalNode
    ctx: FtzContext
    deployment: Deployment
    committee: list[TxSender]  # threshold 2 of 3
    deployer: TxSender
    sh_node: TxSender  # zone node of CN-SH
    ah_node: TxSender  # zone node of CN-AH
    customs: TxSender  # CUSTOMS role in CN-SH, not a zone node
    court: TxSender  # COURT role in CN-AH
    customs_ah: TxSender  # CUSTOMS role in CN-AH
    issuer: TxSender  # ORIGIN_ISSUER in CN-SH (certificates of origin)
    bank_sh: TxSender  # FINANCIER in CN-SH
    bank_ah: TxSender  # FINANCIER in CN-AH
    outsider: TxSender  # funded, no role
    sh_enterprise: LocalSigner  # bound to CN-SH
    ah_enterprise: LocalSigner  # bound to CN-AH

    def sender(self, index: int) -> TxSender:
        return self.ctx.sender(LocalSigner.from_key(dev_private_key(index)))


def make_world(node: LocalNode, state_dir: Path, build: Build) -> World:
    settings = FtzSettings(
        project_root=ROOT,
        state_dir=state_dir,
        rpc_url=node.url,
        chain_id=node.chain_id,
        database_url=f"sqlite:///{state_dir / 'ftz.db'}",
        consortium_key=SecretStr(TEST_CONSORTIUM_KEY),
    )
    ctx = FtzContext(settings)
    ctx.__dict__["build"] = build  # compiled once per session
    senders = [ctx.sender(LocalSigner.from_key(dev_private_key(i))) for i in range(10)]
    # The devnet funds ten accounts; the other role holders are funded by the deployer.
    for _ in range(3):
        senders.append(ctx.sender(LocalSigner.generate()))
    for funded in [senders[0].send(s.address, b"", gas=21_000, value=10**20) for s in senders[10:]]:
        ctx.client.wait_for_receipt(funded)
    deployer, committee = senders[0], senders[1:4]
    deployment, _ = deploy(
        ctx.client,
        deployer,
        build,
        settings.deployments_dir,
        [s.address for s in committee],
        threshold=2,
        force=True,
    )
    sh_enterprise, ah_enterprise = LocalSigner.generate(), LocalSigner.generate()
    apply_plan(
        ctx.governance,
        committee[:2],
        NetworkPlan(
            zones=["CN-SH", "CN-AH"],
            roles=[
                ("ZONE_NODE", senders[4].address, "CN-SH"),
                ("ZONE_NODE", senders[5].address, "CN-AH"),
                ("CUSTOMS", senders[6].address, "CN-SH"),
                ("COURT", senders[8].address, "CN-AH"),
                ("CUSTOMS", senders[9].address, "CN-AH"),
                ("ORIGIN_ISSUER", senders[10].address, "CN-SH"),
                ("FINANCIER", senders[11].address, "CN-SH"),
                ("FINANCIER", senders[12].address, "CN-AH"),
            ],
            enterprises=[(sh_enterprise.address, "CN-SH"), (ah_enterprise.address, "CN-AH")],
        ),
    )
    return World(
        node=node,
        ctx=ctx,
        deployment=deployment,
        committee=committee,
        deployer=deployer,
        sh_node=senders[4],
        ah_node=senders[5],
        customs=senders[6],
        court=senders[8],
        customs_ah=senders[9],
        issuer=senders[10],
        bank_sh=senders[11],
        bank_ah=senders[12],
        outsider=senders[7],
        sh_enterprise=sh_enterprise,
        ah_enterprise=ah_enterprise,
    )


@pytest.fixture
def world(node: LocalNode, tmp_path: Path, build: Build) -> Iterator[World]:
    w = make_world(node, tmp_path, build)
    yield w
    w.ctx.close()


@pytest.fixture
def anvil_world(anvil: LocalNode, tmp_path: Path, build: Build) -> Iterator[World]:
    w = make_world(anvil, tmp_path, build)
    yield w
    w.ctx.close()


def increase_time(node_url: str, seconds: int) -> None:
    """Move the node's clock forward and mine a block (anvil and ganache both support it)."""
    from ftzchain.rpc import JsonRpc

    with JsonRpc(node_url) as rpc:
        rpc.call("evm_increaseTime", [seconds])
        rpc.call("evm_mine", [])
