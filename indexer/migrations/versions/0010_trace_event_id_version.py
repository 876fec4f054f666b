"""trace_event: the canonicalisation each event id was computed with (``id_version``)

An id is ``ni:///sha-256;<digest>?ver=<version>``; the chain keeps only the digest. Rows
written before this revision were all computed with CBV 2.0's algorithm.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 21:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("trace_event") as batch:
        batch.add_column(
            sa.Column("id_version", sa.String(16), nullable=False, server_default="CBV2.0")
        )


def downgrade() -> None:
    with op.batch_alter_table("trace_event") as batch:
        batch.drop_column("id_version")
