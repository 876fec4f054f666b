"""EPCIS traceability: is this event on chain? (the hash id is recomputed here, never trusted)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from api.deps import SessionDep, SettingsDep
from api.errors import ApiError, ErrorResponse
from api.provenance import Direction, events, reached
from ftzchain.errors import ConfigError, InvalidInput
from ftzchain.trace import (
    BIZ_STEPS,
    EVENT_TYPES,
    TraceItem,
    fingerprint,
    parse_consortium_key,
    trace_items,
)
from indexer.models import TraceEventRow, TraceLinkRow

router = APIRouter(prefix="/v1/trace", tags=["trace"])


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


class TraceVerificationOut(BaseModel):
    events: list[TraceEventOut]
    all_recorded: bool


def _matches(session: Session, item: TraceItem, row: TraceEventRow) -> bool:
    """The chain's fields and input/output fingerprints equal the posted event's."""
    links = session.exec(
        select(TraceLinkRow)
        .where(TraceLinkRow.chain_id == row.chain_id)
        .where(TraceLinkRow.tx_hash == row.tx_hash)
        .where(TraceLinkRow.log_index == row.log_index)
        .order_by(col(TraceLinkRow.role), col(TraceLinkRow.position))
    ).all()
    recorded_in = [link.fingerprint for link in links if link.role == "in"]
    recorded_out = [link.fingerprint for link in links if link.role == "out"]
    return (
        item.event_type == row.event_type
        and item.action == row.action
        and item.biz_step == row.biz_step
        and item.disposition == row.disposition
        and item.event_time == int(row.event_time.timestamp())
        and "0x" + item.where_hash.hex() == row.where_hash
        and recorded_in == ["0x" + f.hex() for f in item.inputs]
        and recorded_out == ["0x" + f.hex() for f in item.outputs]
    )


@router.post(
    "/verify",
    response_model=TraceVerificationOut,
    responses={422: {"model": ErrorResponse}},
)
def verify_document(
    session: SessionDep,
    settings: SettingsDep,
    document: dict[str, Any] = Body(description="An EPCIS 2.0 JSON document (EPCISDocument)"),
) -> TraceVerificationOut:
    """Recompute each event's CBV 2.0 Event Hash ID and say whether, where and when it was
    recorded on chain (first record counts)."""
    try:
        key = parse_consortium_key(settings.consortium_key)
    except ConfigError as exc:
        raise ApiError(503, "not_configured", str(exc)) from exc
    try:
        items = trace_items(document, key)
    except InvalidInput as exc:
        raise ApiError(422, "invalid_epcis", str(exc)) from exc
    if not items:
        raise ApiError(422, "invalid_epcis", "the document holds no events")
    out = []
    for item in items:
        query = select(TraceEventRow).where(TraceEventRow.event_id == "0x" + item.event_id.hex())
        if settings.chain_id is not None:
            query = query.where(TraceEventRow.chain_id == settings.chain_id)
        row = session.exec(
            query.order_by(col(TraceEventRow.block_number), col(TraceEventRow.log_index))
        ).first()
        if row is None:
            out.append(TraceEventOut(hash_id=item.hash_id, recorded=False))
            continue
        out.append(
            TraceEventOut(
                hash_id=item.hash_id,
                recorded=True,
                fields_match=_matches(session, item, row),
                zone=row.zone,
                enterprise=row.enterprise,
                recorded_at=row.block_time,
                block_number=row.block_number,
                tx_hash=row.tx_hash,
            )
        )
    return TraceVerificationOut(events=out, all_recorded=all(e.recorded for e in out))


_EVENT_NAMES = {v: k for k, v in EVENT_TYPES.items()}
_LIMIT = 10_000


def _provenance(
    session: SessionDep, settings: SettingsDep, identifier: str, direction: Direction
) -> ProvenanceOut:
    if not identifier.strip():
        raise ApiError(422, "invalid_request", "pass the EPC, class or lot id as ?id=")
    try:
        key = parse_consortium_key(settings.consortium_key)
    except ConfigError as exc:
        raise ApiError(503, "not_configured", str(exc)) from exc
    chain_id = settings.chain_id
    if chain_id is None:
        raise ApiError(503, "not_configured", "set FTZ_CHAIN_ID for provenance queries")
    start = "0x" + fingerprint(identifier, key).hex()
    found = events(session, chain_id, start, direction, limit=_LIMIT + 1)
    return ProvenanceOut(
        identifier=identifier,
        direction=direction,
        identifiers_reached=len(reached(session, chain_id, start, direction)),
        events=[
            GraphEventOut(
                hash_id=f"ni:///sha-256;{e.event_id[2:]}?ver=CBV2.0",
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


@router.get("/upstream", response_model=ProvenanceOut, responses={422: {"model": ErrorResponse}})
def upstream(
    session: SessionDep,
    settings: SettingsDep,
    id: Annotated[str, Query(description="EPC, class or lot id, e.g. urn:epc:id:sgtin:…")],
) -> ProvenanceOut:
    """Trace back: every event that made what ``id`` came from, through transformations and
    aggregations, any number of hops (a recorded cycle ends the walk)."""
    return _provenance(session, settings, id, "upstream")


@router.get("/downstream", response_model=ProvenanceOut, responses={422: {"model": ErrorResponse}})
def downstream(
    session: SessionDep,
    settings: SettingsDep,
    id: Annotated[str, Query(description="EPC, class or lot id")],
) -> ProvenanceOut:
    """Trace forward (recall): every event that used ``id`` or anything made from it."""
    return _provenance(session, settings, id, "downstream")
