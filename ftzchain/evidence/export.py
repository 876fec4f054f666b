"""Build evidence bundles from a node: the record, its transaction and receipt, their
Merkle-Patricia proofs, the block header, validator seals where the chain has them, and the
first external anchor that covers the block.

The bundle is checked by :mod:`ftzchain.evidence.verify`, which shares this module's
encodings and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from trie.hexary import HexaryTrie

from ftzchain.errors import FtzError
from ftzchain.evidence.verify import (
    ANCHORED_SIGNATURE,
    FORMAT_NAME,
    FORMAT_VERSION,
    HEADER_FIELDS,
    IP_REGISTERED_SIGNATURE,
    RlpItem,
    VerificationFailed,
    decode_transaction,
    header_hash,
    keccak256,
    qbft_block_hash,
    receipt_encoding,
    registrations_in_call,
    rlp_encode,
)
from ftzchain.rpc import JsonRpc, RpcError

FORMAT_DESCRIPTION = {
    "summary": "Self-contained evidence of one FTZ Chain IP registration, checkable offline.",
    "chain": "chainId and registry contract address; eip712Domain the enterprise signed under",
    "record": "the registration as decoded from the IpRegistered log and the call data; "
    "signature is the enterprise's 65-byte EIP-712 signature; logPosition is the log's "
    "position within the receipt",
    "block": "hash and every header field as the node reports it (hex); "
    "keccak256(rlp(header fields in consensus order)) must equal hash",
    "transaction": "raw signed transaction (EIP-2718 encoding), its index in the block and "
    "the Merkle-Patricia proof nodes (RLP, root first) for key rlp(index) under transactionsRoot",
    "receipt": "the receipt's consensus fields and its proof under receiptsRoot",
    "seals": "null; or kind qbft (Besu): validators, and the committed seals are the "
    "block header's own extraData; or kind clique: validators (the set the exporter saw at "
    "the block); "
    "checkpoint (the last checkpoint block at or before it, whose extraData lists the set of "
    "its time) and link (the headers between checkpoint and block, whose votes, replayed from "
    "the checkpoint's list, give the set at the block); confirmations (the headers after the "
    "block until more than half of the validators have sealed it or a descendant)",
    "anchor": "null, or: links (headers from the record's block to the anchored block), the "
    "external chain id, anchor contract, the external block header, and the anchor "
    "transaction and receipt with their proofs",
}

_IP_REGISTERED_TOPIC = "0x" + keccak256(IP_REGISTERED_SIGNATURE.encode()).hex()
ANCHORED_TOPIC = "0x" + keccak256(ANCHORED_SIGNATURE.encode()).hex()


class EvidenceError(FtzError):
    """The node's data cannot back a bundle (missing record, inconsistent roots)."""


def header_of(block: dict[str, Any]) -> dict[str, Any]:
    """The header fields of a JSON-RPC block, in consensus order, as the node gave them."""
    header = {name: block[name] for name in HEADER_FIELDS if block.get(name) is not None}
    if "mixHash" not in header and block.get("prevRandao") is not None:
        header["mixHash"] = block["prevRandao"]
        header = {name: header[name] for name in HEADER_FIELDS if name in header}
    if _chain_hash(header) != bytes.fromhex(block["hash"][2:]):
        raise EvidenceError(
            f"block {int(block['number'], 16)}: the node's header fields do not hash to its "
            "block hash (an unsupported header layout?)"
        )
    return header


def _chain_hash(header: dict[str, Any]) -> bytes:
    """The block hash of a header: Keccak-256 of its RLP, or QBFT's rule (without the
    round and the committed seals) for a Besu QBFT header."""
    plain = header_hash(header)
    try:
        return plain if int(header["number"], 16) == 0 else qbft_block_hash(header)
    except VerificationFailed:
        return plain


def _b(value: str | None) -> bytes:
    return bytes.fromhex(value[2:]) if value else b""


def _q(value: str | int | None) -> bytes:
    number = int(value, 16) if isinstance(value, str) else int(value or 0)
    return number.to_bytes((number.bit_length() + 7) // 8, "big")


def raw_transaction(tx: dict[str, Any]) -> bytes:
    """The signed transaction's consensus encoding, rebuilt from its JSON-RPC fields."""
    tx_type = int(tx.get("type", "0x0"), 16)
    access_list: list[RlpItem] = [
        [_b(entry["address"]), [_b(k) for k in entry.get("storageKeys", [])]]
        for entry in tx.get("accessList") or []
    ]
    to = _b(tx.get("to"))
    common_tail: list[RlpItem] = [_q(tx["gas"]), to, _q(tx["value"]), _b(tx["input"])]
    if tx_type == 0:
        fields: list[RlpItem] = [_q(tx["nonce"]), _q(tx["gasPrice"]), *common_tail]
        return rlp_encode([*fields, _q(tx["v"]), _q(tx["r"]), _q(tx["s"])])
    y_parity = _q(tx.get("yParity", tx.get("v")))
    if tx_type == 1:
        body: list[RlpItem] = [_q(tx["chainId"]), _q(tx["nonce"]), _q(tx["gasPrice"])]
    elif tx_type == 2:
        body = [
            _q(tx["chainId"]),
            _q(tx["nonce"]),
            _q(tx["maxPriorityFeePerGas"]),
            _q(tx["maxFeePerGas"]),
        ]
    else:
        raise EvidenceError(f"transaction type {tx_type} is not supported in bundles")
    items: list[RlpItem] = [*body, *common_tail, access_list, y_parity, _q(tx["r"]), _q(tx["s"])]
    return bytes([tx_type]) + rlp_encode(items)


def receipt_fields(receipt: dict[str, Any]) -> dict[str, Any]:
    """The consensus fields of a JSON-RPC receipt (plus its index), as hex strings."""
    return {
        "type": receipt.get("type", "0x0"),
        "status": receipt["status"],
        "cumulativeGasUsed": receipt["cumulativeGasUsed"],
        "logsBloom": receipt["logsBloom"],
        "logs": [
            {"address": log["address"], "topics": log["topics"], "data": log["data"]}
            for log in receipt["logs"]
        ],
        "transactionIndex": receipt["transactionIndex"],
    }


def _proof(values: list[bytes], index: int, root: str, what: str, number: int) -> list[str]:
    trie = HexaryTrie({})
    for i, value in enumerate(values):
        trie[rlp_encode(_q(i))] = value
    if "0x" + trie.root_hash.hex() != root.lower():
        raise EvidenceError(
            f"block {number}: the node's {what} do not reproduce the header's root; "
            "the node's data is inconsistent, ask another node"
        )
    return [
        "0x" + rlp_encode(_as_items(node)).hex()
        for node in trie.get_proof(rlp_encode(_q(index)))  # type: ignore[no-untyped-call]
    ]


def _as_items(node: Any) -> RlpItem:
    if isinstance(node, bytes):
        return node
    return [_as_items(n) for n in node]


@dataclass(frozen=True)
class BlockEvidence:
    header: dict[str, Any]
    tx_raw: bytes
    tx_proof: list[str]
    receipt: dict[str, Any]
    receipt_proof: list[str]


def block_evidence(rpc: JsonRpc, tx_hash: str) -> BlockEvidence:
    """Header, raw transaction and receipt of ``tx_hash``, with their inclusion proofs."""
    located = rpc.call("eth_getTransactionReceipt", [tx_hash])
    if located is None:
        raise EvidenceError(f"transaction {tx_hash} is not on this chain")
    block = rpc.call("eth_getBlockByHash", [located["blockHash"], True])
    if block is None:
        raise EvidenceError(f"block {located['blockHash']} is gone (a reorg?); export again")
    number = int(block["number"], 16)
    header = header_of(block)
    receipts = _block_receipts(rpc, block)
    raws = [raw_transaction(tx) for tx in block["transactions"]]
    for raw, tx in zip(raws, block["transactions"], strict=True):
        if "0x" + keccak256(raw).hex() != tx["hash"].lower():
            raise EvidenceError(
                f"could not rebuild transaction {tx['hash']} from the node's fields"
            )
    index = int(located["transactionIndex"], 16)
    encoded = [receipt_encoding(receipt_fields(r)) for r in receipts]
    return BlockEvidence(
        header=header,
        tx_raw=raws[index],
        tx_proof=_proof(raws, index, block["transactionsRoot"], "transactions", number),
        receipt=receipt_fields(receipts[index]),
        receipt_proof=_proof(encoded, index, block["receiptsRoot"], "receipts", number),
    )


def _block_receipts(rpc: JsonRpc, block: dict[str, Any]) -> list[dict[str, Any]]:
    try:
        receipts = rpc.call("eth_getBlockReceipts", [block["hash"]])
    except RpcError:
        receipts = None  # ganache and older nodes: one receipt per transaction, batched
    if receipts is None:
        receipts = rpc.batch(
            [("eth_getTransactionReceipt", [tx["hash"]]) for tx in block["transactions"]]
        )
    ordered: list[dict[str, Any]] = sorted(receipts, key=lambda r: int(r["transactionIndex"], 16))
    return ordered


CLIQUE_EPOCH = 30_000  # geth's default; checkpoint blocks list the validators in extraData
MAX_LINK_HEADERS = 1_024  # headers from the checkpoint to the block a bundle carries at most


def _headers(rpc: JsonRpc, first: int, last: int) -> list[dict[str, Any]]:
    """The headers of blocks ``first``..``last`` (inclusive) as the node has them."""
    if last < first:
        return []
    blocks = rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in range(first, last + 1)])
    return [header_of(b) for b in blocks if b is not None]


def _sealer(rpc: JsonRpc, block_hash: str) -> str:
    return str(rpc.call("clique_getSigner", [block_hash])).lower()


def _clique_epoch(rpc: JsonRpc) -> int:
    """The chain's Clique epoch from the node's chain config (geth's admin API), else geth's
    default."""
    try:
        info = rpc.call("admin_nodeInfo")
        return int(info["protocols"]["eth"]["config"]["clique"]["epoch"])
    except (RpcError, KeyError, TypeError, ValueError):
        return CLIQUE_EPOCH


def _listed(extra_data: str) -> list[str]:
    listed = bytes.fromhex(extra_data[2:])[32:-65]
    return sorted("0x" + listed[i : i + 20].hex() for i in range(0, len(listed), 20))


def chain_seals(rpc: JsonRpc, header: dict[str, Any]) -> dict[str, Any] | None:
    """The seals section for the block: Clique (geth), QBFT (Besu), or None (a development
    chain whose blocks nobody seals)."""
    clique = clique_seals(rpc, header)
    if clique is not None:
        return clique
    try:
        validators = rpc.call("qbft_getValidatorsByBlockHash", ["0x" + _chain_hash(header).hex()])
    except RpcError:
        return None
    return {"kind": "qbft", "validators": sorted(str(v).lower() for v in validators)}


def clique_seals(rpc: JsonRpc, header: dict[str, Any]) -> dict[str, Any] | None:
    """The Clique seals backing the block, when the node runs Clique; else None.

    - ``validators``: the set at the block, as the node reports it;
    - ``checkpoint``: the last checkpoint block at or before it (the genesis on young chains),
      whose extraData lists the validators of that time, and ``link``: the headers between
      the checkpoint and the block (up to MAX_LINK_HEADERS). A verifier replays the votes in
      them from the checkpoint's list, so the set at the block is signed into the chain
      rather than reported by the exporting node;
    - ``confirmations``: the headers after the block, up to the first at which more than half
      of the validators have sealed the block or a descendant of it (as far as the chain has
      come when exported).
    """
    try:
        signers = rpc.call("clique_getSignersAtHash", [("0x" + header_hash(header).hex())])
    except RpcError:
        return None
    validators = sorted(s.lower() for s in signers)
    seals: dict[str, Any] = {"kind": "clique", "validators": validators}
    number = int(header["number"], 16)
    checkpoint = number - number % _clique_epoch(rpc)
    block = rpc.call("eth_getBlockByNumber", [hex(checkpoint), False])
    if block is not None and checkpoint < number:
        if number - checkpoint - 1 <= MAX_LINK_HEADERS:
            seals["checkpoint"] = {"hash": block["hash"], "header": header_of(block)}
            seals["link"] = _headers(rpc, checkpoint + 1, number - 1)
        elif _listed(block["extraData"]) == validators:  # no link: only if the sets agree
            seals["checkpoint"] = {"hash": block["hash"], "header": header_of(block)}
    sealed = {_sealer(rpc, "0x" + header_hash(header).hex())}
    confirmations: list[dict[str, Any]] = []
    head = int(rpc.call("eth_blockNumber"), 16)
    while len(sealed) * 2 <= len(validators) and number + len(confirmations) < head:
        (child,) = _headers(rpc, number + len(confirmations) + 1, number + len(confirmations) + 1)
        confirmations.append(child)
        sealed.add(_sealer(rpc, "0x" + header_hash(child).hex()))
    seals["confirmations"] = confirmations
    return seals


@dataclass(frozen=True)
class AnchorSource:
    """Where anchors of this chain are committed."""

    rpc: JsonRpc
    contract: str
    chain_id: int


def find_anchor(
    rpc: JsonRpc, source: AnchorSource, chain_id: int, block_number: int, block_hash: str
) -> dict[str, Any] | None:
    """The anchor section for the first anchor at or above ``block_number``, or None."""
    logs = source.rpc.call(
        "eth_getLogs",
        [
            {
                "address": source.contract,
                "topics": [ANCHORED_TOPIC, "0x" + chain_id.to_bytes(32, "big").hex()],
                "fromBlock": "0x0",
                "toBlock": "latest",
            }
        ],
    )
    candidates = sorted(
        (log for log in logs if int(log["topics"][2], 16) >= block_number),
        key=lambda log: int(log["topics"][2], 16),
    )
    if not candidates:
        return None
    log = candidates[0]
    anchored_number = int(log["topics"][2], 16)
    anchored_hash = "0x" + log["data"][2:66]
    links = []
    if anchored_number > block_number:
        blocks = rpc.batch(
            [
                ("eth_getBlockByNumber", [hex(n), False])
                for n in range(block_number + 1, anchored_number + 1)
            ]
        )
        links = [header_of(b) for b in blocks]
        if links[0]["parentHash"] != block_hash:
            raise EvidenceError("the chain moved under the record's block while exporting")
    tip = blocks[-1]["hash"] if links else block_hash
    if tip != anchored_hash:
        return None  # anchored a block of another branch (a reorg since): not usable
    outer = block_evidence(source.rpc, log["transactionHash"])
    return {
        "chainId": source.chain_id,
        "contract": source.contract,
        "links": links,
        "block": {"hash": "0x" + header_hash(outer.header).hex(), "header": outer.header},
        "transaction": {"raw": "0x" + outer.tx_raw.hex(), "proof": outer.tx_proof},
        "receipt": {**outer.receipt, "proof": outer.receipt_proof},
    }


def export_ip_bundle(
    rpc: JsonRpc,
    chain_id: int,
    registry: str,
    tx_hash: str,
    content_hash: bytes,
    domain: dict[str, str],
    anchor: AnchorSource | None = None,
) -> dict[str, Any]:
    """The evidence bundle of the registration of ``content_hash`` made in ``tx_hash``."""
    evidence = block_evidence(rpc, tx_hash)
    topic = "0x" + content_hash.hex()
    positions = [
        i
        for i, log in enumerate(evidence.receipt["logs"])
        if log["address"].lower() == registry.lower()
        and log["topics"][0] == _IP_REGISTERED_TOPIC
        and log["topics"][1].lower() == topic
    ]
    if not positions:
        raise EvidenceError(f"transaction {tx_hash} did not register {topic}")
    log = evidence.receipt["logs"][positions[0]]
    data = bytes.fromhex(log["data"][2:])
    signed = {
        reg["contentHash"]: (reg, sig)
        for reg, sig in registrations_in_call(decode_transaction(evidence.tx_raw).data)
    }
    reg, signature = signed[content_hash]
    block_hash = "0x" + header_hash(evidence.header).hex()
    number = int(evidence.header["number"], 16)
    record = {
        "kind": "IpRegistered",
        "contentHash": topic,
        "zoneId": log["topics"][2],
        "owner": "0x" + log["topics"][3][-40:],
        "workType": int.from_bytes(data[0:32], "big"),
        "titleHash": "0x" + data[32:64].hex(),
        "submitter": "0x" + data[76:96].hex(),
        "nonce": int.from_bytes(data[96:128], "big"),
        "registeredAt": int.from_bytes(data[128:160], "big"),
        "deadline": reg["deadline"],
        "signature": "0x" + signature.hex(),
        "logPosition": positions[0],
    }
    return {
        "format": {"name": FORMAT_NAME, "version": FORMAT_VERSION, "fields": FORMAT_DESCRIPTION},
        "exportedAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "chain": {"chainId": chain_id, "contract": registry.lower(), "eip712Domain": domain},
        "record": record,
        "block": {"hash": block_hash, "header": evidence.header},
        "transaction": {
            "hash": tx_hash.lower(),
            "index": int(evidence.receipt["transactionIndex"], 16),
            "raw": "0x" + evidence.tx_raw.hex(),
            "proof": evidence.tx_proof,
        },
        "receipt": {
            **{k: v for k, v in evidence.receipt.items() if k != "transactionIndex"},
            "proof": evidence.receipt_proof,
        },
        "seals": chain_seals(rpc, evidence.header),
        "anchor": find_anchor(rpc, anchor, chain_id, number, block_hash) if anchor else None,
    }
