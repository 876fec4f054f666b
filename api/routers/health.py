"""Liveness and indexing progress."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Request
from sqlalchemy import Engine
from sqlmodel import Session

from api.errors import ApiError, error_responses
from api.queries.status import chain_cursors
from api.schemas import ChainStatus, HealthOut

router = APIRouter(tags=["health"])


_DATABASE_WAIT = 1.0  # /healthz answers within this, whatever else the server is doing


def _health(engine: Engine) -> HealthOut:
    with Session(engine) as session:
        cursors = chain_cursors(session)
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


@router.get("/healthz", response_model=HealthOut, responses=error_responses(503))
async def healthz(request: Request) -> HealthOut:
    """The service is up and its database answers; how far the indexer got per chain.
    Answers within a second even under load (503 when the database does not)."""
    engine: Engine = request.app.state.engine
    try:
        with anyio.fail_after(_DATABASE_WAIT):
            # Its own thread, outside the request pool: a full pool must not silence it.
            return await anyio.to_thread.run_sync(_health, engine, limiter=_HEALTH_THREADS)
    except TimeoutError:
        raise ApiError(
            503, "database_unavailable", f"the database did not answer in {_DATABASE_WAIT:g} s"
        ) from None
    except Exception as exc:
        raise ApiError(503, "database_unavailable", "the database does not answer") from exc


_HEALTH_THREADS = anyio.CapacityLimiter(4)
