"""Reading an EPCIS 2.0 JSON document: limits first, then GS1's JSON schema, then its events.

Limits are stated before anything is parsed (:data:`MAX_DOCUMENT_BYTES`, :data:`MAX_DEPTH`,
:data:`MAX_EVENTS`); numbers are read as exact decimals; the document is validated against
GS1's EPCIS 2.0 JSON schema (vendored in ``ftzchain/epcis/data``) and a refusal names the event
and the field. Capture documents (``EPCISDocument``), query results (``EPCISQueryDocument``) and
bare events are accepted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib.resources import files
from typing import Any

from ftzchain.boundedjson import loads_bounded
from ftzchain.epcis.hash_id import hash_ids
from ftzchain.errors import InvalidEpcis

MAX_DOCUMENT_BYTES = 8 * 1024 * 1024  # a capture of a few thousand events; bigger: split it
MAX_DEPTH = 64  # EPCIS nests about 8 deep; user extensions get the rest
MAX_EVENTS = 1000  # per call: schema check and hashing cost ~2 ms/event here, so ~2 s of a core

EVENT_TYPES = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
)
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S*$")  # RFC 3986 scheme; compact IRIs pass
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


@dataclass(frozen=True)
class EpcisDocument:
    """A validated document and its events, in document order."""

    document: dict[str, Any]
    events: list[dict[str, Any]]

    def hash_ids(self) -> list[str]:
        return hash_ids(self.document, self.events)


def parse_epcis_json(raw: bytes | str) -> dict[str, Any]:
    """JSON text → a document, within the limits; numbers stay exact (``Decimal``)."""
    parsed = loads_bounded(
        raw,
        max_bytes=MAX_DOCUMENT_BYTES,
        max_depth=MAX_DEPTH,
        what="the document",
        fail=InvalidEpcis,
    )
    if not isinstance(parsed, dict):
        raise InvalidEpcis("an EPCIS document is a JSON object")
    return parsed


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _RFC3339.match(value):
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI.match(value))


@cache
def _validator() -> Any:
    from jsonschema import Draft7Validator, FormatChecker

    schema = json.loads(
        files("ftzchain.epcis").joinpath("data", "EPCIS-JSON-Schema.json").read_text("utf-8")
    )
    checker = FormatChecker(formats=())
    checker.checks("date-time")(_is_date_time)
    checker.checks("uri")(_is_uri)
    return Draft7Validator(schema, format_checker=checker)


@cache
def _fast_validator() -> Any:
    """The same schema and format checks, compiled by jsonschema-rs: about 300x faster at
    saying whether a document is valid. Only a refusal is explained, by :func:`_validator`
    (whose errors name the place); tests/ftzchain/test_epcis_vectors.py checks that both
    agree on every vendored valid and invalid document."""
    import jsonschema_rs

    schema = json.loads(
        files("ftzchain.epcis").joinpath("data", "EPCIS-JSON-Schema.json").read_text("utf-8")
    )
    return jsonschema_rs.Draft7Validator(
        schema,
        formats={"date-time": _is_date_time, "uri": _is_uri},
        validate_formats=True,
    )


def _where(path: list[str | int]) -> str:
    """Where in the document a schema error is, as a person reads it."""
    for anchor in (
        ["epcisBody", "eventList"],
        ["epcisBody", "queryResults", "resultsBody", "eventList"],
    ):
        if path[: len(anchor)] == anchor and len(path) > len(anchor):
            index, field = path[len(anchor)], path[len(anchor) + 1 :]
            return f"event {index}" + (f", field {_dotted(field)}" if field else "")
    if path[:2] == ["epcisBody", "event"]:
        return "event 0" + (f", field {_dotted(path[2:])}" if path[2:] else "")
    return f"field {_dotted(path)}" if path else "the document"


def _dotted(path: list[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _leaves(error: Any) -> list[Any]:
    if not error.context:
        return [error]
    return [leaf for sub in error.context for leaf in _leaves(sub)]


def _allowed(leaves: list[Any]) -> list[str]:
    """What the schema would have accepted at one place, from its enum, pattern and format
    alternatives."""
    allowed: list[str] = []
    for leaf in leaves:
        if leaf.validator == "enum":
            allowed += [str(v) for v in leaf.validator_value]
        elif leaf.validator == "pattern" and re.fullmatch(r"\^[\w:-]+\$", leaf.validator_value):
            allowed.append(leaf.validator_value[1:-1])
        elif leaf.validator == "format":
            allowed.append(f"a {leaf.validator_value}")
    return list(dict.fromkeys(allowed))


def _schema_refusal(document: dict[str, Any]) -> InvalidEpcis | None:
    from jsonschema.exceptions import best_match

    if _fast_validator().is_valid(document):
        return None
    errors = list(_validator().iter_errors(document))
    if not errors:
        return None
    top = best_match(errors)
    assert top is not None
    error = top
    while error.context:  # "not valid under any of the given schemas": say which part fails
        deeper = best_match(error.context)
        if deeper is None:
            break
        error = deeper
    message = error.message
    same_place = [e for e in _leaves(top) if e.absolute_path == error.absolute_path]
    allowed = _allowed(same_place)
    if len(allowed) > 1:
        shown = ", ".join(allowed[:8]) + (", …" if len(allowed) > 8 else "")
        message = f"{error.instance!r} is not one of {shown}"
    if len(message) > 300:
        message = message[:300] + "…"
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return InvalidEpcis(
        f"not a valid EPCIS 2.0 document: {_where(list(error.absolute_path))}: {message}{more}"
    )


def _events(document: dict[str, Any]) -> list[dict[str, Any]]:
    kind = document.get("type")
    if kind in EVENT_TYPES:
        return [document]
    body = document.get("epcisBody")
    if not isinstance(body, dict):
        raise InvalidEpcis("the document has no epcisBody object")
    if kind == "EPCISQueryDocument":
        results = body.get("queryResults", {}).get("resultsBody", {})
        events = results.get("eventList", [])
    elif "eventList" in body:
        events = body["eventList"]
    elif "event" in body:
        events = [body["event"]]
    else:
        raise InvalidEpcis("the epcisBody has neither eventList nor event")
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise InvalidEpcis("the eventList is not a list of event objects")
    return events


def read_epcis(document: dict[str, Any], *, validate: bool = True) -> EpcisDocument:
    """The document's events after checking it against GS1's schema and the limits."""
    if validate:
        refusal = _schema_refusal(document)
        if refusal is not None:
            raise refusal
    events = _events(document)
    if len(events) > MAX_EVENTS:
        raise InvalidEpcis(
            f"the document holds {len(events):,} events, more than {MAX_EVENTS:,} per call: "
            "split it"
        )
    return EpcisDocument(document, events)


def event_hash_ids(document: dict[str, Any]) -> list[str]:
    """CBV 2.0 Event Hash IDs of every event of a (validated) EPCIS 2.0 document."""
    return read_epcis(document).hash_ids()
