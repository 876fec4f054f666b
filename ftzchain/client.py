"""The transaction client: checked connection, local nonces, EIP-1559 fees, receipts, reverts."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils.crypto import keccak

from ftzchain.errors import ChainIdMismatch, ContractRevert, NodeUnavailable, TransactionError
from ftzchain.reverts import RevertDecoder, revert_data_from_rpc
from ftzchain.rpc import JsonRpc, RpcError
from ftzchain.signing import Signer

log = logging.getLogger(__name__)

_GAS_HEADROOM = 1.2
_DEFAULT_TIP = 1_000_000_000  # 1 gwei, when the node has no eth_maxPriorityFeePerGas
# How geth/anvil/Besu ("nonce too low/high") and ganache ("correct nonce") refuse a stale nonce.
_NONCE_ERRORS = ("nonce too low", "nonce too high", "correct nonce", "invalid nonce")


@dataclass(frozen=True)
class Receipt:
    """The parts of a receipt callers use."""

    tx_hash: str
    block_number: int
    block_hash: str
    gas_used: int
    status: int
    logs: list[dict[str, Any]]
    contract_address: str | None


class ChainClient:
    """A JSON-RPC connection to one chain whose id has been checked."""

    def __init__(
        self,
        rpc_url: str,
        decoder: RevertDecoder,
        expected_chain_id: int | None = None,
        tx_timeout: float = 120.0,
        rpc_timeout: float = 30.0,
        fallback_urls: Sequence[str] = (),
    ) -> None:
        self.rpc = JsonRpc(rpc_url, timeout=rpc_timeout, fallbacks=fallback_urls)
        self.decoder = decoder
        self.tx_timeout = tx_timeout
        # Read your own writes: the highest block a receipt was seen in that reads of
        # ``latest`` may not have reached yet (geth answers from the parent block for a moment).
        self._floor: tuple[int, str] = (0, "")
        self._floor_lock = threading.Lock()
        self.chain_id = int(self.rpc.call("eth_chainId"), 16)
        if expected_chain_id is not None and self.chain_id != expected_chain_id:
            self.rpc.close()
            raise ChainIdMismatch(
                f"{rpc_url} serves chain {self.chain_id}, not the configured {expected_chain_id}:"
                " point FTZ_RPC_URL at the right node or fix FTZ_CHAIN_ID"
            )
        self.rpc.chain_id = self.chain_id

    def close(self) -> None:
        self.rpc.close()

    def genesis_hash(self) -> str:
        return str(self.rpc.call("eth_getBlockByNumber", ["0x0", False])["hash"])

    def block_number(self) -> int:
        return int(self.rpc.call("eth_blockNumber"), 16)

    def _saw_block(self, number: int, block_hash: str) -> None:
        with self._floor_lock:
            if number > self._floor[0]:
                self._floor = (number, block_hash)

    def catch_up(self, timeout: float | None = None) -> None:
        """Wait until the node's head has reached the newest block a receipt came from, so the
        next read of ``latest`` sees our own writes (polls with back-off; a no-op when it has).
        A block that is gone (a reorg, a reverted dev chain) is not waited for."""
        floor, floor_hash = self._floor
        if floor == 0:
            return
        deadline = time.monotonic() + (timeout or self.tx_timeout)
        delay = 0.002
        while (head := self.block_number()) < floor:
            if self.rpc.call("eth_getBlockByHash", [floor_hash, False]) is None:
                break  # that block is no longer in the chain: nothing to wait for
            if time.monotonic() > deadline:
                raise NodeUnavailable(
                    f"the node's head stays at block {head}, behind block {floor} of a receipt "
                    "it gave: is it syncing or serving a stale view?"
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 0.25)
        with self._floor_lock:
            if self._floor[0] <= max(head, floor):
                self._floor = (0, "")

    def latest_timestamp(self) -> int:
        """The latest block's time (a devnet's clock may run ahead of this machine's)."""
        self.catch_up()
        latest = self.rpc.call("eth_getBlockByNumber", ["latest", False])
        return int(latest["timestamp"], 16)

    def signature_deadline(self, ttl: int = 3600) -> int:
        """A deadline ``ttl`` seconds ahead, by whichever is later: this clock or the chain's
        (dev chains whose time was moved forward)."""
        return max(int(time.time()), self.latest_timestamp()) + ttl

    def get_code(self, address: str) -> bytes:
        return bytes.fromhex(str(self.rpc.call("eth_getCode", [address, "latest"]))[2:])

    def call(self, to: str, data: bytes, block: str = "latest", sender: str | None = None) -> bytes:
        """eth_call; a revert raises the decoded :class:`ContractRevert`."""
        tx: dict[str, Any] = {"to": to, "data": "0x" + data.hex()}
        if sender:
            tx["from"] = sender
        if block == "latest":
            self.catch_up()
        try:
            return bytes.fromhex(str(self.rpc.call("eth_call", [tx, block]))[2:])
        except RpcError as exc:
            raise self._revert_or_raise(exc) from exc

    def fees(self) -> tuple[int, int]:
        """(maxFeePerGas, maxPriorityFeePerGas): twice the base fee plus the tip."""
        latest = self.rpc.call("eth_getBlockByNumber", ["latest", False])
        base = int(latest.get("baseFeePerGas") or "0x0", 16)
        try:
            tip = int(self.rpc.call("eth_maxPriorityFeePerGas"), 16)
        except RpcError:
            tip = _DEFAULT_TIP
        return 2 * base + tip, tip

    def _revert_or_raise(self, exc: RpcError, tx_hash: str | None = None) -> Exception:
        data = revert_data_from_rpc(exc.data)
        if data is not None:
            return self.decoder.decode(data, tx_hash)
        if "revert" in exc.rpc_message.lower():
            return ContractRevert(None, {}, b"", tx_hash)
        return exc

    def estimate_gas(self, sender: str, to: str | None, data: bytes, value: int = 0) -> int:
        tx: dict[str, Any] = {"from": sender, "data": "0x" + data.hex(), "value": hex(value)}
        if to is not None:
            tx["to"] = to
        self.catch_up()
        try:
            return int(self.rpc.call("eth_estimateGas", [tx]), 16)
        except RpcError as exc:
            raise self._revert_or_raise(exc) from exc

    def wait_for_receipt(self, tx_hash: str, timeout: float | None = None) -> Receipt:
        """Poll for the receipt (backing off from 2 ms to 500 ms) until mined or timed out."""
        deadline = time.monotonic() + (timeout or self.tx_timeout)
        delay = 0.002
        while True:
            try:
                raw = self.rpc.call("eth_getTransactionReceipt", [tx_hash])
            except RpcError as exc:
                if "indexing is in progress" not in exc.rpc_message:
                    raise
                raw = None  # geth right after start: its transaction index is being built
            if raw is not None:
                receipt = _receipt(raw)
                self._saw_block(receipt.block_number, receipt.block_hash)
                return receipt
            if time.monotonic() > deadline:
                raise TransactionError(
                    f"transaction {tx_hash} was not mined within {timeout or self.tx_timeout:.0f}s:"
                    " is the node mining? check `ftz devnet status` or the node's log"
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)


class TxSender:
    """Sends transactions for one key, with a local nonce counter seeded once and guarded."""

    def __init__(self, client: ChainClient, signer: Signer) -> None:
        self.client = client
        self.signer = signer
        self._lock = threading.Lock()
        self._nonce: int | None = None

    @property
    def address(self) -> str:
        return self.signer.address

    def resync_nonce(self) -> int:
        with self._lock:
            self._nonce = int(
                self.client.rpc.call("eth_getTransactionCount", [self.address, "pending"]), 16
            )
            return self._nonce

    def _take_nonce(self) -> int:
        with self._lock:
            if self._nonce is None:
                self._nonce = int(
                    self.client.rpc.call("eth_getTransactionCount", [self.address, "pending"]), 16
                )
            nonce = self._nonce
            self._nonce += 1
            return nonce

    def send(
        self,
        to: str | None,
        data: bytes,
        gas: int | None = None,
        value: int = 0,
        fees: tuple[int, int] | None = None,
    ) -> str:
        """Estimate (a revert raises here, decoded), sign and send; returns the tx hash.

        ``gas`` and ``fees`` (maxFeePerGas, maxPriorityFeePerGas) skip the node round trips.
        """
        if gas is None:
            gas = int(self.client.estimate_gas(self.address, to, data, value) * _GAS_HEADROOM)
        max_fee, tip = fees or self.client.fees()
        for attempt in range(2):
            raw, nonce = self._sign_next(to, data, gas, value, (max_fee, tip))
            try:
                return str(self.client.rpc.call("eth_sendRawTransaction", ["0x" + raw.hex()]))
            except RpcError as exc:
                message = exc.rpc_message.lower()
                if attempt == 0 and any(m in message for m in _NONCE_ERRORS):
                    log.warning("nonce %d refused (%s); resyncing from the node", nonce, message)
                    self.resync_nonce()
                    continue
                self.resync_nonce()
                raise self.client._revert_or_raise(exc) from exc
        raise TransactionError("unreachable")  # pragma: no cover

    def sign(
        self, to: str, data: bytes, gas: int, fees: tuple[int, int] | None = None
    ) -> tuple[bytes, int, str]:
        """Sign (not send) a call with the next local nonce: (raw, nonce, tx hash).

        For writers that persist a transaction before broadcasting it.
        """
        raw, nonce = self._sign_next(to, data, gas, 0, fees or self.client.fees())
        return raw, nonce, "0x" + keccak(raw).hex()

    def _sign_next(
        self, to: str | None, data: bytes, gas: int, value: int, fees: tuple[int, int]
    ) -> tuple[bytes, int]:
        """An EIP-1559 transaction signed with the next local nonce: (raw, nonce)."""
        nonce = self._take_nonce()
        tx: dict[str, Any] = {
            "type": 2,
            "chainId": self.client.chain_id,
            "nonce": nonce,
            "gas": gas,
            "maxFeePerGas": fees[0],
            "maxPriorityFeePerGas": fees[1],
            "value": value,
            "data": data,
        }
        if to is not None:
            tx["to"] = to
        return self.signer.sign_transaction(tx), nonce

    def transact(self, to: str | None, data: bytes, gas: int | None = None) -> Receipt:
        """Send and wait; a mined-but-reverted transaction raises its decoded error."""
        tx_hash = self.send(to, data, gas)
        receipt = self.client.wait_for_receipt(tx_hash)
        if receipt.status != 1:
            self._raise_mined_revert(to, data, receipt)
        return receipt

    def _raise_mined_revert(self, to: str | None, data: bytes, receipt: Receipt) -> None:
        """Replay the call at its block to recover the revert data."""
        try:
            if to is not None:
                self.client.call(to, data, hex(receipt.block_number), sender=self.address)
        except ContractRevert as exc:
            exc.tx_hash = receipt.tx_hash
            raise
        raise TransactionError(f"transaction {receipt.tx_hash} reverted (status 0)")


def _receipt(raw: dict[str, Any]) -> Receipt:
    return Receipt(
        tx_hash=str(raw["transactionHash"]),
        block_number=int(raw["blockNumber"], 16),
        block_hash=str(raw["blockHash"]),
        gas_used=int(raw["gasUsed"], 16),
        status=int(raw.get("status") or "0x1", 16),
        logs=list(raw.get("logs") or []),
        contract_address=raw.get("contractAddress"),
    )
