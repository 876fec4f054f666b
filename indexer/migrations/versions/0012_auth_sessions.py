"""auth_nonce and auth_session: Sign-In with Ethereum nonces and sessions (the API writes them)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "auth_nonce",
        sa.Column("nonce", sqlmodel.sql.sqltypes.AutoString(length=32), primary_key=True),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("used_at", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_auth_nonce_expires_at", "auth_nonce", ["expires_at"])
    op.create_table(
        "auth_session",
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), primary_key=True),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("ended_at", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_auth_session_address", "auth_session", ["address"])


def downgrade() -> None:
    op.drop_index("ix_auth_session_address", table_name="auth_session")
    op.drop_table("auth_session")
    op.drop_index("ix_auth_nonce_expires_at", table_name="auth_nonce")
    op.drop_table("auth_nonce")
