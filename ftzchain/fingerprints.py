"""Keyed fingerprints: the one way a guessable identifier reaches the chain.

Numbers people type (lot and EPC ids, consignment, declaration and certificate numbers, invoice
numbers, tax ids) are never hashed bare: a bare hash of a guessable value is reversed by
trying values. They go on chain as HMAC-SHA256 under the consortium key (FTZ_CONSORTIUM_KEY),
which member zones share and outsiders do not have. Each kind of number has its own namespace,
so the same digits as a consignment and as a declaration give unrelated fingerprints. Lots use
the bare fingerprint, the one their EPCIS events carry, so custody joins the provenance graph.
"""

from __future__ import annotations

import hashlib
import hmac

from pydantic import SecretStr

from ftzchain.errors import ConfigError, InvalidInput

_MIN_KEY_BYTES = 16
_INVOICE_NAMESPACE = "ftz-invoice-v1"


def parse_consortium_key(secret: SecretStr | None) -> bytes:
    """FTZ_CONSORTIUM_KEY as bytes; a missing or weak key is a configuration error."""
    if secret is None:
        raise ConfigError("no consortium key: set FTZ_CONSORTIUM_KEY (hex, shared by member zones)")
    try:
        key = bytes.fromhex(secret.get_secret_value().removeprefix("0x"))
    except ValueError:
        raise ConfigError("FTZ_CONSORTIUM_KEY is not hex") from None
    if len(key) < _MIN_KEY_BYTES:
        raise ConfigError(f"FTZ_CONSORTIUM_KEY is shorter than {_MIN_KEY_BYTES} bytes")
    return key


def fingerprint(identifier: str, key: bytes) -> bytes:
    """The keyed fingerprint of an EPC, class or lot id: member zones can link events by it,
    outsiders cannot test guessed serials."""
    return hmac.new(key, identifier.strip().encode(), hashlib.sha256).digest()


def keyed_lines(lines: list[str], key: bytes) -> bytes:
    """The keyed digest of several values, one per line (an EPCIS event's where-hash)."""
    return hmac.new(key, "\n".join(lines).encode(), hashlib.sha256).digest()


def _number(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput(f"the {what} number is empty")
    return value


def consignment_key(number: str, key: bytes) -> bytes:
    return fingerprint(f"urn:ftz:consignment:{_number(number, 'consignment')}", key)


def declaration_key(number: str, key: bytes) -> bytes:
    return fingerprint(f"urn:ftz:declaration:{_number(number, 'declaration')}", key)


def certificate_key(number: str, key: bytes) -> bytes:
    return fingerprint(f"urn:ftz:certificate-of-origin:{_number(number, 'certificate')}", key)


def lot_key(lot_id: str, key: bytes) -> bytes:
    """A lot's fingerprint: the one its EPCIS events carry as input or output."""
    return fingerprint(_number(lot_id, "lot"), key)


def invoice_fingerprint(key: bytes, kind: str, fields: list[str]) -> bytes:
    """An invoice fingerprint of ``kind`` over normalised ``fields`` (unit-separated)."""
    message = "\x1f".join([_INVOICE_NAMESPACE, kind, *fields]).encode()
    return hmac.new(key, message, hashlib.sha256).digest()


def seller_fingerprint(uscc: str, key: bytes) -> bytes:
    """The keyed fingerprint of a seller's USCC, bound on chain to the seller's key."""
    return invoice_fingerprint(key, "seller", [uscc])
