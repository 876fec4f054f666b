"""Provenance graph queries over the indexed trace links (recursive SQL, SQLite and PostgreSQL).

Identifiers are keyed fingerprints; an event links each of its inputs to each of its outputs.
``UNION`` (not ``UNION ALL``) in the recursive part keeps every fingerprint once, so a cycle
recorded by mistake ends the walk instead of hanging it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import text
from sqlmodel import Session

Direction = Literal["upstream", "downstream"]

_WALK = """
WITH RECURSIVE reach(fp) AS (
    SELECT CAST(:fp AS VARCHAR(66))
    UNION
    SELECT nxt.fingerprint
    FROM reach
    JOIN trace_link cur
      ON cur.chain_id = :chain AND cur.fingerprint = reach.fp AND cur.role = :from_role
    JOIN trace_link nxt
      ON nxt.chain_id = cur.chain_id AND nxt.tx_hash = cur.tx_hash
     AND nxt.log_index = cur.log_index AND nxt.role = :to_role
)
"""

# Events of the walk: those that produced (upstream) or consumed (downstream) a reached
# identifier, plus those that only touched one (observations, commissioning) — not the ones
# that took a reached identifier elsewhere (a sibling branch of a split).
# Driven from the walk: links of the reached identifiers, then their events by natural key.
# SQLite plans joins without statistics, and would rather scan every link of the chain; its
# CROSS JOIN keeps the written order (``{join}``; PostgreSQL plans from its own statistics).
_EVENTS = (
    _WALK
    + """
, hits AS (
    SELECT DISTINCT l.tx_hash, l.log_index
    FROM reach {join} trace_link l
      ON l.chain_id = :chain AND l.fingerprint = reach.fp
    WHERE l.role = :from_role OR NOT EXISTS (
        SELECT 1 FROM trace_link x
        WHERE x.chain_id = l.chain_id AND x.tx_hash = l.tx_hash
          AND x.log_index = l.log_index AND x.role = :from_role)
)
SELECT e.event_id, e.event_type, e.action, e.biz_step, e.disposition, e.event_time, e.zone,
       e.enterprise, e.block_number, e.tx_hash, e.log_index, e.id_version,
       (SELECT COUNT(*) FROM reach)
FROM hits {join} trace_event e
  ON e.chain_id = :chain AND e.tx_hash = hits.tx_hash AND e.log_index = hits.log_index
ORDER BY e.event_time, e.block_number, e.log_index
LIMIT :limit
"""
)


@dataclass(frozen=True)
class GraphEvent:
    event_id: str
    event_type: int
    action: int
    biz_step: int
    disposition: int
    event_time: datetime
    zone: str
    enterprise: str
    block_number: int
    tx_hash: str
    log_index: int
    id_version: str

    @property
    def hash_id(self) -> str:
        return f"ni:///sha-256;{self.event_id[2:]}?ver={self.id_version}"


def _roles(direction: Direction) -> dict[str, str]:
    # Upstream: from what an event produced, to what it consumed; downstream: the reverse.
    if direction == "upstream":
        return {"from_role": "out", "to_role": "in"}
    return {"from_role": "in", "to_role": "out"}


def reached(session: Session, chain_id: int, fingerprint: str, direction: Direction) -> set[str]:
    """Every identifier fingerprint reachable from ``fingerprint`` (itself included)."""
    rows = session.execute(
        text(_WALK + "SELECT fp FROM reach"),
        {"fp": fingerprint, "chain": chain_id, **_roles(direction)},
    ).all()
    return {str(r[0]) for r in rows}


def walk(
    session: Session, chain_id: int, fingerprint: str, direction: Direction, limit: int = 10_000
) -> tuple[list[GraphEvent], int]:
    """The events up- or downstream of ``fingerprint``, oldest first, at most ``limit``, and
    how many identifiers the walk reached (itself included), from one query."""
    join = "CROSS JOIN" if session.get_bind().dialect.name == "sqlite" else "JOIN"
    rows = session.execute(
        text(_EVENTS.format(join=join)),
        {"fp": fingerprint, "chain": chain_id, "limit": limit, **_roles(direction)},
    ).all()
    if not rows:
        return [], 1  # nothing recorded: the walk reached only its start
    return [GraphEvent(*row[:12]) for row in rows], int(rows[0][12])


def events(
    session: Session, chain_id: int, fingerprint: str, direction: Direction, limit: int = 10_000
) -> list[GraphEvent]:
    """The events up- or downstream of ``fingerprint``, oldest first, at most ``limit``."""
    return walk(session, chain_id, fingerprint, direction, limit)[0]
