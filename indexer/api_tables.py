"""SQL tables the API writes: Sign-In with Ethereum nonces and sessions, the audit trail.

They sit in the zone's database beside the indexed tables, and their schema lives here with
the indexer's because the indexer alone migrates the database (``ftz index``). The indexer
never writes or reads them; re-indexing leaves them alone. Times are Unix seconds, which read
the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel


class AuthNonce(SQLModel, table=True):
    """A nonce handed out for one sign-in; ``used_at`` is set by the one login that takes it."""

    __tablename__ = "auth_nonce"

    nonce: str = Field(primary_key=True, max_length=32)
    expires_at: int = Field(sa_type=BigInteger, index=True)
    used_at: int | None = Field(default=None, sa_type=BigInteger)


class AuthSession(SQLModel, table=True):
    """A signed-in caller: the SHA-256 of its bearer token (the token itself is never kept)."""

    __tablename__ = "auth_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    address: str = Field(max_length=42, index=True)
    created_at: int = Field(sa_type=BigInteger)
    expires_at: int = Field(sa_type=BigInteger)
    ended_at: int | None = Field(default=None, sa_type=BigInteger)  # logged out


class AuditEntry(SQLModel, table=True):
    """One privileged read, hash-chained to the one before (ftzchain/audit.py says how); the
    API only ever appends, and `ftz audit verify` checks the chain against its on-chain
    commitments."""

    __tablename__ = "audit_entry"

    seq: int = Field(primary_key=True, sa_type=BigInteger)  # 1, 2, 3, … with no gaps
    at_ms: int = Field(sa_type=BigInteger)
    caller: str = Field(max_length=42, index=True)
    roles: str = Field(max_length=2000, description="ROLE@ZONE, comma-separated; committee")
    zone: str = Field(max_length=16, description="The zone whose API answered")
    operation: str = Field(max_length=200, description="METHOD /path/{template}")
    target: str = Field(max_length=2000, description="The path and query as requested")
    body_digest: str | None = Field(default=None, max_length=66, description="SHA-256")
    owners: str = Field(max_length=4000, description="Owners of what was read, comma-separated")
    answer_digest: str = Field(max_length=66, description="SHA-256 of the answer's body")
    prev_hash: str = Field(max_length=66)
    hash: str = Field(max_length=66)


class AuditOwner(SQLModel, table=True):
    """Which entries read whose records: one row per owner an entry names, written with the
    entry, so that an enterprise's "who looked at my records" is an index look-up. Derived
    from ``audit_entry.owners``, which the hash chain covers; these rows are not chained."""

    __tablename__ = "audit_owner"

    owner: str = Field(primary_key=True, max_length=42)
    seq: int = Field(primary_key=True, sa_type=BigInteger)
