"""The one read every signed-in request makes first, on PostgreSQL without a thread hop.

A signed-in request reads its session row and the index cursor before anything else
(api/auth.py). Through the engine that read blocks, so it runs in the thread pool: one hop
there and one back, which on these 2-core machines cost more than the query itself (310 µs
a read against about 110 µs from the event loop, measured in process). On PostgreSQL it is
sent from the event loop over psycopg's asyncio driver instead, over a small pool of
connections of its own (psycopg_pool, kept by psycopg's authors); everything else still goes
through the engine in the thread pool. SQLite has no asynchronous driver: there the read
runs in the thread pool, on the request's own session.

A request that writes nothing, from a session this process has read before, is served
without waiting for the read (api/auth.py): its answer waits instead, for the audit
appender's check of :data:`~api.auth.SESSION_HOLDS` (:attr:`SessionReads.holds_sql`) or for
the same read made once the answer is ready (:meth:`SessionReads.row_apart`).
"""

from __future__ import annotations

from typing import Any

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine, Select
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlmodel import Session

from indexer.db import READ_TIMEOUT_MS


class SessionReads:
    """Runs one statement without blocking the event loop: on PostgreSQL from the loop
    itself, on SQLite in the thread pool. Opened and closed by the app's lifespan."""

    def __init__(
        self,
        engine: Engine,
        statement: Select[*tuple[Any, ...]],
        holds: Select[*tuple[Any, ...]],
        size: int,
        timeout: float,
    ) -> None:
        self._on_loop = engine.dialect.name == "postgresql"  # SQLite: in the thread pool
        self._engine = engine
        self._statement = statement
        # The statement as the engine's own dialect renders it: one definition of the query.
        self._sql = str(statement.compile(dialect=engine.dialect))
        # The check as the database's driver takes it, with named parameters.
        driver = engine.dialect if self._on_loop else SQLiteDialect_pysqlite(paramstyle="named")
        self._holds_sql = str(holds.compile(dialect=driver))
        self._conninfo = engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        self._size, self._timeout = size, timeout
        self._pool: Any = None

    async def open(self) -> None:
        if not self._on_loop:
            return
        from psycopg_pool import AsyncConnectionPool

        self._pool = AsyncConnectionPool(
            self._conninfo,
            min_size=1,
            max_size=self._size,
            timeout=self._timeout,
            # Give up reconnecting in the background as soon as a request would have: the
            # next request then tries at once, so the read recovers with the database (the
            # pool's default retries for 5 minutes, backing off to a minute between tries).
            reconnect_timeout=self._timeout,
            kwargs={"autocommit": True, "options": f"-c statement_timeout={READ_TIMEOUT_MS}"},
            open=False,
        )
        await self._pool.open(wait=False)  # the API starts even when the database is down

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @property
    def holds_sql(self) -> str:
        """The check, as the database's driver takes it (named parameters)."""
        return self._holds_sql

    def session(self) -> Session:
        """A session of its own, for work after a request's session has closed."""
        return Session(self._engine)

    async def row(self, session: Session, params: dict[str, Any]) -> tuple[Any, ...] | None:
        """The statement's first row (None when it found nothing). On PostgreSQL it raises
        :class:`DatabaseUnavailable` when the database does not answer or no connection
        comes free; on SQLite it is read on ``session``'s connection (what the engine
        raises, its handlers answer)."""
        if not self._on_loop:
            return await run_in_threadpool(self._read, session, params)
        return await self._read_on_loop(params)

    async def row_apart(self, params: dict[str, Any]) -> tuple[Any, ...] | None:
        """:meth:`row` on a connection of its own, for when the request's session has
        closed (an answer held for its confirmation)."""
        if not self._on_loop:
            return await run_in_threadpool(self._read_apart, params)
        return await self._read_on_loop(params)

    async def _read_on_loop(self, params: dict[str, Any]) -> tuple[Any, ...] | None:
        from psycopg import OperationalError
        from psycopg_pool import PoolTimeout

        if self._pool is None:
            raise RuntimeError(
                "SessionReads.open() was not awaited: serve the app with its lifespan"
            )
        try:
            async with self._pool.connection() as conn:
                cursor = await conn.execute(self._sql, params)
                found: tuple[Any, ...] | None = await cursor.fetchone()
                return found
        except PoolTimeout as exc:  # all in use, or none could be opened
            raise DatabaseBusy(
                f"no database connection came free or could be opened in {self._timeout:g} s; "
                "retry shortly"
            ) from exc
        except OperationalError as exc:
            raise DatabaseUnavailable("the database does not answer; retry later") from exc

    def _read_apart(self, params: dict[str, Any]) -> tuple[Any, ...] | None:
        with self._engine.connect() as conn:
            found = conn.execute(self._statement, params).first()
        return tuple(found) if found is not None else None

    def _read(self, session: Session, params: dict[str, Any]) -> tuple[Any, ...] | None:
        # On the session's connection: the ORM session's own execute costs 30 µs more a read.
        found = session.connection().execute(self._statement, params).first()
        return tuple(found) if found is not None else None


class DatabaseUnavailable(Exception):
    """The database did not answer (503, as for the engine's own connections)."""


class DatabaseBusy(DatabaseUnavailable):
    """No connection came free, or could be opened, in time (503 busy, retry shortly)."""
