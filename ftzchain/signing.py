"""Signing keys behind one small interface, and encrypted keystores on disk."""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import coincurve
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

from ftzchain.errors import KeyExists, KeyNotFound, KeystoreError, WrongPassword

# Importing eth_account pulls in py_ecc, whose __init__ raises the recursion limit to 100,000:
# far beyond what the C stack holds, so a deeply nested JSON body would crash the process
# inside the C parser instead of raising RecursionError. Nothing here recurses that deep
# (coincurve signs; py_ecc's pairing code is never called), so the default limit comes back.
RECURSION_LIMIT = 1000
sys.setrecursionlimit(min(sys.getrecursionlimit(), RECURSION_LIMIT))

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class Signer(Protocol):
    """What the client needs from a key: an address and two kinds of signature."""

    @property
    def address(self) -> str: ...

    def sign_transaction(self, tx: dict[str, Any]) -> bytes:
        """Sign an EIP-1559 transaction dict; returns the raw signed transaction."""
        ...

    def sign_typed_data(self, typed_data: dict[str, Any]) -> bytes:
        """Sign EIP-712 typed data (the full JSON message); returns the 65-byte signature."""
        ...

    def sign_text(self, text: str) -> bytes:
        """Sign a text as EIP-191 ``personal_sign`` does (a Sign-In with Ethereum message);
        returns the 65-byte signature."""
        ...

    def sign_digest_unsafe(self, digest: bytes) -> bytes:
        """Sign a raw 32-byte digest (r ‖ s ‖ v, v = 27/28). Unsafe: the caller must have
        built the digest from typed data (EIP-712); never sign a digest from elsewhere."""
        ...


class LocalSigner:
    """A key held in this process (decrypted from a keystore or given as hex)."""

    def __init__(self, account: LocalAccount) -> None:
        self._account = account
        self._coincurve_key = coincurve.PrivateKey(bytes(account.key))

    @classmethod
    def from_key(cls, private_key: str | bytes) -> LocalSigner:
        return cls(Account.from_key(private_key))

    @classmethod
    def generate(cls) -> LocalSigner:
        return cls(Account.create())

    @property
    def address(self) -> str:
        return str(self._account.address)

    @property
    def private_key(self) -> bytes:
        return bytes(self._account.key)

    def sign_transaction(self, tx: dict[str, Any]) -> bytes:
        return bytes(self._account.sign_transaction(tx).raw_transaction)

    def sign_typed_data(self, typed_data: dict[str, Any]) -> bytes:
        signable = encode_typed_data(full_message=typed_data)
        return bytes(self._account.sign_message(signable).signature)

    def sign_text(self, text: str) -> bytes:
        return bytes(self._account.sign_message(encode_defunct(text=text)).signature)

    def sign_digest_unsafe(self, digest: bytes) -> bytes:
        if len(digest) != 32:
            raise ValueError("a digest is 32 bytes")
        sig = self._coincurve_key.sign_recoverable(digest, hasher=None)
        return sig[:64] + bytes([sig[64] + 27])


@dataclass(frozen=True)
class KeystoreEntry:
    name: str
    address: str
    path: Path


class Keystore:
    """Encrypted (Web3 Secret Storage v3, scrypt) key files in one folder, one per name."""

    def __init__(self, directory: Path, scrypt_n: int = 2**18) -> None:
        self.directory = directory
        self.scrypt_n = scrypt_n

    def _path(self, name: str) -> Path:
        if not _NAME.match(name):
            raise KeystoreError(
                f"bad key name {name!r}: use letters, digits, '.', '_' or '-' (max 64)"
            )
        return self.directory / f"{name}.json"

    def create(self, name: str, password: str, private_key: bytes | None = None) -> KeystoreEntry:
        path = self._path(name)
        if path.exists():
            raise KeyExists(f"a key named {name!r} exists already at {path}")
        if not password:
            raise KeystoreError("an empty password is refused: set FTZ_KEYSTORE_PASSWORD")
        account = Account.from_key(private_key) if private_key else Account.create()
        keyfile = Account.encrypt(account.key, password, kdf="scrypt", iterations=self.scrypt_n)
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(keyfile, fh)
        os.replace(tmp, path)
        return KeystoreEntry(name=name, address=str(account.address), path=path)

    def list(self) -> list[KeystoreEntry]:
        if not self.directory.is_dir():
            return []
        entries = []
        for path in sorted(self.directory.glob("*.json")):
            try:
                address = "0x" + json.loads(path.read_text())["address"]
            except (ValueError, KeyError):
                continue
            entries.append(KeystoreEntry(name=path.stem, address=_checksum(address), path=path))
        return entries

    def load(self, name: str, password: str) -> LocalSigner:
        path = self._path(name)
        if not path.exists():
            raise KeyNotFound(
                f"no key named {name!r} in {self.directory}: create it with `ftz keys new {name}`"
            )
        try:
            key = Account.decrypt(json.loads(path.read_text()), password)
        except ValueError as exc:
            raise WrongPassword(
                f"the password does not open key {name!r}: check FTZ_KEYSTORE_PASSWORD"
            ) from exc
        return LocalSigner.from_key(key)


def _checksum(address: str) -> str:
    return str(to_checksum_address(address))
