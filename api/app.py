"""The verification API and portal (reads SQL written by the indexer)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from api.access import reads_only
from api.admission import Admission, TokenBuckets
from api.audit import AuditRecorder, AuditWriter
from api.auth import SESSION_AND_CURSOR, SESSION_HOLDS
from api.errors import COMMON_ERRORS, add_error_schema, install_error_handlers
from api.routers import (
    audit,
    auth,
    customs,
    evidence,
    health,
    invoices,
    ip,
    portal,
    submissions,
    trace,
)
from api.session_read import SessionReads
from ftzchain.settings import FtzSettings, get_settings
from indexer.db import make_engine


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Blocking work (SQL, RPC) runs in the thread pool: as many threads as requests admitted.
    to_thread.current_default_thread_limiter().total_tokens = app.state.settings.api_max_in_flight
    await app.state.session_reads.open()
    yield
    await app.state.session_reads.close()
    # Close what the requests opened: the chain client (evidence, invoice calls), the audit
    # writer (once what is queued is appended), the pool.
    context = getattr(app.state, "context", None)
    if context is not None:
        context.close()
    for name in ("outbox", "recent_items", "audit_writer"):
        opened = getattr(app.state, name, None)
        if opened is not None:
            opened.close()
    app.state.engine.dispose()


def create_app(settings: FtzSettings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        lifespan=_lifespan,
        title="FTZ Chain verification API",
        version="0.1.0",
        description=(
            "Answers verification questions from the indexed FTZ chain: is this work "
            "registered, when, in which zone and by which enterprise; court evidence "
            "bundles that verify offline; where a batch came from, who held it, its customs "
            "declarations and certificates of origin; whether an invoice is issued, voided, "
            "paid or already pledged."
        ),
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(
        settings.database_url,
        settings.db_pool_size,
        settings.db_pool_timeout,
        pre_ping=False,
        read_only=True,
    )
    # A session read takes a tenth of a millisecond: a few connections serve all a process
    # can answer, and keep the server's connection count near the engine pool's.
    app.state.session_reads = SessionReads(
        app.state.engine,
        SESSION_AND_CURSOR,
        SESSION_HOLDS,
        min(4, settings.db_pool_size),
        settings.db_pool_timeout,
    )
    app.state.reads_only = reads_only()
    app.state.lookup_buckets = TokenBuckets(settings.lookup_rate_per_minute)
    install_error_handlers(app)
    add_error_schema(app)
    app.include_router(health.router)
    app.include_router(auth.router, responses=COMMON_ERRORS)
    app.include_router(audit.router, responses=COMMON_ERRORS)
    app.include_router(ip.router, responses=COMMON_ERRORS)
    app.include_router(evidence.router, responses=COMMON_ERRORS)
    app.include_router(trace.router, responses=COMMON_ERRORS)
    app.include_router(customs.router, responses=COMMON_ERRORS)
    app.include_router(invoices.router, responses=COMMON_ERRORS)
    app.include_router(submissions.router, responses=COMMON_ERRORS)
    app.include_router(portal.router)
    app.mount("/static", StaticFiles(directory=portal.STATIC_DIR), name="static")
    app.state.audit_writer = AuditWriter(app.state.engine.url.render_as_string(hide_password=False))
    app.add_middleware(AuditRecorder, writer=app.state.audit_writer, zone=settings.zone)
    app.add_middleware(
        Admission,
        max_in_flight=settings.api_max_in_flight,
        rate_per_minute=settings.rate_limit_per_minute,
    )
    return app
