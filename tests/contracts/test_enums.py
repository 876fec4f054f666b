"""Each Python enum mirror (ftzchain/enums.py) equals its Solidity enum in the compiler's AST."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from ftzchain.compile import source_asts
from ftzchain.enums import SOLIDITY_ENUMS
from tests.conftest import ROOT


def _enum_definitions(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if node.get("nodeType") == "EnumDefinition":
            yield node
        for value in node.values():
            yield from _enum_definitions(value)
    elif isinstance(node, list):
        for value in node:
            yield from _enum_definitions(value)


@pytest.fixture(scope="module")
def solidity_enums() -> dict[str, list[str]]:
    asts = source_asts(ROOT, ROOT / "build")
    return {
        e["canonicalName"]: [m["name"] for m in e["members"]]
        for ast in asts.values()
        for e in _enum_definitions(ast)
    }


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()


def test_every_solidity_enum_has_one_mirror(solidity_enums: dict[str, list[str]]) -> None:
    assert set(solidity_enums) == set(SOLIDITY_ENUMS)


@pytest.mark.parametrize("canonical", sorted(SOLIDITY_ENUMS))
def test_mirror_members_equal_the_solidity_members_in_order(
    solidity_enums: dict[str, list[str]], canonical: str
) -> None:
    mirror = SOLIDITY_ENUMS[canonical]
    assert [(m.name, m.value) for m in mirror] == [
        (_snake(name), index) for index, name in enumerate(solidity_enums[canonical])
    ]
