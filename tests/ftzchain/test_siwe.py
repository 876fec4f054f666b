"""EIP-4361 messages against Spruce's published vectors (tests/data/siwe-vectors/)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from ftzchain.signing import LocalSigner
from ftzchain.siwe import SiweError, SiweMessage, parse, verify
from tests.conftest import ROOT

VECTORS = ROOT / "tests" / "data" / "siwe-vectors"


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / f"{name}.json").read_text())
    return data


_NAMES = {
    "chainId": "chain_id",
    "issuedAt": "issued_at",
    "expirationTime": "expiration_time",
    "notBefore": "not_before",
    "requestId": "request_id",
}


def _message(fields: dict[str, Any]) -> SiweMessage:
    known = {f for f in SiweMessage.__dataclass_fields__}
    values = {_NAMES.get(k, k): v for k, v in fields.items()}
    return SiweMessage(**{k: v for k, v in values.items() if k in known})


@pytest.mark.parametrize("name", sorted(_load("parsing_positive")))
def test_published_messages_parse_to_their_fields(name: str) -> None:
    vector = _load("parsing_positive")[name]
    parsed = parse(vector["message"])
    assert parsed == _message(vector["fields"])
    assert parsed.text() == vector["message"]  # and back to the same text


@pytest.mark.parametrize("name", sorted(_load("parsing_negative")))
def test_published_malformed_messages_are_refused(name: str) -> None:
    with pytest.raises(SiweError) as refused:
        parse(_load("parsing_negative")[name])
    assert refused.value.reason == "malformed"


def _when(vector: dict[str, Any]) -> datetime | None:
    return datetime.fromisoformat(vector["time"]) if "time" in vector else None


@pytest.mark.parametrize("name", sorted(_load("verification_positive")))
def test_published_signed_messages_verify(name: str) -> None:
    vector = _load("verification_positive")[name]
    message = _message(vector)
    assert parse(message.text()) == message
    signer = verify(
        message,
        bytes.fromhex(vector["signature"][2:]),
        domain=vector["domain"],
        now=_when(vector),
    )
    assert signer == vector["address"]


@pytest.mark.parametrize("name", sorted(_load("verification_negative")))
def test_published_bad_sign_ins_are_refused(name: str) -> None:
    vector = _load("verification_negative")[name]
    with pytest.raises(SiweError):
        message = parse(_message(vector).text())
        verify(
            message,
            bytes.fromhex(vector["signature"][2:].ljust(130, "0")[:130]),
            domain=vector.get("domainBinding", vector["domain"]),
            nonce=vector.get("matchNonce", vector["nonce"]),
            now=_when(vector),
        )


def test_a_message_signed_here_verifies_and_any_change_is_refused() -> None:
    key = LocalSigner.generate()
    message = SiweMessage(
        domain="zone.example:8000",
        address=key.address,
        uri="http://zone.example:8000/v1/auth/login",
        version="1",
        chain_id=31337,
        nonce="a1b2c3d4e5f6",
        issued_at=datetime.now(UTC).isoformat(),
        statement="Sign in to the FTZ Chain zone API.",
    )
    signature = key.sign_text(message.text())
    assert verify(message, signature, domain="zone.example:8000", chain_id=31337) == key.address
    for change, reason in (
        ({"domain": "evil.example"}, "domain"),
        ({"chain_id": 1}, "chain"),
        ({"nonce": "zzzzzzzzzzzz"}, "nonce"),
        ({"statement": "Sign in to something else."}, "signature"),
    ):
        other = SiweMessage(**{**message.__dict__, **change})
        with pytest.raises(SiweError) as refused:
            verify(other, signature, domain=message.domain, chain_id=31337, nonce=message.nonce)
        assert refused.value.reason == reason
