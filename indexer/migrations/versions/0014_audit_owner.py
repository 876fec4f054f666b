"""audit_owner: which trail entries read whose records, the index of GET /v1/audit/mine

Before this revision an enterprise's "who looked at my records" page searched every entry's
comma-separated ``owners`` text (a scan of the whole trail). Existing entries are indexed
here, one row per owner.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "audit_owner",
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=42), primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    )
    entries = op.get_bind().execute(sa.text("SELECT seq, owners FROM audit_entry"))
    rows = [
        {"owner": owner, "seq": seq}
        for seq, owners in entries
        for owner in sorted(set(owners.split(",")))
        if owner
    ]
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_table("audit_owner")
