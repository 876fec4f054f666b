"""Every migration goes down and up again, on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from indexer.db import alembic_config, make_engine, migrate


def test_migrations_go_down_to_base_and_up_again(db_url: str) -> None:
    migrate(db_url)
    command.downgrade(alembic_config(db_url), "base")
    engine = make_engine(db_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    migrate(db_url)
    engine = make_engine(db_url)
    indexes = {i["name"]: i for i in inspect(engine).get_indexes("ip_registration")}
    assert indexes["ix_ip_registration_content_hash"]["column_names"] == ["content_hash"]
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            method = conn.execute(
                text(
                    "SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam "
                    "WHERE c.relname = 'ix_ip_registration_content_hash'"
                )
            ).scalar_one()
        assert method == "hash"
    engine.dispose()


def test_the_audit_owner_index_is_filled_from_the_entries_already_there(db_url: str) -> None:
    """0014 indexes the owners of the trail's existing entries (one row per owner, none for
    an entry that read nobody's records); new entries get theirs as they are appended."""
    from sqlalchemy import Engine

    from api.audit import AuditWriter
    from ftzchain.audit import GENESIS

    a, b = "0x" + "aa" * 20, "0x" + "bb" * 20
    config = alembic_config(db_url)
    command.upgrade(config, "0013")
    engine: Engine = make_engine(db_url)
    entry = {
        "at_ms": 1, "caller": "0x" + "cc" * 20, "roles": "", "zone": "CN-SH",
        "operation": "GET /v1/ip/{sha256}", "target": "/v1/ip/0x", "body_digest": None,
        "answer_digest": "0x" + "00" * 32, "prev_hash": GENESIS, "hash": "0x" + "11" * 32,
    }  # fmt: skip
    with engine.begin() as conn:
        for seq, owners in ((1, f"{a},{b}"), (2, ""), (3, b)):
            conn.execute(
                text(
                    "INSERT INTO audit_entry (seq, at_ms, caller, roles, zone, operation, "
                    "target, body_digest, owners, answer_digest, prev_hash, hash) VALUES "
                    "(:seq, :at_ms, :caller, :roles, :zone, :operation, :target, "
                    ":body_digest, :owners, :answer_digest, :prev_hash, :hash)"
                ),
                {**entry, "seq": seq, "owners": owners},
            )
    engine.dispose()
    migrate(db_url)
    writer = AuditWriter(db_url)
    writer.submit({k: v for k, v in entry.items() if "hash" not in k} | {"owners": a}).result(30)
    writer.close()
    engine = make_engine(db_url)
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT owner, seq FROM audit_owner ORDER BY seq, owner"))
        assert [tuple(r) for r in rows] == [(a, 1), (b, 1), (b, 3), (a, 4)]
    engine.dispose()
