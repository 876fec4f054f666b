"""FastAPI dependencies: the database session and the service settings.

They are ``async`` because none of them does I/O: FastAPI runs a plain ``def`` dependency in
the thread pool, one thread hop each, which cost more than the look-ups they serve. The
session opens its connection on first use (inside the handler's thread), so no query runs on
the event loop, and is closed as soon as the handler returns, on the event loop: the API's
engine runs every statement in autocommit, so returning the connection to the pool finds no
transaction to roll back and sends nothing to the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlmodel import Session

from ftzchain.context import FtzContext
from ftzchain.errors import ConfigError
from ftzchain.fingerprints import parse_consortium_key
from ftzchain.settings import FtzSettings


async def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> AsyncIterator[Session]:
    session = Session(engine)
    try:
        yield session
    finally:
        session.close()


async def get_settings(request: Request) -> FtzSettings:
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


async def _context(request: Request) -> FtzContext:
    return get_context(request)


# Function scope: the session closes (its connection back to the pool) as soon as the handler
# returns, not after the answer is sent. A privileged answer waits for its audit entry while
# it is being sent; holding a connection through that wait kept more connections out than the
# pool holds, and PostgreSQL connections opened and closed past the pool's size at 200 signed-in
# requests a second (314 in 15 s), each a server process started, which tipped the API over.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ContextDep = Annotated[FtzContext, Depends(_context)]
SettingsDep = Annotated[FtzSettings, Depends(get_settings)]


def consortium_key(settings: SettingsDep) -> bytes:
    """The consortium key (ids are looked up by their keyed fingerprints); 503 without it."""
    return parse_consortium_key(settings.consortium_key)


def chain_id(settings: SettingsDep) -> int:
    """The chain the answers are about (FTZ_CHAIN_ID); 503 without it."""
    if settings.chain_id is None:
        raise ConfigError("set FTZ_CHAIN_ID for goods queries")
    return settings.chain_id


async def _consortium_key(settings: SettingsDep) -> bytes:
    return consortium_key(settings)


async def _chain_id(settings: SettingsDep) -> int:
    return chain_id(settings)


KeyDep = Annotated[bytes, Depends(_consortium_key)]
ChainDep = Annotated[int, Depends(_chain_id)]
