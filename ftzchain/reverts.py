"""Decode contract revert data, once, into the typed exceptions of :mod:`ftzchain.errors`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.crypto import keccak

from ftzchain.errors import (
    AlreadyExists,
    ContractRevert,
    InvalidSignature,
    InvalidState,
    NotFound,
    PermissionDenied,
)

KIND_BY_ERROR: dict[str, type[ContractRevert]] = {
    # who may call
    "GovernanceNotMember": PermissionDenied,
    "TraceabilityBadNonce": InvalidSignature,  # a replayed or out-of-order batch
    "ZoneRoleMissing": PermissionDenied,  # every zone-gated contract (contracts/ZoneGated.sol)
    "IpRegistryEnterpriseNotInZone": PermissionDenied,
    "IpRegistryNotCourt": PermissionDenied,
    "TraceabilityEnterpriseNotInZone": PermissionDenied,
    "CustodyNotCustodian": PermissionDenied,
    "InvoiceSellerNotInZone": PermissionDenied,
    "InvoiceNotPledgeHolder": PermissionDenied,
    "InvoiceNotIssuer": PermissionDenied,
    "InvoiceSellerNotBound": PermissionDenied,
    # first-to-file and other duplicates
    "IpRegistryAlreadyRegistered": AlreadyExists,
    "GovernanceAlreadyApproved": AlreadyExists,
    "GovernanceZoneAlreadyAdmitted": AlreadyExists,
    "GovernanceEnterpriseAlreadyBound": AlreadyExists,
    "GovernanceRoleAlreadyGranted": AlreadyExists,
    "GovernanceAlreadyMember": AlreadyExists,
    "CustodyAlreadyHeld": AlreadyExists,
    "CustodyConsignmentExists": AlreadyExists,
    "CustomsDeclarationExists": AlreadyExists,
    "CustomsAlreadyInspected": AlreadyExists,
    "OriginAlreadyIssued": AlreadyExists,
    "InvoiceAlreadyIssued": AlreadyExists,
    "InvoiceAlreadyPledged": AlreadyExists,
    "InvoiceSellerAlreadyBound": AlreadyExists,
    # missing things
    "GovernanceUnknownProposal": NotFound,
    "GovernanceUnknownZone": NotFound,
    "GovernanceUnknownRole": NotFound,
    "GovernanceEnterpriseNotBound": NotFound,
    "GovernanceRoleNotGranted": NotFound,
    "GovernanceMemberNotFound": NotFound,
    "IpRegistryNotRegistered": NotFound,
    "CustodyUnknownConsignment": NotFound,
    "CustomsUnknownDeclaration": NotFound,
    "CustomsUnknownConsignment": NotFound,
    "OriginUnknownCertificate": NotFound,
    "InvoiceUnknown": NotFound,
    "InvoiceUnknownConsignment": NotFound,
    # signatures
    "IpRegistryInvalidSigner": InvalidSignature,
    "IpRegistryBadNonce": InvalidSignature,
    "IpRegistryExpiredSignature": InvalidSignature,
    "TraceabilityInvalidSigner": InvalidSignature,
    "TraceabilityExpiredSignature": InvalidSignature,
    "InvoiceInvalidSigner": InvalidSignature,
    "InvoiceExpiredSignature": InvalidSignature,
}


def _signature(entry: dict[str, Any]) -> str:
    return f"{entry['name']}({','.join(_abi_type(i) for i in entry.get('inputs', []))})"


def _abi_type(param: dict[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        return "(" + ",".join(_abi_type(c) for c in param["components"]) + ")" + kind[5:]
    return kind


class RevertDecoder:
    """Knows every custom error of our contracts (plus Solidity's Error and Panic)."""

    def __init__(self, abi_entries: Iterable[dict[str, Any]]) -> None:
        self._errors: dict[bytes, tuple[str, list[str], list[str]]] = {
            keccak(text="Error(string)")[:4]: ("Error", ["message"], ["string"]),
            keccak(text="Panic(uint256)")[:4]: ("Panic", ["code"], ["uint256"]),
        }
        for entry in abi_entries:
            if entry.get("type") != "error":
                continue
            selector = keccak(text=_signature(entry))[:4]
            names = [str(i.get("name") or f"arg{n}") for n, i in enumerate(entry["inputs"])]
            types = [_abi_type(i) for i in entry["inputs"]]
            self._errors[selector] = (str(entry["name"]), names, types)

    def decode(self, data: bytes, tx_hash: str | None = None) -> ContractRevert:
        """The exception for this revert data (unknown data gives a plain ContractRevert)."""
        known = self._errors.get(data[:4]) if len(data) >= 4 else None
        if known is None:
            return ContractRevert(None, {}, data, tx_hash)
        name, names, types = known
        try:
            values = abi_decode(types, data[4:])
        except Exception:  # malformed payload behind a known selector
            return ContractRevert(name, {}, data, tx_hash)
        args = dict(zip(names, values, strict=True))
        kind = KIND_BY_ERROR.get(name)
        if kind is None:
            stateful = ("Governance", "IpRegistry", "Custody", "Customs", "Origin", "Invoice")
            kind = InvalidState if name.startswith(stateful) else ContractRevert
        return kind(name, args, data, tx_hash)


def revert_data_from_rpc(data: Any) -> bytes | None:
    """Pull revert bytes out of a node's JSON-RPC error ``data`` (anvil, geth, ganache 7)."""
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    if isinstance(data, dict):
        for key in ("result", "data"):
            value = data.get(key)
            if isinstance(value, str) and value.startswith("0x"):
                return bytes.fromhex(value[2:])
        # ganache 7 with a hash-keyed object: {"0xhash": {"return": "0x…"}}
        for value in data.values():
            if isinstance(value, dict):
                found = revert_data_from_rpc(value.get("return"))
                if found is not None:
                    return found
    return None
