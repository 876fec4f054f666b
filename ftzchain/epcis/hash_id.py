"""CBV 2.0 Event Hash IDs: a pure function from an EPCIS 2.0 JSON document to its events' ids.

An event's id is how two zones agree they mean the same event, so it must be the id every
other EPCIS system computes. The algorithm is CBV 2.0's (section 8.9): each event becomes a
*pre-hash string* (its fields in a fixed order, values canonicalised, user extensions sorted
after them) whose SHA-256 is the id, ``ni:///sha-256;<hex>?ver=CBV2.0``. Where the standard
leaves room, this follows what the reference implementations compute (the
``epcis-event-hash-generator`` library and openepcis), checked against the reference's
published test vectors in ``tests/ftzchain/test_epcis_vectors.py``, and where the reference
library is wrong this module is the fix:

- no state between calls: the namespace prefixes of one document never leak into the next
  (the library keeps them in a module-level dictionary);
- a typed list entry (``bizTransactionList``, ``sourceList``, ``destinationList``) is read
  ``type`` first, whatever the JSON key order (the library follows key order); an entry
  without the optional ``type`` is hashed as its value alone (the library crashes);
- numbers keep their exact digits (the library rounds them through a float);
- JSON-LD contexts resolve only from the local allow-list (:mod:`ftzchain.epcis.contexts`);
- only the document's vocabulary skeleton is JSON-LD-expanded (:func:`vocabulary_skeleton`):
  the same vocabulary URIs as expanding every event, at a fraction of the cost;
- a failure names the event instead of dropping it silently.

The canonical GS1 Digital Link form of EPC URIs and the field order come from the library
(``dl_normaliser``, ``PROP_ORDER``); they are data, not state.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from typing import Any

from ftzchain.epcis.contexts import expand_document, plain_numbers, shared_context
from ftzchain.errors import InvalidEpcis

CANONICALISATION = "CBV2.0"  # the ``ver`` of every id this module makes

# A parsed element, as the standard's XML view sees it: (name, text, children).
Node = tuple[str, str, list[Any]]

_TYPED_LISTS = ("bizTransactionList", "sourceList", "destinationList")
_TYPED_VALUES = ("bizTransaction", "source", "destination")
_IGNORED_KEYS = ("#text", "rdfs:comment", "comment", "@context")  # a bare event's own context
_NOT_HASHED = ("recordTime", "eventID", "type", "errorDeclaration")
_VOCABULARY_URNS = (
    ("urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-"),
    ("urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-"),
    ("urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-"),
    ("urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-"),
    ("urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/ER-"),
)
_FLOAT_EXACT_DIGITS = 15  # up to this many significant digits a float prints the same number


def hash_id_of_prehash(prehash: str) -> str:
    return f"ni:///sha-256;{hashlib.sha256(prehash.encode()).hexdigest()}?ver={CANONICALISATION}"


def prehashes(document: dict[str, Any], events: list[dict[str, Any]]) -> list[str]:
    """The pre-hash string of each of ``events`` (the document's events, in order)."""
    expanded = _by_bare_value(_bare_values_expanded(document))
    namespaces = _namespaces(document.get("@context"))
    out = []
    for index, event in enumerate(events):
        try:
            event = _replace_bare_values(event, expanded)
            tree = _corrected(_tree(event, namespaces))
            out.append(_prehash(tree))
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
            raise InvalidEpcis(f"event {index}: cannot be canonicalised ({exc})") from exc
    return out


def hash_ids(document: dict[str, Any], events: list[dict[str, Any]]) -> list[str]:
    return [hash_id_of_prehash(p) for p in prehashes(document, events)]


# --- bare CBV words → web vocabulary URIs ------------------------------------------------


def _strings(value: Any, found: set[str]) -> None:
    if isinstance(value, str):
        found.add(value)
    elif isinstance(value, list):
        for item in value:
            _strings(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _strings(item, found)


def _bare_values_expanded(document: dict[str, Any]) -> list[str]:
    """The CBV and GS1 vocabulary URIs the JSON-LD expansion of the document yields: a bare
    word such as ``shipping`` stands for the one of them that ends in ``-shipping``."""
    skeleton = json.dumps(plain_numbers(vocabulary_skeleton(document)), sort_keys=True)
    if len(skeleton) > _CACHED_SKELETON_CHARS:
        return _skeleton_vocabulary(skeleton)
    return list(_cached_skeleton_vocabulary(skeleton))


# Documents from one system share a skeleton (the bench's all do): the expansion of each
# skeleton is kept (a few KB each; a bigger skeleton is expanded every time, never kept).
_CACHED_SKELETONS = 256
_CACHED_SKELETON_CHARS = 16_384


def _skeleton_vocabulary(skeleton: str) -> list[str]:
    """The vocabulary URIs of a skeleton (as JSON text: the exact expansion input)."""
    found: set[str] = set()
    _strings(expand_document(json.loads(skeleton)), found)
    return sorted(v for v in found if v.startswith(_VOCABULARY))


@lru_cache(maxsize=_CACHED_SKELETONS)
def _cached_skeleton_vocabulary(skeleton: str) -> tuple[str, ...]:
    return tuple(_skeleton_vocabulary(skeleton))


# --- the part of a document its vocabulary URIs depend on --------------------------------

_VOCABULARY = ("https://ref.gs1.org/cbv", "https://gs1.org/voc")
# Keywords whose values may be reduced (IRIs and literals); every other keyword's value, and
# a value under a key a context aliases to another keyword, is kept as written.
_REDUCIBLE_KEYWORDS = frozenset({"@id", "@type", "@value"})
_RELATIVE_TO = ("@vocab", "@base")  # a context naming either: no reduction (see below)


def vocabulary_skeleton(document: dict[str, Any]) -> dict[str, Any]:
    """The document with each event reduced to what can expand to a vocabulary URI, and each
    reduced event once: its JSON-LD expansion yields the same vocabulary URIs as the whole
    document's, at the cost of expanding a few events instead of every one (a test checks
    the two agree on every vendored document and on generated ones).

    Why it is the same set. Expansion treats each event of the list on its own, so events
    that reduce to the same JSON add nothing. A string value is *inert* when it cannot
    expand to a vocabulary URI or change how anything else expands: it is not a term or
    prefix any context in play defines (nor ``prefix:…`` of one), does not start with
    ``@``, and is not itself a vocabulary URI. Such a string expands to itself or to itself
    resolved against ``@base``/``@vocab``, and no context here has either (a document whose
    contexts name one is expanded whole), so it never becomes a vocabulary URI; it is
    replaced by one fixed absolute IRI that expands to itself. Keys, contexts and the values
    of other keywords (``@language``, ``@direction``, …) are kept as written."""
    body = document.get("epcisBody")
    if not isinstance(body, dict) or not isinstance(body.get("eventList"), list):
        return document
    events: list[Any] = body["eventList"]
    terms: set[str] = set()
    aliases: set[str] = set()
    named = document.get("@context")
    for url in named if isinstance(named, list) else [named]:
        if isinstance(url, str) and shared_context(url) is not None:
            relative, url_terms, url_aliases = _named_context_terms(url)
            if relative:
                return document
            terms |= url_terms
            aliases |= url_aliases
    for context in _inline_contexts(document):
        if _defines(context, _RELATIVE_TO):
            return document
        _collect_terms(context, terms, aliases)
    placeholder = "ftzinert:x"  # an absolute IRI: expands to itself
    if "ftzinert" in terms:
        return document
    unique: dict[str, Any] = {}
    for event in events:
        reduced = _reduce(event, terms, aliases, placeholder)
        unique.setdefault(json.dumps(reduced, sort_keys=True, default=str), reduced)
    return {**document, "epcisBody": {**body, "eventList": list(unique.values())}}


@cache
def _named_context_terms(url: str) -> tuple[bool, frozenset[str], frozenset[str]]:
    """For an allow-listed context: whether it names ``@vocab``/``@base``, its terms and its
    keyword aliases (read once per process; the file never changes)."""
    context = shared_context(url)
    terms: set[str] = set()
    aliases: set[str] = set()
    _collect_terms(context, terms, aliases)
    return _defines(context, _RELATIVE_TO), frozenset(terms), frozenset(aliases)


def _inline_contexts(value: Any) -> list[Any]:
    """Every ``@context`` value written anywhere in the document (a URL, an object, a list)."""
    found: list[Any] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "@context":
                found.append(item)
            else:
                found.extend(_inline_contexts(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_inline_contexts(item))
    return found


def _defines(context: Any, keys: tuple[str, ...]) -> bool:
    if isinstance(context, dict):
        return any(k in keys or _defines(v, keys) for k, v in context.items())
    if isinstance(context, list):
        return any(_defines(v, keys) for v in context)
    return False


def _collect_terms(context: Any, terms: set[str], aliases: set[str]) -> None:
    """Every key of ``context`` at any depth (a superset of the terms it defines: more
    strings kept, never fewer), and the keys aliased to a keyword other than the reducible
    ones."""
    if isinstance(context, list):
        for item in context:
            _collect_terms(item, terms, aliases)
    elif isinstance(context, dict):
        for key, value in context.items():
            terms.add(key)
            target = value.get("@id") if isinstance(value, dict) else value
            keyword = isinstance(target, str) and target.startswith("@")
            if keyword and target not in _REDUCIBLE_KEYWORDS:
                aliases.add(key)
            _collect_terms(value, terms, aliases)


def _reduce(value: Any, terms: set[str], aliases: set[str], placeholder: str) -> Any:
    if isinstance(value, str):
        prefix = value.split(":", 1)[0] if ":" in value else None
        inert = (
            value not in terms
            and not value.startswith("@")
            and not value.startswith(_VOCABULARY)
            and (prefix is None or prefix not in terms)
        )
        return placeholder if inert else value
    if isinstance(value, list):
        return [_reduce(v, terms, aliases, placeholder) for v in value]
    if isinstance(value, dict):
        return {
            key: item
            if key == "@context"
            or key in aliases
            or (key.startswith("@") and key not in _REDUCIBLE_KEYWORDS)
            else _reduce(item, terms, aliases, placeholder)
            for key, item in value.items()
        }
    return value


def _by_bare_value(expanded: list[str]) -> dict[str, str | None]:
    """Each bare value a vocabulary URI can stand for (any tail after a ``-`` or ``/``) →
    that URI, or None when two URIs end so (an ambiguous word is left as written)."""
    found: dict[str, str | None] = {}
    for uri in expanded:
        for i, char in enumerate(uri):
            if char in "-/":
                tail = uri[i + 1 :]
                found[tail] = uri if found.get(tail, uri) == uri else None
    return found


def _replace_bare_values(value: Any, expanded: dict[str, str | None]) -> Any:
    if isinstance(value, str):
        return expanded.get(value) or value
    if isinstance(value, list):
        return [_replace_bare_values(v, expanded) for v in value]
    if isinstance(value, dict):
        return {k: _replace_bare_values(v, expanded) for k, v in value.items()}
    return value


# --- JSON → the element tree -------------------------------------------------------------


def _namespaces(context: Any) -> dict[str, str]:
    """Prefix → ``{namespace}`` from the document's ``@context`` list (fresh per document)."""
    found: dict[str, str] = {}
    if isinstance(context, list):
        for entry in context:
            if isinstance(entry, str):
                found[entry] = "{" + entry + "}"
            elif isinstance(entry, dict):
                for prefix, uri in entry.items():
                    if isinstance(uri, str):
                        found[prefix] = "{" + uri + "}"
    return found


def _expand_prefix(text: str, namespaces: dict[str, str], is_value: bool = False) -> str:
    prefix, sep, rest = text.partition(":")
    if not sep or prefix not in namespaces:
        return text
    namespace = namespaces[prefix]
    if is_value:
        namespace = namespace.replace("{", "").replace("}", "")
    return namespace + rest


def _scalar_text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f") if value == value.to_integral_value() else str(value)
    return str(value)


def _typed_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """A typed list entry with ``type`` first (CBV 2.0 puts it before the value)."""
    if "type" not in entry:
        return entry
    return {"type": entry["type"], **{k: v for k, v in entry.items() if k != "type"}}


def _tree(value: Any, namespaces: dict[str, str]) -> Node:
    if isinstance(value, list):
        return ("", "", [_tree(item, namespaces) for item in value])
    if not isinstance(value, dict):
        text = value if isinstance(value, str) else _scalar_text(value)
        return ("", _expand_prefix(text, namespaces, is_value=True), [])
    if any(k in value for k in _TYPED_VALUES):
        value = _typed_entry(value)
    name = str(value.get("type", ""))
    text = str(value.get("#text", ""))
    children: list[Any] = []
    for key, item in value.items():
        if key in _IGNORED_KEYS:
            continue
        if key.startswith("@xmlns"):
            namespaces = {**namespaces, key[7:]: "{" + str(item) + "}"}
            name = _expand_prefix(name, namespaces)
            continue
        child = _tree(item, namespaces)
        key = _expand_prefix(key, namespaces)
        if isinstance(item, list):
            children.extend((key, element[1], element[2]) for element in child[2])
        else:
            children.append((key, child[1], child[2]))
    if not any(k in value for k in _TYPED_VALUES):
        children.sort()  # the order of entries in a typed list is the document's
    return (name, text, children)


def _renamed(node: Node) -> Node:
    """Elements the JSON binding names differently from the XML one."""
    name, text, children = node
    if name in ("inputEPC", "outputEPC"):
        return ("epc", text, children)
    if name in ("inputQuantity", "outputQuantity", "childQuantity") or (
        name == "quantity" and children
    ):
        return ("quantityElement", text, children)
    return node


def _corrected(node: Node) -> Node:
    """The JSON tree reshaped into the XML model the pre-hash order is written for."""
    name, text, children = node[0], node[1], list(node[2])
    lists: dict[str, list[Node]] = {}
    for element in [e for e in children if isinstance(e[0], str) and e[0].endswith("List")]:
        lists.setdefault(element[0], []).append((element[0][:-4], element[1], element[2]))
        children.remove(element)
    for list_name, elements in lists.items():
        if list_name in _TYPED_LISTS:
            # (type, value) pairs; an entry without the optional type is its value alone
            entries = [tuple(e[2][:2]) if len(e[2]) >= 2 else e[2][0] for e in elements]
            children.append((list_name, "", entries))
        else:
            children.append((list_name, "", elements))
    child_epcs: list[Node] = [("epc", e[1], []) for e in children if e[0] == "childEPCs"]
    children = [e for e in children if e[0] != "childEPCs"]
    if child_epcs:
        children.append(("childEPCs", "", child_epcs))
    return _renamed((name, text, [e if e[0] in _TYPED_LISTS else _corrected(e) for e in children]))


# --- the pre-hash string -----------------------------------------------------------------


# RFC 3339 as EPCIS writes times: read by the standard library exactly as the reference's
# dateutil reads it, ten times faster. Anything else goes to dateutil.
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)")


def _utc_millis(text: str) -> str:
    """An ISO 8601 time in UTC at millisecond precision, ``…Z``; other text unchanged."""
    moment: datetime
    if _RFC3339.fullmatch(text):
        moment = datetime.fromisoformat(text)
    else:
        import dateutil.parser

        try:
            moment = dateutil.parser.parse(text)
        except (ValueError, OverflowError):
            return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # EPCIS times carry an offset; never guess local
    moment = moment.astimezone(UTC)
    rounded = round(moment.microsecond, -3)
    moment = moment.replace(microsecond=0) + timedelta(microseconds=rounded)
    return moment.isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"


def _numeric(text: str) -> str:
    """A number without leading zeros, sign or trailing ``.0``, keeping every digit."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if not number.is_finite():
        return text
    if number == number.to_integral_value():
        return str(int(number))
    if len(number.normalize().as_tuple().digits) <= _FLOAT_EXACT_DIGITS:
        return str(float(number))  # the reference's spelling (0.5, 1e-05)
    return format(number.normalize(), "f")


@lru_cache(maxsize=8192)
def _canonical(text: str) -> str:
    # Kept per process: a document's steps, dispositions, locations and parties repeat in
    # most of its events, and the GS1 Digital Link normaliser is the costly part.
    # Imported here, not at the top: every `ftz` command imports this module through the
    # contract wrappers, and the library (with PyLD) is only needed when something is hashed.
    from epcis_event_hash_generator.dl_normaliser import normaliser

    for urn, web in _VOCABULARY_URNS:
        text = text.replace(urn, web)
    text = _numeric(text)
    normalised = normaliser(text)
    return str(normalised) if normalised else text


def _is_str_name(node: Any) -> bool:
    return isinstance(node, tuple) and len(node) == 3 and isinstance(node[0], str)


def _user_extensions(children: list[Any]) -> list[Any]:
    """Extensions (``{namespace}name``) inside a standard element, taken out to be appended
    after its standard fields; none at the event's top level."""
    if len(children) <= 1:
        return []
    for child in children:
        if _is_str_name(child) and ("eventTime" in child[0] or "action" in child[0]):
            return []
    found = [c for c in children if _is_str_name(c) and "{" in c[0] and "/}" in c[0]]
    for extension in found:
        children.remove(extension)
    return found


def _element(child: Node, order: Any) -> str:
    nested = _in_order(child[2], order) if order else ""
    text = ""
    if child[1]:
        text = child[1].strip()
        lowered = child[0].lower()
        text = (
            _utc_millis(text) if "time" in lowered and "offset" not in lowered else _canonical(text)
        )
        if text:
            text = "=" + text
    return child[0] + text + nested if text or nested else ""


def _in_order(children: list[Any], order: Any) -> str:
    """The fields named by ``order``, in that order; what is used up leaves ``children``."""
    prehash = ""
    extensions = _user_extensions(children)
    present = {c[0] for c in children if isinstance(c[0], str)}
    for name, sub_order in order:
        if name not in present:  # most of the standard's fields are absent from an event
            continue
        values = []
        for child in [c for c in children if c[0] == name]:
            value = _element(child, sub_order)
            if value:
                values.append(value)
            if not child[2]:
                children.remove(child)
        values.sort()
        if "".join(values):
            prehash = "".join([prehash, *values])
    if extensions:
        prehash += _generic(extensions)
    return prehash


def _generic(children: list[Any]) -> str:
    """Elements outside the standard order (extensions, typed lists), sorted."""
    values = []
    for child in children:
        if isinstance(child, tuple) and len(child) == 2 and isinstance(child[0], tuple):
            values.append(_generic(list(child)))
            continue
        text = child[1].strip()
        if text:
            text = "=" + _canonical(text)
        values.append(child[0] + text + _generic(child[2]))
    typed = any(_is_str_name(c) and c[0] in _TYPED_VALUES for c in children)
    if len(children) > 1 and not typed:
        values.sort()
    return "".join(values)


def _prehash(event: Node) -> str:
    from epcis_event_hash_generator import PROP_ORDER

    children = list(event[2])
    ordered = _in_order(children, PROP_ORDER)
    rest = [c for c in children if c[0] not in _NOT_HASHED]
    return "eventType=" + event[0] + ordered + (_generic(rest) if rest else "")
