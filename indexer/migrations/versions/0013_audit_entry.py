"""audit_entry: the hash-chained trail of privileged reads (the API appends to it)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("at_ms", sa.BigInteger, nullable=False),
        sa.Column("caller", _text(42), nullable=False),
        sa.Column("roles", _text(2000), nullable=False),
        sa.Column("zone", _text(16), nullable=False),
        sa.Column("operation", _text(200), nullable=False),
        sa.Column("target", _text(2000), nullable=False),
        sa.Column("body_digest", _text(66), nullable=True),
        sa.Column("owners", _text(4000), nullable=False),
        sa.Column("answer_digest", _text(66), nullable=False),
        sa.Column("prev_hash", _text(66), nullable=False),
        sa.Column("hash", _text(66), nullable=False),
    )
    op.create_index("ix_audit_entry_caller", "audit_entry", ["caller"])


def downgrade() -> None:
    op.drop_index("ix_audit_entry_caller", table_name="audit_entry")
    op.drop_table("audit_entry")
