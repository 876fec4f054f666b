"""The SQL sink on its own: rows in COLUMNS order, idempotent writes, planner statistics."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, text

from indexer.decode import IpRegistered, LogPosition
from indexer.sink import Cursor, SqlSink
from indexer.source import BlockHeader
from tests.indexer.helpers import fresh_db, table_rows


def _registrations(count: int) -> tuple[list[IpRegistered], dict[int, BlockHeader]]:
    blocks = {
        n: BlockHeader(n, f"0x{n:064x}", f"0x{n - 1:064x}", 1_764_000_000 + n) for n in (1, 2)
    }
    records = [
        IpRegistered(
            LogPosition(7, 1 + i % 2, f"0x{1 + i % 2:064x}", f"0x{i:064x}", i, "0x" + "ab" * 20),
            content_hash=f"0x{i:064x}",
            zone="CN-SH",
            owner="0x" + "cd" * 20,
            work_type=1,
            title_hash="0x" + "ef" * 32,
            submitter="0x" + "12" * 20,
            nonce=2**255 + i,
            registered_at=datetime.fromtimestamp(1_764_000_000 + i, UTC),
        )
        for i in range(count)
    ]
    return records, blocks


def _analysed(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            rows = conn.execute(
                text("SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL")
            )
        else:
            rows = conn.execute(text("SELECT DISTINCT tbl FROM sqlite_stat1"))
        return {str(r[0]) for r in rows}


def test_rows_round_trip_and_only_written_tables_are_analysed(db_url: str) -> None:
    engine = fresh_db(db_url)
    sink = SqlSink(engine)
    records, blocks = _registrations(40)
    cursor = Cursor(7, "0x" + "00" * 32, 1, 2, blocks[2].hash)
    assert sink.write(sink.prepare(records, blocks), cursor) == 40
    assert sink.write(sink.prepare(*_registrations(40)), cursor) == 0  # replayed: no-op

    rows = table_rows(engine, "ip_registration")
    assert len(rows) == 40
    last = rows[-1]
    assert last["content_hash"] == f"0x{39:064x}" and last["nonce"] == str(2**255 + 39)
    assert last["block_number"] == 2 and last["block_hash"] == blocks[2].hash
    assert last["block_time"].timestamp() == blocks[2].timestamp
    assert last["registered_at"].timestamp() == 1_764_000_039
    assert (last["log_index"], last["tx_hash"]) == (39, f"0x{39:064x}")

    sink.refresh_statistics()
    analysed = _analysed(engine)
    assert "ip_registration" in analysed and "trade_event" not in analysed
