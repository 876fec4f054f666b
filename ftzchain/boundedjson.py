"""JSON from outside, read within stated limits: size and nesting are checked before the
parser runs, numbers are exact, and every failure is a message naming what is wrong.

Python's C JSON parser recurses once per nesting level; with a high recursion limit (see
:mod:`ftzchain.signing`) a body of 100,000 ``[`` overflows the C stack and kills the process,
so nesting is counted on the raw text first (strings skipped) and refused above the limit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def nesting_depth(text: str) -> int:
    """How deep the JSON text nests arrays and objects (strings skipped), without parsing."""
    depth = deepest = 0
    for token in _TOKENS.finditer(text):
        mark = token.group()
        if mark in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif mark in "]}":
            depth -= 1
    return deepest


def loads_bounded(
    raw: bytes | str,
    *,
    max_bytes: int,
    max_depth: int,
    what: str,
    fail: Callable[[str], Exception],
) -> Any:
    """Parse ``raw`` (``what`` names it in messages); ``fail(message)`` makes the error."""
    if len(raw) > max_bytes:
        raise fail(f"{what} has {len(raw):,} bytes, more than {max_bytes:,}: split it")
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise fail(f"{what} is not UTF-8 (byte {exc.start})") from None
    if nesting_depth(text) > max_depth:
        raise fail(f"{what} nests deeper than {max_depth} levels")
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise fail(
            f"{what} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer of more than 4,300 digits
        raise fail(f"{what} cannot be read: {exc}") from None
