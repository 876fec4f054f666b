"""SQL sink: idempotent bulk inserts of decoded records, committed with the cursor."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Table, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from ftzchain.epcis.hash_id import CANONICALISATION
from indexer.decode import (
    GovernanceEvent,
    InvoiceEvent,
    IpEvent,
    IpRegistered,
    Record,
    TraceEvent,
    TradeEvent,
)
from indexer.models import (
    ChainCursor,
    GovernanceEventRow,
    IndexedBlock,
    InvoiceEventRow,
    IpEventRow,
    IpRegistrationRow,
    TraceConflictRow,
    TraceEventRow,
    TraceLinkRow,
    TradeEventRow,
)
from indexer.source import BlockHeader

_EVENT_TABLES: tuple[Table, ...] = (
    IpRegistrationRow.__table__,  # type: ignore[attr-defined]
    GovernanceEventRow.__table__,  # type: ignore[attr-defined]
    IpEventRow.__table__,  # type: ignore[attr-defined]
    TraceEventRow.__table__,  # type: ignore[attr-defined]
    TraceLinkRow.__table__,  # type: ignore[attr-defined]
    TradeEventRow.__table__,  # type: ignore[attr-defined]
    InvoiceEventRow.__table__,  # type: ignore[attr-defined]
)
_CONFLICTS: Table = TraceConflictRow.__table__  # type: ignore[attr-defined]
# Tables the sink fills from the event tables' rows (not one row per log of its own).
DERIVED_TABLES: tuple[Table, ...] = (_CONFLICTS,)
_CURSOR: Table = ChainCursor.__table__  # type: ignore[attr-defined]
_WINDOW: Table = IndexedBlock.__table__  # type: ignore[attr-defined]
_NATURAL_KEY = ("chain_id", "tx_hash", "log_index")


def _conflict_key(table: Table) -> tuple[str, ...]:
    """A log's natural key; a link or lot row (several per log) adds its position."""
    if table.name == "trace_link":
        return (*_NATURAL_KEY, "role", "position")
    if table.name in ("trade_event", "invoice_event"):
        return (*_NATURAL_KEY, "position")
    return _NATURAL_KEY


@dataclass(frozen=True)
class PreparedRows:
    """Driver parameters per table, ready to insert (see :meth:`SqlSink.prepare`)."""

    params: dict[Table, list[Any]]
    count: int


EMPTY = PreparedRows({}, 0)


@dataclass(frozen=True)
class Cursor:
    chain_id: int
    genesis_hash: str
    start_block: int
    block_number: int
    block_hash: str


def _time(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


_POS_FIELDS = ("chain_id", "block_number", "block_hash", "tx_hash", "log_index", "contract")
_position = operator.attrgetter(*_POS_FIELDS)
_LEAD = ("block_time", *_POS_FIELDS)  # every row starts with its block's time and the log

# The columns of each table in the order ``rows_by_table`` builds its rows (checked below
# against the tables, so a column added by a migration cannot be left out silently).
COLUMNS: dict[Table, tuple[str, ...]] = {
    _EVENT_TABLES[0]: (
        *_LEAD,
        *("content_hash", "zone", "owner", "work_type", "title_hash", "submitter"),
        *("nonce", "registered_at"),
    ),
    _EVENT_TABLES[1]: (
        *_LEAD,
        *("event", "proposal_id", "action", "actor", "account", "zone", "role", "value"),
        "expires_at",
    ),
    _EVENT_TABLES[2]: (
        *_LEAD,
        *("event", "content_hash", "actor", "zone", "owner", "counterparty", "case_id"),
        *("document_hash", "licence_id", "valid_from", "valid_until"),
    ),
    _EVENT_TABLES[3]: (
        *_LEAD,
        *("event_id", "zone", "enterprise", "event_type", "action", "biz_step"),
        *("disposition", "event_time", "where_hash", "submitter", "id_version"),
    ),
    _EVENT_TABLES[4]: (*_LEAD, "event_id", "role", "position", "fingerprint"),
    _EVENT_TABLES[5]: (
        *_LEAD,
        *("event", "subject", "zone", "other_zone", "actor", "passed", "rule"),
        *("document_hash", "ref", "reason", "position", "lot"),
    ),
    _EVENT_TABLES[6]: (
        *_LEAD,
        *("event", "invoice_id", "zone", "actor", "action", "ref", "goods_required"),
        *("position", "fingerprint"),
    ),
}
for _table, _names in COLUMNS.items():
    if sorted(_names) != sorted(c.name for c in _table.columns if c.name != "id"):
        raise RuntimeError(f"indexer.sink.COLUMNS does not match the columns of {_table.name}")


_TRACE, _LINKS = _EVENT_TABLES[3], _EVENT_TABLES[4]
_TRACE_COLUMNS = COLUMNS[_TRACE]
_COL_CHAIN, _COL_TX, _COL_LOG = (_LEAD.index(n) for n in ("chain_id", "tx_hash", "log_index"))
_COL_EVENT_ID = _TRACE_COLUMNS.index("event_id")
_CONFLICT_COPIED = (*_LEAD, "event_id", "zone", "enterprise", "submitter")
_CONFLICT_FROM = tuple(_TRACE_COLUMNS.index(n) for n in _CONFLICT_COPIED)


def rows_by_table(
    records: Sequence[Record], blocks: dict[int, BlockHeader]
) -> dict[Table, list[list[Any]]]:
    """Group records into rows per table, each a list of values in ``COLUMNS`` order (pure).

    Rows are plain lists built in one expression per record: at tens of thousands of events
    per second, building a dict per row and converting it cost more than decoding the log.
    """
    grouped: list[list[list[Any]]] = [[] for _ in _EVENT_TABLES]
    ip, gov, ip_ev, trace, link, trade, invoice = grouped
    times = {n: _time(h.timestamp) for n, h in blocks.items()}
    for r in records:
        pos = r.pos
        t = times[pos.block_number]
        if isinstance(r, IpRegistered):
            ip.append(
                [
                    *(t, *_position(pos), r.content_hash, r.zone, r.owner, r.work_type),
                    *(r.title_hash, r.submitter, str(r.nonce), r.registered_at),
                ]
            )
        elif isinstance(r, GovernanceEvent):
            gov.append(
                [
                    *(t, *_position(pos), r.event, r.proposal_id, r.action, r.actor, r.account),
                    *(r.zone, r.role, None if r.value is None else str(r.value), r.expires_at),
                ]
            )
        elif isinstance(r, IpEvent):
            ip_ev.append(
                [
                    *(t, *_position(pos), r.event, r.content_hash, r.actor, r.zone, r.owner),
                    *(r.counterparty, r.case_id, r.document_hash, r.licence_id, r.valid_from),
                    r.valid_until,
                ]
            )
        elif isinstance(r, TraceEvent):
            lead = (t, *_position(pos))
            trace.append(
                [
                    *(*lead, r.event_id, r.zone, r.enterprise, r.event_type, r.action),
                    *(r.biz_step, r.disposition, r.event_time, r.where_hash, r.submitter),
                    CANONICALISATION,
                ]
            )
            for role, fingerprints in (("in", r.inputs), ("out", r.outputs)):
                link.extend([*lead, r.event_id, role, i, fp] for i, fp in enumerate(fingerprints))
        elif isinstance(r, TradeEvent):
            head = (
                *(t, *_position(pos), r.event, r.subject, r.zone, r.other_zone, r.actor),
                *(r.passed, r.rule, r.document_hash, r.ref, r.reason),
            )
            trade.extend([*head, i, lot] for i, lot in enumerate(r.lots or [None]))
        elif isinstance(r, InvoiceEvent):
            head = (
                *(t, *_position(pos), r.event, r.invoice_id, r.zone, r.actor, r.action),
                *(r.ref, r.goods_required),
            )
            invoice.extend([*head, i, fp] for i, fp in enumerate(r.fingerprints or [None]))
    return dict(zip(_EVENT_TABLES, grouped, strict=True))


class _BulkInsert:
    """SQLite: ``INSERT … ON CONFLICT DO NOTHING`` for one table, run with executemany on the
    driver's cursor. Values go through SQLAlchemy's own bind processors (so dates are stored
    exactly as the ORM stores them), once per distinct value: a block's time repeats in every
    row of the block."""

    def __init__(self, engine: Engine, table: Table) -> None:
        self.names = COLUMNS[table]
        self.sql = (
            f"INSERT INTO {table.name} ({', '.join(self.names)}) "
            f"VALUES ({', '.join('?' * len(self.names))}) "
            f"ON CONFLICT ({', '.join(_conflict_key(table))}) DO NOTHING"
        )
        processors = [
            (i, table.c[name].type._cached_bind_processor(engine.dialect))
            for i, name in enumerate(self.names)
        ]
        self.active = [(i, p) for i, p in processors if p is not None]

    def params(self, rows: list[list[Any]]) -> list[Any]:
        for i, process in self.active:
            done = {v: process(v) for v in {row[i] for row in rows} if v is not None}
            for row in rows:
                value = row[i]
                if value is not None:
                    row[i] = done[value]
        return rows

    def insert(self, conn: Connection, params: list[Any]) -> int:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(self.sql, params)
            return max(int(cursor.rowcount), 0)
        finally:
            cursor.close()


class _PgCopyInsert:
    """PostgreSQL: binary COPY straight into the table inside a savepoint. A range above the
    cursor normally holds only new rows; if some are present already (a replayed range), the
    savepoint is rolled back and the rows go through a session-local staging table and one
    ``INSERT … SELECT … ON CONFLICT DO NOTHING``. Both are several times faster than
    executemany; binary COPY needs no text formatting in Python (8 µs less CPU per row here)
    nor parsing in the server, given each column's exact type, read from the catalog."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.names = COLUMNS[table]
        cols = ", ".join(self.names)
        stage = f"_stage_{table.name}"
        self.direct = f"COPY {table.name} ({cols}) FROM STDIN (FORMAT BINARY)"
        self.create = (
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
            f"SELECT {cols} FROM {table.name} WITH NO DATA"
        )
        self.copy = f"COPY {stage} ({cols}) FROM STDIN (FORMAT BINARY)"
        self.merge = (
            f"INSERT INTO {table.name} ({cols}) SELECT {cols} FROM {stage} "
            f"ORDER BY block_number, log_index "
            f"ON CONFLICT ({', '.join(_conflict_key(table))}) DO NOTHING"
        )
        self.types: list[int] | None = None

    def params(self, rows: list[list[Any]]) -> list[Any]:
        return rows

    def _column_types(self, cur: Any) -> list[int]:
        if self.types is None:
            cur.execute(
                "SELECT attname, atttypid::int FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                (self.table.name,),
            )
            oids = dict(cur.fetchall())
            self.types = [oids[name] for name in self.names]
        return self.types

    def _copy(self, cur: Any, statement: str, params: list[Any]) -> None:
        with cur.copy(statement) as copy:
            copy.set_types(self._column_types(cur))
            for row in params:
                copy.write_row(row)

    def insert(self, conn: Connection, params: list[Any]) -> int:
        from psycopg.errors import UniqueViolation

        raw = conn.connection.driver_connection
        with raw.cursor() as cur:  # type: ignore[union-attr]
            self._column_types(cur)
            cur.execute("SAVEPOINT ftz_copy")
            try:
                self._copy(cur, self.direct, params)
            except UniqueViolation:
                cur.execute("ROLLBACK TO SAVEPOINT ftz_copy")
            else:
                cur.execute("RELEASE SAVEPOINT ftz_copy")
                return len(params)
            cur.execute(self.create)
            self._copy(cur, self.copy, params)
            cur.execute(self.merge)
            return int(cur.rowcount)


class SqlSink:
    """Writes to one database; every public method is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        postgres = engine.dialect.name == "postgresql"
        self._insert = pg_insert if postgres else sqlite_insert
        self._encoders: dict[Table, _BulkInsert | _PgCopyInsert] = {
            t: _PgCopyInsert(t) if postgres else _BulkInsert(engine, t) for t in _EVENT_TABLES
        }
        self._written: set[Table] = set()  # event tables written since the last ANALYZE

    def refresh_statistics(self) -> None:
        """Update the query planner's statistics of the event tables written since the last
        refresh (after a backfill): the API's recursive provenance queries need them to start
        from the index on fingerprints instead of scanning every link. Tables nothing was
        written to keep their statistics (ANALYZE of a large table costs a sample of it)."""
        names = ", ".join(t.name for t in _EVENT_TABLES if t in self._written)
        self._written.clear()
        if not names:
            return
        with self.engine.begin() as conn:
            if self.engine.dialect.name == "postgresql":
                conn.exec_driver_sql(f"ANALYZE {names}")
            else:
                conn.exec_driver_sql("PRAGMA analysis_limit=1000")  # sampled, fast
                for name in names.split(", "):
                    conn.exec_driver_sql(f"ANALYZE {name}")

    def read_cursor(self, chain_id: int) -> Cursor | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(_CURSOR).where(_CURSOR.c.chain_id == chain_id)).first()
        if row is None:
            return None
        return Cursor(
            chain_id=row.chain_id,
            genesis_hash=row.genesis_hash,
            start_block=row.start_block,
            block_number=row.block_number,
            block_hash=row.block_hash,
        )

    def reset_chain(self, chain_id: int, genesis_hash: str, start_block: int) -> Cursor:
        """Forget everything of ``chain_id`` and start again before ``start_block``."""
        cursor = Cursor(chain_id, genesis_hash, start_block, start_block - 1, "0x")
        with self.engine.begin() as conn:
            for table in (*_EVENT_TABLES, _CONFLICTS, _WINDOW):
                conn.execute(delete(table).where(table.c.chain_id == chain_id))
            conn.execute(delete(_CURSOR).where(_CURSOR.c.chain_id == chain_id))
            self._write_cursor(conn, cursor)
        return cursor

    def prepare(self, records: Sequence[Record], blocks: dict[int, BlockHeader]) -> PreparedRows:
        """Turn records into driver parameters. Pure CPU and thread-safe: the indexer runs it
        in its fetch threads, so the committing thread only talks to the database."""
        prepared: dict[Table, list[Any]] = {}
        for table, rows in rows_by_table(records, blocks).items():
            if rows:
                prepared[table] = self._encoders[table].params(rows)
        return PreparedRows(prepared, len(records))

    def write(
        self,
        prepared: PreparedRows,
        cursor: Cursor,
        window: Sequence[BlockHeader] = (),
        keep_window_from: int | None = None,
    ) -> int:
        """Insert the prepared rows (skipping ones already present), remember ``window`` block
        hashes (forgetting those below ``keep_window_from``) and move the cursor, atomically.

        Returns how many rows were new.
        """
        inserted = 0
        with self.engine.begin() as conn:
            params_by_table = self._divert_conflicts(conn, prepared.params)
            for table, params in params_by_table.items():
                inserted += self._encoders[table].insert(conn, params)
                self._written.add(table)
            if window:
                stmt = self._insert(_WINDOW)
                stmt = stmt.on_conflict_do_update(
                    index_elements=["chain_id", "number"],
                    set_={"hash": stmt.excluded.hash, "parent_hash": stmt.excluded.parent_hash},
                )
                conn.execute(
                    stmt,
                    [
                        {
                            "chain_id": cursor.chain_id,
                            "number": h.number,
                            "hash": h.hash,
                            "parent_hash": h.parent_hash,
                        }
                        for h in window
                    ],
                )
            if keep_window_from is not None:
                conn.execute(
                    delete(_WINDOW).where(
                        _WINDOW.c.chain_id == cursor.chain_id, _WINDOW.c.number < keep_window_from
                    )
                )
            self._write_cursor(conn, cursor)
        return inserted

    def _divert_conflicts(
        self, conn: Connection, params: dict[Table, list[Any]]
    ) -> dict[Table, list[Any]]:
        """Keep the first on-chain claim of each event id: a trace event whose id is already
        recorded by another log (earlier in this range or in the database) goes to
        ``trace_conflict`` instead, and its links are dropped. The same log seen again (a
        replayed range) is left for the insert to skip."""
        events = params.get(_TRACE)
        if not events:
            return params
        chain_id = events[0][_COL_CHAIN]
        ids = list({row[_COL_EVENT_ID] for row in events})
        first: dict[str, tuple[str, int]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for event_id, tx_hash, log_index in conn.execute(
                select(_TRACE.c.event_id, _TRACE.c.tx_hash, _TRACE.c.log_index).where(
                    _TRACE.c.chain_id == chain_id, _TRACE.c.event_id.in_(chunk)
                )
            ):
                first[event_id] = (tx_hash, int(log_index))
        kept: list[Any] = []
        conflicts: list[tuple[Any, ...]] = []
        for row in events:
            log = (row[_COL_TX], int(row[_COL_LOG]))
            claim = first.setdefault(row[_COL_EVENT_ID], log)
            if claim == log:
                kept.append(row)
                continue
            conflicts.append((*(row[i] for i in _CONFLICT_FROM), *claim))
        if not conflicts:
            return params
        dropped = {(c[_COL_TX], int(c[_COL_LOG])) for c in conflicts}
        # The values are already in the driver's form (see ``prepare``): bypass SQLAlchemy.
        mark = "%s" if self.engine.dialect.name == "postgresql" else "?"
        names = (*_CONFLICT_COPIED, "first_tx_hash", "first_log_index")
        conn.exec_driver_sql(
            f"INSERT INTO trace_conflict ({', '.join(names)}) "
            f"VALUES ({', '.join([mark] * len(names))}) "
            f"ON CONFLICT ({', '.join(_NATURAL_KEY)}) DO NOTHING",
            conflicts,
        )
        out = dict(params)
        out[_TRACE] = kept
        links = params.get(_LINKS)
        if links:
            out[_LINKS] = [r for r in links if (r[_COL_TX], int(r[_COL_LOG])) not in dropped]
        return {table: rows for table, rows in out.items() if rows}

    def window(self, chain_id: int, at_or_below: int, limit: int) -> list[tuple[int, str]]:
        """Remembered (number, hash) pairs, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(_WINDOW.c.number, _WINDOW.c.hash)
                .where(_WINDOW.c.chain_id == chain_id, _WINDOW.c.number <= at_or_below)
                .order_by(_WINDOW.c.number.desc())
                .limit(limit)
            )
            return [(int(r.number), str(r.hash)) for r in rows]

    def rollback(self, cursor: Cursor, ancestor: int, ancestor_hash: str) -> Cursor:
        """Forget everything above ``ancestor`` and move the cursor there, in one transaction."""
        new = Cursor(
            cursor.chain_id, cursor.genesis_hash, cursor.start_block, ancestor, ancestor_hash
        )
        with self.engine.begin() as conn:
            for table in (*_EVENT_TABLES, _CONFLICTS, _WINDOW):
                number = table.c.number if table is _WINDOW else table.c.block_number
                conn.execute(
                    delete(table).where(table.c.chain_id == cursor.chain_id, number > ancestor)
                )
            self._write_cursor(conn, new)
        return new

    def _write_cursor(self, conn: Connection, cursor: Cursor) -> None:
        values = {
            "chain_id": cursor.chain_id,
            "genesis_hash": cursor.genesis_hash,
            "start_block": cursor.start_block,
            "block_number": cursor.block_number,
            "block_hash": cursor.block_hash,
            "updated_at": datetime.now(UTC),
        }
        stmt = self._insert(_CURSOR).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["chain_id"],
            set_={k: stmt.excluded[k] for k in values if k != "chain_id"},
        )
        conn.execute(stmt)
