"""The API's database engine: a pool of fixed size that waits for a kept connection."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import TimeoutError as PoolTimeout

from indexer.db import make_engine


def test_the_pool_waits_for_a_kept_connection_rather_than_opening_another(db_url: str) -> None:
    """Past its size the pool waits (then the API answers 503 busy) instead of opening a
    connection for the moment and closing it after: on PostgreSQL each is a server process,
    and a burst once opened 314 of them in 15 s."""
    engine = make_engine(db_url, pool_size=2, pool_timeout=0.2, pre_ping=False, read_only=True)
    try:
        first, second = engine.connect(), engine.connect()
        kept = {id(c.connection.driver_connection) for c in (first, second)}
        with pytest.raises(PoolTimeout):
            engine.connect()
        first.close()
        third = engine.connect()  # the one just returned, not a new one
        assert id(third.connection.driver_connection) in kept
        third.close()
        second.close()
    finally:
        engine.dispose()
