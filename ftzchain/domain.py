"""Domain identifiers: zone ids, role ids, content hashes."""

from __future__ import annotations

import hashlib
import re
from enum import IntEnum
from pathlib import Path

from eth_utils.crypto import keccak

from ftzchain.errors import InvalidInput

_ZONE_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,31}$")
_HEX32 = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")

# ISO 3166-2:CN codes of the pilot zones' provinces and municipalities.
ZONE_NAMES: dict[str, str] = {
    "CN-SH": "Shanghai",
    "CN-JS": "Jiangsu",
    "CN-ZJ": "Zhejiang",
    "CN-AH": "Anhui",
    "CN-SC": "Sichuan",
    "CN-CQ": "Chongqing",
}

ROLE_NAMES = (
    "ZONE_NODE",
    "CUSTOMS",
    "COURT",
    "FINANCIER",
    "AUDITOR",
    "ORIGIN_ISSUER",
    "VALIDATOR",
)


class WorkType(IntEnum):
    """IP work types as the registry stores them (uint8)."""

    UNSPECIFIED = 0
    PATENT = 1
    TRADEMARK = 2
    COPYRIGHT = 3
    DESIGN = 4
    TRADE_SECRET = 5


def zone_id(code: str) -> bytes:
    """The bytes32 id of a zone: its code (e.g. ``CN-SH``) in ASCII, left-aligned, zero-padded."""
    normalised = code.strip().upper()
    if not _ZONE_CODE.match(normalised):
        raise InvalidInput(
            f"bad zone code {code!r}: use up to 32 letters, digits and '-', e.g. CN-SH"
        )
    return normalised.encode("ascii").ljust(32, b"\0")


def zone_code(zone: bytes) -> str:
    """The readable code of a bytes32 zone id (inverse of :func:`zone_id`)."""
    text = zone.rstrip(b"\0")
    try:
        decoded = text.decode("ascii")
    except UnicodeDecodeError:
        return "0x" + zone.hex()
    return decoded if _ZONE_CODE.match(decoded) else "0x" + zone.hex()


def role_id(name: str) -> bytes:
    """keccak256 of a role's name, as contracts/Roles.sol defines it."""
    normalised = name.strip().upper().replace("-", "_")
    if normalised not in ROLE_NAMES:
        raise InvalidInput(f"unknown role {name!r}: one of {', '.join(ROLE_NAMES)}")
    return bytes(keccak(text=normalised))


def role_name(role: bytes) -> str:
    for name in ROLE_NAMES:
        if bytes(keccak(text=name)) == role:
            return name
    return "0x" + role.hex()


def parse_hash32(text: str) -> bytes:
    """A 32-byte hash given as 64 hex digits, with or without 0x."""
    if not _HEX32.match(text.strip()):
        raise InvalidInput(f"not a 32-byte hex hash: {text!r} (expected 64 hex digits)")
    return bytes.fromhex(text.strip().removeprefix("0x"))


def sha256_file(path: Path) -> bytes:
    """SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from exc
    return digest.digest()
