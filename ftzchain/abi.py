"""Encode calls and decode results of one contract's ABI, without a node connection."""

from __future__ import annotations

from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

from ftzchain.reverts import _abi_type


class AbiCodec:
    """Calldata encoding and output decoding with eth_abi (web3's contract layer is 10x slower)."""

    def __init__(self, abi: list[dict[str, Any]]) -> None:
        self.abi = abi
        self._inputs: dict[str, tuple[bytes, list[str]]] = {}
        self._outputs: dict[str, list[str]] = {}
        for entry in abi:
            if entry.get("type") != "function":
                continue
            name = str(entry["name"])
            if name in self._inputs:
                raise ValueError(f"overloaded function {name} is not supported")
            types = [_abi_type(i) for i in entry.get("inputs", [])]
            selector = keccak(text=f"{name}({','.join(types)})")[:4]
            self._inputs[name] = (selector, types)
            self._outputs[name] = [_abi_type(o) for o in entry.get("outputs", [])]
        self._topics = {
            str(e["name"]): "0x"
            + keccak(
                text=f"{e['name']}({','.join(_abi_type(i) for i in e.get('inputs', []))})"
            ).hex()
            for e in abi
            if e.get("type") == "event"
        }
        ctor = next((e for e in abi if e.get("type") == "constructor"), None)
        self._ctor_types = [_abi_type(i) for i in ctor["inputs"]] if ctor else []

    def encode_call(self, fn: str, *args: Any) -> bytes:
        selector, types = self._inputs[fn]
        return selector + abi_encode(types, list(args))

    def event_topic(self, name: str) -> str:
        """topic0 (0x hex) of the event ``name``."""
        return self._topics[name]

    def decode_output(self, fn: str, data: bytes) -> tuple[Any, ...]:
        return tuple(abi_decode(self._outputs[fn], data))

    def encode_constructor(self, *args: Any) -> bytes:
        return abi_encode(self._ctor_types, list(args)) if self._ctor_types else b""
