"""Offline verifier of FTZ Chain evidence bundles.

This module is meant to be read by a court's expert: it imports nothing from the rest of FTZ
Chain, opens no socket, and needs only the Python standard library, ``pycryptodome`` (Keccak-256)
and ``coincurve`` (secp256k1 public-key recovery). It checks, in order, and stops at the first
link that fails:

1. format       the bundle names a format version this verifier knows;
2. header       Keccak-256 of the RLP-encoded block header equals the block hash;
3. seals        (chains with Clique seals) the header is sealed by a validator of the given set;
4. transaction  the raw transaction is the one at its index under the header's transactionsRoot
                (Merkle-Patricia proof), and its signature recovers the submitting zone node;
5. receipt      the receipt is the one at that index under the header's receiptsRoot;
6. log          the receipt's log was emitted by the registry contract and is an ``IpRegistered``;
7. record       the record's fields equal the log's and the transaction's;
8. signature    the enterprise's EIP-712 signature recovers the record's owner;
9. anchor       (when present) the block is an ancestor of a block whose hash was committed to an
                independent chain, proven the same way against that chain's header.

A verdict that passes says what the court still has to trust: the block hash itself, which it can
compare with any node of the chain, with the validators' seals, or with the external anchor.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import coincurve
from Crypto.Hash import keccak as _keccak

FORMAT_NAME = "ftz-evidence"
FORMAT_VERSION = 1

IP_REGISTERED_SIGNATURE = (
    "IpRegistered(bytes32,bytes32,address,uint8,bytes32,address,uint256,uint64)"
)
ANCHORED_SIGNATURE = "Anchored(uint256,uint256,bytes32,address)"
REGISTRATION_TYPE = (
    "IpRegistration(bytes32 contentHash,uint8 workType,bytes32 titleHash,bytes32 zoneId,"
    "address owner,uint256 nonce,uint64 deadline)"
)
DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
# register((bytes32,uint8,bytes32,bytes32,address,uint64),bytes) and the batch form
REGISTER_SIGNATURE = "register((bytes32,uint8,bytes32,bytes32,address,uint256,uint64),bytes)"
REGISTER_BATCH_SIGNATURE = (
    "registerBatch((bytes32,uint8,bytes32,bytes32,address,uint256,uint64)[],bytes[])"
)
REGISTER_SIGNED_SIGNATURE = "registerSigned(address,bytes32,uint64,(bytes32,uint8,bytes32)[],bytes)"
ITEM_TYPE = "IpItem(bytes32 contentHash,uint8 workType,bytes32 titleHash)"
BATCH_TYPE = "IpBatch(address owner,bytes32 zoneId,IpItem[] items,uint64 deadline)" + ITEM_TYPE
BATCH_NONCE = 2**256 - 1  # the log's nonce for works registered under one batch signature

# Header fields in RLP order; later forks append fields, and a header carries a prefix of them.
HEADER_FIELDS = (
    "parentHash",
    "sha3Uncles",
    "miner",
    "stateRoot",
    "transactionsRoot",
    "receiptsRoot",
    "logsBloom",
    "difficulty",
    "number",
    "gasLimit",
    "gasUsed",
    "timestamp",
    "extraData",
    "mixHash",
    "nonce",
    "baseFeePerGas",  # London
    "withdrawalsRoot",  # Shanghai
    "blobGasUsed",  # Cancun
    "excessBlobGas",
    "parentBeaconBlockRoot",
    "requestsHash",  # Prague
)
HEADER_INTEGERS = frozenset(
    {
        "difficulty",
        "number",
        "gasLimit",
        "gasUsed",
        "timestamp",
        "baseFeePerGas",
        "blobGasUsed",
        "excessBlobGas",
    }
)
CLIQUE_VANITY, CLIQUE_SEAL = 32, 65
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


class VerificationFailed(Exception):
    """One link of the evidence chain does not hold."""

    def __init__(self, link: str, reason: str) -> None:
        super().__init__(f"{link}: {reason}")
        self.link = link
        self.reason = reason


@dataclass
class Verdict:
    """The outcome: ``ok`` with the facts established, or the first link that failed."""

    ok: bool
    failed_link: str | None = None
    reason: str | None = None
    checked: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    trust: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "valid": self.ok,
            "failedLink": self.failed_link,
            "reason": self.reason,
            "checked": self.checked,
            "facts": self.facts,
            "trust": self.trust,
        }

    def human(self) -> str:
        lines = []
        if self.ok:
            lines.append("VERIFIED: every link of the evidence holds.")
        else:
            lines.append(f"NOT VERIFIED: the {self.failed_link} link fails: {self.reason}")
        for link in self.checked:
            lines.append(f"  ok  {link}")
        for key, value in self.facts.items():
            lines.append(f"  {key}: {value}")
        if self.ok:
            lines.append("What remains to trust:")
            lines.extend(f"  - {t}" for t in self.trust)
        return "\n".join(lines)


# --- primitives --------------------------------------------------------------------------


def keccak256(data: bytes) -> bytes:
    return _keccak.new(digest_bits=256, data=data).digest()


def _hex(value: Any, link: str, name: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise VerificationFailed(link, f"{name} is not a 0x-prefixed hex string")
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        raise VerificationFailed(link, f"{name} is not valid hex") from None


def _int(value: Any, link: str, name: str) -> int:
    """An integer given as a JSON number or a 0x-prefixed hex quantity."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return int(value[2:] or "0", 16)
        except ValueError:
            pass
    raise VerificationFailed(link, f"{name} is not an integer")


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


RlpItem = bytes | list["RlpItem"]


def rlp_encode(item: RlpItem) -> bytes:
    if isinstance(item, bytes):
        if len(item) == 1 and item[0] < 0x80:
            return item
        return _rlp_length(len(item), 0x80) + item
    payload = b"".join(rlp_encode(i) for i in item)
    return _rlp_length(len(payload), 0xC0) + payload


def _rlp_length(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes([offset + length])
    encoded = _int_bytes(length)
    return bytes([offset + 55 + len(encoded)]) + encoded


def rlp_decode(data: bytes) -> RlpItem:
    item, end = _rlp_item(data, 0)
    if end != len(data):
        raise ValueError("trailing bytes after RLP item")
    return item


def _rlp_item(data: bytes, pos: int) -> tuple[RlpItem, int]:
    if pos >= len(data):
        raise ValueError("RLP item runs past the end")
    first = data[pos]
    if first < 0x80:
        return data[pos : pos + 1], pos + 1
    if first < 0xC0:
        length, start = _rlp_span(data, pos, 0x80)
        if start + length > len(data):
            raise ValueError("RLP string runs past the end")
        return data[start : start + length], start + length
    length, start = _rlp_span(data, pos, 0xC0)
    end = start + length
    if end > len(data):
        raise ValueError("RLP list runs past the end")
    items: list[RlpItem] = []
    cursor = start
    while cursor < end:
        item, cursor = _rlp_item(data, cursor)
        items.append(item)
    if cursor != end:
        raise ValueError("RLP list length mismatch")
    return items, end


def _rlp_span(data: bytes, pos: int, offset: int) -> tuple[int, int]:
    short = data[pos] - offset
    if short < 56:
        return short, pos + 1
    size = short - 55
    return int.from_bytes(data[pos + 1 : pos + 1 + size], "big"), pos + 1 + size


def recover_address(digest: bytes, r: int, s: int, y_parity: int) -> str:
    """The address whose key made (r, s, y) over ``digest``; raises ValueError if none."""
    if not (0 < r < SECP256K1_N and 0 < s <= SECP256K1_N // 2) or y_parity not in (0, 1):
        raise ValueError("signature values out of range (r, s or recovery id)")
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([y_parity])
    public = coincurve.PublicKey.from_signature_and_message(signature, digest, hasher=None)
    return "0x" + keccak256(public.format(compressed=False)[1:])[12:].hex()


def _recover_65(digest: bytes, signature: bytes) -> str:
    if len(signature) != 65:
        raise ValueError(f"signature is {len(signature)} bytes, not 65")
    v = signature[64]
    return recover_address(
        digest,
        int.from_bytes(signature[:32], "big"),
        int.from_bytes(signature[32:64], "big"),
        v - 27 if v >= 27 else v,
    )


# --- chain structures --------------------------------------------------------------------


def header_rlp_items(header: dict[str, Any], link: str = "header") -> list[RlpItem]:
    """The header as RLP items, from named hex fields (a prefix of HEADER_FIELDS)."""
    items: list[RlpItem] = []
    present = [name for name in HEADER_FIELDS if name in header]
    if present != list(HEADER_FIELDS[: len(present)]) or len(present) < 15:
        raise VerificationFailed(link, "header fields are missing or out of order")
    for name in present:
        if name in HEADER_INTEGERS:
            items.append(_int_bytes(_int(header[name], link, name)))
        else:
            items.append(_hex(header[name], link, name))
    return items


def header_hash(header: dict[str, Any], link: str = "header") -> bytes:
    return keccak256(rlp_encode(header_rlp_items(header, link)))


def _nibbles(key: bytes) -> list[int]:
    out = []
    for byte in key:
        out += [byte >> 4, byte & 0x0F]
    return out


def verify_mpt_proof(root: bytes, key: bytes, proof: list[bytes], link: str) -> bytes:
    """The value stored under ``key`` in the Merkle-Patricia trie with ``root``.

    Every proof node must be on the path, in order, each the Keccak-256 preimage of the
    reference its parent holds.
    """
    path = _nibbles(key)
    expected: bytes | list[RlpItem] = root
    for index, encoded in enumerate(proof):
        if isinstance(expected, bytes):
            if keccak256(encoded) != expected:
                raise VerificationFailed(
                    link, f"proof node {index} does not hash to the reference above it"
                )
            try:
                node = rlp_decode(encoded)
            except ValueError as exc:
                raise VerificationFailed(link, f"proof node {index} is not RLP: {exc}") from None
        else:
            raise VerificationFailed(link, f"proof node {index} is embedded, not referenced")
        if not isinstance(node, list):
            raise VerificationFailed(link, f"proof node {index} is not a list")
        is_last = index == len(proof) - 1
        if len(node) == 17:
            if not path:
                value = node[16]
                if not is_last or not isinstance(value, bytes) or not value:
                    raise VerificationFailed(link, f"proof ends badly at branch node {index}")
                return value
            child = node[path[0]]
            path = path[1:]
        elif len(node) == 2 and isinstance(node[0], bytes):
            encoded_path = _nibbles(node[0])
            if not encoded_path:
                raise VerificationFailed(link, f"proof node {index} has an empty path")
            flag = encoded_path[0]
            segment = encoded_path[2:] if flag in (0, 2) else encoded_path[1:]
            if path[: len(segment)] != segment:
                raise VerificationFailed(link, f"key leaves the proven path at node {index}")
            path = path[len(segment) :]
            if flag >= 2:  # leaf
                value = node[1]
                if path or not is_last or not isinstance(value, bytes):
                    raise VerificationFailed(link, f"leaf at proof node {index} is not the key's")
                return value
            child = node[1]
        else:
            raise VerificationFailed(
                link, f"proof node {index} is neither branch, leaf nor extension"
            )
        if isinstance(child, bytes):
            if len(child) != 32:
                raise VerificationFailed(link, f"proof node {index} has no child on the key's path")
            expected = child
        else:
            expected = child
    raise VerificationFailed(link, "proof ends before reaching the key")


def receipt_encoding(receipt: dict[str, Any], link: str = "receipt") -> bytes:
    """The consensus encoding of a receipt (EIP-2718 typed, or legacy RLP)."""
    logs: list[RlpItem] = []
    for i, log in enumerate(receipt.get("logs", [])):
        topics: list[RlpItem] = [_hex(t, link, f"logs[{i}].topics") for t in log["topics"]]
        logs.append(
            [
                _hex(log["address"], link, f"logs[{i}].address"),
                topics,
                _hex(log["data"], link, f"logs[{i}].data"),
            ]
        )
    body = rlp_encode(
        [
            _int_bytes(_int(receipt["status"], link, "status")),
            _int_bytes(_int(receipt["cumulativeGasUsed"], link, "cumulativeGasUsed")),
            _hex(receipt["logsBloom"], link, "logsBloom"),
            logs,
        ]
    )
    tx_type = _int(receipt["type"], link, "type")
    return body if tx_type == 0 else bytes([tx_type]) + body


@dataclass(frozen=True)
class SignedTransaction:
    chain_id: int | None
    to: bytes
    data: bytes
    sender: str


def decode_transaction(raw: bytes, link: str = "transaction") -> SignedTransaction:
    """Parse a signed transaction (legacy, EIP-2930, EIP-1559) and recover its sender."""
    try:
        if raw and raw[0] in (1, 2):
            fields = rlp_decode(raw[1:])
            if not isinstance(fields, list):
                raise ValueError("not a list")
            body, (y_item, r_item, s_item) = fields[:-3], fields[-3:]
            to_index = 4 if raw[0] == 1 else 5
            digest = keccak256(raw[:1] + rlp_encode(body))
            sender = recover_address(digest, _b2i(r_item), _b2i(s_item), _b2i(y_item))
            chain_id: int | None = _b2i(fields[0])
            to, data = fields[to_index], fields[to_index + 2]
        else:
            fields = rlp_decode(raw)
            if not isinstance(fields, list) or len(fields) != 9:
                raise ValueError("a legacy transaction has 9 fields")
            v, r, s = (_b2i(x) for x in fields[6:])
            if v in (27, 28):
                chain_id, payload = None, fields[:6]
                y_parity = v - 27
            else:
                chain_id = (v - 35) // 2
                y_parity = (v - 35) % 2
                payload = [*fields[:6], _int_bytes(chain_id), b"", b""]
            sender = recover_address(keccak256(rlp_encode(payload)), r, s, y_parity)
            to, data = fields[3], fields[5]
    except (ValueError, IndexError, TypeError) as exc:
        raise VerificationFailed(link, f"the raw transaction does not parse: {exc}") from None
    if not isinstance(to, bytes) or not isinstance(data, bytes):
        raise VerificationFailed(link, "the raw transaction's target or input is malformed")
    return SignedTransaction(chain_id, to, data, sender)


def _b2i(item: RlpItem) -> int:
    if not isinstance(item, bytes):
        raise ValueError("expected a scalar")
    return int.from_bytes(item, "big")


def _selector(signature: str) -> bytes:
    return keccak256(signature.encode())[:4]


def _word(data: bytes, offset: int) -> bytes:
    if offset < 0 or offset + 32 > len(data):
        raise ValueError("call data ends early")
    return data[offset : offset + 32]


def _uint(data: bytes, offset: int) -> int:
    return int.from_bytes(_word(data, offset), "big")


def _bytes_at(data: bytes, offset: int) -> bytes:
    length = _uint(data, offset)
    if offset + 32 + length > len(data):
        raise ValueError("dynamic bytes run past the end")
    return data[offset + 32 : offset + 32 + length]


_REGISTRATION_BYTES = 7 * 32  # the Registration struct's words in call data


def registrations_in_call(data: bytes) -> list[tuple[dict[str, Any], bytes]]:
    """The (registration, signature) pairs a ``register``/``registerBatch`` call carries."""
    selector, args = data[:4], data[4:]

    def registration(at: int) -> dict[str, Any]:
        return {
            "contentHash": _word(args, at),
            "workType": _uint(args, at + 32),
            "titleHash": _word(args, at + 64),
            "zoneId": _word(args, at + 96),
            "owner": "0x" + _word(args, at + 128)[12:].hex(),
            "nonce": _uint(args, at + 160),
            "deadline": _uint(args, at + 192),
        }

    if selector == _selector(REGISTER_SIGNATURE):
        return [(registration(0), _bytes_at(args, _uint(args, _REGISTRATION_BYTES)))]
    if selector == _selector(REGISTER_BATCH_SIGNATURE):
        regs_at, sigs_at = _uint(args, 0), _uint(args, 32)
        count = _uint(args, regs_at)
        if _uint(args, sigs_at) != count or count > len(args) // _REGISTRATION_BYTES:
            raise ValueError("batch arrays differ in length")
        out = []
        for i in range(count):
            sig_offset = sigs_at + 32 + _uint(args, sigs_at + 32 + 32 * i)
            at = regs_at + 32 + _REGISTRATION_BYTES * i
            out.append((registration(at), _bytes_at(args, sig_offset)))
        return out
    if selector == _selector(REGISTER_SIGNED_SIGNATURE):
        owner = "0x" + _word(args, 0)[12:].hex()
        zone_id, deadline = _word(args, 32), _uint(args, 64)
        items_at, signature = _uint(args, 96), _bytes_at(args, _uint(args, 128))
        count = _uint(args, items_at)
        if count > len(args) // 96:
            raise ValueError("batch length runs past the call data")
        items = [
            (_word(args, at), _uint(args, at + 32), _word(args, at + 64))
            for at in (items_at + 32 + 96 * i for i in range(count))
        ]
        return [
            (
                {
                    "contentHash": content,
                    "workType": work_type,
                    "titleHash": title,
                    "zoneId": zone_id,
                    "owner": owner,
                    "deadline": deadline,
                    "batch": items,
                },
                signature,
            )
            for content, work_type, title in items
        ]
    raise ValueError("the transaction calls none of register, registerBatch, registerSigned")


def registration_digest(
    reg: dict[str, Any], nonce: int, chain_id: int, contract: bytes, domain: dict[str, Any]
) -> bytes:
    """What the owner signed: the single registration, or the whole batch it came in."""
    separator = keccak256(
        keccak256(DOMAIN_TYPE.encode())
        + keccak256(str(domain["name"]).encode())
        + keccak256(str(domain["version"]).encode())
        + chain_id.to_bytes(32, "big")
        + contract.rjust(32, b"\0")
    )
    if "batch" in reg:
        items_hash = keccak256(
            b"".join(
                keccak256(keccak256(ITEM_TYPE.encode()) + c + w.to_bytes(32, "big") + t)
                for c, w, t in reg["batch"]
            )
        )
        struct_hash = keccak256(
            keccak256(BATCH_TYPE.encode())
            + bytes.fromhex(reg["owner"][2:]).rjust(32, b"\0")
            + reg["zoneId"]
            + items_hash
            + reg["deadline"].to_bytes(32, "big")
        )
        return keccak256(b"\x19\x01" + separator + struct_hash)
    struct_hash = keccak256(
        keccak256(REGISTRATION_TYPE.encode())
        + reg["contentHash"]
        + reg["workType"].to_bytes(32, "big")
        + reg["titleHash"]
        + reg["zoneId"]
        + bytes.fromhex(reg["owner"][2:]).rjust(32, b"\0")
        + nonce.to_bytes(32, "big")
        + reg["deadline"].to_bytes(32, "big")
    )
    return keccak256(b"\x19\x01" + separator + struct_hash)


# --- the verifier ------------------------------------------------------------------------


# --- QBFT (Besu) --------------------------------------------------------------------------
# extraData = rlp([vanity (32 bytes), [validator addresses], vote, round, [committed seals]]):
# vote is an empty list or [recipient, 0xff (add) | empty (drop)], round a minimal integer,
# each seal r (32) || s (32) || recovery id (1). The block hash covers the header with round
# 0 and no seals; each committed seal signs the header with its round and no seals.


@dataclass(frozen=True)
class QbftExtraData:
    vanity: bytes
    validators: list[str]
    vote: tuple[str, bool] | None  # (recipient, add)
    round: int
    seals: list[bytes]

    def encode(self, *, round_: int | None = None, seals: list[bytes] | None = None) -> bytes:
        vote: RlpItem = []
        if self.vote is not None:
            vote = [bytes.fromhex(self.vote[0][2:]), b"\xff" if self.vote[1] else b""]
        return rlp_encode(
            [
                self.vanity,
                [bytes.fromhex(v[2:]) for v in self.validators],
                vote,
                _int_bytes(self.round if round_ is None else round_),
                list(self.seals if seals is None else seals),
            ]
        )


def qbft_extra_data(extra: bytes, link: str = "seals") -> QbftExtraData:
    """Decode a QBFT header's extraData (Besu's layout); VerificationFailed if it is not one."""
    try:
        item = rlp_decode(extra)
    except ValueError as exc:
        raise VerificationFailed(link, f"extraData is not QBFT RLP: {exc}") from None
    if not isinstance(item, list) or len(item) != 5:
        raise VerificationFailed(link, "QBFT extraData must be a list of 5 items")
    vanity, validators, vote, round_, seals = item
    if not isinstance(vanity, bytes) or len(vanity) != 32:
        raise VerificationFailed(link, "QBFT vanity must be 32 bytes")
    if not isinstance(validators, list) or any(
        not isinstance(v, bytes) or len(v) != 20 for v in validators
    ):
        raise VerificationFailed(link, "QBFT validators must be 20-byte addresses")
    parsed_vote: tuple[str, bool] | None = None
    if vote != []:
        if (
            not isinstance(vote, list)
            or len(vote) != 2
            or not isinstance(vote[0], bytes)
            or len(vote[0]) != 20
            or vote[1] not in (b"\xff", b"")
        ):
            raise VerificationFailed(link, "malformed QBFT vote")
        parsed_vote = ("0x" + vote[0].hex(), vote[1] == b"\xff")
    if not isinstance(round_, bytes) or round_[:1] == b"\0" or len(round_) > 4:
        raise VerificationFailed(
            link, "the QBFT round must be a minimal integer of 4 bytes or less"
        )
    if not isinstance(seals, list) or any(
        not isinstance(seal, bytes) or len(seal) != 65 for seal in seals
    ):
        raise VerificationFailed(link, "QBFT committed seals must be 65 bytes each")
    return QbftExtraData(
        vanity,
        ["0x" + v.hex() for v in validators if isinstance(v, bytes)],
        parsed_vote,
        int.from_bytes(round_, "big"),
        [seal for seal in seals if isinstance(seal, bytes)],
    )


def qbft_block_hash(header: dict[str, Any], link: str = "header") -> bytes:
    """A QBFT block's hash: its header with round 0 and no committed seals (the genesis's
    extraData is hashed as it is)."""
    if _int(header.get("number"), link, "number") == 0:
        return header_hash(header, link)
    extra = qbft_extra_data(_hex(header.get("extraData"), link, "extraData"), link)
    onchain = extra.encode(round_=0, seals=[])
    return header_hash(dict(header, extraData="0x" + onchain.hex()), link)


def qbft_committers(header: dict[str, Any]) -> list[str]:
    """The addresses whose committed seals the QBFT header carries, in order."""
    extra = qbft_extra_data(_hex(header.get("extraData"), "seals", "extraData"))
    signed = header_hash(dict(header, extraData="0x" + extra.encode(seals=[]).hex()), "seals")
    committers = []
    for seal in extra.seals:
        try:
            committers.append(_recover_65(signed, seal).lower())
        except ValueError as exc:
            raise VerificationFailed("seals", f"a committed seal does not recover: {exc}") from None
    return committers


def qbft_quorum(validators: int) -> int:
    """Committed seals a QBFT block needs: ceil(2n/3), as Besu requires."""
    return -(-2 * validators // 3)


def _clique_listed(header: dict[str, Any]) -> list[str]:
    """The validators a Clique checkpoint header lists in its extraData (empty elsewhere)."""
    extra = _hex(header.get("extraData"), "seals", "extraData")
    listed = extra[CLIQUE_VANITY:-CLIQUE_SEAL] if len(extra) >= CLIQUE_VANITY + CLIQUE_SEAL else b""
    if len(listed) % 20:
        raise VerificationFailed("seals", "a checkpoint's validator list is malformed")
    return sorted("0x" + listed[i : i + 20].hex() for i in range(0, len(listed), 20))


def _clique_signer(header: dict[str, Any]) -> str:
    """Who sealed a Clique header: the key that signed its hash without the seal."""
    extra = _hex(header.get("extraData"), "seals", "extraData")
    if len(extra) < CLIQUE_VANITY + CLIQUE_SEAL:
        raise VerificationFailed("seals", "extraData is too short to hold a Clique seal")
    unsealed = dict(header, extraData="0x" + extra[:-CLIQUE_SEAL].hex())
    try:
        return _recover_65(header_hash(unsealed, "seals"), extra[-CLIQUE_SEAL:]).lower()
    except ValueError as exc:
        raise VerificationFailed("seals", f"a seal does not recover: {exc}") from None


def _check_child(parent: dict[str, Any], child: Any, what: str) -> None:
    if not isinstance(child, dict):
        raise VerificationFailed("seals", f"a {what} header is not an object")
    number = _int(parent.get("number"), "seals", "number") + 1
    if _int(child.get("number"), "seals", "number") != number:
        raise VerificationFailed("seals", f"the {what} headers are not consecutive at {number}")
    if _hex(child.get("parentHash"), "seals", "parentHash") != header_hash(parent, "seals"):
        raise VerificationFailed("seals", f"{what} block {number} is not a child of its parent")


CLIQUE_AUTH_VOTE, CLIQUE_DROP_VOTE = b"\xff" * 8, b"\x00" * 8


class CliqueTally:
    """Clique's validator votes (EIP-225), replayed header by header from a checkpoint: a
    vote passes with more than half of the current validators; a removed validator's
    pending votes and every vote about a changed account are discarded; a checkpoint
    resets the votes."""

    def __init__(self, signers: list[str]) -> None:
        self.signers = set(signers)
        self.votes: list[tuple[str, str, bool]] = []  # (voter, subject, authorize)
        self.tally: dict[str, tuple[bool, int]] = {}

    def _uncast(self, subject: str, authorize: bool) -> None:
        held = self.tally.get(subject)
        if held is None or held[0] != authorize:
            return
        if held[1] > 1:
            self.tally[subject] = (authorize, held[1] - 1)
        else:
            del self.tally[subject]

    def apply(self, header: dict[str, Any], voter: str) -> None:
        listed = _clique_listed(header)
        if listed:  # a checkpoint: it restates the set and clears the votes
            if set(listed) != self.signers:
                raise VerificationFailed(
                    "seals", "a checkpoint in the link lists another set than the votes give"
                )
            self.votes, self.tally = [], {}
            return
        subject = "0x" + _hex(header.get("miner"), "seals", "miner").hex()
        nonce = _hex(header.get("nonce"), "seals", "nonce")
        if nonce not in (CLIQUE_AUTH_VOTE, CLIQUE_DROP_VOTE):
            raise VerificationFailed("seals", "a header's nonce is not a Clique vote")
        authorize = nonce == CLIQUE_AUTH_VOTE
        for i, (by, about, how) in enumerate(self.votes):
            if by == voter and about == subject:
                self._uncast(about, how)
                del self.votes[i]
                break
        if (subject in self.signers) != authorize:  # a vote that would change something
            held = self.tally.get(subject, (authorize, 0))
            self.tally[subject] = (held[0], held[1] + 1)
            self.votes.append((voter, subject, authorize))
        passed = self.tally.get(subject)
        if passed is None or passed[1] * 2 <= len(self.signers):
            return
        if passed[0]:
            self.signers.add(subject)
        else:
            self.signers.discard(subject)
            for _, about, how in [v for v in self.votes if v[0] == subject]:
                self._uncast(about, how)
            self.votes = [v for v in self.votes if v[0] != subject]
        self.votes = [v for v in self.votes if v[1] != subject]
        del self.tally[subject]


class _Run:
    def __init__(self, bundle: dict[str, Any], validators: list[str] | None) -> None:
        self.bundle = bundle
        self.validators = validators
        self.verdict = Verdict(ok=False)

    def ok(self, link: str, fact: str | None = None) -> None:
        self.verdict.checked.append(link + (f": {fact}" if fact else ""))

    def section(self, name: str) -> dict[str, Any]:
        value = self.bundle.get(name)
        if not isinstance(value, dict):
            raise VerificationFailed(name, f"the bundle has no '{name}' section")
        return value

    def run(self) -> Verdict:
        fmt = self.bundle.get("format", {})
        if not isinstance(fmt, dict) or fmt.get("name") != FORMAT_NAME:
            raise VerificationFailed("format", f"not an {FORMAT_NAME} bundle")
        if fmt.get("version") != FORMAT_VERSION:
            raise VerificationFailed(
                "format",
                f"format version {fmt.get('version')!r}; this verifier reads {FORMAT_VERSION}",
            )
        self.ok("format", f"{FORMAT_NAME} v{FORMAT_VERSION}")

        chain = self.section("chain")
        chain_id = _int(chain.get("chainId"), "chain", "chainId")
        contract = _hex(chain.get("contract"), "chain", "contract")
        block = self.section("block")
        header = block.get("header")
        if not isinstance(header, dict):
            raise VerificationFailed("header", "the block has no header")
        block_hash = _hex(block.get("hash"), "header", "block hash")
        if self.hash_of(header, "header") != block_hash:
            raise VerificationFailed(
                "header", "the header's Keccak-256 does not equal the block hash (a field differs)"
            )
        number = _int(header["number"], "header", "number")
        timestamp = _int(header["timestamp"], "header", "timestamp")
        self.ok("header", f"block {number} hashes to 0x{block_hash.hex()}")
        self.check_seals(header)

        tx_section = self.section("transaction")
        receipt = self.section("receipt")
        tx_index = _int(tx_section.get("index"), "transaction", "index")
        key = rlp_encode(_int_bytes(tx_index))
        raw = _hex(tx_section.get("raw"), "transaction", "raw")
        if keccak256(raw) != _hex(tx_section.get("hash"), "transaction", "hash"):
            raise VerificationFailed("transaction", "the raw transaction does not hash to its hash")
        proven_tx = verify_mpt_proof(
            _hex(header["transactionsRoot"], "header", "transactionsRoot"),
            key,
            [_hex(n, "transaction proof", "node") for n in tx_section.get("proof", [])],
            "transaction proof",
        )
        if proven_tx != raw:
            raise VerificationFailed("transaction", "not the transaction proven at that index")
        tx = decode_transaction(raw)
        if tx.chain_id is not None and tx.chain_id != chain_id:
            raise VerificationFailed(
                "transaction", f"signed for chain {tx.chain_id}, not {chain_id}"
            )
        if tx.to != contract:
            raise VerificationFailed("transaction", "not sent to the registry contract")
        self.ok("transaction", f"index {tx_index}, signed by zone node {tx.sender}")

        proven_receipt = verify_mpt_proof(
            _hex(header["receiptsRoot"], "header", "receiptsRoot"),
            key,
            [_hex(n, "receipt proof", "node") for n in receipt.get("proof", [])],
            "receipt proof",
        )
        if proven_receipt != receipt_encoding(receipt):
            raise VerificationFailed(
                "receipt", "not the receipt proven at that index (a field differs)"
            )
        if _int(receipt["status"], "receipt", "status") != 1:
            raise VerificationFailed("receipt", "the transaction failed (status 0)")
        self.ok("receipt", "proven against the receipts root; status success")

        log = self.find_log(receipt, contract)
        self.check_record(log, tx, chain_id, contract, timestamp)
        anchor = self.bundle.get("anchor")
        if anchor is not None:
            self.check_anchor(anchor, block_hash, number, chain_id)
        else:
            self.verdict.trust.append(
                f"the block hash 0x{block_hash.hex()} at height {number} of chain {chain_id}: "
                "compare it with any node of the FTZ chain (`eth_getBlockByNumber`), or ask for "
                "a bundle made after the next external anchor"
            )
        self.verdict.facts.update(
            {
                "chain id": chain_id,
                "contract": "0x" + contract.hex(),
                "block": number,
                "block hash": "0x" + block_hash.hex(),
                "block time (UTC)": datetime.fromtimestamp(timestamp, UTC).isoformat(),
                "transaction": "0x" + keccak256(raw).hex(),
                "zone node": tx.sender,
            }
        )
        self.verdict.ok = True
        return self.verdict

    def check_seals(self, header: dict[str, Any]) -> None:
        seals = self.bundle.get("seals")
        if not seals:
            self.verdict.trust.append(
                "the chain's headers carry no validator seals (a development chain)"
            )
            return
        if isinstance(seals, dict) and seals.get("kind") == "qbft":
            self.check_qbft_seals(header, seals)
            return
        if not isinstance(seals, dict) or seals.get("kind") != "clique":
            raise VerificationFailed("seals", f"unknown seal kind {seals!r}")
        source = "given by the court"
        validators = self.validators
        if validators is None:
            validators = seals.get("validators")
            source = "embedded in the bundle (not independently trusted)"
            checkpoint, link = seals.get("checkpoint"), seals.get("link")
            if _clique_listed(header):
                validators = _clique_listed(header)
                source = "listed in the block itself, a checkpoint"
            elif checkpoint is not None and link is not None:
                stated = validators
                validators, source = self.replayed_validators(checkpoint, link, header)
                if not isinstance(stated, list) or sorted(str(v).lower() for v in stated) != (
                    validators
                ):
                    raise VerificationFailed(
                        "seals", "the embedded validators differ from those the votes give"
                    )
            elif checkpoint is not None:
                validators, source = self.checkpoint_validators(checkpoint, validators, header)
        if not isinstance(validators, list) or not validators:
            raise VerificationFailed("seals", "no validator set to check the seal against")
        members = {str(v).lower() for v in validators}
        signer = _clique_signer(header)
        if signer not in members:
            raise VerificationFailed("seals", f"sealed by {signer}, not a validator {source}")
        self.ok("seals", f"Clique seal by validator {signer}, validator set {source}")
        self.verdict.trust.append(f"the validator set {source}")
        self.check_confirmations(header, signer, members, seals.get("confirmations") or [])

    def hash_of(self, header: dict[str, Any], link: str) -> bytes:
        """The block hash of a header of this chain, by its consensus's rule."""
        seals = self.bundle.get("seals")
        if isinstance(seals, dict) and seals.get("kind") == "qbft":
            return qbft_block_hash(header, link)
        return header_hash(header, link)

    def check_qbft_seals(self, header: dict[str, Any], seals: dict[str, Any]) -> None:
        """At least ceil(2n/3) distinct validators committed the block (Besu QBFT)."""
        extra = qbft_extra_data(_hex(header.get("extraData"), "seals", "extraData"))
        if self.validators is not None:
            validators, source = list(self.validators), "given by the court"
        elif extra.validators:
            validators = extra.validators
            source = "listed in the block's own extraData (under its committed seals)"
            stated = seals.get("validators")
            if stated is not None and (
                not isinstance(stated, list)
                or sorted(str(v).lower() for v in stated) != sorted(validators)
            ):
                raise VerificationFailed(
                    "seals", "the embedded validators differ from the header's list"
                )
        else:  # validators managed by a contract: the header does not list them
            validators = list(seals.get("validators") or [])
            source = "embedded in the bundle (not independently trusted)"
        members = {str(v).lower() for v in validators}
        if not members:
            raise VerificationFailed("seals", "no validator set to check the seals against")
        committers = qbft_committers(header)
        strangers = sorted(set(committers) - members)
        if strangers:
            raise VerificationFailed(
                "seals", f"committed by {strangers[0]}, not a validator {source}"
            )
        distinct, needed = len(set(committers)), qbft_quorum(len(members))
        if distinct < needed:
            raise VerificationFailed(
                "seals",
                f"only {distinct} of {len(members)} validators committed the block; QBFT "
                f"needs {needed}",
            )
        self.ok(
            "seals",
            f"QBFT committed seals of {distinct} of {len(members)} validators (quorum "
            f"{needed}, round {extra.round}), validator set {source}",
        )
        self.verdict.trust.append(f"the validator set {source}")

    def check_confirmations(
        self, header: dict[str, Any], signer: str, members: set[str], confirmations: Any
    ) -> None:
        """The headers after the block, each sealed by a validator: how many distinct
        validators have sealed the block or a descendant of it."""
        if not isinstance(confirmations, list):
            raise VerificationFailed("seals", "confirmations must be a list of headers")
        sealed = {signer}
        parent = header
        for child in confirmations:
            _check_child(parent, child, "confirmation")
            by = _clique_signer(child)
            if by not in members:
                raise VerificationFailed(
                    "seals",
                    f"confirmation block {_int(child['number'], 'seals', 'number')} "
                    f"is sealed by {by}, not a validator",
                )
            sealed.add(by)
            parent = child
        k, n = len(sealed), len(members)
        if k * 2 > n:
            self.ok(
                "seals",
                f"{k} of {n} validators sealed the block or one of its "
                f"{len(confirmations)} descendants given (a majority)",
            )
        else:
            self.verdict.trust.append(
                f"only {k} of {n} validators had sealed the block or a descendant when the "
                "bundle was exported (a majority had not yet built on it)"
            )

    def replayed_validators(
        self, checkpoint: Any, link: Any, header: dict[str, Any]
    ) -> tuple[list[str], str]:
        """The set at the block: the checkpoint's list, with the votes of the linked headers
        between it and the block applied as Clique applies them."""
        if not isinstance(checkpoint, dict) or not isinstance(checkpoint.get("header"), dict):
            raise VerificationFailed("seals", "malformed checkpoint")
        if not isinstance(link, list):
            raise VerificationFailed("seals", "link must be a list of headers")
        cp_header = checkpoint["header"]
        cp_hash = _hex(checkpoint.get("hash"), "seals", "checkpoint hash")
        if header_hash(cp_header, "seals") != cp_hash:
            raise VerificationFailed("seals", "the checkpoint header does not hash to its hash")
        tally = CliqueTally(_clique_listed(cp_header))
        if not tally.signers:
            raise VerificationFailed("seals", "the checkpoint lists no validators")
        parent = cp_header
        for linked in [*link, header]:
            _check_child(parent, linked, "link")
            number = _int(linked["number"], "seals", "number")
            by = _clique_signer(linked)
            if by not in tally.signers:
                raise VerificationFailed(
                    "seals", f"block {number} is sealed by {by}, not a validator at its height"
                )
            if linked is header:
                break
            tally.apply(linked, by)
            parent = linked
        cp_number = _int(cp_header["number"], "seals", "checkpoint number")
        what = "the genesis block" if cp_number == 0 else f"checkpoint block {cp_number}"
        return sorted(tally.signers), (
            f"listed in {what} 0x{cp_hash.hex()} (compare it with the chain's) with the votes "
            f"of the {len(link)} blocks since"
        )

    def checkpoint_validators(
        self, checkpoint: Any, validators: Any, header: dict[str, Any]
    ) -> tuple[list[str], str]:
        """The set listed in a Clique checkpoint header, which must equal the embedded one."""
        if not isinstance(checkpoint, dict) or not isinstance(checkpoint.get("header"), dict):
            raise VerificationFailed("seals", "malformed checkpoint")
        cp_header = checkpoint["header"]
        cp_hash = _hex(checkpoint.get("hash"), "seals", "checkpoint hash")
        if header_hash(cp_header, "seals") != cp_hash:
            raise VerificationFailed("seals", "the checkpoint header does not hash to its hash")
        cp_number = _int(cp_header["number"], "seals", "checkpoint number")
        if cp_number > _int(header["number"], "header", "number"):
            raise VerificationFailed("seals", "the checkpoint is younger than the block")
        extra = _hex(cp_header["extraData"], "seals", "checkpoint extraData")
        listed = extra[CLIQUE_VANITY:-CLIQUE_SEAL]
        if len(listed) % 20:
            raise VerificationFailed("seals", "the checkpoint's validator list is malformed")
        signers = sorted("0x" + listed[i : i + 20].hex() for i in range(0, len(listed), 20))
        if (
            not isinstance(validators, list)
            or sorted(str(v).lower() for v in validators) != signers
        ):
            raise VerificationFailed(
                "seals", "the embedded validators differ from the checkpoint's"
            )
        what = "the genesis block" if cp_number == 0 else f"checkpoint block {cp_number}"
        return signers, f"listed in {what} 0x{cp_hash.hex()} (compare it with the chain's)"

    def find_log(self, receipt: dict[str, Any], contract: bytes) -> dict[str, Any]:
        logs = receipt.get("logs", [])
        position = _int(self.section("record").get("logPosition"), "record", "logPosition")
        if not 0 <= position < len(logs):
            raise VerificationFailed("record", f"the receipt has no log at position {position}")
        log: dict[str, Any] = logs[position]
        if _hex(log["address"], "log", "address") != contract:
            raise VerificationFailed("log", "emitted by another contract than the registry")
        topics = [_hex(t, "log", "topic") for t in log["topics"]]
        if len(topics) != 4 or topics[0] != keccak256(IP_REGISTERED_SIGNATURE.encode()):
            raise VerificationFailed("log", "not an IpRegistered event")
        self.ok("log", "IpRegistered emitted by the registry")
        return log

    def check_record(
        self,
        log: dict[str, Any],
        tx: SignedTransaction,
        chain_id: int,
        contract: bytes,
        timestamp: int,
    ) -> None:
        record = self.section("record")
        topics = [_hex(t, "log", "topic") for t in log["topics"]]
        data = _hex(log["data"], "log", "data")
        if len(data) != 5 * 32:
            raise VerificationFailed("log", "IpRegistered data has the wrong length")
        from_log: dict[str, Any] = {
            "contentHash": topics[1],
            "zoneId": topics[2],
            "owner": "0x" + topics[3][12:].hex(),
            "workType": _uint(data, 0),
            "titleHash": data[32:64],
            "submitter": "0x" + data[76:96].hex(),
            "nonce": _uint(data, 96),
            "registeredAt": _uint(data, 128),
        }
        for name, value in from_log.items():
            claimed = record.get(name)
            if isinstance(value, bytes):
                same = isinstance(claimed, str) and claimed.lower() == "0x" + value.hex()
            elif isinstance(value, str):
                same = isinstance(claimed, str) and claimed.lower() == value
            else:
                same = claimed == value
            if not same:
                raise VerificationFailed("record", f"{name} differs from the on-chain log")
        if from_log["submitter"] != tx.sender.lower():
            raise VerificationFailed(
                "transaction", "the log's submitter did not sign the transaction"
            )
        if from_log["registeredAt"] != timestamp:
            raise VerificationFailed("record", "registeredAt differs from the block time")
        try:
            carried = registrations_in_call(tx.data)
        except ValueError as exc:
            raise VerificationFailed("transaction", f"call data: {exc}") from None
        matches = [(r, s) for r, s in carried if r["contentHash"] == from_log["contentHash"]]
        if len(matches) != 1:
            raise VerificationFailed("transaction", "the call does not carry this registration")
        reg, carried_signature = matches[0]
        if ("batch" in reg) != (from_log["nonce"] == BATCH_NONCE):
            raise VerificationFailed("log", "the log's nonce does not match how it was signed")
        if "batch" not in reg and reg["nonce"] != from_log["nonce"]:
            raise VerificationFailed("transaction", "the call's nonce differs from the log")
        for name in ("workType", "titleHash", "zoneId", "owner"):
            if reg[name] != from_log[name]:
                raise VerificationFailed("transaction", f"the call's {name} differs from the log")
        if _int(record.get("deadline"), "record", "deadline") != reg["deadline"]:
            raise VerificationFailed("record", "deadline differs from the transaction")
        signature = _hex(record.get("signature"), "signature", "signature")
        if signature != carried_signature:
            raise VerificationFailed("signature", "not the signature the transaction carried")
        domain = self.section("chain").get("eip712Domain")
        if not isinstance(domain, dict):
            raise VerificationFailed("chain", "no EIP-712 domain")
        digest = registration_digest(reg, from_log["nonce"], chain_id, contract, domain)
        try:
            signer = _recover_65(digest, signature)
        except ValueError as exc:
            raise VerificationFailed(
                "signature", f"the enterprise signature is invalid: {exc}"
            ) from None
        if signer != from_log["owner"]:
            raise VerificationFailed(
                "signature", f"recovers {signer}, not the owner {from_log['owner']}"
            )
        self.ok("record", "fields equal the log and the transaction")
        self.ok("signature", f"EIP-712 signature of the owner {signer}")
        self.verdict.facts.update(
            {
                "content SHA-256": "0x" + from_log["contentHash"].hex(),
                "owner": signer,
                "zone": from_log["zoneId"].rstrip(b"\0").decode("ascii", "replace"),
                "work type": from_log["workType"],
                "registered at (UTC)": datetime.fromtimestamp(timestamp, UTC).isoformat(),
            }
        )

    def check_anchor(self, anchor: Any, block_hash: bytes, number: int, chain_id: int) -> None:
        if not isinstance(anchor, dict):
            raise VerificationFailed("anchor", "malformed anchor section")
        current, height = block_hash, number
        for i, link_header in enumerate(anchor.get("links", [])):
            if _hex(link_header.get("parentHash"), "anchor", "parentHash") != current:
                raise VerificationFailed(
                    "anchor", f"link header {i} does not descend from the block"
                )
            current = self.hash_of(link_header, "anchor")
            height = _int(link_header["number"], "anchor", "number")
        outer = anchor.get("block", {})
        outer_header = outer.get("header")
        if not isinstance(outer_header, dict):
            raise VerificationFailed("anchor", "no external block header")
        outer_hash = _hex(outer.get("hash"), "anchor", "external block hash")
        if header_hash(outer_header, "anchor") != outer_hash:
            raise VerificationFailed(
                "anchor", "the external header does not hash to its block hash"
            )
        receipt = anchor.get("receipt", {})
        key = rlp_encode(_int_bytes(_int(receipt.get("transactionIndex"), "anchor", "index")))
        proven = verify_mpt_proof(
            _hex(outer_header["receiptsRoot"], "anchor", "receiptsRoot"),
            key,
            [_hex(n, "anchor", "node") for n in receipt.get("proof", [])],
            "anchor",
        )
        if proven != receipt_encoding(receipt, "anchor"):
            raise VerificationFailed("anchor", "the anchor receipt is not the one proven")
        tx_section = anchor.get("transaction", {})
        raw = _hex(tx_section.get("raw"), "anchor", "raw transaction")
        proven_tx = verify_mpt_proof(
            _hex(outer_header["transactionsRoot"], "anchor", "transactionsRoot"),
            key,
            [_hex(n, "anchor", "node") for n in tx_section.get("proof", [])],
            "anchor",
        )
        if proven_tx != raw:
            raise VerificationFailed("anchor", "the anchor transaction is not the one proven")
        outer_tx = decode_transaction(raw, "anchor")
        contract = _hex(anchor.get("contract"), "anchor", "contract")
        outer_chain = _int(anchor.get("chainId"), "anchor", "chainId")
        if outer_tx.chain_id != outer_chain or outer_tx.to != contract:
            raise VerificationFailed(
                "anchor", "the anchor transaction was not signed for that chain and contract"
            )
        wanted = keccak256(ANCHORED_SIGNATURE.encode())
        for log in receipt.get("logs", []):
            topics = [_hex(t, "anchor", "topic") for t in log["topics"]]
            data = _hex(log["data"], "anchor", "data")
            if (
                _hex(log["address"], "anchor", "address") == contract
                and len(topics) == 3
                and topics[0] == wanted
                and int.from_bytes(topics[1], "big") == chain_id
                and int.from_bytes(topics[2], "big") == height
                and data[:32] == current
            ):
                break
        else:
            raise VerificationFailed("anchor", "no Anchored log commits to the linked block")
        outer_number = _int(outer_header["number"], "anchor", "number")
        when = datetime.fromtimestamp(_int(outer_header["timestamp"], "anchor", "timestamp"), UTC)
        self.ok(
            "anchor",
            f"block {height} (descendant of {number}) committed on chain {outer_chain} "
            f"in block {outer_number} at {when.isoformat()}",
        )
        self.verdict.facts["anchored on"] = (
            f"chain {outer_chain}, block {outer_number} (0x{outer_hash.hex()}), {when.isoformat()}"
        )
        self.verdict.trust.append(
            f"the external chain {outer_chain}'s block 0x{outer_hash.hex()} at height "
            f"{outer_number}: compare it with a public node or explorer of that chain"
        )


def verify_bundle(bundle: dict[str, Any], validators: list[str] | None = None) -> Verdict:
    """Check every link of ``bundle``; the verdict names the first that fails."""
    run = _Run(bundle, validators)
    try:
        return run.run()
    except VerificationFailed as failed:
        run.verdict.ok = False
        run.verdict.failed_link = failed.link
        run.verdict.reason = failed.reason
        return run.verdict
    except (KeyError, TypeError, AttributeError) as exc:
        run.verdict.ok = False
        run.verdict.failed_link = "format"
        run.verdict.reason = f"malformed bundle ({type(exc).__name__}: {exc})"
        return run.verdict


def verify_file(path: str, validators: list[str] | None = None) -> Verdict:
    with open(path, encoding="utf-8") as handle:
        try:
            bundle = json.load(handle)
        except json.JSONDecodeError as exc:
            return Verdict(ok=False, failed_link="format", reason=f"not JSON: {exc}")
    if not isinstance(bundle, dict):
        return Verdict(ok=False, failed_link="format", reason="not a JSON object")
    return verify_bundle(bundle, validators)


def main(argv: list[str] | None = None) -> int:
    """``python -m ftzchain.evidence.verify BUNDLE [--validators FILE] [--json]``."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m ftzchain.evidence.verify",
        description="Verify an FTZ Chain evidence bundle offline (no network is used).",
    )
    parser.add_argument("bundle", help="path of the bundle JSON")
    parser.add_argument(
        "--validators",
        help="JSON file with the list of validator addresses the court trusts "
        "(overrides any set embedded in the bundle)",
    )
    parser.add_argument("--json", action="store_true", help="print the machine verdict only")
    args = parser.parse_args(argv)
    validators = None
    if args.validators:
        with open(args.validators, encoding="utf-8") as handle:
            validators = [str(v) for v in json.load(handle)]
    verdict = verify_file(args.bundle, validators)
    if args.json:
        sys.stdout.write(json.dumps(verdict.as_json(), indent=2) + "\n")
    else:
        sys.stdout.write(verdict.human() + "\n" + json.dumps(verdict.as_json()) + "\n")
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
