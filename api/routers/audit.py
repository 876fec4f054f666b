"""The audit trail over the API: all of it for auditors, and for an enterprise, who looked at
its records."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlmodel import col, select

from api.access import allowed
from api.audit import entries_since
from api.auth import Caller
from api.deps import SessionDep
from api.errors import error_responses
from indexer.api_tables import AuditEntry, AuditOwner

router = APIRouter(prefix="/v1/audit", tags=["audit"])

After = Annotated[int, Query(ge=0, description="Entries after this sequence number")]
Limit = Annotated[int, Query(ge=1, le=1000, description="At most this many entries")]


class AuditEntryOut(BaseModel):
    seq: int
    at_ms: int = Field(description="When it was answered (Unix milliseconds)")
    caller: str
    roles: str = Field(description="The caller's roles then, ROLE@ZONE, comma-separated")
    zone: str = Field(description="The zone whose API answered")
    operation: str
    target: str = Field(description="The path and query as requested")
    body_digest: str | None = Field(description="SHA-256 of the request body")
    owners: str = Field(description="Owners of what was read, comma-separated")
    answer_digest: str = Field(description="SHA-256 of the answer as sent")
    prev_hash: str
    hash: str = Field(description="SHA-256 chaining this entry to the one before")


class AuditPageOut(BaseModel):
    entries: list[AuditEntryOut]
    next_after: int | None = Field(description="Pass as ?after= for the next page")


def _page(rows: list[AuditEntry], limit: int) -> AuditPageOut:
    entries = [AuditEntryOut.model_validate(r, from_attributes=True) for r in rows]
    return AuditPageOut(
        entries=entries, next_after=entries[-1].seq if len(entries) == limit else None
    )


@router.get("/entries", responses=error_responses(401, 403))
def audit_entries(
    session: SessionDep,
    _caller: Annotated[Caller | None, Depends(allowed("GET", "/v1/audit/entries"))],
    after: After = 0,
    limit: Limit = 100,
) -> AuditPageOut:
    """The trail, oldest first (auditors and the committee); verify it against the chain
    with `ftz audit verify`."""
    return _page(entries_since(session, after, limit), limit)


@router.get("/mine", responses=error_responses(401))
def audit_mine(
    session: SessionDep,
    caller: Annotated[Caller | None, Depends(allowed("GET", "/v1/audit/mine"))],
    after: After = 0,
    limit: Limit = 100,
) -> AuditPageOut:
    """Who looked at the caller's own records, oldest first."""
    assert caller is not None  # the gate refuses anonymous callers
    rows = session.exec(
        select(AuditEntry)
        .join(AuditOwner, col(AuditOwner.seq) == col(AuditEntry.seq))
        .where(col(AuditOwner.owner) == caller.address.lower())
        .where(col(AuditOwner.seq) > after)
        .order_by(col(AuditOwner.seq))
        .limit(limit)
    ).all()
    return _page(list(rows), limit)
