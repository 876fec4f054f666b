"""The items a zone computed lately: one entry per document, whatever its key order; numbers
kept as written in the key."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from api.intake_cache import RecentItems
from ftzchain.boundedjson import loads_bounded
from ftzchain.sandbox import epcis_document
from ftzchain.trace import trace_items

_KEY = bytes(range(32))


def _read(document: dict[str, Any]) -> dict[str, Any]:
    """As the API reads a body: exact numbers (Decimal), bounded."""
    text = json.dumps(document, default=str)
    parsed: dict[str, Any] = loads_bounded(
        text, max_bytes=1 << 22, max_depth=64, what="the document", fail=ValueError
    )
    return parsed


def _with_extension(value: object) -> dict[str, Any]:
    document = epcis_document("cache", 3)
    document["@context"] = [*document["@context"], {"example": "https://ns.example.com/epcis/"}]
    document["epcisBody"]["eventList"][0]["example:reading"] = value
    return document


def _entries(recent: RecentItems) -> int:
    count: int = recent.db.execute("SELECT count(*) FROM items").fetchone()[0]
    return count


def test_the_same_document_in_another_key_order_is_one_entry(tmp_path: Path) -> None:
    recent = RecentItems(tmp_path / "items.sqlite")
    document = _read(epcis_document("cache", 5))
    reordered = dict(reversed(copy.deepcopy(document).items()))
    for event in reordered["epcisBody"]["eventList"]:
        event_items = list(event.items())
        event.clear()
        event.update(reversed(event_items))
    first = recent(document, _KEY)
    assert recent(reordered, _KEY) == first == trace_items(document, _KEY)
    assert _entries(recent) == 1
    recent.close()


def test_a_number_and_a_string_of_its_digits_are_two_documents(tmp_path: Path) -> None:
    recent = RecentItems(tmp_path / "items.sqlite")
    for value in (Decimal("21.5"), "21.5", 215, "215"):
        document = _with_extension(value)
        parsed = _read(document) if not isinstance(value, Decimal) else document
        recent(parsed, _KEY)
    assert _entries(recent) == 4
    recent.close()


def test_an_integer_past_64_bits_is_keyed_as_written(tmp_path: Path) -> None:
    recent = RecentItems(tmp_path / "items.sqlite")
    big = _read(_with_extension(2**70))
    assert big["epcisBody"]["eventList"][0]["example:reading"] == 2**70
    items = recent(big, _KEY)
    assert recent(_read(_with_extension(2**70)), _KEY) == items
    recent(_read(_with_extension(2**70 + 1)), _KEY)
    recent(_read(_with_extension(str(2**70))), _KEY)
    assert _entries(recent) == 3
    recent.close()
