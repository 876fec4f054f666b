"""Event Hash IDs against the world: the reference implementation's published test vectors,
GS1's schema on openepcis's invalid documents, and no state carried between documents.

The vectors (``tests/data/epcis-hash-vectors``) are the ``tests/examples/*.jsonld`` files of
the reference generator's repository with their ``.hashes`` and ``.prehashes`` (see the
``SOURCE.md`` there); the invalid documents (``tests/data/epcis-invalid``) are openepcis's
``JSON/Capture/Invalid`` set.
"""

from __future__ import annotations

import copy
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ftzchain.epcis.document import event_hash_ids, parse_epcis_json, read_epcis
from ftzchain.epcis.hash_id import hash_id_of_prehash, prehashes
from ftzchain.errors import InvalidEpcis
from tests.conftest import ROOT
from tests.listener import ContextListener

VECTORS = ROOT / "tests" / "data" / "epcis-hash-vectors"
INVALID = ROOT / "tests" / "data" / "epcis-invalid"
VECTOR_FILES = sorted(VECTORS.glob("*.jsonld"))
# These two use the reference's experimental "ignoreFields" convention, hard-wired there to
# the placeholder namespace https://repository-x.example.com/; it is not part of CBV 2.0,
# which hashes every user extension. They are checked with the listed fields removed.
IGNORE_FIELDS = {"epcisDocHavingEventWithIgnoreFields", "epcisQueryDocHavingEventWithIgnoreFields"}
FTZ = str(Path(sys.executable).with_name("ftz"))


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.strip()]


def _document(path: Path) -> dict[str, Any]:
    return parse_epcis_json(path.read_bytes())


def _without_ignored_fields(document: dict[str, Any]) -> dict[str, Any]:
    stripped = copy.deepcopy(document)
    body = stripped["epcisBody"]
    holder = body.get("queryResults", stripped)
    ignored = next(v for k, v in holder.items() if k.endswith(":ignoreFields"))
    for event in read_epcis(stripped).events:
        for name in ignored:
            event.pop(name, None)
    return stripped


def test_the_vectors_cover_every_published_jsonld_example() -> None:
    assert len(VECTOR_FILES) == 22
    assert sum(len(_lines(p.with_suffix(".hashes"))) for p in VECTOR_FILES) == 43
    assert (VECTORS / "LICENSE").exists() and (VECTORS / "SOURCE.md").exists()


@pytest.mark.parametrize("path", VECTOR_FILES, ids=lambda p: p.stem)
def test_every_event_hashes_to_its_published_id(path: Path) -> None:
    document = _document(path)
    if path.stem in IGNORE_FIELDS:
        document = _without_ignored_fields(document)
    assert event_hash_ids(document) == _lines(path.with_suffix(".hashes"))


# Published pre-hash strings whose SHA-256 is not the published id beside them (stale
# files upstream: the ids are what count, and ours equal them).
STALE_PREHASHES = {
    ("epcisDocWithAllGS1Keys", 0),
    ("epcisDocWithCustomSchemaInContext", 1),
    ("epcisDocWithDefaultSchemaInContext", 1),
}


@pytest.mark.parametrize(
    "path", [p for p in VECTOR_FILES if p.with_suffix(".prehashes").exists()], ids=lambda p: p.stem
)
def test_every_pre_hash_string_equals_the_published_one(path: Path) -> None:
    document = _document(path)
    if path.stem in IGNORE_FIELDS:
        document = _without_ignored_fields(document)
    ours = prehashes(document, read_epcis(document).events)
    published = _lines(path.with_suffix(".prehashes"))
    ids = _lines(path.with_suffix(".hashes"))
    assert len(ours) == len(published) == len(ids)
    for index, (mine, theirs, published_id) in enumerate(zip(ours, published, ids, strict=True)):
        consistent = hash_id_of_prehash(theirs) == published_id
        assert consistent == ((path.stem, index) not in STALE_PREHASHES)
        assert hash_id_of_prehash(mine) == published_id
        if consistent:
            assert mine == theirs


def test_ids_do_not_depend_on_documents_hashed_before_in_the_process() -> None:
    """The reference library keeps @context prefixes in a global: a document declaring a
    prefix changed the ids of later ones. Every order must give every document its ids."""
    chosen = [
        VECTORS / "epcisEventWithCURIEs.jsonld",
        VECTORS / "epcisDocWithCustomSchemaInContext.jsonld",
        VECTORS / "epcisDocWithDefaultSchemaInContext.jsonld",
        VECTORS / "epcisDocWithSingleEvent.jsonld",
    ]
    expected = {p.stem: _lines(p.with_suffix(".hashes")) for p in chosen}
    for order in itertools.permutations(chosen):
        for path in order:
            assert event_hash_ids(_document(path)) == expected[path.stem], [p.stem for p in order]


def test_typed_list_entries_hash_type_first_whatever_the_key_order() -> None:
    path = VECTORS / "epcisDocWithShippingAndTransportingEvent.jsonld"
    document = _document(path)
    flipped = copy.deepcopy(document)
    for event in read_epcis(flipped).events:
        for name in ("bizTransactionList", "sourceList", "destinationList"):
            event[name] = [dict(reversed(list(e.items()))) for e in event.get(name, [])]
    assert event_hash_ids(flipped) == _lines(path.with_suffix(".hashes"))


def _single_event(**changes: Any) -> dict[str, Any]:
    document = _document(VECTORS / "epcisDocWithSingleEvent.jsonld")
    read_epcis(document).events[0].update(changes)
    return document


def test_a_business_transaction_without_type_is_hashed_not_refused() -> None:
    typed = _single_event(
        bizTransactionList=[
            {"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:0614141073467:1152"}
        ]
    )
    untyped = _single_event(
        bizTransactionList=[{"bizTransaction": "urn:epcglobal:cbv:bt:0614141073467:1152"}]
    )
    read = read_epcis(untyped)
    (pre,) = prehashes(untyped, read.events)
    assert "bizTransactionListbizTransaction=urn:epcglobal:cbv:bt:0614141073467:1152" in pre
    assert event_hash_ids(untyped) != event_hash_ids(typed)


def test_long_numbers_keep_every_digit() -> None:
    raw = json.dumps(_single_event()).replace(
        '"action"', '"example:serialCount": 111100001111000011110000, "action"', 1
    )
    document = parse_epcis_json(raw)
    document["@context"].append({"example": "https://ns.example.com/epcis/"})
    (pre,) = prehashes(document, read_epcis(document).events)
    assert "{https://ns.example.com/epcis/}serialCount=111100001111000011110000" in pre


def test_the_unversioned_gs1_context_resolves_locally() -> None:
    document = _single_event()
    document["@context"] = ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"]
    assert event_hash_ids(document) == _lines(VECTORS / "epcisDocWithSingleEvent.hashes")


def test_a_bare_event_is_hashed_by_the_command_line(tmp_path: Path) -> None:
    document = _document(VECTORS / "epcisDocWithSingleEvent.jsonld")
    event = {"@context": document["@context"], **read_epcis(document).events[0]}
    path = tmp_path / "event.jsonld"
    path.write_text(json.dumps(event))
    done = subprocess.run([FTZ, "trace", "hash", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == _lines(VECTORS / "epcisDocWithSingleEvent.hashes")


@pytest.mark.parametrize("where", ["document", "event"])
def test_an_unknown_context_is_refused_by_name_and_never_fetched(where: str) -> None:
    listener = ContextListener()
    try:
        document = _single_event()
        if where == "document":
            document["@context"].append(listener.url)
        else:
            read_epcis(document).events[0]["@context"] = [listener.url]
        with pytest.raises(InvalidEpcis) as refused:
            event_hash_ids(document)
        assert listener.url in str(refused.value)
        assert listener.requests == 0
    finally:
        listener.close()


INVALID_FILES = sorted(INVALID.glob("*.json"))
# What each refusal must name (the field, or what is missing).
NAMED = {
    "EPCISDocument_without_context": "@context",
    "ObjectEvent_with_invalid_action": "field action",
    "ObjectEvent_with_invalid_eventTime_format": "field eventTime",
    "ObjectEvent_with_non_standard_bizStep": "field bizStep",
    "ObjectEvent_with_non_standard_bizStep_in_second_event": "event 1, field bizStep",
    "ObjectEvent_with_non_standard_disposition": "field disposition",
    "ObjectEvent_with_quantity_as_text": "quantity",
    "ObjectEvent_with_unknown_field_in_quantityList": "weight",
    "ObjectEvent_with_ilmd_field_without_namespace": "materialType",
    "ObjectEvent_without_action_and_eventTime": "eventTime",
    "ObjectEvent_without_identifier_list": "epcList",
    "ObjectEvent_with_invalid_certificationInfo": "certificationInfo",
}


def test_the_invalid_set_is_vendored_whole() -> None:
    assert len(INVALID_FILES) == 15
    assert (INVALID / "LICENSE").exists() and (INVALID / "SOURCE.md").exists()


@pytest.mark.parametrize("path", INVALID_FILES, ids=lambda p: p.stem)
def test_schema_invalid_documents_are_refused_naming_the_problem(path: Path) -> None:
    with pytest.raises(InvalidEpcis) as refused:
        event_hash_ids(_document(path))
    message = str(refused.value)
    assert message.startswith("not a valid EPCIS 2.0 document: ")
    assert NAMED.get(path.stem, "event ") in message


@pytest.mark.parametrize(
    "path",
    [*VECTOR_FILES, *INVALID_FILES, *sorted((ROOT / "tests" / "data").glob("epcis-*.json*"))],
    ids=lambda p: p.stem,
)
def test_the_fast_schema_check_agrees_with_the_reference_validator(path: Path) -> None:
    """jsonschema-rs answers "valid?" for speed; python-jsonschema explains refusals: on every
    vendored document, valid or not, the two must say the same."""
    from ftzchain.epcis.document import _fast_validator, _validator

    document = _document(path)
    assert _fast_validator().is_valid(document) == _validator().is_valid(document)


def _vocabulary(document: dict[str, Any]) -> list[str]:
    """The vocabulary URIs of the whole document's JSON-LD expansion (PyLD, every event)."""
    from ftzchain.epcis.contexts import expand_document
    from ftzchain.epcis.hash_id import _VOCABULARY, _strings

    found: set[str] = set()
    _strings(expand_document(document), found)
    return sorted(v for v in found if v.startswith(_VOCABULARY))


def _skeleton_vocabulary(document: dict[str, Any]) -> list[str]:
    from ftzchain.epcis.hash_id import _bare_values_expanded

    return _bare_values_expanded(document)


@pytest.mark.parametrize("path", VECTOR_FILES, ids=lambda p: p.stem)
def test_the_skeleton_expands_to_the_vocabulary_of_the_whole_document(path: Path) -> None:
    """Hash ids expand a reduced document (one copy of each event reduced to what can name a
    vocabulary URI); the oracle is PyLD's expansion of the whole document."""
    document = _document(path)
    assert _skeleton_vocabulary(document) == _vocabulary(document)


_WORDS = [
    "shipping", "receiving", "in_transit", "active", "ADD", "OBSERVE", "DELETE", "po", "inv",
    "owning_party", "location", "possessing_party", "x", "unknown_word", "sgtin", "commissioning",
    "cbv:BizStep-packing", "cbv:Disp-damaged", "gs1:CertificationInfo", "cbv:BTT-desadv",
    "https://ref.gs1.org/cbv/Disp-sold", "https://gs1.org/voc/Country-DE", "ex:thing",
    "urn:epc:id:sgtin:0614141.107346.2017", "urn:epcglobal:cbv:bizstep:shipping",
    "2026-11-01T08:00:00+08:00", "_:b0", "https://example.org/x", "ex:", "gs1:", "cbv:",
]  # fmt: skip
_FIELDS = [
    "bizStep", "disposition", "action", "readPoint", "bizLocation", "ex:extra",
    "persistentDisposition", "bizTransactionList", "sourceList", "sensorElementList", "epcList",
    "certificationInfo",
]  # fmt: skip


def _random_event(rng: Any) -> dict[str, Any]:
    word = lambda: rng.choice(_WORDS)  # noqa: E731
    event: dict[str, Any] = {
        "type": rng.choice(["ObjectEvent", "AggregationEvent", "TransformationEvent"]),
        "eventTime": word(),
        "eventTimeZoneOffset": "+08:00",
    }
    for name in rng.sample(_FIELDS, rng.randint(1, 5)):
        if name in ("readPoint", "bizLocation"):
            event[name] = {"id": word()}
        elif name == "persistentDisposition":
            event[name] = {rng.choice(["set", "unset"]): [word()]}
        elif name in ("bizTransactionList", "sourceList"):
            key = "bizTransaction" if name == "bizTransactionList" else "source"
            event[name] = [{"type": word(), key: word()} for _ in range(rng.randint(1, 2))]
        elif name == "sensorElementList":
            event[name] = [{"sensorReport": [{"type": word(), "value": 1.5, "uom": word()}]}]
        elif name == "epcList":
            event[name] = [word() for _ in range(rng.randint(0, 3))]
        else:
            event[name] = word()
    if rng.random() < 0.1:
        event["@context"] = {"ex2": "https://ref.gs1.org/cbv/Disp-"}
    return event


def test_the_skeleton_agrees_with_whole_expansion_on_generated_documents() -> None:
    """Generated documents mixing bare CBV words, compact IRIs of the contexts' prefixes,
    full vocabulary URIs, URNs, times, blank nodes, inline contexts whose prefixes point into
    the vocabulary and events with their own context."""
    import random

    rng = random.Random(20261202)
    for _ in range(150):
        inline = rng.choice(
            [
                {"ex": "https://example.org/"},
                {"ex": "https://ref.gs1.org/cbv/BizStep-"},
                {"ex": "https://gs1.org/voc/", "x": "cbv:Disp-sold"},
                {"@vocab": "https://ref.gs1.org/cbv/BizStep-"},
            ]
        )
        document = {
            "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", inline],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2026-11-01T09:00:00+08:00",
            "epcisBody": {"eventList": [_random_event(rng) for _ in range(rng.randint(1, 12))]},
        }
        assert _skeleton_vocabulary(document) == _vocabulary(document), json.dumps(document)


_URI_PARTS = st.sampled_from(
    ["https://ref.gs1.org/cbv/", "BizStep-", "Disp-", "a", "-", "/", "in_transit", "x-y"]
)


@given(
    st.lists(st.lists(_URI_PARTS, min_size=1, max_size=6).map("".join), max_size=8, unique=True),
    st.lists(st.text(alphabet="ab-/xy_", max_size=8), max_size=20),
)
def test_a_bare_value_stands_for_the_one_uri_ending_in_it(
    uris: list[str], words: list[str]
) -> None:
    """The table of bare values is the rule it replaces: a value becomes the vocabulary URI
    that ends in ``-value`` or ``/value`` when exactly one does, and stays as written when
    none or several do."""
    from ftzchain.epcis.hash_id import _by_bare_value, _replace_bare_values

    table = _by_bare_value(sorted(uris))
    for word in [*words, *(u.rsplit("-", 1)[-1] for u in uris), *(u[-3:] for u in uris)]:
        matches = [u for u in uris if u.endswith("-" + word) or u.endswith("/" + word)]
        assert _replace_bare_values(word, table) == (matches[0] if len(matches) == 1 else word)


def test_a_skeleton_expanded_once_answers_from_the_cache_and_a_big_one_is_not_kept() -> None:
    from ftzchain.epcis import hash_id
    from ftzchain.sandbox import epcis_document

    hash_id._cached_skeleton_vocabulary.cache_clear()
    first = hash_id._bare_values_expanded(epcis_document("a", 5))
    again = hash_id._bare_values_expanded(epcis_document("b", 7))  # other serials: same skeleton
    info = hash_id._cached_skeleton_vocabulary.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    assert first == again == _vocabulary(epcis_document("b", 7))

    big = epcis_document("c", 1)
    event = big["epcisBody"]["eventList"][0]
    big["epcisBody"]["eventList"] = [  # distinct events that each keep a term: a big skeleton
        {**event, "bizStep": "shipping", "ex:n": [f"cbv:BizStep-{i}"] * 20} for i in range(200)
    ]
    assert hash_id._bare_values_expanded(big) == _vocabulary(big)
    assert hash_id._cached_skeleton_vocabulary.cache_info().currsize == 1
