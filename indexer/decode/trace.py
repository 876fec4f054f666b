"""Decoder of Traceability's EPCIS event records."""

from __future__ import annotations

from indexer.decode.records import Decoder, LogPosition, MalformedLog, RawLog, Record, TraceEvent
from indexer.decode.words import addr_topic, addr_word, hex32, uint, utc, word_array, zone_topic


def _trace_event(log: RawLog, pos: LogPosition) -> Record:
    t = log.topics
    data = bytes.fromhex(log.data[2:])
    if len(data) < 9 * 32:
        raise MalformedLog(f"expected at least 9 data words, got {len(data)} bytes")
    kind, action, biz_step, disposition, event_time, where, submitter = (
        data[i : i + 32] for i in range(0, 7 * 32, 32)
    )
    return TraceEvent(
        pos=pos,
        event_id=t[1],
        zone=zone_topic(t[2]),
        enterprise=addr_topic(t[3]),
        event_type=uint(kind),
        action=uint(action),
        biz_step=uint(biz_step),
        disposition=uint(disposition),
        event_time=utc(uint(event_time)),
        where_hash=hex32(where),
        submitter=addr_word(submitter),
        inputs=word_array(data, uint(data[224:256])),
        outputs=word_array(data, uint(data[256:288])),
    )


# Event signature → decoder (tests/indexer/test_decode.py checks them against the ABI).
TRACE_EVENTS: dict[str, Decoder] = {
    "TraceEventRecorded(bytes32,bytes32,address,uint8,uint8,uint16,uint16,uint64,bytes32,address,"
    "bytes32[],bytes32[])": _trace_event,
}
