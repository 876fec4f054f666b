"""Chain source: heads, headers and logs over JSON-RPC (batched where it helps)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from eth_utils.crypto import keccak

from ftzchain.rpc import JsonRpc, RpcError


class RpcLog(msgspec.Struct, gc=False):
    """One log as ``eth_getLogs`` returns it: the fields the indexer reads, as JSON-RPC hex.

    A backfill parses about 1 KB of JSON per log; msgspec decodes it straight into these
    structs (skipping the fields not named here) in about half the time orjson takes to
    build the dicts, and the decoders read attributes instead of dict keys."""

    address: str
    topics: list[str]
    data: str
    blockNumber: str  # noqa: N815 (JSON-RPC names)
    blockHash: str  # noqa: N815
    transactionHash: str  # noqa: N815
    logIndex: str  # noqa: N815
    removed: bool = False


class _RpcErrorObject(msgspec.Struct):
    code: int = 0
    message: str = ""
    data: Any = None


class _LogsReply(msgspec.Struct, gc=False):
    result: list[RpcLog] | None = None
    error: _RpcErrorObject | None = None


_LOGS_REPLY = msgspec.json.Decoder(_LogsReply)


@dataclass(frozen=True)
class BlockHeader:
    number: int
    hash: str
    parent_hash: str
    timestamp: int
    logs_bloom: bytes = b""


def _header(raw: dict[str, Any]) -> BlockHeader:
    bloom = str(raw.get("logsBloom") or "0x")
    return BlockHeader(
        number=int(raw["number"], 16),
        hash=str(raw["hash"]).lower(),
        parent_hash=str(raw["parentHash"]).lower(),
        timestamp=int(raw["timestamp"], 16),
        logs_bloom=bytes.fromhex(bloom[2:]),
    )


def bloom_bits(value: bytes) -> list[int]:
    """The three 2048-bit bloom positions of ``value`` (yellow paper, M3:2048)."""
    digest = keccak(value)
    return [((digest[i] << 8) | digest[i + 1]) & 2047 for i in (0, 2, 4)]


def bloom_may_contain(bloom: bytes, value: bytes) -> bool:
    if len(bloom) != 256:
        return True  # no bloom given: assume it may
    return all(bloom[255 - bit // 8] & (1 << (bit % 8)) for bit in bloom_bits(value))


def _in_chain_order(result: list[RpcLog]) -> list[RpcLog]:
    logs = [entry for entry in result if not entry.removed]
    logs.sort(key=lambda e: (int(e.blockNumber, 16), int(e.logIndex, 16)))
    return logs


class RpcSource:
    """Reads what the indexer needs from one node, for a fixed set of contract addresses."""

    def __init__(self, rpc: JsonRpc, addresses: list[str], topics: list[str]) -> None:
        self.rpc = rpc
        self.addresses = [a.lower() for a in addresses]
        self.topics = topics

    def chain_id(self) -> int:
        return int(self.rpc.call("eth_chainId"), 16)

    def head(self) -> int:
        return int(self.rpc.call("eth_blockNumber"), 16)

    def header(self, number: int) -> BlockHeader:
        raw = self.rpc.call("eth_getBlockByNumber", [hex(number), False])
        if raw is None:
            raise LookupError(f"the node has no block {number}")
        return _header(raw)

    def headers(self, numbers: list[int]) -> dict[int, BlockHeader]:
        """Headers of many blocks in one JSON-RPC batch."""
        raws = self.rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        out = {}
        for n, raw in zip(numbers, raws, strict=True):
            if raw is None:
                raise LookupError(f"the node has no block {n}")
            out[n] = _header(raw)
        return out

    def logs(self, from_block: int, to_block: int) -> list[RpcLog]:
        """Our contracts' logs with known topics in [from_block, to_block], in chain order."""
        query = self._query({"fromBlock": hex(from_block), "toBlock": hex(to_block)})
        raw = self.rpc.post_raw(self.rpc.request("eth_getLogs", [query]))
        try:
            reply = _LOGS_REPLY.decode(raw)
        except msgspec.ValidationError as exc:
            raise RpcError("eth_getLogs", 0, f"malformed answer from the node: {exc}") from exc
        if reply.error is not None:
            err = reply.error
            raise RpcError("eth_getLogs", err.code, err.message, err.data)
        if reply.result is None:
            raise RpcError("eth_getLogs", 0, "no result in the node's answer")
        return _in_chain_order(reply.result)

    def logs_of_blocks(self, block_hashes: list[str]) -> list[list[RpcLog]]:
        """Our logs of each block, asked by hash, in one JSON-RPC batch."""
        results = self.rpc.batch(
            [("eth_getLogs", [self._query({"blockHash": h})]) for h in block_hashes]
        )
        try:
            return [_in_chain_order(msgspec.convert(r, list[RpcLog])) for r in results]
        except msgspec.ValidationError as exc:
            raise RpcError("eth_getLogs", 0, f"malformed answer from the node: {exc}") from exc

    def _query(self, where: dict[str, str]) -> dict[str, Any]:
        return {**where, "address": self.addresses, "topics": [self.topics]}

    def may_hold_our_logs(self, header: BlockHeader) -> bool:
        """False when the block's logsBloom proves none of our contracts logged in it."""
        return any(
            bloom_may_contain(header.logs_bloom, bytes.fromhex(a[2:])) for a in self.addresses
        )
