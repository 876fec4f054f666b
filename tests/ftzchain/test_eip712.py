"""The fast EIP-712 path signs exactly what the reference (eth_account typed data) signs."""

from __future__ import annotations

import hashlib

from eth_account import Account
from eth_account.messages import encode_typed_data

from ftzchain.domain import zone_id
from ftzchain.eip712 import IpRegistration, ip_registration_digest, ip_registration_typed_data
from ftzchain.signing import LocalSigner


def test_fast_digest_and_signature_equal_eth_account_typed_data() -> None:
    signer = LocalSigner.generate()
    reg = IpRegistration(
        content_hash=hashlib.sha256(b"work").digest(),
        work_type=3,
        title_hash=hashlib.sha256(b"title").digest(),
        zone_id=zone_id("CN-SH"),
        owner=signer.address,
        nonce=41,
        deadline=1_900_000_000,
    )
    registry = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    typed = ip_registration_typed_data(reg, 31337, registry)
    reference = encode_typed_data(full_message=typed)
    digest = ip_registration_digest(reg, 31337, registry)
    assert len(digest) == 32
    fast = signer.sign_digest_unsafe(digest)
    assert fast == signer.sign_typed_data(typed)
    assert Account.recover_message(reference, signature=fast) == signer.address
