"""EPCIS traceability: is this event on chain? (the hash id is recomputed here, never trusted)."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, fields
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.access import Subject, allowed, redact, require_party
from api.auth import Caller
from api.body import JSON_TYPES, read_body, require_content_type
from api.deps import ChainDep, KeyDep, SessionDep, SettingsDep
from api.errors import ApiError, error_responses
from api.queries.goods import (
    KeyEvent,
    custody_chain,
    custody_state,
    sort_events,
    timeline,
    upstream_key_events,
)
from api.queries.provenance import Direction, walk
from api.queries.sort import SortKey
from api.queries.trace import recorded_event
from api.schemas import WITHHELD, WithheldOut
from ftzchain.epcis.document import MAX_DEPTH, MAX_DOCUMENT_BYTES, MAX_EVENTS, parse_epcis_json
from ftzchain.errors import InvalidEpcis, InvalidInput
from ftzchain.fingerprints import fingerprint, parse_consortium_key
from ftzchain.settings import FtzSettings
from ftzchain.trace import BIZ_STEPS, EVENT_TYPES, trace_items

router = APIRouter(prefix="/v1/trace", tags=["trace"])
IdQuery = Annotated[
    str, Query(min_length=1, description="EPC, class or lot id, e.g. urn:epc:class:lgtin:…")
]


class LaterClaimOut(BaseModel):
    zone: str
    enterprise: str
    block_number: int
    tx_hash: str


class TraceEventOut(BaseModel):
    hash_id: str = Field(description="CBV 2.0 Event Hash ID recomputed from the posted JSON")
    recorded: bool
    fields_match: bool | None = Field(
        None,
        description="The chain's type, action, bizStep, disposition, time, what and where "
        "equal the posted event's (null when not recorded)",
    )
    zone: str | None = None
    enterprise: str | None = None
    recorded_at: datetime | None = Field(None, description="Block time of the record (UTC)")
    block_number: int | None = None
    tx_hash: str | None = None
    conflicts: list[LaterClaimOut] | None = Field(
        default_factory=list,
        description="Later on-chain claims of the same event id by other logs; they do not "
        "count (the first record stands)",
    )


class GraphEventOut(BaseModel):
    hash_id: str
    event_type: str
    biz_step: str | None
    event_time: datetime
    zone: str
    enterprise: str
    block_number: int
    tx_hash: str


class ProvenanceOut(BaseModel):
    identifier: str
    direction: str
    identifiers_reached: int = Field(description="Fingerprints reached, the start included")
    events: list[GraphEventOut]
    truncated: bool


class KeyEventOut(BaseModel):
    time: datetime = Field(description="EPCIS eventTime, or the block time of a chain step")
    kind: str = Field(description="EPCIS type and bizStep, or the chain event's name")
    zone: str | None
    other_zone: str | None = Field(description="Destination zone of a hand-over or declaration")
    actor: str = Field(description="Capturing enterprise, zone node, customs or issuer")
    reference: str = Field(
        description="CBV 2.0 hash id, or the keyed consignment, declaration or certificate id"
    )
    detail: str | None
    block_number: int
    tx_hash: str
    log_index: int


class TimelineOut(BaseModel):
    identifier: str
    events: list[KeyEventOut]


class ExportOut(BaseModel):
    identifier: str
    batches_reached: int = Field(description="Batches in the upstream graph, the start included")
    events: list[KeyEventOut]


class CustodyStepOut(BaseModel):
    event: str = Field(description="CustodyTaken, ConsignmentDispatched or ConsignmentReceived")
    consignment: str | None = Field(description="Keyed consignment id")
    zone: str | None = Field(description="The zone taking custody, or sending")
    to_zone: str | None
    actor: str
    at: datetime
    block_number: int
    tx_hash: str


class CustodyOut(BaseModel):
    identifier: str
    state: str = Field(description="held or in_transit")
    zone: str | None = Field(description="The custodian, or the sending zone while in transit")
    steps: list[CustodyStepOut]


class TraceVerificationOut(BaseModel):
    events: list[TraceEventOut]
    all_recorded: bool
    withheld: list[WithheldOut] = WITHHELD


def _verify(
    session: Session, settings: FtzSettings, raw: bytes, caller: Caller | None
) -> TraceVerificationOut:
    items = trace_items(parse_epcis_json(raw), parse_consortium_key(settings.consortium_key))
    if not items:
        raise InvalidEpcis("the document holds no events")
    out = []
    for item in items:
        found = recorded_event(session, settings.chain_id, item)
        if found is None:
            out.append(TraceEventOut(hash_id=item.hash_id, recorded=False))
        else:
            out.append(TraceEventOut(hash_id=item.hash_id, recorded=True, **asdict(found)))
    answer = TraceVerificationOut(events=out, all_recorded=all(e.recorded for e in out))
    subject = Subject(
        owners=frozenset(e.enterprise.lower() for e in out if e.enterprise),
        zones=frozenset(e.zone for e in out if e.zone),
    )
    return TraceVerificationOut.model_validate(
        redact("POST", "/v1/trace/verify", answer.model_dump(), caller, subject)
    )


@router.post(
    "/verify",
    response_model=TraceVerificationOut,
    responses=error_responses(401, 413, 415, 422, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "An EPCIS 2.0 JSON document (EPCISDocument or EPCISQueryDocument) "
            "or a bare event, valid against GS1's EPCIS 2.0 JSON schema; at most "
            f"{MAX_DOCUMENT_BYTES:,} bytes, {MAX_DEPTH} levels deep and {MAX_EVENTS:,} events.",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/ld+json": {"schema": {"type": "object"}},
            },
        }
    },
)
async def verify_document(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    caller: Annotated[Caller | None, Depends(allowed("POST", "/v1/trace/verify"))],
) -> TraceVerificationOut:
    """Recompute each event's CBV 2.0 Event Hash ID and say whether and when it was
    recorded on chain (first record counts); which zone and enterprise recorded it, and
    later conflicting claims, for the parties of the goods. JSON-LD contexts are resolved
    from a local allow-list only: an unknown context is refused (422), never fetched."""
    require_content_type(request, JSON_TYPES)
    raw = await read_body(request, MAX_DOCUMENT_BYTES)
    return await run_in_threadpool(_verify, session, settings, raw, caller)


_EVENT_NAMES = {v: k for k, v in EVENT_TYPES.items()}
_LIMIT = 10_000


def _lot(identifier: str, key: bytes) -> str:
    if not identifier.strip():
        raise InvalidInput("pass the EPC, class or lot id as ?id=")
    return "0x" + fingerprint(identifier, key).hex()


def _provenance(
    chain_id: int,
    session: Session,
    key: bytes,
    identifier: str,
    direction: Direction,
    caller: Caller | None,
) -> ProvenanceOut:
    start = _lot(identifier, key)
    found, reached = walk(session, chain_id, start, direction, limit=_LIMIT + 1)
    subject = Subject(
        owners=frozenset(e.enterprise.lower() for e in found),
        zones=frozenset(e.zone for e in found),
    )
    require_party("GET", f"/v1/trace/{direction}", caller, subject)
    return ProvenanceOut(
        identifier=identifier,
        direction=direction,
        identifiers_reached=reached,
        events=[
            GraphEventOut(
                hash_id=e.hash_id,
                event_type=_EVENT_NAMES.get(e.event_type, str(e.event_type)),
                biz_step=BIZ_STEPS[e.biz_step - 1] if 0 < e.biz_step <= len(BIZ_STEPS) else None,
                event_time=e.event_time,
                zone=e.zone,
                enterprise=e.enterprise,
                block_number=e.block_number,
                tx_hash=e.tx_hash,
            )
            for e in found[:_LIMIT]
        ],
        truncated=len(found) > _LIMIT,
    )


@router.get(
    "/upstream", response_model=ProvenanceOut, responses=error_responses(401, 403, 422, 503)
)
def upstream(
    session: SessionDep,
    chain_id: ChainDep,
    key: KeyDep,
    id: IdQuery,
    caller: Annotated[Caller | None, Depends(allowed("GET", "/v1/trace/upstream"))],
) -> ProvenanceOut:
    """Trace back: every event that made what ``id`` came from, through transformations and
    aggregations, any number of hops (a recorded cycle ends the walk)."""
    return _provenance(chain_id, session, key, id, "upstream", caller)


@router.get(
    "/downstream", response_model=ProvenanceOut, responses=error_responses(401, 403, 422, 503)
)
def downstream(
    session: SessionDep,
    chain_id: ChainDep,
    key: KeyDep,
    id: IdQuery,
    caller: Annotated[Caller | None, Depends(allowed("GET", "/v1/trace/downstream"))],
) -> ProvenanceOut:
    """Trace forward (recall): every event that used ``id`` or anything made from it."""
    return _provenance(chain_id, session, key, id, "downstream", caller)


def _key_event_out(e: KeyEvent) -> KeyEventOut:
    return KeyEventOut(**asdict(e))


def key_event_subject(events: list[KeyEvent]) -> Subject:
    """The parties of key events: their actors (enterprises among them) and zones."""
    return Subject(
        owners=frozenset(e.actor.lower() for e in events),
        zones=frozenset(z for e in events for z in (e.zone, e.other_zone) if z),
    )


@router.get(
    "/timeline", response_model=TimelineOut, responses=error_responses(401, 403, 404, 422, 503)
)
def batch_timeline(
    session: SessionDep,
    chain_id: ChainDep,
    key: KeyDep,
    id: IdQuery,
    caller: Annotated[Caller | None, Depends(allowed("GET", "/v1/trace/timeline"))],
) -> TimelineOut:
    """Everything that happened to one batch, oldest first: the EPCIS events that touched it,
    its custody hand-overs, customs declarations and inspections, certificates of origin
    (for the parties of the goods)."""
    found = timeline(session, chain_id, _lot(id, key))
    require_party("GET", "/v1/trace/timeline", caller, key_event_subject(found))
    if not found:
        raise ApiError(404, "unknown_batch", f"nothing about {id!r} is on chain (check the id)")
    return TimelineOut(identifier=id, events=[_key_event_out(e) for e in found])


@router.get(
    "/custody", response_model=CustodyOut, responses=error_responses(401, 403, 404, 422, 503)
)
def batch_custody(
    session: SessionDep,
    chain_id: ChainDep,
    key: KeyDep,
    id: IdQuery,
    caller: Annotated[Caller | None, Depends(allowed("GET", "/v1/trace/custody"))],
) -> CustodyOut:
    """Who held a batch: the zone that took custody first, then every dispatch and receipt;
    "in_transit" until the receiving zone records the receipt (for the parties of the
    goods: the enterprises of its events, the customs and nodes of its zones)."""
    lot = _lot(id, key)
    steps = custody_chain(session, chain_id, lot)
    parties = key_event_subject(timeline(session, chain_id, lot)) if steps else Subject()
    require_party("GET", "/v1/trace/custody", caller, parties)
    if not steps:
        raise ApiError(404, "unknown_batch", f"no zone has taken custody of {id!r}")
    state, zone = custody_state(steps)
    return CustodyOut(
        identifier=id,
        state=state,
        zone=zone,
        steps=[
            CustodyStepOut(
                event=s.event,
                consignment=None if s.event == "CustodyTaken" else s.subject,
                zone=s.zone,
                to_zone=s.other_zone,
                actor=s.actor,
                at=s.block_time,
                block_number=s.block_number,
                tx_hash=s.tx_hash,
            )
            for s in steps
        ],
    )


_CSV_COLUMNS = [f.name for f in fields(KeyEvent)]


@router.get(
    "/export",
    responses={
        200: {"content": {"text/csv": {}, "application/json": {}}},
        **error_responses(401, 403, 404, 422, 503),
    },
)
def export(
    session: SessionDep,
    chain_id: ChainDep,
    key: KeyDep,
    id: IdQuery,
    caller: Annotated[Caller | None, Depends(allowed("GET", "/v1/trace/export"))],
    format: Annotated[Literal["json", "csv"], Query(description="json or csv")] = "json",
    sort: Annotated[SortKey, Query(description="time, zone, kind or block")] = "time",
    order: Annotated[Literal["asc", "desc"], Query()] = "asc",
) -> Response:
    """Every key event of a batch's full upstream graph, sortable, as JSON or CSV: the EPCIS
    events that made it, and the custody, customs and origin steps of every batch reached."""
    found, lots = upstream_key_events(session, chain_id, _lot(id, key), limit=_LIMIT)
    require_party("GET", "/v1/trace/export", caller, key_event_subject(found))
    if not found:
        raise ApiError(404, "unknown_batch", f"nothing about {id!r} is on chain (check the id)")
    ordered = sort_events(found, sort, descending=order == "desc")
    if format == "json":
        body = ExportOut(
            identifier=id, batches_reached=lots, events=[_key_event_out(e) for e in ordered]
        )
        return Response(body.model_dump_json(), media_type="application/json")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for e in ordered:
        row = asdict(e)
        row["time"] = e.time.isoformat()
        writer.writerow(row)
    return Response(
        buffer.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="upstream-events.csv"'},
    )
