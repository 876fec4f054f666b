"""SQL sink: idempotent bulk inserts of decoded records, committed with the cursor."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Table, bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from indexer.decode import (
    GovernanceEvent,
    InvoiceEvent,
    IpEvent,
    IpRegistered,
    LogPosition,
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


def _base(pos: LogPosition, block_time: datetime) -> dict[str, Any]:
    return {
        "chain_id": pos.chain_id,
        "block_number": pos.block_number,
        "block_hash": pos.block_hash,
        "block_time": block_time,
        "tx_hash": pos.tx_hash,
        "log_index": pos.log_index,
        "contract": pos.contract,
    }


def rows_by_table(
    records: Sequence[Record], blocks: dict[int, BlockHeader]
) -> dict[Table, list[dict[str, Any]]]:
    """Group records into insert rows per table (pure; the unit tests call it directly)."""
    grouped: dict[Table, list[dict[str, Any]]] = {t: [] for t in _EVENT_TABLES}
    times = {n: _time(h.timestamp) for n, h in blocks.items()}
    for record in records:
        row = _base(record.pos, times[record.pos.block_number])
        if isinstance(record, IpRegistered):
            row.update(
                content_hash=record.content_hash,
                zone=record.zone,
                owner=record.owner,
                work_type=record.work_type,
                title_hash=record.title_hash,
                submitter=record.submitter,
                nonce=str(record.nonce),
                registered_at=record.registered_at,
            )
            grouped[_EVENT_TABLES[0]].append(row)
        elif isinstance(record, GovernanceEvent):
            row.update(
                event=record.event,
                proposal_id=record.proposal_id,
                action=record.action,
                actor=record.actor,
                account=record.account,
                zone=record.zone,
                role=record.role,
                value=None if record.value is None else str(record.value),
                expires_at=record.expires_at,
            )
            grouped[_EVENT_TABLES[1]].append(row)
        elif isinstance(record, IpEvent):
            row.update(
                event=record.event,
                content_hash=record.content_hash,
                actor=record.actor,
                zone=record.zone,
                owner=record.owner,
                counterparty=record.counterparty,
                case_id=record.case_id,
                document_hash=record.document_hash,
                licence_id=record.licence_id,
                valid_from=record.valid_from,
                valid_until=record.valid_until,
            )
            grouped[_EVENT_TABLES[2]].append(row)
        elif isinstance(record, TraceEvent):
            row.update(
                event_id=record.event_id,
                zone=record.zone,
                enterprise=record.enterprise,
                event_type=record.event_type,
                action=record.action,
                biz_step=record.biz_step,
                disposition=record.disposition,
                event_time=record.event_time,
                where_hash=record.where_hash,
                submitter=record.submitter,
            )
            grouped[_EVENT_TABLES[3]].append(row)
            base = _base(record.pos, times[record.pos.block_number])
            for role, fingerprints in (("in", record.inputs), ("out", record.outputs)):
                for position, fp in enumerate(fingerprints):
                    grouped[_EVENT_TABLES[4]].append(
                        {
                            **base,
                            "event_id": record.event_id,
                            "role": role,
                            "position": position,
                            "fingerprint": fp,
                        }
                    )
        elif isinstance(record, TradeEvent):
            row.update(
                event=record.event,
                subject=record.subject,
                zone=record.zone,
                other_zone=record.other_zone,
                actor=record.actor,
                passed=record.passed,
                rule=record.rule,
                document_hash=record.document_hash,
                ref=record.ref,
                reason=record.reason,
            )
            lots: list[str | None] = [*record.lots] if record.lots else [None]
            for position, lot in enumerate(lots):
                grouped[_EVENT_TABLES[5]].append({**row, "position": position, "lot": lot})
        elif isinstance(record, InvoiceEvent):
            row.update(
                event=record.event,
                invoice_id=record.invoice_id,
                zone=record.zone,
                actor=record.actor,
                action=record.action,
                ref=record.ref,
                goods_required=record.goods_required,
            )
            prints: list[str | None] = [*record.fingerprints] if record.fingerprints else [None]
            for position, printed in enumerate(prints):
                grouped[_EVENT_TABLES[6]].append(
                    {**row, "position": position, "fingerprint": printed}
                )
    return grouped


class _BulkInsert:
    """INSERT … ON CONFLICT DO NOTHING for one table, compiled once, values bound by hand.

    SQLAlchemy's per-row parameter processing costs more than the database's own insert; this
    applies the same bind processors column by column (memoising repeated values such as a
    block's time) and hands the driver plain tuples or dicts.
    """

    def __init__(self, engine: Engine, table: Table, insert: Any) -> None:
        stmt = insert(table).on_conflict_do_nothing(index_elements=_conflict_key(table))
        columns = [c for c in table.columns if c.name != "id"]
        compiled = stmt.values({c.name: bindparam(c.name, type_=c.type) for c in columns}).compile(
            dialect=engine.dialect
        )
        self.sql = str(compiled)
        self.names: list[str] = (
            list(compiled.positiontup)
            if compiled.positional and compiled.positiontup
            else [c.name for c in columns]
        )
        self.positional = bool(compiled.positional)
        by_name = {c.name: c for c in columns}
        processors = [
            (n, by_name[n].type._cached_bind_processor(engine.dialect)) for n in self.names
        ]
        self.active = [(n, p) for n, p in processors if p is not None]

    def params(self, rows: list[dict[str, Any]]) -> list[Any]:
        """Driver parameters; processed values are computed once per distinct value."""
        for name, process in self.active:
            done = {v: process(v) for v in {row[name] for row in rows} if v is not None}
            for row in rows:
                value = row[name]
                if value is not None:
                    row[name] = done[value]
        if not self.positional:
            return rows
        getter = operator.itemgetter(*self.names)
        return [getter(row) for row in rows]


class _PgCopyInsert:
    """PostgreSQL: COPY rows straight into the table inside a savepoint. A range above the
    cursor normally holds only new rows; if some are present already (a replayed range), the
    savepoint is rolled back and the rows go through a session-local staging table and one
    ``INSERT … SELECT … ON CONFLICT DO NOTHING``. Both are several times faster than
    executemany."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.names = [c.name for c in table.columns if c.name != "id"]
        cols = ", ".join(self.names)
        stage = f"_stage_{table.name}"
        self.direct = f"COPY {table.name} ({cols}) FROM STDIN"
        self.create = (
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
            f"SELECT {cols} FROM {table.name} WITH NO DATA"
        )
        self.copy = f"COPY {stage} ({cols}) FROM STDIN"
        self.merge = (
            f"INSERT INTO {table.name} ({cols}) SELECT {cols} FROM {stage} "
            f"ORDER BY block_number, log_index "
            f"ON CONFLICT ({', '.join(_conflict_key(table))}) DO NOTHING"
        )

    def params(self, rows: list[dict[str, Any]]) -> list[Any]:
        getter = operator.itemgetter(*self.names)
        return [getter(row) for row in rows]

    def insert(self, conn: Connection, params: list[Any]) -> int:
        from psycopg.errors import UniqueViolation

        raw = conn.connection.driver_connection
        with raw.cursor() as cur:  # type: ignore[union-attr]
            cur.execute("SAVEPOINT ftz_copy")
            try:
                with cur.copy(self.direct) as copy:
                    for row in params:
                        copy.write_row(row)
            except UniqueViolation:
                cur.execute("ROLLBACK TO SAVEPOINT ftz_copy")
            else:
                cur.execute("RELEASE SAVEPOINT ftz_copy")
                return len(params)
            cur.execute(self.create)
            with cur.copy(self.copy) as copy:
                for row in params:
                    copy.write_row(row)
            cur.execute(self.merge)
            return int(cur.rowcount)


class SqlSink:
    """Writes to one database; every public method is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
        self._bulk = {t: _BulkInsert(engine, t, self._insert) for t in _EVENT_TABLES}
        self._copy = (
            {t: _PgCopyInsert(t) for t in _EVENT_TABLES}
            if engine.dialect.name == "postgresql"
            else None
        )

    def refresh_statistics(self) -> None:
        """Update the query planner's statistics of the event tables (after a backfill): the
        API's recursive provenance queries need them to start from the index on fingerprints
        instead of scanning every link."""
        with self.engine.begin() as conn:
            if self.engine.dialect.name == "postgresql":
                names = ", ".join(t.name for t in _EVENT_TABLES)
                conn.exec_driver_sql(f"ANALYZE {names}")
            else:
                conn.exec_driver_sql("PRAGMA analysis_limit=1000")  # sampled, fast
                conn.exec_driver_sql("ANALYZE")

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
            for table in (*_EVENT_TABLES, _WINDOW):
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
                encoder = self._copy[table] if self._copy is not None else self._bulk[table]
                prepared[table] = encoder.params(rows)
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
            for table, params in prepared.params.items():
                if self._copy is not None:
                    inserted += self._copy[table].insert(conn, params)
                    continue
                result = conn.exec_driver_sql(self._bulk[table].sql, params)
                inserted += max(result.rowcount or 0, 0)
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
            for table in (*_EVENT_TABLES, _WINDOW):
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
