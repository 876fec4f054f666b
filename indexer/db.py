"""Database engines (SQLite with WAL by default, PostgreSQL through psycopg 3) and migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from ftzchain.errors import ConfigError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
READ_TIMEOUT_MS = 10_000  # PostgreSQL cancels an API statement after this (then 503)


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def make_engine(
    url: str,
    pool_size: int | None = None,
    pool_timeout: float | None = None,
    pre_ping: bool = True,
    read_only: bool = False,
) -> Engine:
    """An engine for ``url``; with ``pool_size``, at most that many connections, opened as
    needed and then kept, and ``pool_timeout`` seconds to wait for one (defaults: SQLAlchemy's,
    for the indexer). No connections past the pool's size: SQLAlchemy closes those as soon as
    they are returned, so a burst of load opened and closed PostgreSQL connections (a server
    process each) faster than it served requests; waiting for a kept one costs nothing.

    ``pre_ping`` tests each PostgreSQL connection with a round trip before lending it out. The
    API turns it off: that round trip cost more than its short queries, and a connection the
    server dropped fails its request with 503 and is replaced (SQLAlchemy invalidates the pool
    on a disconnect), while ``pool_recycle`` retires connections before servers time them out.

    ``read_only`` (the API) runs each statement on its own, with no transaction around a
    request: no BEGIN and no ROLLBACK round trips for work that never writes.
    """
    pool: dict[str, Any] = {}
    if read_only:
        pool["isolation_level"] = "AUTOCOMMIT"
    if pool_size is not None:
        pool |= {"pool_size": pool_size, "max_overflow": 0}
    if pool_timeout is not None:
        pool["pool_timeout"] = pool_timeout
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **pool)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, never torn
            cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB: index B-trees stay in memory
            cursor.execute("PRAGMA temp_store=MEMORY")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    if read_only:  # no answer is worth more than this much of the server's time
        pool["connect_args"] = {"options": f"-c statement_timeout={READ_TIMEOUT_MS}"}
    return create_engine(url, pool_pre_ping=pre_ping, pool_recycle=600, **pool)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def migrate(url: str, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (the only way tables are created or changed)."""
    command.upgrade(alembic_config(url), revision)


def schema_revision(url: str) -> str | None:
    """The schema revision the database is at (None: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def require_current_schema(url: str) -> None:
    """Refuse to serve from a database the indexer has not brought to the current schema."""
    current, head = schema_revision(url), head_revision()
    if current != head:
        shown = current or "no schema"
        raise ConfigError(
            f"the database is at {shown}, the indexer's schema is at {head}: "
            "run `ftz index` first (only the indexer migrates the schema)"
        )
