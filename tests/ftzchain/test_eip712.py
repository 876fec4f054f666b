"""The fast EIP-712 path signs exactly what the reference (eth_account typed data) signs."""

from __future__ import annotations

import hashlib
import re

from eth_account import Account
from eth_account.messages import encode_typed_data

from ftzchain.domain import zone_id
from ftzchain.eip712 import (
    TYPES,
    IpRegistration,
    encode_type,
    ip_registration_digest,
    ip_registration_typed_data,
)
from ftzchain.signing import LocalSigner
from tests.conftest import ROOT


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


_TYPEHASH_LITERAL = re.compile(
    r"bytes32\s+private\s+constant\s+_\w+_TYPEHASH\s*=\s*keccak256\(\s*\"([^\"]+)\"\s*\)"
)


def _contract_type_strings() -> dict[str, str]:
    """Primary type → the type string each contract hashes into its ``_..._TYPEHASH``."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "contracts").glob("*.sol")):
        for literal in _TYPEHASH_LITERAL.findall(path.read_text()):
            found[literal.split("(", 1)[0]] = literal
    return found


def test_every_type_string_equals_the_contracts_typehash() -> None:
    in_contracts = _contract_type_strings()
    assert set(in_contracts) == set(TYPES), "one Python type per contract typehash, no more"
    for name, literal in in_contracts.items():
        assert encode_type(name) == literal, name


def test_encode_type_appends_referenced_structs_sorted() -> None:
    assert encode_type("IpBatch") == (
        "IpBatch(address owner,bytes32 zoneId,IpItem[] items,uint64 deadline)"
        "IpItem(bytes32 contentHash,uint8 workType,bytes32 titleHash)"
    )


GUIDE = ROOT / "docs" / "integrating.md"


def _guide_section(name: str) -> str:
    text = GUIDE.read_text()
    return text.split(f"<!-- {name}: begin -->", 1)[1].split(f"<!-- {name}: end -->", 1)[0]


def test_the_integrator_guide_lists_every_contract_type_string() -> None:
    listed = re.findall(r"^- `([^`]+)`$", _guide_section("type strings"), re.MULTILINE)
    assert len(listed) == len(set(listed))
    assert sorted(listed) == sorted(_contract_type_strings().values())


def test_the_integrator_guide_code_tables_are_the_chains() -> None:
    from ftzchain.trace import BIZ_STEPS, DISPOSITIONS

    for section, names in (("biz steps", BIZ_STEPS), ("dispositions", DISPOSITIONS)):
        listed = re.findall(r"(\d+) ([a-z_]+)", _guide_section(section))
        assert listed == [(str(i + 1), n) for i, n in enumerate(names)], section


def test_the_integrator_guide_role_ids_are_keccak_of_the_names() -> None:
    from ftzchain.domain import role_id

    rows = re.findall(r"^\| `([A-Z_]+)` \| `(0x[0-9a-f]{64})` \|$", GUIDE.read_text(), re.M)
    roles = re.findall(
        r'constant (\w+) = keccak256\("(\w+)"\)', (ROOT / "contracts" / "Roles.sol").read_text()
    )
    assert {name for name, _ in rows} == {name for name, _ in roles}
    for name, value in rows:
        assert "0x" + role_id(name).hex() == value, name
