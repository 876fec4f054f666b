"""CBV 2.0 Event Hash IDs of every EPCIS event type equal the reference implementation's.

The oracle is the reference generator's own command line (``python -m
epcis_event_hash_generator FILE``), run in a separate process on the file; the ids the chain
gets come from :func:`ftzchain.trace.trace_items` on the parsed document.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ftzchain.fingerprints import fingerprint
from ftzchain.trace import EVENT_TYPES, trace_items
from tests.conftest import ROOT, TEST_CONSORTIUM_KEY

KEY = bytes.fromhex(TEST_CONSORTIUM_KEY)
DOCUMENT_PATH = ROOT / "tests" / "data" / "epcis-all-types.jsonld"


def _oracle(path: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "epcis_event_hash_generator", str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return [line.strip() for line in done.stdout.splitlines() if line.startswith("ni:///")]


def _reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reversed_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_keys(v) for v in value]
    return value


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DOCUMENT_PATH.read_text())
    return loaded


@pytest.fixture(scope="module")
def oracle_ids() -> list[str]:
    return _oracle(DOCUMENT_PATH)


def test_every_event_type_matches_the_reference(
    document: dict[str, Any], oracle_ids: list[str]
) -> None:
    items = trace_items(document, KEY)
    assert len(oracle_ids) == 7
    assert [i.hash_id for i in items] == oracle_ids
    kinds = [e["type"] for e in document["epcisBody"]["eventList"]]
    assert [i.event_type for i in items] == [EVENT_TYPES[k] for k in kinds]
    assert len(set(oracle_ids)) == 7  # the error declaration makes its event a different one


def test_reordered_keys_and_other_whitespace_keep_the_ids(
    document: dict[str, Any], oracle_ids: list[str], tmp_path: Path
) -> None:
    events = document["epcisBody"]["eventList"]
    reordered = copy.deepcopy(document)
    reordered["epcisBody"]["eventList"] = [{k: e[k] for k in reversed(list(e))} for e in events]
    compact = tmp_path / "compact.jsonld"
    compact.write_text(json.dumps(reordered, separators=(",", ":")))
    spread = tmp_path / "spread.jsonld"
    spread.write_text(json.dumps(reordered, indent=8).replace("\n", "\r\n"))
    assert _oracle(compact) == oracle_ids
    assert _oracle(spread) == oracle_ids
    assert [i.hash_id for i in trace_items(reordered, KEY)] == oracle_ids
    # Every key of every object reversed, typed list entries included: the same ids. (The
    # reference generator alone gives another id to the transaction event then: it follows
    # the JSON key order inside a typed entry; CBV 2.0 and openepcis put type= first, and so
    # does ftzchain.epcis whatever the key order.)
    reversed_path = tmp_path / "reversed.jsonld"
    reversed_path.write_text(json.dumps(_reversed_keys(document)))
    assert _oracle(reversed_path)[4] != oracle_ids[4]
    assert [i.hash_id for i in trace_items(_reversed_keys(document), KEY)] == oracle_ids


@pytest.mark.parametrize(
    ("index", "path", "value"),
    [
        (0, ["sensorElementList", 0, "sensorReport", 0, "value"], 9.5),  # sensor data
        (0, ["ftz:zoneCheckpoint"], "CN-SH gate 8"),  # a user extension
        (4, ["bizTransactionList", 0, "bizTransaction"], "urn:epcglobal:cbv:bt:1:PO-89"),
        (1, ["childQuantityList", 0, "quantity"], 41),
    ],
)
def test_a_changed_field_changes_only_its_event_id(
    document: dict[str, Any], oracle_ids: list[str], index: int, path: list[Any], value: Any
) -> None:
    changed = copy.deepcopy(document)
    target: Any = changed["epcisBody"]["eventList"][index]
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    ids = [i.hash_id for i in trace_items(changed, KEY)]
    assert [a == b for a, b in zip(ids, oracle_ids, strict=True)] == [
        i != index for i in range(len(oracle_ids))
    ]


def test_an_error_declaration_keeps_the_id_of_the_event_it_corrects(
    document: dict[str, Any], oracle_ids: list[str]
) -> None:
    declared = document["epcisBody"]["eventList"][6]
    original = {k: v for k, v in declared.items() if k != "errorDeclaration"}
    alone = copy.deepcopy(document)
    alone["epcisBody"]["eventList"] = [original]
    assert [i.hash_id for i in trace_items(alone, KEY)] == [oracle_ids[6]]


def test_flow_of_aggregation_transformation_and_transaction(document: dict[str, Any]) -> None:
    items = trace_items(document, KEY)

    def fp(*ids: str) -> tuple[bytes, ...]:
        return tuple(fingerprint(i, KEY) for i in ids)

    pallet = "urn:epc:id:sscc:6901234.0000000002"
    packed, unpacked, transformed, shipped = items[1], items[2], items[3], items[4]
    # Packing: the children go in, the pallet comes out; unpacking is the reverse.
    assert packed.outputs == fp(pallet) and len(packed.inputs) == 3
    assert unpacked.inputs == fp(pallet)
    assert unpacked.outputs == fp("urn:epc:id:sgtin:6901234.000101.2002")
    assert transformed.inputs == fp(
        "urn:epc:id:sgtin:6901234.000101.2002", "urn:epc:class:lgtin:6901234.000102.LOT7"
    )
    assert transformed.outputs == fp("urn:epc:id:sgtin:6901235.000201.1")
    assert shipped.outputs == fp("urn:epc:id:sgtin:6901235.000201.1") and shipped.action == 1


def test_the_fast_time_path_reads_times_as_dateutil_does() -> None:
    """RFC 3339 times take the standard library's parser; the reference reads them with
    dateutil: the canonical time must be the same either way."""
    import random

    import dateutil.parser

    from ftzchain.epcis.hash_id import _RFC3339, _utc_millis

    rng = random.Random(7)
    for _ in range(2000):
        seconds = rng.randrange(0, 4_102_444_800)
        fraction = rng.choice(["", "." + str(rng.randrange(10**6)).zfill(rng.randint(1, 6))])
        minutes = rng.choice(["00", "30", "45"])
        offset = rng.choice(["Z", f"{rng.choice('+-')}{rng.randrange(15):02d}:{minutes}"])
        when = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        text = when + fraction + offset
        assert _RFC3339.fullmatch(text)
        reference = dateutil.parser.parse(text)
        assert datetime.fromisoformat(text) == reference, text
        assert _utc_millis(text).endswith("Z")
