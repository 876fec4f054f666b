"""Decoders of InvoiceRegistry's events."""

from __future__ import annotations

from indexer.decode.records import Decoder, InvoiceEvent, LogPosition, RawLog, Record
from indexer.decode.words import (
    addr_topic,
    hex32,
    uint,
    word_array,
    words,
    words_prefix,
    zone_topic,
)


def _invoice_issued(log: RawLog, pos: LogPosition) -> Record:
    t = log.topics
    submitter, offset = words_prefix(log, 2)
    data = bytes.fromhex(log.data[2:])
    del submitter  # the relaying zone node; the seller is the actor
    return InvoiceEvent(
        pos=pos,
        event="InvoiceIssued",
        invoice_id=t[1],
        zone=zone_topic(t[2]),
        actor=addr_topic(t[3]),
        fingerprints=word_array(data, uint(offset)),
    )


def _seller_bound(log: RawLog, pos: LogPosition) -> Record:
    t = log.topics
    return InvoiceEvent(
        pos=pos,
        event="SellerBound",
        invoice_id=t[1],  # here the seller's fingerprint
        actor=addr_topic(t[2]),
        zone=zone_topic(t[3]),
    )


def _invoice_status_changed(log: RawLog, pos: LogPosition) -> Record:
    t = log.topics
    (reason,) = words(log, 1)
    return InvoiceEvent(
        pos=pos,
        event="InvoiceStatusChanged",
        invoice_id=t[1],
        action=int(t[2], 16),
        actor=addr_topic(t[3]),
        ref=hex32(reason),
    )


def _invoice_goods_linked(log: RawLog, pos: LogPosition) -> Record:
    t = log.topics
    return InvoiceEvent(
        pos=pos, event="InvoiceGoodsLinked", invoice_id=t[1], ref=t[2], actor=addr_topic(t[3])
    )


def _invoice_pledged(log: RawLog, pos: LogPosition) -> Record:
    t = log.topics
    ref, goods = words(log, 2)
    return InvoiceEvent(
        pos=pos,
        event="InvoicePledged",
        invoice_id=t[1],
        actor=addr_topic(t[2]),
        zone=zone_topic(t[3]),
        ref=hex32(ref),
        goods_required=bool(uint(goods)),
    )


def _invoice_released(log: RawLog, pos: LogPosition) -> Record:
    t = log.topics
    (ref,) = words(log, 1)
    return InvoiceEvent(
        pos=pos, event="InvoiceReleased", invoice_id=t[1], actor=addr_topic(t[2]), ref=hex32(ref)
    )


# Event signature → decoder (tests/indexer/test_decode.py checks them against the ABI).
INVOICE_EVENTS: dict[str, Decoder] = {
    "InvoiceIssued(bytes32,bytes32,address,address,bytes32[])": _invoice_issued,
    "SellerBound(bytes32,address,bytes32)": _seller_bound,
    "InvoiceStatusChanged(bytes32,uint8,address,bytes32)": _invoice_status_changed,
    "InvoiceGoodsLinked(bytes32,bytes32,address)": _invoice_goods_linked,
    "InvoicePledged(bytes32,address,bytes32,bytes32,bool)": _invoice_pledged,
    "InvoiceReleased(bytes32,address,bytes32)": _invoice_released,
}
