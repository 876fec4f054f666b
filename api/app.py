"""The verification API and portal (reads SQL written by the indexer)."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine

from api.errors import install_error_handlers
from api.routers import customs, evidence, health, invoices, ip, portal, trace
from ftzchain.settings import FtzSettings, get_settings
from indexer.db import make_engine


def create_app(settings: FtzSettings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="FTZ Chain verification API",
        version="0.1.0",
        description=(
            "Answers verification questions from the indexed FTZ chain: is this work "
            "registered, when, in which zone and by which enterprise; court evidence "
            "bundles that verify offline."
        ),
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(ip.router)
    app.include_router(evidence.router)
    app.include_router(trace.router)
    app.include_router(customs.router)
    app.include_router(invoices.router)
    app.include_router(portal.router)
    return app
