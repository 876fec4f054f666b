"""External anchoring: commit the FTZ chain's block hashes to an independent chain.

A court that doubts the consortium's validators can check that a block hash was published on a
chain the consortium does not control, no later than that chain's block time. The evidence
exporter (:mod:`ftzchain.evidence.export`) picks the first anchor at or above a record's block.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from ftzchain.abi import AbiCodec
from ftzchain.artifacts import ANCHOR_CONTRACT, Abi
from ftzchain.client import ChainClient, TxSender
from ftzchain.compile import Build
from ftzchain.deploy import Deployment, deploy_contracts, is_live, load_deployment
from ftzchain.errors import NotDeployed

log = logging.getLogger(__name__)


def deploy_anchor(
    client: ChainClient, sender: TxSender, build: Build, manifests_dir: Path
) -> tuple[Deployment, bool]:
    """Deploy FtzAnchor on the external chain unless a live one of this build exists."""
    try:
        existing: Deployment | None = load_deployment(manifests_dir, client.chain_id)
    except NotDeployed:
        existing = None
    if existing is not None and is_live(client, existing, build):
        return existing, False
    return deploy_contracts(client, sender, build, manifests_dir, [(ANCHOR_CONTRACT, ())]), True


@dataclass(frozen=True)
class Anchored:
    block_number: int
    block_hash: str
    anchor_tx: str
    anchor_block: int


class Anchorer:
    """Commits the FTZ chain's latest (confirmed) block hash to the anchor contract."""

    def __init__(
        self,
        ftz: ChainClient,
        sender: TxSender,
        contract: str,
        abi: Abi,
        confirmations: int = 0,
    ) -> None:
        self.ftz = ftz
        self.sender = sender
        self.contract = contract
        self.codec = AbiCodec(abi)
        self.confirmations = confirmations

    def latest(self) -> tuple[int, str]:
        """The last anchored (block number, hash) of this FTZ chain; (0, zero hash) if none."""
        data = self.sender.client.call(
            self.contract, self.codec.encode_call("latestOf", self.ftz.chain_id)
        )
        number, block_hash = self.codec.decode_output("latestOf", data)
        return int(number), "0x" + bytes(block_hash).hex()

    def anchor_once(self) -> Anchored | None:
        """Anchor the newest confirmed block, or return None when it is already anchored."""
        target = self.ftz.block_number() - self.confirmations
        number, block_hash = self.latest()
        if target < 0 or (int(block_hash, 16) != 0 and target <= number):
            return None
        block = self.ftz.rpc.call("eth_getBlockByNumber", [hex(target), False])
        receipt = self.sender.transact(
            self.contract,
            self.codec.encode_call(
                "anchor", self.ftz.chain_id, target, bytes.fromhex(block["hash"][2:])
            ),
        )
        log.info(
            "anchored block %d (%s) in external block %d",
            target,
            block["hash"],
            receipt.block_number,
        )
        return Anchored(target, block["hash"], receipt.tx_hash, receipt.block_number)

    def run(self, interval: float, stop: threading.Event) -> None:
        """Anchor every ``interval`` seconds until ``stop`` is set."""
        while not stop.is_set():
            self.anchor_once()
            stop.wait(interval)
