"""EPCIS traceability: is this event on chain? (the hash id is recomputed here, never trusted)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field
from sqlmodel import col, select

from api.deps import SessionDep, SettingsDep
from api.errors import ApiError, ErrorResponse
from ftzchain.errors import InvalidInput
from ftzchain.trace import TraceItem, trace_items
from indexer.models import TraceEventRow

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


class TraceVerificationOut(BaseModel):
    events: list[TraceEventOut]
    all_recorded: bool


def _matches(item: TraceItem, row: TraceEventRow) -> bool:
    return (
        item.event_type == row.event_type
        and item.action == row.action
        and item.biz_step == row.biz_step
        and item.disposition == row.disposition
        and item.event_time == int(row.event_time.timestamp())
        and "0x" + item.what_hash.hex() == row.what_hash
        and "0x" + item.where_hash.hex() == row.where_hash
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
        items = trace_items(document)
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
                fields_match=_matches(item, row),
                zone=row.zone,
                enterprise=row.enterprise,
                recorded_at=row.block_time,
                block_number=row.block_number,
                tx_hash=row.tx_hash,
            )
        )
    return TraceVerificationOut(events=out, all_recorded=all(e.recorded for e in out))
