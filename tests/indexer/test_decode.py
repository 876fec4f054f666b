"""The decoders cover exactly the events the contracts emit."""

from __future__ import annotations

import pytest

from ftzchain.compile import Build
from ftzchain.deploy import CORE_CONTRACTS
from ftzchain.reverts import _abi_type
from indexer.decode import EVENT_SIGNATURES, UnknownEvent, decode_log


def test_every_contract_event_has_a_decoder(build: Build) -> None:
    emitted = {
        f"{e['name']}({','.join(_abi_type(i) for i in e['inputs'])})"
        for name in CORE_CONTRACTS
        for e in build.get(name).abi
        if e["type"] == "event" and not e["name"].startswith("EIP712")
    }
    assert emitted == set(EVENT_SIGNATURES)


def test_unknown_topic_is_refused() -> None:
    log = {
        "topics": ["0x" + "00" * 32],
        "data": "0x",
        "blockNumber": "0x1",
        "blockHash": "0x" + "11" * 32,
        "transactionHash": "0x" + "22" * 32,
        "logIndex": "0x0",
        "address": "0x" + "33" * 20,
    }
    with pytest.raises(UnknownEvent):
        decode_log(log, 1)
