"""trace_event: one row per event id; later claims of an id go to ``trace_conflict``

Before this revision a second on-chain claim of an event id (another enterprise recording an
id already recorded) became a second ``trace_event`` row, and so a second timeline entry.
Existing duplicates move to ``trace_conflict`` (the earliest log stays); their links go.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LATER = """
    FROM trace_event e JOIN trace_event f
      ON f.chain_id = e.chain_id AND f.event_id = e.event_id
     AND (f.block_number < e.block_number
          OR (f.block_number = e.block_number AND f.log_index < e.log_index))
    WHERE NOT EXISTS (
        SELECT 1 FROM trace_event g
        WHERE g.chain_id = e.chain_id AND g.event_id = e.event_id
          AND (g.block_number < f.block_number
               OR (g.block_number = f.block_number AND g.log_index < f.log_index)))
"""


def upgrade() -> None:
    op.create_table(
        "trace_conflict",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("chain_id", sa.BigInteger, nullable=False),
        sa.Column("block_number", sa.BigInteger, nullable=False),
        sa.Column("block_hash", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("block_time", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("tx_hash", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("log_index", sa.Integer, nullable=False),
        sa.Column("contract", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("zone", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("enterprise", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("submitter", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("first_tx_hash", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("first_log_index", sa.Integer, nullable=False),
        sa.UniqueConstraint("chain_id", "tx_hash", "log_index", name="uq_trace_conflict_log"),
    )
    op.create_index("ix_trace_conflict_block_number", "trace_conflict", ["block_number"])
    op.create_index("ix_trace_conflict_event_id", "trace_conflict", ["chain_id", "event_id"])
    op.execute(
        "INSERT INTO trace_conflict (chain_id, block_number, block_hash, block_time, tx_hash, "
        "log_index, contract, event_id, zone, enterprise, submitter, first_tx_hash, "
        "first_log_index) SELECT e.chain_id, e.block_number, e.block_hash, e.block_time, "
        "e.tx_hash, e.log_index, e.contract, e.event_id, e.zone, e.enterprise, e.submitter, "
        "f.tx_hash, f.log_index" + _LATER
    )
    op.execute(
        "DELETE FROM trace_link WHERE EXISTS (SELECT 1 FROM trace_conflict c "
        "WHERE c.chain_id = trace_link.chain_id AND c.tx_hash = trace_link.tx_hash "
        "AND c.log_index = trace_link.log_index)"
    )
    op.execute(
        "DELETE FROM trace_event WHERE EXISTS (SELECT 1 FROM trace_conflict c "
        "WHERE c.chain_id = trace_event.chain_id AND c.tx_hash = trace_event.tx_hash "
        "AND c.log_index = trace_event.log_index)"
    )
    op.drop_index("ix_trace_event_event_id", table_name="trace_event")
    op.create_index("ix_trace_event_event_id", "trace_event", ["chain_id", "event_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_trace_event_event_id", table_name="trace_event")
    op.create_index("ix_trace_event_event_id", "trace_event", ["chain_id", "event_id"])
    op.drop_table("trace_conflict")
