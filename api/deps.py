"""FastAPI dependencies: the database session and the service settings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlmodel import Session

from ftzchain.context import FtzContext
from ftzchain.errors import ConfigError
from ftzchain.fingerprints import parse_consortium_key
from ftzchain.settings import FtzSettings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


def get_settings(request: Request) -> FtzSettings:
    settings: FtzSettings = request.app.state.settings
    return settings


def get_context(request: Request) -> FtzContext:
    """The zone's chain context (node, deployment, contracts), built on first use."""
    ctx: FtzContext | None = getattr(request.app.state, "context", None)
    if ctx is None:
        settings: FtzSettings = request.app.state.settings
        # The API waits for the node only as long as a caller should wait (then 503).
        ctx = FtzContext(settings.model_copy(update={"rpc_timeout": settings.api_rpc_timeout}))
        request.app.state.context = ctx
    return ctx


SessionDep = Annotated[Session, Depends(get_session)]
ContextDep = Annotated[FtzContext, Depends(get_context)]
SettingsDep = Annotated[FtzSettings, Depends(get_settings)]


def consortium_key(settings: SettingsDep) -> bytes:
    """The consortium key (ids are looked up by their keyed fingerprints); 503 without it."""
    return parse_consortium_key(settings.consortium_key)


def chain_id(settings: SettingsDep) -> int:
    """The chain the answers are about (FTZ_CHAIN_ID); 503 without it."""
    if settings.chain_id is None:
        raise ConfigError("set FTZ_CHAIN_ID for goods queries")
    return settings.chain_id


KeyDep = Annotated[bytes, Depends(consortium_key)]
ChainDep = Annotated[int, Depends(chain_id)]
