"""The audit trail: every privileged read, appended to a hash-chained table.

A read is privileged when a signed-in caller got an answer that the access table
(api/access.py) had to decide for it. Those functions mark the request as it is served (who
called, in which roles, the owners of what was read); this middleware then appends the entry
once the answer is sent: the operation and its target, the SHA-256 of the request body and
of the answer, chained to the entry before (ftzchain/audit.py). Entries are only ever
appended. ``ftz audit commit`` puts the head on chain at an interval, and ``ftz audit
verify`` checks the whole trail against those commitments.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import logging
import queue
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, cast

from sqlalchemy import Connection, Engine, PoolProxiedConnection, Table, event, text
from sqlmodel import Session, col, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ftzchain.audit import GENESIS, entry_hash
from indexer.api_tables import AuditEntry, AuditOwner

if TYPE_CHECKING:  # imported where used: psycopg is the postgres extra's
    import psycopg

log = logging.getLogger(__name__)
_TABLE: Table = AuditEntry.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Guard:
    """A check an appender makes inside its transaction before it appends an entry: ``sql``
    (one value, a count; named parameters, as the database's driver takes them) read with
    ``params``. It holds when the count is not 0; an entry whose guard does not hold is not
    appended."""

    sql: str
    params: dict[str, Any]


class GuardFailed(Exception):
    """A guard of the batch did not hold: nothing of it was appended."""


class Confirmation(Protocol):
    """A request served on a standing still to be confirmed (api/auth.py)."""

    def guard(self) -> Guard:
        """The check that confirms it inside its audit entry's append."""

    async def outcome(self) -> Exception | None:
        """None once confirmed by a read of its own; else why not (the request is then
        served again)."""


@dataclass
class ReadNote:
    """What the access checks learned about the request being served."""

    caller: str | None = None
    roles: str = ""
    privileged: bool = False
    owners: set[str] = field(default_factory=set)
    # Served on the standing this process knew, still to be confirmed (api/auth.py): the
    # answer is held until it is; if it is not, the request is served again with why as
    # ``refused``.
    confirming: Confirmation | None = None
    refused: Exception | None = None
    may_confirm_later: bool = True  # False when serving again: the session is read first


_NOTE: contextvars.ContextVar[ReadNote | None] = contextvars.ContextVar("ftz_read", default=None)


def note() -> ReadNote | None:
    """The request's note (shared with the thread pool, which copies the context)."""
    return _NOTE.get()


def mark_privileged(owners: frozenset[str]) -> None:
    current = _NOTE.get()
    if current is not None and current.caller is not None:
        current.privileged = True
        current.owners |= owners


# The lock PostgreSQL appenders take for the length of their transaction (any constant that
# no other part of the system uses as an advisory lock key): "FTZAUDIT" in ASCII.
_PG_LOCK_KEY = 0x46545A4155444954
_PG_LOCK = f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})"


def _driver_autocommit(engine: Engine) -> Engine:
    """Connections of ``engine`` in the driver's autocommit mode, so that the only
    transaction control sent is the appenders' own (:func:`append_sqlite`,
    :func:`append_pg`)."""

    @event.listens_for(engine, "connect")
    def _autocommit(dbapi_conn: Any, _record: Any) -> None:
        if engine.dialect.name == "sqlite":
            dbapi_conn.isolation_level = None
        else:
            dbapi_conn.autocommit = True

    return engine


_OWNER_TABLE: Table = AuditOwner.__table__  # type: ignore[attr-defined]


def _chained(
    top: tuple[int, str] | None, batch: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The batch's rows, numbered and hash-chained after ``top`` (the head, None for an empty
    trail), and the owner rows that index them."""
    seq, prev = top or (0, GENESIS)
    rows, owners = [], []
    for fields in batch:
        seq += 1
        entry = {**fields, "seq": seq}
        digest = entry_hash(prev, entry)
        rows.append({**entry, "prev_hash": prev, "hash": digest})
        owners += [
            {"owner": o, "seq": seq}
            for o in sorted(set(fields["owners"].split(",")))
            if len(o) == 42
        ]
        prev = digest
    return rows, owners


def _insert_sql(table: Table, placeholder: str) -> str:
    names = [c.name for c in table.columns]
    values = ", ".join(placeholder.format(n) for n in names)
    return f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({values})"


# The statements of the writer's hot path, for the drivers themselves: built from the
# tables, so they cannot drift from them.
_HEAD = f"SELECT seq, hash FROM {_TABLE.name} ORDER BY seq DESC LIMIT 1"
_SQLITE_INSERT = _insert_sql(_TABLE, ":{}")
_SQLITE_INSERT_OWNERS = _insert_sql(_OWNER_TABLE, ":{}")


def append_sqlite(
    db: sqlite3.Connection,
    batch: list[dict[str, Any]],
    guards: list[Guard | None] | None = None,
) -> list[bool]:
    """Append entries after the current head, in order, on SQLite through the driver itself
    (a connection in autocommit mode: :func:`_driver_autocommit`); returns which were
    appended (those whose guard, if any, held). BEGIN IMMEDIATE takes the database's one
    write lock, waited for by the busy timeout, so appenders in several processes take turns
    instead of racing for the same sequence numbers; then the guards, the head, the inserts
    and COMMIT. The answer of a privileged read waits for this: SQLAlchemy's connection,
    transaction and statement layers made it 153 µs per entry in process, the driver alone
    43."""
    db.execute("BEGIN IMMEDIATE")
    try:
        kept = [g is None or db.execute(g.sql, g.params).fetchone()[0] != 0 for g in guards or []]
        kept += [True] * (len(batch) - len(kept))
        entries = [fields for fields, keep in zip(batch, kept, strict=True) if keep]
        if entries:
            rows, owners = _chained(_top(db.execute(_HEAD).fetchone()), entries)
            db.executemany(_SQLITE_INSERT, rows)
            if owners:
                db.executemany(_SQLITE_INSERT_OWNERS, owners)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return kept


def _pg_inserts(rows: list[dict[str, Any]], owners: list[dict[str, Any]]) -> tuple[str, list[Any]]:
    """The entries and their owner rows as multi-row INSERTs, with their parameters in order."""
    sql, params = [], []
    for table, values in ((_TABLE, rows), (_OWNER_TABLE, owners)):
        if values:
            names = [c.name for c in table.columns]
            one = "(" + ", ".join(["%s"] * len(names)) + ")"
            sql.append(
                f"INSERT INTO {table.name} ({', '.join(names)}) VALUES "
                + ", ".join([one] * len(values))
            )
            params += [value[n] for value in values for n in names]
    return "; ".join(sql), params


# A statement's named parameters as the psycopg driver takes them (%(name)s).
_NAMED_PARAMETER = re.compile(r"%\((\w+)\)s")

Prepared = dict[str, tuple[str, tuple[str, ...]]]  # guard SQL → statement, parameter names


def _guard_calls(
    pg: psycopg.Connection[Any], guards: list[Guard], prepared: Prepared
) -> tuple[str, list[Any]]:
    """The guards as statements of one string, ``EXECUTE name(%s, …); `` each, with their
    values in order. Each guard's SQL is prepared on ``pg`` the first time it is met, as
    ``SELECT 1 / (count)``, and noted in ``prepared``, which belongs to that connection
    (a new connection starts with an empty one). Planned once there, not at every append:
    the session check, a count over a join, cost 0.3 ms more an append to an idle server
    when it was sent as text to be planned each time (measured, p50)."""
    calls, values = [], []
    for guard in guards:
        if guard.sql not in prepared:
            names: list[str] = []

            def numbered(found: re.Match[str], names: list[str] = names) -> str:
                if found[1] not in names:
                    names.append(found[1])
                return f"${names.index(found[1]) + 1}"

            body = _NAMED_PARAMETER.sub(numbered, guard.sql).replace("%%", "%")
            statement = f"ftz_audit_guard_{len(prepared)}"
            pg.execute(f"PREPARE {statement} AS SELECT 1 / ({body})")  # sent as is: no values
            prepared[guard.sql] = (statement, tuple(names))
        statement, names_in_order = prepared[guard.sql]
        slots = f"({', '.join(['%s'] * len(names_in_order))})" if names_in_order else ""
        calls.append(f"EXECUTE {statement}{slots}; ")
        values += [guard.params[name] for name in names_in_order]
    return "".join(calls), values


def append_pg(
    pg: psycopg.Connection[Any],
    batch: list[dict[str, Any]],
    after: tuple[int, str] | None,
    guards: list[Guard] | None = None,
    prepared: Prepared | None = None,
) -> tuple[int, str]:
    """:func:`append_sqlite` on PostgreSQL, where the write lock is a transaction-scoped
    advisory lock; returns the new head. ``pg`` is a psycopg connection in autocommit mode.

    Each round trip is one simple-protocol query: the statements of one string, with their
    values bound into it by psycopg on the client (escaped as literals), which the server runs
    as one transaction. psycopg's pipeline mode took 457 µs for the same work, this 160.

    ``after`` is the head this appender itself committed last. Trusting it, the append is one
    round trip (the lock and the inserts): if another appender wrote since, the entry
    numbered after it exists already, the primary key refuses the first insert and the whole
    string is rolled back. Then, or without a head to trust, two round trips: BEGIN, the lock
    and the head; then the inserts and COMMIT. The head is read by its own statement after
    the lock is granted, so it sees the last appender's commit (a statement's snapshot is
    taken when it starts).

    ``guards`` go in the same string as the inserts, each a statement prepared on ``pg``
    (:func:`_guard_calls`; ``prepared`` says which are, on this connection) that divides 1 by
    its count: a guard that does not hold divides by zero, which fails and rolls back the
    whole string, and :class:`GuardFailed` is raised (nothing of the batch appended). One
    round trip still, where reading the guards first would be two."""
    from psycopg import ClientCursor
    from psycopg.errors import DivisionByZero, UniqueViolation
    from psycopg.pq import TransactionStatus

    if guards and prepared is None:
        raise ValueError("guards need the Prepared of their connection (one per connection)")
    cursor = ClientCursor(pg)
    checks, check_values = _guard_calls(pg, guards or [], {} if prepared is None else prepared)
    try:
        if after is not None:
            rows, owners = _chained(after, batch)
            sql, params = _pg_inserts(rows, owners)
            try:
                cursor.execute(f"{_PG_LOCK}; {checks}{sql}", check_values + params)
                return _last(rows)
            except UniqueViolation:  # another appender wrote after it: read the head
                pass
        cursor.execute(f"BEGIN; {_PG_LOCK}; {_HEAD}")
        try:
            while cursor.nextset():  # to the last statement's result: the head
                pass
            rows, owners = _chained(_top(cursor.fetchone()), batch)
            sql, params = _pg_inserts(rows, owners)
            cursor.execute(f"{checks}{sql}; COMMIT", check_values + params)
        except BaseException:
            if pg.info.transaction_status in (
                TransactionStatus.INTRANS,
                TransactionStatus.INERROR,
            ):
                pg.execute("ROLLBACK")
            raise
    except DivisionByZero as exc:
        raise GuardFailed("a guard of the batch did not hold") from exc
    return _last(rows)


def _last(rows: list[dict[str, Any]]) -> tuple[int, str]:
    return int(rows[-1]["seq"]), str(rows[-1]["hash"])


def _top(row: Any) -> tuple[int, str] | None:
    """A head row as (seq, hash); None for an empty trail."""
    return (int(row[0]), str(row[1])) if row else None


Settle = Callable[[BaseException | None, bool], None]  # what failed; else whether appended


class AuditWriter:
    """Appends entries from one thread over one connection of its own, kept open, a batch
    per transaction (group commit): however many privileged reads arrive at once, each costs
    a share of one commit, and none waits on the connection pool requests use. An entry may
    come with a :class:`Guard`."""

    def __init__(self, database_url: str, max_batch: int = 500) -> None:
        from indexer.db import make_engine

        self.engine = _driver_autocommit(
            make_engine(database_url, pool_size=1, pool_timeout=30, pre_ping=False)
        )
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Queued | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._connection: PoolProxiedConnection | None = None  # only the thread uses it
        self._prepared: Prepared = {}  # the guards prepared on that connection
        self._head: tuple[int, str] | None = None  # what this writer committed last

    def submit(self, fields: dict[str, Any]) -> Future[None]:
        """Append from a thread: the future is done once the entry is committed."""
        done: Future[None] = Future()
        self._put(
            (fields, None, lambda exc, _: done.set_exception(exc) if exc else done.set_result(None))
        )
        return done

    async def record(self, fields: dict[str, Any], guard: Guard | None = None) -> bool:
        """Append from the event loop: returns once the entry is committed, or False once its
        guard was found not to hold (raises what the database raised). The writer wakes the
        loop directly, with no future in between."""
        loop = asyncio.get_running_loop()
        waiting: asyncio.Future[bool] = loop.create_future()

        def settle(exc: BaseException | None, appended: bool) -> None:
            loop.call_soon_threadsafe(_settle, waiting, exc, appended)

        self._put((fields, guard, settle))
        return await waiting

    def close(self) -> None:
        """Append what was submitted, then close the connection and the engine."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()
        self.engine.dispose()

    def _put(self, item: _Queued) -> None:
        self._queue.put(item)
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="audit", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        closing = False
        while not closing:
            batch, closing = self._next_batch()
            if not batch:
                continue
            failed: BaseException | None = None
            appended = [False] * len(batch)
            try:
                appended = self._append([f for f, _, _ in batch], [g for _, g, _ in batch])
            except Exception as exc:  # every read in the batch is refused, none lost silently
                failed = exc
            for (_, _, settle), done in zip(batch, appended, strict=True):
                settle(failed, done)
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _next_batch(self) -> tuple[list[_Queued], bool]:
        """Waits for an entry, then takes those queued behind it, up to ``max_batch``; and
        whether :meth:`close` was called (its mark is queued behind the last entry)."""
        batch = []
        item = self._queue.get()
        while item is not None:
            batch.append(item)
            if len(batch) == self.max_batch:
                return batch, False
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batch, False
        return batch, True

    def _append(self, batch: list[dict[str, Any]], guards: list[Guard | None]) -> list[bool]:
        if self._connection is None:  # the driver's connection, set up by the engine
            self._connection = self.engine.raw_connection()
            self._prepared = {}
        driver = self._connection.driver_connection
        head, self._head = self._head, None  # trusted again only once committed
        try:
            if self.engine.dialect.name != "postgresql":
                return append_sqlite(cast(sqlite3.Connection, driver), batch, guards)
            pg = cast("psycopg.Connection[Any]", driver)
            try:
                present = [g for g in guards if g is not None]
                self._head = append_pg(pg, batch, head, present, self._prepared)
                return [True] * len(batch)
            except GuardFailed:  # rolled back: append the unguarded, leave the guarded out
                kept = [g is None for g in guards]
                rest = [fields for fields, keep in zip(batch, kept, strict=True) if keep]
                if rest:
                    self._head = append_pg(pg, rest, head)
                return kept
        except Exception:  # whatever went wrong, the next batch starts on a new connection
            self._connection.invalidate()
            self._connection = None
            raise


_Queued = tuple[dict[str, Any], Guard | None, Settle]


def _settle(waiting: asyncio.Future[bool], exc: BaseException | None, appended: bool) -> None:
    if waiting.done():  # the request was cancelled (its client went away)
        return
    if exc is None:
        waiting.set_result(appended)
    else:
        waiting.set_exception(exc)


def entries_since(session: Session, after: int, limit: int) -> list[AuditEntry]:
    return list(
        session.exec(
            select(AuditEntry)
            .where(col(AuditEntry.seq) > after)
            .order_by(col(AuditEntry.seq))
            .limit(limit)
        ).all()
    )


def head(db: Session | Connection) -> tuple[int, str] | None:
    """The last entry's sequence number and hash (None for an empty trail)."""
    return _top(db.execute(text(_HEAD)).first())


class AuditRecorder:
    """ASGI middleware: note each request; record the privileged ones before they are sent.

    A privileged answer is held until its entry is appended (the answer's digest is part of
    the entry); if the entry cannot be written, the caller gets 503 instead of the answer, so
    no privileged read goes unrecorded.

    An answer served on a standing still to be confirmed (``ReadNote.confirming``, set by
    api/auth.py) is held too, privileged or not, until it is confirmed: a privileged one by
    its entry's :class:`Guard`, any other by the session read. If it is not, the answer is
    dropped unsent and unrecorded, and the request is served once more with its session read
    first (its body replayed from what was received: only requests with a body of at most
    :data:`REPLAYABLE_BYTES` are served this way).
    """

    def __init__(self, app: ASGIApp, writer: AuditWriter, zone: str | None) -> None:
        self.app = app
        self.writer = writer
        self.zone = zone or ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        replayable = _replayable(scope)
        received: list[Message] = []

        async def receiving() -> Message:
            message = await receive()
            if replayable:
                received.append(message)
            return message

        refused = await self._serve(scope, receiving, send, ReadNote(may_confirm_later=replayable))
        if refused is None:
            return
        replayed = iter(list(received))

        async def replaying() -> Message:
            return next(replayed, None) or await receive()

        again = ReadNote(refused=refused, may_confirm_later=False)
        await self._serve(scope, replaying, send, again)

    async def _serve(
        self, scope: Scope, receive: Receive, send: Send, current: ReadNote
    ) -> Exception | None:
        """Serve the request once; when its answer was dropped to be served again, why."""
        token = _NOTE.set(current)
        body_hash, answer_hash = hashlib.sha256(), hashlib.sha256()
        seen_body = False
        held: list[Message] | None = None
        refused: Exception | None = None

        async def receiving() -> Message:
            nonlocal seen_body
            message = await receive()
            if message["type"] == "http.request" and message.get("body"):
                seen_body = True
                body_hash.update(message["body"])
            return message

        async def sending(message: Message) -> None:
            nonlocal held, refused
            if message["type"] == "http.response.start":
                ok = 200 <= int(message["status"]) < 300
                recorded = current.privileged and current.caller and ok
                if recorded or current.confirming is not None:
                    held = [message]
                    return
            elif message["type"] == "http.response.body" and held is not None:
                held.append(message)
                answer_hash.update(message.get("body", b""))
                if message.get("more_body"):
                    return
                refused = await self._release(
                    scope, current, held, body_hash, seen_body, answer_hash, send
                )
                return
            await send(message)

        try:
            await self.app(scope, receiving, sending)
        finally:
            _NOTE.reset(token)
        return refused

    async def _release(
        self,
        scope: Scope,
        current: ReadNote,
        held: list[Message],
        body_hash: Any,
        seen_body: bool,
        answer_hash: Any,
        send: Send,
    ) -> Exception | None:
        """Send a held answer once it is confirmed and, if privileged, recorded; or return why
        it was dropped unsent. A privileged answer still to be confirmed is confirmed inside
        its entry's append (:class:`Guard`), any other by a read of its own first."""
        pending = current.confirming
        ok = 200 <= int(held[0]["status"]) < 300
        recorded = bool(current.privileged and current.caller and ok)
        if pending is not None and not recorded:
            refused = await pending.outcome()
            if refused is not None:
                return refused
        if recorded:
            fields = self._fields(scope, current, body_hash, seen_body, answer_hash)
            try:
                guard = pending.guard() if pending is not None else None
                if not await self.writer.record(fields, guard):
                    assert pending is not None  # only a guarded entry is left out
                    refused = await pending.outcome()  # confirmed apart, to say why
                    if refused is not None:
                        return refused
                    await self.writer.record(fields)
            except Exception:  # the database refused: refuse the answer too
                log.exception("a privileged read could not be recorded; answered 503")
                await _unavailable(send)
                return None
        for kept in held:
            await send(kept)
        return None

    def _fields(
        self,
        scope: Scope,
        current: ReadNote,
        body_hash: Any,
        seen_body: bool,
        answer_hash: Any,
    ) -> dict[str, Any]:
        route = scope.get("route")
        query = scope.get("query_string", b"").decode("latin-1")
        target = scope.get("path", "") + (f"?{query}" if query else "")
        return {
            "at_ms": int(time.time() * 1000),
            "caller": current.caller,
            "roles": current.roles,
            "zone": self.zone,
            "operation": f"{scope.get('method', '')} {getattr(route, 'path', scope.get('path'))}",
            "target": target[:2000],
            "body_digest": "0x" + body_hash.hexdigest() if seen_body else None,
            "owners": ",".join(sorted(current.owners))[:4000],
            "answer_digest": "0x" + answer_hash.hexdigest(),
        }


# A request may be served before its session is confirmed only if it can be served again:
# its body is kept until then, so only a body known to be this small (a Content-Length).
REPLAYABLE_BYTES = 1024 * 1024


def _replayable(scope: Scope) -> bool:
    length = b"0"  # HTTP/1.1: no Content-Length and no Transfer-Encoding means no body
    for name, value in scope.get("headers", ()):
        if name == b"transfer-encoding":
            return False
        if name == b"content-length":
            length = value
    return length.isdigit() and int(length) <= REPLAYABLE_BYTES


async def _unavailable(send: Send) -> None:
    body = (
        b'{"error":{"code":"audit_unavailable","message":"the audit trail could not record '
        b'this read; try again later","detail":null}}'
    )
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [(b"content-type", b"application/json"), (b"retry-after", b"1")],
        }
    )
    await send({"type": "http.response.body", "body": body})
