"""The audit trail of privileged reads: how an entry is hashed into the chain, and the
``AuditTrail`` contract that keeps each zone's committed heads.

An entry is a flat record (sequence number, time, caller, its roles, the zone, the operation,
its target, digests of the request body and of the answer, the owners of what was read). Its
hash is SHA-256 over the previous entry's hash and the entry's canonical JSON (sorted keys,
no spaces, UTF-8), so changing, removing or reordering any entry changes every hash after
it. The first entry's previous hash is 32 zero bytes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from ftzchain.abi import AbiCodec
from ftzchain.client import ChainClient, Receipt, TxSender

GENESIS = "0x" + "00" * 32
ENTRY_FIELDS = (
    "seq",
    "at_ms",
    "caller",
    "roles",
    "zone",
    "operation",
    "target",
    "body_digest",
    "owners",
    "answer_digest",
)


def entry_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    """The hash of ``entry`` (its ENTRY_FIELDS) chained to ``prev_hash`` (0x hex)."""
    canonical = json.dumps(
        {name: entry[name] for name in ENTRY_FIELDS},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    return "0x" + hashlib.sha256(bytes.fromhex(prev_hash[2:]) + canonical).hexdigest()


@dataclass(frozen=True)
class Commitment:
    seq: int
    head: str
    block_number: int
    tx_hash: str
    committer: str


class AuditTrailContract:
    """``AuditTrail``: each zone's committed audit heads."""

    def __init__(self, client: ChainClient, address: str, codec: AbiCodec) -> None:
        self.client = client
        self.address = address
        self.codec = codec

    def commit(self, zone_node: TxSender, zone_id: bytes, seq: int, head: str) -> Receipt:
        data = self.codec.encode_call("commit", zone_id, seq, bytes.fromhex(head[2:]))
        return zone_node.transact(self.address, data)

    def head_of(self, zone_id: bytes) -> tuple[int, str]:
        data = self.client.call(self.address, self.codec.encode_call("headOf", zone_id))
        seq, head = self.codec.decode_output("headOf", data)
        return int(seq), "0x" + bytes(head).hex()

    def commitments(self, zone_id: bytes) -> list[Commitment]:
        """Every commitment of ``zone_id`` on chain, oldest first."""
        topic = self.codec.event_topic("AuditHeadCommitted")
        logs = self.client.rpc.call(
            "eth_getLogs",
            [
                {
                    "address": self.address,
                    "topics": [topic, "0x" + zone_id.hex()],
                    "fromBlock": "0x0",
                    "toBlock": "latest",
                }
            ],
        )
        out = []
        for log in logs:
            data = bytes.fromhex(log["data"][2:])
            out.append(
                Commitment(
                    seq=int(log["topics"][2], 16),
                    head="0x" + data[:32].hex(),
                    block_number=int(log["blockNumber"], 16),
                    tx_hash=str(log["transactionHash"]),
                    committer="0x" + data[44:64].hex(),
                )
            )
        return out
