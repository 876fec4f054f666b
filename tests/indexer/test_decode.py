"""The decoders cover exactly the events the contracts emit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

from ftzchain.artifacts import CORE_CONTRACTS
from ftzchain.compile import Build
from ftzchain.reverts import _abi_type
from indexer.decode import (
    EVENT_SIGNATURES,
    NOT_INDEXED,
    IpRegistered,
    LogPosition,
    MalformedLog,
    UnknownEvent,
    decode_log,
)
from indexer.source import RpcLog


def test_every_contract_event_has_a_decoder(build: Build) -> None:
    emitted = {
        f"{e['name']}({','.join(_abi_type(i) for i in e['inputs'])})"
        for name in CORE_CONTRACTS
        for e in build.get(name).abi
        if e["type"] == "event" and not e["name"].startswith("EIP712")
    }
    assert emitted == set(EVENT_SIGNATURES) | set(NOT_INDEXED)
    assert not set(EVENT_SIGNATURES) & set(NOT_INDEXED)


def test_unknown_topic_is_refused() -> None:
    log = RpcLog(
        topics=["0x" + "00" * 32],
        data="0x",
        blockNumber="0x1",
        blockHash="0x" + "11" * 32,
        transactionHash="0x" + "22" * 32,
        logIndex="0x0",
        address="0x" + "33" * 20,
    )
    with pytest.raises(UnknownEvent):
        decode_log(log, 1)


def _ip_registered_log(data: str) -> RpcLog:
    signature = "IpRegistered(bytes32,bytes32,address,uint8,bytes32,address,uint256,uint64)"
    return RpcLog(
        topics=[
            "0x" + keccak(text=signature).hex(),
            "0x" + "ab" * 32,
            "0x" + b"CN-SH".ljust(32, b"\0").hex(),
            "0x" + "00" * 12 + "cd" * 20,
        ],
        data="0x" + data,
        blockNumber="0x1f",
        blockHash="0x" + "11" * 32,
        transactionHash="0x" + "22" * 32,
        logIndex="0x3",
        address="0x" + "33" * 20,
    )


def test_ip_registered_fields_agree_with_the_abi_encoding() -> None:
    """The hot-path decoder slices fields out of the hex text; check each against eth_abi."""
    title = bytes(range(32))
    submitter = "0x" + "5e" * 20
    data = abi_encode(
        ["uint8", "bytes32", "address", "uint256", "uint64"],
        [7, title, submitter, 2**256 - 2, 1_764_000_000],
    )
    record = decode_log(_ip_registered_log(data.hex()), 31337)
    assert isinstance(record, IpRegistered)
    assert record.pos == LogPosition(
        31337, 31, "0x" + "11" * 32, "0x" + "22" * 32, 3, "0x" + "33" * 20
    )
    assert record.content_hash == "0x" + "ab" * 32
    assert record.zone == "CN-SH"
    assert record.owner == "0x" + "cd" * 20
    assert record.work_type == 7
    assert record.title_hash == "0x" + title.hex()
    assert record.submitter == submitter
    assert record.nonce == 2**256 - 2
    assert record.registered_at == datetime.fromtimestamp(1_764_000_000, UTC)
    assert decode_log(_ip_registered_log(data.hex().upper()), 31337) == record


@pytest.mark.parametrize("cut", [32, -32, 1])
def test_ip_registered_with_data_of_the_wrong_size_is_malformed(cut: int) -> None:
    data = abi_encode(
        ["uint8", "bytes32", "address", "uint256", "uint64"], [1, b"", "0x" + "00" * 20, 0, 0]
    )
    data = data[:-cut] if cut > 0 else data + b"\0" * -cut
    with pytest.raises(MalformedLog):
        decode_log(_ip_registered_log(data.hex()), 1)
