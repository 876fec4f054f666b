"""Liveness and indexing progress."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import SessionDep
from api.errors import ApiError
from api.queries.status import chain_cursors
from api.schemas import ChainStatus, HealthOut

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut)
def healthz(session: SessionDep) -> HealthOut:
    """The service is up and its database answers; how far the indexer got per chain."""
    try:
        cursors = chain_cursors(session)
    except Exception as exc:
        raise ApiError(503, "database_unavailable", "the database does not answer") from exc
    return HealthOut(
        status="ok",
        database="ok",
        chains=[
            ChainStatus(
                chain_id=c.chain_id,
                indexed_block=c.block_number,
                indexed_block_hash=c.block_hash,
                updated_at=c.updated_at,
            )
            for c in cursors
        ],
    )
