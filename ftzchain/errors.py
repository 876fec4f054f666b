"""The one exception hierarchy of FTZ Chain.

Every failure a user can act on is an :class:`FtzError` whose message says what to do next.
Contract reverts are decoded once, in :mod:`ftzchain.reverts`, into :class:`ContractRevert`
subclasses that keep the raw revert data.
"""

from __future__ import annotations

from typing import Any


class FtzError(Exception):
    """Root of every error FTZ Chain raises on purpose."""


class ConfigError(FtzError, ValueError):
    """A setting is missing or malformed."""


class ToolchainError(FtzError, RuntimeError):
    """The offline toolchain (node, npm solc, anvil) is missing or broken."""


class CompileError(FtzError):
    """solc rejected the contracts."""


class NodeUnavailable(FtzError, ConnectionError):
    """The chain node does not answer."""


class ChainIdMismatch(FtzError):
    """The node serves another chain than the configured one."""


class NotDeployed(FtzError, LookupError):
    """No deployment manifest (or no code) for this chain."""


class KeystoreError(FtzError):
    """A keystore cannot be created or opened."""


class KeyNotFound(KeystoreError, LookupError):
    """No keystore of that name."""


class KeyExists(KeystoreError, FileExistsError):
    """A keystore of that name exists already."""


class WrongPassword(KeystoreError, ValueError):
    """The keystore password does not decrypt the key."""


class TransactionError(FtzError):
    """A transaction could not be sent or was not mined."""


class InvalidInput(FtzError, ValueError):
    """User input (a hash, a file, a zone code) is malformed."""


class InvalidEpcis(InvalidInput):
    """An EPCIS document cannot be read as EPCIS 2.0 JSON."""


class InvalidInvoice(InvalidInput):
    """An invoice field is missing or malformed; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class DecodeError(FtzError, ValueError):
    """A log from the chain cannot be decoded (the indexer stops rather than guess)."""


class ContractRevert(TransactionError):
    """A contract call reverted.

    ``error_name`` and ``args`` hold the decoded custom error (``None``/empty when the data is
    not one of ours); ``data`` keeps the raw revert bytes.
    """

    def __init__(
        self,
        error_name: str | None,
        args: dict[str, Any],
        data: bytes,
        tx_hash: str | None = None,
    ) -> None:
        self.error_name = error_name
        self.error_args = args
        self.data = data
        self.tx_hash = tx_hash
        shown = ", ".join(f"{k}={_show(v)}" for k, v in args.items())
        label = error_name or f"unrecognised revert data 0x{data.hex()}"
        super().__init__(f"{label}({shown})" if error_name else label)


class PermissionDenied(ContractRevert, PermissionError):
    """The sender lacks the role or membership the call needs."""


class AlreadyExists(ContractRevert):
    """The record, zone, role or approval exists already (first-to-file and friends)."""


class NotFound(ContractRevert, LookupError):
    """The proposal, zone, record or binding does not exist."""


class InvalidSignature(ContractRevert):
    """An EIP-712 signature is expired, replayed or from the wrong signer."""


class InvalidState(ContractRevert):
    """The call is not allowed in the current state (expired, below threshold, suspended)."""


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


class Unauthenticated(FtzError):
    """The request needs a signed-in caller and has none (or the session has ended): sign in
    with POST /v1/auth/nonce, then POST /v1/auth/login."""


class RateLimited(FtzError):
    """Too many requests of this kind from this caller; retry after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Forbidden(FtzError, PermissionError):
    """The submission is well formed but this zone does not relay it for its signer."""


class AlreadyRecorded(FtzError):
    """What the submission would record is on chain already (or its nonce is used)."""

    def __init__(self, message: str, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.detail = detail or {}
