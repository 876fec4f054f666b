"""Encode calls and decode results of one contract's ABI, without a node connection."""

from __future__ import annotations

from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from web3 import Web3

from ftzchain.reverts import _abi_type


class AbiCodec:
    """Calldata encoding (through web3's offline contract) and output decoding (eth_abi)."""

    def __init__(self, abi: list[dict[str, Any]]) -> None:
        self.abi = abi
        self._contract = Web3().eth.contract(abi=abi)
        self._outputs = {
            str(e["name"]): [_abi_type(o) for o in e.get("outputs", [])]
            for e in abi
            if e.get("type") == "function"
        }
        ctor = next((e for e in abi if e.get("type") == "constructor"), None)
        self._ctor_types = [_abi_type(i) for i in ctor["inputs"]] if ctor else []

    def encode_call(self, fn: str, *args: Any) -> bytes:
        return bytes.fromhex(self._contract.encode_abi(fn, args=list(args))[2:])

    def decode_output(self, fn: str, data: bytes) -> tuple[Any, ...]:
        return tuple(abi_decode(self._outputs[fn], data))

    def encode_constructor(self, *args: Any) -> bytes:
        return abi_encode(self._ctor_types, list(args)) if self._ctor_types else b""
