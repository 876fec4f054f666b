"""EIP-712 typed data that enterprises sign (the types mirror the contracts' typehashes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    return {
        "types": {"EIP712Domain": _DOMAIN_FIELDS, "IpRegistration": IP_REGISTRATION_FIELDS},
        "primaryType": "IpRegistration",
        "domain": {
            "name": IP_REGISTRY_DOMAIN_NAME,
            "version": IP_REGISTRY_DOMAIN_VERSION,
            "chainId": chain_id,
            "verifyingContract": registry_address,
        },
        "message": {
            "contentHash": reg.content_hash,
            "workType": reg.work_type,
            "titleHash": reg.title_hash,
            "zoneId": reg.zone_id,
            "owner": reg.owner,
            "nonce": reg.nonce,
            "deadline": reg.deadline,
        },
    }
