"""Signing in to a served API as a test caller would: nonce, EIP-4361 message, login."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from ftzchain.signing import Signer
from ftzchain.siwe import SiweMessage


def siwe_message(nonce: dict[str, Any], key: Signer, **changes: Any) -> SiweMessage:
    """The message a wallet would sign for the answer of POST /v1/auth/nonce."""
    fields: dict[str, Any] = {
        "domain": nonce["domain"],
        "address": key.address,
        "statement": nonce["statement"],
        "uri": nonce["uri"],
        "version": "1",
        "chain_id": nonce["chain_id"],
        "nonce": nonce["nonce"],
        "issued_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    return SiweMessage(**{**fields, **changes})


def login(client: httpx.Client, key: Signer, **changes: Any) -> httpx.Response:
    nonce = client.post("/v1/auth/nonce")
    assert nonce.status_code == 201, nonce.text
    message = siwe_message(nonce.json(), key, **changes)
    return client.post(
        "/v1/auth/login",
        json={"message": message.text(), "signature": "0x" + key.sign_text(message.text()).hex()},
    )


def bearer(base: str, key: Signer) -> dict[str, str]:
    """Headers of a session signed in as ``key``."""
    with httpx.Client(base_url=base) as client:
        signed = login(client, key)
    assert signed.status_code == 200, signed.text
    return {"Authorization": f"Bearer {signed.json()['token']}"}
