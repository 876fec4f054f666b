"""Chain source: heads, headers and logs over JSON-RPC (batched where it helps)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ftzchain.rpc import JsonRpc


@dataclass(frozen=True)
class BlockHeader:
    number: int
    hash: str
    parent_hash: str
    timestamp: int


def _header(raw: dict[str, Any]) -> BlockHeader:
    return BlockHeader(
        number=int(raw["number"], 16),
        hash=str(raw["hash"]).lower(),
        parent_hash=str(raw["parentHash"]).lower(),
        timestamp=int(raw["timestamp"], 16),
    )


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

    def logs(self, from_block: int, to_block: int) -> list[dict[str, Any]]:
        """Our contracts' logs with known topics in [from_block, to_block], in chain order."""
        result = self.rpc.call(
            "eth_getLogs",
            [
                {
                    "fromBlock": hex(from_block),
                    "toBlock": hex(to_block),
                    "address": self.addresses,
                    "topics": [self.topics],
                }
            ],
        )
        logs: list[dict[str, Any]] = [entry for entry in result if not entry.get("removed")]
        logs.sort(key=lambda e: (int(e["blockNumber"], 16), int(e["logIndex"], 16)))
        return logs
