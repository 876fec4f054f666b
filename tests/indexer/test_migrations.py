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
