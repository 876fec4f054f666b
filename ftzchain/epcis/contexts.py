"""JSON-LD contexts from a local allow-list only: nothing a document names is ever fetched.

EPCIS 2.0 documents name the GS1 context by URL. The hash id needs the context (bare CBV
words such as ``shipping`` stand for web vocabulary URIs), but reaching the network on a
caller's behalf is refused: the contexts published documents use are resolved from the copies
the ``epcis-event-hash-generator`` package ships (GS1's own files), and any other URL is an
:class:`~ftzchain.errors.InvalidEpcis` naming it. The loader never falls back to HTTP.
"""

from __future__ import annotations

import copy
import importlib.resources
import json
from decimal import Decimal
from functools import cache
from typing import Any

from ftzchain.errors import InvalidEpcis

_PACKAGE = "epcis_event_hash_generator"
_EPCIS_2_0_0 = "e532647e8eb371379b8b0e8602d8981c8566bc60f7351f22c76a5bc865962008.jsonld"
_EPCIS_2_0_LATEST = "14b10c9d3e92d35f577bfc610fe5ec15aa2941124987919389d7cd9998516861.jsonld"

# URL a document may name → the local file that serves it.
ALLOWED_CONTEXTS: dict[str, str] = {
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld": _EPCIS_2_0_0,
    "https://ref.gs1.org/standards/epcis/epcis-context.jsonld": _EPCIS_2_0_LATEST,
    "https://gs1.github.io/EPCIS/epcis-context.jsonld": _EPCIS_2_0_LATEST,
}


@cache
def _context_document(filename: str) -> dict[str, Any]:
    with importlib.resources.files(_PACKAGE).joinpath(filename).open(encoding="utf-8") as fh:
        loaded: dict[str, Any] = json.load(fh)
    return loaded


def shared_context(url: str) -> dict[str, Any] | None:
    """The allow-listed context ``url`` names, the one copy shared by every caller (read it,
    never change it); None for any other URL."""
    filename = ALLOWED_CONTEXTS.get(url)
    return _context_document(filename) if filename else None


def load_context(url: str) -> dict[str, Any]:
    """The allow-listed context ``url`` names; any other URL is refused."""
    filename = ALLOWED_CONTEXTS.get(url)
    if filename is None:
        allowed = ", ".join(ALLOWED_CONTEXTS)
        raise InvalidEpcis(
            f"@context {url!r} is not one this service resolves (nothing is fetched); "
            f"use one of {allowed} or inline the extra prefixes as an object"
        )
    return copy.deepcopy(_context_document(filename))


def plain_numbers(value: Any) -> Any:
    """The document with exact Decimals as floats: the JSON-LD processor wants plain numbers,
    and only the expanded strings are used."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list):
        return [plain_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: plain_numbers(v) for k, v in value.items()}
    return value


def expand_document(document: dict[str, Any]) -> Any:
    """JSON-LD expansion of ``document`` with contexts from the allow-list only."""
    from pyld import jsonld

    refused: list[InvalidEpcis] = []

    def loader(url: str, _options: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            document = load_context(url)
        except InvalidEpcis as exc:
            refused.append(exc)
            raise
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": document,
        }

    try:
        return jsonld.expand(plain_numbers(document), {"documentLoader": loader})
    except jsonld.JsonLdError as exc:
        if refused:
            raise refused[0] from None
        raise InvalidEpcis(f"the document is not valid JSON-LD: {exc.type}") from None
