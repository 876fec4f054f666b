"""Nesting is counted on the raw text before parsing; checked against the parsed value's own
depth and a character-by-character scanner."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ftzchain.boundedjson import loads_bounded, nesting_depth

# Strings full of what a scanner could mistake for structure.
_TRICKY = st.text(alphabet='[]{}"\\,:ab \n\u00e9', max_size=12)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | _TRICKY,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TRICKY, inner, max_size=4),
    max_leaves=40,
)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


def _scanned(text: str) -> int:
    """The plain way: walk each character, skipping strings and their escapes."""
    depth = deepest = 0
    in_string = escaped = False
    for c in text:
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth -= 1
    return deepest


@settings(max_examples=300, deadline=None)
@given(_JSON, st.booleans())
def test_the_depth_of_any_json_text_is_the_depth_of_its_value(value: Any, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only, indent=None if ascii_only else 1)
    assert nesting_depth(text, 1000) == _depth(value) == _scanned(text)


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("", 0),
        ("1", 0),
        ("[]", 1),
        ('{"a": [1, {"b": "]]]}"}]}', 3),
        ('["\\"[[[", ["\\\\"], []]', 2),
        ("[[[", 3),  # unbalanced: every open counts
        ("]][[", 0),  # the parser stops at the first ]
        ("[[]", 2),
    ],
)
def test_depths_by_hand(text: str, depth: int) -> None:
    assert nesting_depth(text, 100) == depth == _scanned(text)


def test_past_the_cap_the_depth_is_the_cap_plus_one() -> None:
    assert nesting_depth("[" * 10 + "]" * 10, 64) == 10
    assert nesting_depth("[" * 65 + "]" * 65, 64) == 65
    assert nesting_depth("[" * 500_000 + "]" * 500_000, 64) == 65
    assert nesting_depth("[" * 500_000, 64) == 65


def test_a_deep_body_is_refused_before_the_parser_sees_it() -> None:
    with pytest.raises(ValueError, match="nests deeper than 64 levels"):
        loads_bounded(
            "[" * 100_000, max_bytes=1 << 20, max_depth=64, what="the body", fail=ValueError
        )
    assert loads_bounded(
        "[" * 64 + "]" * 64, max_bytes=1 << 20, max_depth=64, what="x", fail=ValueError
    )


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(constant: str) -> None:
    with pytest.raises(ValueError, match=f"{constant} is not a JSON number"):
        loads_bounded(
            f'{{"q": {constant}}}', max_bytes=100, max_depth=8, what="the body", fail=ValueError
        )
