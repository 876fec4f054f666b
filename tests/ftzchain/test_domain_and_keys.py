"""Pure helpers: zone and role ids, hashes, keystores, revert decoding."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from ftzchain.compile import Build
from ftzchain.domain import parse_hash32, role_id, role_name, zone_code, zone_id
from ftzchain.errors import (
    AlreadyExists,
    ContractRevert,
    InvalidInput,
    KeyExists,
    KeyNotFound,
    WrongPassword,
)
from ftzchain.reverts import RevertDecoder, revert_data_from_rpc
from ftzchain.signing import Keystore


def test_zone_id_round_trips_and_normalises_case() -> None:
    assert zone_id("cn-sh") == b"CN-SH" + b"\0" * 27
    assert zone_code(zone_id("CN-SH")) == "CN-SH"


@pytest.mark.parametrize("bad", ["", "CN SH", "上海", "X" * 33])
def test_bad_zone_code_is_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        zone_id(bad)


def test_role_id_matches_solidity_keccak_of_name() -> None:
    assert role_id("zone_node") == keccak(text="ZONE_NODE")
    assert role_name(role_id("court")) == "COURT"
    with pytest.raises(InvalidInput):
        role_id("janitor")


def test_parse_hash32_accepts_with_or_without_prefix() -> None:
    assert parse_hash32("ab" * 32) == bytes.fromhex("ab" * 32)
    assert parse_hash32("0x" + "AB" * 32) == bytes.fromhex("ab" * 32)
    with pytest.raises(InvalidInput):
        parse_hash32("0x1234")


def test_keystore_round_trip_and_errors(tmp_path: Path) -> None:
    store = Keystore(tmp_path / "keys")
    entry = store.create("shanghai-node", "correct horse")
    assert (entry.path.stat().st_mode & 0o777) == 0o600
    assert [e.address for e in store.list()] == [entry.address]
    assert store.load("shanghai-node", "correct horse").address == entry.address
    with pytest.raises(WrongPassword):
        store.load("shanghai-node", "wrong")
    with pytest.raises(KeyNotFound):
        store.load("nobody", "correct horse")
    with pytest.raises(KeyExists):
        store.create("shanghai-node", "x")


def test_decoder_names_custom_error_and_keeps_raw_data(build: Build) -> None:
    decoder = RevertDecoder(build.all_abi_entries())
    selector = keccak(text="IpRegistryAlreadyRegistered(bytes32,address,uint64)")[:4]
    data = selector + encode(["bytes32", "address", "uint64"], [b"\x11" * 32, "0x" + "22" * 20, 7])
    err = decoder.decode(data, tx_hash="0xabc")
    assert isinstance(err, AlreadyExists)
    assert err.error_args == {
        "contentHash": b"\x11" * 32,
        "owner": "0x" + "22" * 20,
        "registeredAt": 7,
    }
    assert err.data == data and err.tx_hash == "0xabc"
    unknown = decoder.decode(b"\xde\xad\xbe\xef")
    assert type(unknown) is ContractRevert and unknown.error_name is None


@pytest.mark.parametrize(
    "payload",
    [
        "0x1234",
        {"data": "0x1234"},
        {"result": "0x1234", "reason": None},
        {"0xfeed": {"error": "revert", "return": "0x1234"}},
    ],
)
def test_revert_data_is_found_in_each_node_error_shape(payload: object) -> None:
    assert revert_data_from_rpc(payload) == b"\x12\x34"
