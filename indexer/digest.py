"""A digest of everything indexed up to a block: zones compare it to show their indexes agree.

Each zone runs its own indexer over its own node; if they saw the same chain, their tables
hold the same rows. ``table_digest`` hashes, table by table in a fixed order, every row of
one chain up to and including ``block`` (the natural key orders them; the surrogate ``id``
and nothing local takes part), each value in one canonical text form, so the digest is the
same on SQLite and on PostgreSQL. ``ftz index digest --block N`` prints it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, Table, select

from indexer.sink import COLUMNS, DERIVED_TABLES


@dataclass(frozen=True)
class IndexDigest:
    chain_id: int
    block: int
    rows: int
    digest: str  # 0x SHA-256


def _text(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _order(table: Table) -> list[str]:
    names = [c.name for c in table.columns]
    return [n for n in ("block_number", "log_index", "role", "position") if n in names] + [
        "tx_hash"
    ]


def table_digest(engine: Engine, chain_id: int, block: int) -> IndexDigest:
    """The digest of every event row of ``chain_id`` with ``block_number <= block``."""
    sha = hashlib.sha256()
    rows = 0
    tables: list[tuple[Table, tuple[str, ...]]] = [*COLUMNS.items()]
    tables += [(t, tuple(c.name for c in t.columns if c.name != "id")) for t in DERIVED_TABLES]
    with engine.connect() as conn:
        for table, names in sorted(tables, key=lambda pair: pair[0].name):
            ordered = sorted(names)
            sha.update(f"table {table.name}\n".encode())
            query = (
                select(*(table.c[n] for n in ordered))
                .where(table.c.chain_id == chain_id, table.c.block_number <= block)
                .order_by(*(table.c[n] for n in _order(table)))
            )
            for row in conn.execute(query):
                sha.update(("\t".join(_text(v) for v in row) + "\n").encode())
                rows += 1
    return IndexDigest(chain_id, block, rows, "0x" + sha.hexdigest())
