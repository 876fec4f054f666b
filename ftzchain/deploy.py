"""Idempotent deployment with one manifest per chain id."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from ftzchain.abi import AbiCodec
from ftzchain.artifacts import CORE_CONTRACTS
from ftzchain.client import ChainClient, TxSender
from ftzchain.compile import Build
from ftzchain.errors import NotDeployed

log = logging.getLogger(__name__)

DEFAULT_PROPOSAL_LIFETIME = 7 * 24 * 3600


@dataclass(frozen=True)
class DeployedContract:
    address: str
    tx_hash: str
    block_number: int
    bytecode_hash: str  # keccak of the creation bytecode (without constructor args)


@dataclass(frozen=True)
class Deployment:
    """What `ftz deploy` wrote for one chain: where each contract lives and from which block."""

    chain_id: int
    genesis_hash: str
    contracts: dict[str, DeployedContract]

    @property
    def start_block(self) -> int:
        return min(c.block_number for c in self.contracts.values())

    def address(self, name: str) -> str:
        try:
            return self.contracts[name].address
        except KeyError as exc:
            raise NotDeployed(f"{name} is not in the deployment of chain {self.chain_id}") from exc


def manifest_path(deployments_dir: Path, chain_id: int) -> Path:
    return deployments_dir / f"{chain_id}.json"


def load_deployment(
    deployments_dir: Path, chain_id: int, deploy_command: str = "ftz deploy"
) -> Deployment:
    path = manifest_path(deployments_dir, chain_id)
    if not path.exists():
        raise NotDeployed(
            f"no deployment for chain {chain_id} ({path} missing): run `{deploy_command}`"
        )
    raw = json.loads(path.read_text())
    return Deployment(
        chain_id=int(raw["chain_id"]),
        genesis_hash=str(raw["genesis_hash"]),
        contracts={k: DeployedContract(**v) for k, v in raw["contracts"].items()},
    )


def save_deployment(deployments_dir: Path, deployment: Deployment) -> Path:
    deployments_dir.mkdir(parents=True, exist_ok=True)
    path = manifest_path(deployments_dir, deployment.chain_id)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(deployment), indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)
    return path


def _bytecode_hash(bytecode_hex: str) -> str:
    return "0x" + keccak(hexstr=bytecode_hex).hex()


def is_live(client: ChainClient, deployment: Deployment, build: Build) -> bool:
    """True when the manifest describes this very chain and the current build's contracts."""
    if deployment.chain_id != client.chain_id or deployment.genesis_hash != client.genesis_hash():
        return False
    for name, deployed in deployment.contracts.items():
        if name not in build.contracts:
            return False
        if deployed.bytecode_hash != _bytecode_hash(build.contracts[name].bytecode):
            return False
        if not client.get_code(deployed.address):
            return False
    return True


def current_deployment(
    client: ChainClient, deployments_dir: Path, deploy_command: str = "ftz deploy"
) -> Deployment:
    """The manifest for the connected chain, checked against the chain (genesis and code)."""
    deployment = load_deployment(deployments_dir, client.chain_id, deploy_command)
    if deployment.genesis_hash != client.genesis_hash():
        raise NotDeployed(
            f"the deployment manifest for chain {client.chain_id} belongs to another chain "
            f"(different genesis; was the devnet restarted?): run `{deploy_command}`"
        )
    for name, contract in deployment.contracts.items():
        if not client.get_code(contract.address):
            raise NotDeployed(
                f"no code at {contract.address} where the manifest puts {name} on chain "
                f"{client.chain_id} (was the devnet restarted?): run `{deploy_command}`"
            )
    return deployment


def _deploy_one(sender: TxSender, build: Build, name: str, *ctor_args: object) -> DeployedContract:
    artifact = build.get(name)
    data = bytes.fromhex(artifact.bytecode) + AbiCodec(artifact.abi).encode_constructor(*ctor_args)
    receipt = sender.transact(None, data)
    if receipt.contract_address is None:
        raise NotDeployed(f"deploying {name} produced no contract address")
    address = to_checksum_address(receipt.contract_address)
    log.info("deployed %s at %s (block %d)", name, address, receipt.block_number)
    return DeployedContract(
        address=address,
        tx_hash=receipt.tx_hash,
        block_number=receipt.block_number,
        bytecode_hash=_bytecode_hash(artifact.bytecode),
    )


def deploy(
    client: ChainClient,
    sender: TxSender,
    build: Build,
    deployments_dir: Path,
    members: list[str],
    threshold: int,
    proposal_lifetime: int = DEFAULT_PROPOSAL_LIFETIME,
    force: bool = False,
) -> tuple[Deployment, bool]:
    """Deploy the core contracts (:data:`CORE_CONTRACTS`) unless a live deployment of this
    build exists.

    Returns the deployment and whether anything was deployed.
    """
    if not force:
        try:
            existing = load_deployment(deployments_dir, client.chain_id)
        except NotDeployed:
            existing = None
        if (
            existing is not None
            and set(existing.contracts) >= set(CORE_CONTRACTS)
            and is_live(client, existing, build)
        ):
            log.info("chain %d already has this build deployed; nothing to do", client.chain_id)
            return existing, False
    members = [to_checksum_address(m) for m in members]
    governance = _deploy_one(sender, build, "Governance", members, threshold, proposal_lifetime)
    contracts = {"Governance": governance}
    for name in CORE_CONTRACTS[1:]:
        args = [governance.address]
        if name in ("Customs", "InvoiceRegistry"):
            args.append(contracts["Custody"].address)
        contracts[name] = _deploy_one(sender, build, name, *args)
    deployment = Deployment(
        chain_id=client.chain_id, genesis_hash=client.genesis_hash(), contracts=contracts
    )
    save_deployment(deployments_dir, deployment)
    return deployment, True


def deploy_contracts(
    client: ChainClient,
    sender: TxSender,
    build: Build,
    manifests_dir: Path,
    contracts: list[tuple[str, tuple[object, ...]]],
) -> Deployment:
    """Deploy ``(name, constructor args)`` in order and write their manifest."""
    deployment = Deployment(
        chain_id=client.chain_id,
        genesis_hash=client.genesis_hash(),
        contracts={name: _deploy_one(sender, build, name, *args) for name, args in contracts},
    )
    save_deployment(manifests_dir, deployment)
    return deployment
