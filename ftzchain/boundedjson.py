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
from itertools import accumulate
from typing import Any

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_AS_PARENS = str.maketrans("[{]}", "(())")


def nesting_depth(text: str, cap: int) -> int:
    """How deep the JSON text nests arrays and objects (strings skipped), without parsing;
    anything deeper than ``cap`` counts as ``cap + 1``.

    The text is reduced to its brackets outside strings, then every innermost pair is
    removed at once, pass after pass, until none is left: the passes are the depth. Each pass
    is one ``str.replace``, so a document costs a few passes of C instead of a Python step
    per token."""
    marks = _NOT_BRACKET.sub("", _STRING.sub("", text)).translate(_AS_PARENS)
    depth, left = 0, marks
    while left and depth <= cap:
        shorter = left.replace("()", "")
        if len(shorter) == len(left):  # unbalanced: count it the long way (invalid anyway)
            return min(_deepest(marks), cap + 1)
        left, depth = shorter, depth + 1
    return depth


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number (RFC 8259 has no NaN or Infinity)")


def _deepest(marks: str) -> int:
    return max(accumulate(1 if m == "(" else -1 for m in marks), default=0)


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
    if nesting_depth(text, max_depth) > max_depth:
        raise fail(f"{what} nests deeper than {max_depth} levels")
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise fail(
            f"{what} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer of more than 4,300 digits
        raise fail(f"{what} cannot be read: {exc}") from None
