"""EIP-712 typed data that enterprises sign (the types mirror the contracts' typehashes)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

IP_REGISTRY_DOMAIN_NAME = "FTZ Chain IP Registry"
IP_REGISTRY_DOMAIN_VERSION = "1"

_DOMAIN_FIELDS = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]

IP_REGISTRATION_FIELDS = [
    {"name": "contentHash", "type": "bytes32"},
    {"name": "workType", "type": "uint8"},
    {"name": "titleHash", "type": "bytes32"},
    {"name": "zoneId", "type": "bytes32"},
    {"name": "owner", "type": "address"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint64"},
]


@dataclass(frozen=True)
class IpRegistration:
    """One registration as the enterprise signs it."""

    content_hash: bytes
    work_type: int
    title_hash: bytes
    zone_id: bytes
    owner: str
    nonce: int
    deadline: int

    def as_tuple(self) -> tuple[bytes, int, bytes, bytes, str, int]:
        """The contract's ``Registration`` struct (nonce is taken on chain, not passed)."""
        return (
            self.content_hash,
            self.work_type,
            self.title_hash,
            self.zone_id,
            self.owner,
            self.deadline,
        )


def ip_registration_typed_data(
    reg: IpRegistration, chain_id: int, registry_address: str
) -> dict[str, Any]:
    """The full EIP-712 message for ``eth_account.messages.encode_typed_data``."""
    message = {
        "contentHash": reg.content_hash,
        "workType": reg.work_type,
        "titleHash": reg.title_hash,
        "zoneId": reg.zone_id,
        "owner": reg.owner,
        "nonce": reg.nonce,
        "deadline": reg.deadline,
    }
    return registry_typed_data("IpRegistration", message, chain_id, registry_address)


# The same hashing, done directly (no typed-data JSON walk): about 50x faster than
# eth_account's encode_typed_data, which tests/ftzchain/test_eip712.py checks it against.
_DOMAIN_TYPEHASH = keccak(
    text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
_REGISTRATION_TYPEHASH = keccak(
    text="IpRegistration(bytes32 contentHash,uint8 workType,bytes32 titleHash,bytes32 zoneId,"
    "address owner,uint256 nonce,uint64 deadline)"
)


@lru_cache(maxsize=64)
def domain_separator(name: str, version: str, chain_id: int, verifying_contract: str) -> bytes:
    return keccak(
        abi_encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                _DOMAIN_TYPEHASH,
                keccak(text=name),
                keccak(text=version),
                chain_id,
                verifying_contract,
            ],
        )
    )


def ip_registration_digest(reg: IpRegistration, chain_id: int, registry_address: str) -> bytes:
    """The EIP-712 digest the enterprise signs for one registration."""
    struct_hash = keccak(
        _REGISTRATION_TYPEHASH
        + reg.content_hash
        + reg.work_type.to_bytes(32, "big")
        + reg.title_hash
        + reg.zone_id
        + word_address(reg.owner)
        + reg.nonce.to_bytes(32, "big")
        + reg.deadline.to_bytes(32, "big")
    )
    return _registry_digest(struct_hash, chain_id, registry_address)


def word_address(address: str) -> bytes:
    return bytes.fromhex(address[2:]).rjust(32, b"\0")


def typed_digest(
    name: str, version: str, chain_id: int, contract: str, struct_hash: bytes
) -> bytes:
    """``keccak(0x1901 ‖ domainSeparator ‖ structHash)``: what an EIP-712 signature signs."""
    return keccak(b"\x19\x01" + domain_separator(name, version, chain_id, contract) + struct_hash)


def _registry_digest(struct_hash: bytes, chain_id: int, registry_address: str) -> bytes:
    return typed_digest(
        IP_REGISTRY_DOMAIN_NAME, IP_REGISTRY_DOMAIN_VERSION, chain_id, registry_address, struct_hash
    )


IP_TRANSFER_FIELDS = [
    {"name": "contentHash", "type": "bytes32"},
    {"name": "newOwner", "type": "address"},
    {"name": "newZoneId", "type": "bytes32"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint64"},
]
_TRANSFER_TYPEHASH = keccak(
    text="IpTransfer(bytes32 contentHash,address newOwner,bytes32 newZoneId,uint256 nonce,"
    "uint64 deadline)"
)


@dataclass(frozen=True)
class IpTransfer:
    """A hand-over of a registered work, as its current owner signs it."""

    content_hash: bytes
    new_owner: str
    new_zone_id: bytes
    nonce: int
    deadline: int

    def as_tuple(self) -> tuple[bytes, str, bytes, int]:
        """The contract's ``Transfer`` struct (nonce taken on chain)."""
        return (self.content_hash, self.new_owner, self.new_zone_id, self.deadline)


def ip_transfer_digest(t: IpTransfer, chain_id: int, registry_address: str) -> bytes:
    struct_hash = keccak(
        _TRANSFER_TYPEHASH
        + t.content_hash
        + word_address(t.new_owner)
        + t.new_zone_id
        + t.nonce.to_bytes(32, "big")
        + t.deadline.to_bytes(32, "big")
    )
    return _registry_digest(struct_hash, chain_id, registry_address)


IP_LICENCE_FIELDS = [
    {"name": "contentHash", "type": "bytes32"},
    {"name": "licensee", "type": "address"},
    {"name": "scopeHash", "type": "bytes32"},
    {"name": "validFrom", "type": "uint64"},
    {"name": "validUntil", "type": "uint64"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint64"},
]
_LICENCE_TYPEHASH = keccak(
    text="IpLicence(bytes32 contentHash,address licensee,bytes32 scopeHash,uint64 validFrom,"
    "uint64 validUntil,uint256 nonce,uint64 deadline)"
)


@dataclass(frozen=True)
class IpLicence:
    """A licence of a registered work, as its owner signs it."""

    content_hash: bytes
    licensee: str
    scope_hash: bytes
    valid_from: int
    valid_until: int
    nonce: int
    deadline: int

    def as_tuple(self) -> tuple[bytes, str, bytes, int, int, int]:
        """The contract's ``Licence`` struct (nonce taken on chain)."""
        return (
            self.content_hash,
            self.licensee,
            self.scope_hash,
            self.valid_from,
            self.valid_until,
            self.deadline,
        )


def ip_licence_digest(lic: IpLicence, chain_id: int, registry_address: str) -> bytes:
    struct_hash = keccak(
        _LICENCE_TYPEHASH
        + lic.content_hash
        + word_address(lic.licensee)
        + lic.scope_hash
        + lic.valid_from.to_bytes(32, "big")
        + lic.valid_until.to_bytes(32, "big")
        + lic.nonce.to_bytes(32, "big")
        + lic.deadline.to_bytes(32, "big")
    )
    return _registry_digest(struct_hash, chain_id, registry_address)


def registry_typed_data(
    primary_type: str, message: dict[str, Any], chain_id: int, registry_address: str
) -> dict[str, Any]:
    """Any of the registry's EIP-712 messages, for ``eth_account`` (used to cross-check)."""
    types: dict[str, list[dict[str, str]]] = {
        "IpRegistration": IP_REGISTRATION_FIELDS,
        "IpTransfer": IP_TRANSFER_FIELDS,
        "IpLicence": IP_LICENCE_FIELDS,
        "IpBatch": IP_BATCH_FIELDS,
    }
    chosen = {primary_type: types[primary_type]}
    if primary_type == "IpBatch":
        chosen["IpItem"] = IP_ITEM_FIELDS
    return {
        "types": {"EIP712Domain": _DOMAIN_FIELDS, **chosen},
        "primaryType": primary_type,
        "domain": {
            "name": IP_REGISTRY_DOMAIN_NAME,
            "version": IP_REGISTRY_DOMAIN_VERSION,
            "chainId": chain_id,
            "verifyingContract": registry_address,
        },
        "message": message,
    }


IP_ITEM_FIELDS = [
    {"name": "contentHash", "type": "bytes32"},
    {"name": "workType", "type": "uint8"},
    {"name": "titleHash", "type": "bytes32"},
]
IP_BATCH_FIELDS = [
    {"name": "owner", "type": "address"},
    {"name": "zoneId", "type": "bytes32"},
    {"name": "items", "type": "IpItem[]"},
    {"name": "deadline", "type": "uint64"},
]
_ITEM_TYPEHASH = keccak(text="IpItem(bytes32 contentHash,uint8 workType,bytes32 titleHash)")
_BATCH_TYPEHASH = keccak(
    text="IpBatch(address owner,bytes32 zoneId,IpItem[] items,uint64 deadline)"
    "IpItem(bytes32 contentHash,uint8 workType,bytes32 titleHash)"
)


@dataclass(frozen=True)
class IpItem:
    """One work in a batch the enterprise signs once."""

    content_hash: bytes
    work_type: int = 0
    title_hash: bytes = b"\0" * 32

    def as_tuple(self) -> tuple[bytes, int, bytes]:
        return (self.content_hash, self.work_type, self.title_hash)


def ip_batch_digest(
    owner: str,
    zone_id: bytes,
    items: list[IpItem],
    deadline: int,
    chain_id: int,
    registry_address: str,
) -> bytes:
    """The EIP-712 digest of ``IpBatch``: one signature authorises every item."""
    items_hash = keccak(
        b"".join(
            keccak(
                _ITEM_TYPEHASH
                + item.content_hash
                + item.work_type.to_bytes(32, "big")
                + item.title_hash
            )
            for item in items
        )
    )
    struct_hash = keccak(
        _BATCH_TYPEHASH + word_address(owner) + zone_id + items_hash + deadline.to_bytes(32, "big")
    )
    return _registry_digest(struct_hash, chain_id, registry_address)
