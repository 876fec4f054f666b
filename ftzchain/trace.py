"""EPCIS 2.0 events on the FTZ chain: hash ids, the fields the chain keeps, signed batches.

An event's identity is its CBV 2.0 Event Hash ID, computed by the reference implementation
(PyPI ``epcis-event-hash-generator``) from the EPCIS JSON; never by a hash of our own. The
chain keeps the SHA-256 digest of that id and the fields verification needs; the EPCIS JSON
stays in the capturing zone's store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eth_utils.address import to_checksum_address

from ftzchain.abi import AbiCodec
from ftzchain.client import ChainClient, Receipt, TxSender
from ftzchain.eip712 import (
    TRACE_DOMAIN_NAME,
    TRACE_DOMAIN_VERSION,
    struct_hash,
    typed_digest,
    word_address,
    word_array,
    word_uint,
)
from ftzchain.epcis.document import read_epcis
from ftzchain.errors import InvalidEpcis
from ftzchain.fingerprints import fingerprint, keyed_lines
from ftzchain.signing import Signer

EVENT_TYPES = {
    "ObjectEvent": 1,
    "AggregationEvent": 2,
    "TransformationEvent": 3,
    "TransactionEvent": 4,
    "AssociationEvent": 5,
}
ACTIONS = {"": 0, "ADD": 1, "OBSERVE": 2, "DELETE": 3}
# CBV 2.0 business steps and dispositions; the code is the position + 1 (0 = other).
# The codes are on chain: append new values, never reorder.
BIZ_STEPS = [
    "accepting",
    "arriving",
    "assembling",
    "collecting",
    "commissioning",
    "consigning",
    "creating_class_instance",
    "cycle_counting",
    "decommissioning",
    "departing",
    "destroying",
    "disassembling",
    "dispensing",
    "encoding",
    "entering_exiting",
    "holding",
    "inspecting",
    "installing",
    "killing",
    "loading",
    "other",
    "packing",
    "picking",
    "receiving",
    "removing",
    "repackaging",
    "repairing",
    "replacing",
    "reserving",
    "retail_selling",
    "sampling",
    "sensor_reporting",
    "shipping",
    "staging_outbound",
    "stock_taking",
    "stocking",
    "storing",
    "transporting",
    "unloading",
    "unpacking",
    "void_shipping",
]
DISPOSITIONS = [
    "active",
    "available",
    "completeness_verified",
    "completeness_inferred",
    "conformant",
    "container_closed",
    "container_open",
    "damaged",
    "destroyed",
    "dispensed",
    "disposed",
    "encoded",
    "expired",
    "in_progress",
    "in_transit",
    "inactive",
    "mismatch_instance",
    "mismatch_class",
    "mismatch_quantity",
    "needs_replacement",
    "no_pedigree_match",
    "non_conformant",
    "non_sellable_other",
    "partially_dispensed",
    "recalled",
    "reserved",
    "retail_sold",
    "returned",
    "sellable_accessible",
    "sellable_not_accessible",
    "stolen",
    "unknown",
]
_VOCABULARY_PREFIXES = (
    "urn:epcglobal:cbv:bizstep:",
    "urn:epcglobal:cbv:disp:",
    "https://ref.gs1.org/cbv/BizStep-",
    "https://ref.gs1.org/cbv/Disp-",
    "cbv:BizStep-",
    "cbv:Disp-",
)
_HASH_ID_PREFIX = "ni:///sha-256;"


@dataclass(frozen=True)
class TraceItem:
    """One EPCIS event as the chain keeps it."""

    event_id: bytes
    event_type: int
    action: int
    biz_step: int
    disposition: int
    event_time: int
    where_hash: bytes
    inputs: tuple[bytes, ...] = ()
    outputs: tuple[bytes, ...] = ()

    def as_tuple(
        self,
    ) -> tuple[bytes, int, int, int, int, int, bytes, list[bytes], list[bytes]]:
        return (
            self.event_id,
            self.event_type,
            self.action,
            self.biz_step,
            self.disposition,
            self.event_time,
            self.where_hash,
            list(self.inputs),
            list(self.outputs),
        )

    @property
    def hash_id(self) -> str:
        """The CBV 2.0 Event Hash ID this item stands for."""
        return f"{_HASH_ID_PREFIX}{self.event_id.hex()}?ver=CBV2.0"


# Typed list entries whose pre-hash the reference generator (1.9) builds in the JSON key
# order; CBV 2.0 puts the value before its type ("bizTransaction=…type=…").
def _vocabulary_code(value: str | None, vocabulary: list[str]) -> int:
    if not value:
        return 0
    for prefix in _VOCABULARY_PREFIXES:
        if value.startswith(prefix):
            value = value[len(prefix) :]
            break
    try:
        return vocabulary.index(value) + 1
    except ValueError:
        return 0  # a custom vocabulary: "other"; the hash id still covers the exact value


def _ids(event: dict[str, Any], *keys: str) -> list[str]:
    ids: list[str] = []
    for key in keys:
        value = event.get(key)
        if isinstance(value, str):
            ids.append(value)
        elif isinstance(value, list):
            ids += [str(q.get("epcClass")) if isinstance(q, dict) else str(q) for q in value]
    return ids


def _flow(event: dict[str, Any]) -> tuple[list[str], list[str]]:
    """What went in and what came out, for the provenance graph (EPCIS semantics)."""
    kind, action = event.get("type"), event.get("action")
    if kind == "TransformationEvent":
        return (
            _ids(event, "inputEPCList", "inputQuantityList"),
            _ids(event, "outputEPCList", "outputQuantityList"),
        )
    if kind in ("AggregationEvent", "AssociationEvent"):
        children = _ids(event, "childEPCs", "childQuantityList")
        parent = _ids(event, "parentID")
        return (parent, children) if action == "DELETE" else (children, parent)
    touched = _ids(event, "parentID", "epcList", "quantityList")
    return ([], touched) if action == "ADD" else (touched, [])


def _event_time(text: str) -> int:
    try:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())
    except (ValueError, AttributeError):
        raise InvalidEpcis(f"eventTime {text!r} is not an ISO 8601 time") from None


def trace_items(document: dict[str, Any], key: bytes) -> list[TraceItem]:
    """The chain's view of every event in an EPCIS 2.0 JSON document (validated against
    GS1's schema first), in document order.

    ``key`` is the consortium key: identifiers and locations go on chain only as keyed
    digests (they are guessable; a bare hash of them could be reversed by trying values)."""
    read = read_epcis(document)
    items = []
    for event, hash_id in zip(read.events, read.hash_ids(), strict=True):
        kind = EVENT_TYPES.get(str(event.get("type")))
        if kind is None:
            raise InvalidEpcis(f"unknown EPCIS event type {event.get('type')!r}")
        if not hash_id.startswith(_HASH_ID_PREFIX):
            raise InvalidEpcis(f"unexpected hash id {hash_id!r}")
        where = [
            str((event.get("readPoint") or {}).get("id", "")),
            str((event.get("bizLocation") or {}).get("id", "")),
        ]
        inputs, outputs = _flow(event)
        items.append(
            TraceItem(
                event_id=bytes.fromhex(hash_id[len(_HASH_ID_PREFIX) :].split("?")[0]),
                event_type=kind,
                action=ACTIONS.get(str(event.get("action", "")), 0),
                biz_step=_vocabulary_code(event.get("bizStep"), BIZ_STEPS),
                disposition=_vocabulary_code(event.get("disposition"), DISPOSITIONS),
                event_time=_event_time(str(event.get("eventTime"))),
                where_hash=keyed_lines(where, key),
                inputs=tuple(fingerprint(i, key) for i in inputs),
                outputs=tuple(fingerprint(o, key) for o in outputs),
            )
        )
    return items


def trace_batch_digest(
    enterprise: str,
    zone_id: bytes,
    items: list[TraceItem],
    nonce: int,
    deadline: int,
    chain_id: int,
    contract: str,
) -> bytes:
    """The EIP-712 digest of ``TraceBatch`` the capturing enterprise signs."""
    items_hash = word_array(
        [
            struct_hash(
                "TraceItem",
                i.event_id,
                word_uint(i.event_type),
                word_uint(i.action),
                word_uint(i.biz_step),
                word_uint(i.disposition),
                word_uint(i.event_time),
                i.where_hash,
                word_array(i.inputs),
                word_array(i.outputs),
            )
            for i in items
        ]
    )
    struct = struct_hash(
        "TraceBatch",
        word_address(enterprise),
        zone_id,
        items_hash,
        word_uint(nonce),
        word_uint(deadline),
    )
    return typed_digest(TRACE_DOMAIN_NAME, TRACE_DOMAIN_VERSION, chain_id, contract, struct)


@dataclass(frozen=True)
class SignedTraceBatch:
    enterprise: str
    zone_id: bytes
    items: list[TraceItem]
    nonce: int
    deadline: int
    signature: bytes

    def call_args(self) -> tuple[str, bytes, int, int, list[tuple[Any, ...]], bytes]:
        return (
            self.enterprise,
            self.zone_id,
            self.nonce,
            self.deadline,
            [i.as_tuple() for i in self.items],
            self.signature,
        )


class TraceabilityContract:
    """Signs and records EPCIS event batches on one deployed Traceability contract."""

    def __init__(self, client: ChainClient, address: str, codec: AbiCodec) -> None:
        self.client = client
        self.address = address
        self.codec = codec

    def sign_batch(
        self,
        enterprise: Signer,
        zone_id: bytes,
        items: list[TraceItem],
        *,
        nonce: int | None = None,
        deadline: int | None = None,
    ) -> SignedTraceBatch:
        """The enterprise's signature over ``items``; ``nonce`` defaults to the one the chain
        expects next (sign further batches with the following nonces before recording)."""
        if nonce is None:
            nonce = self.nonce(enterprise.address)
        if deadline is None:
            deadline = self.client.signature_deadline()
        digest = trace_batch_digest(
            enterprise.address,
            zone_id,
            items,
            nonce,
            deadline,
            self.client.chain_id,
            to_checksum_address(self.address),
        )
        return SignedTraceBatch(
            enterprise.address,
            zone_id,
            items,
            nonce,
            deadline,
            enterprise.sign_digest_unsafe(digest),
        )

    def nonce(self, enterprise: str) -> int:
        """The nonce ``enterprise``'s next batch must carry."""
        data = self.client.call(
            self.address, self.codec.encode_call("nonces", to_checksum_address(enterprise))
        )
        return int(self.codec.decode_output("nonces", data)[0])

    def record(self, zone_node: TxSender, batch: SignedTraceBatch) -> Receipt:
        return zone_node.transact(
            self.address, self.codec.encode_call("recordEvents", *batch.call_args())
        )
