"""How far the indexer got, per chain."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, select

from indexer.models import ChainCursor


def chain_cursors(session: Session) -> Sequence[ChainCursor]:
    """Every chain's indexed block (one row per chain)."""
    return session.exec(select(ChainCursor)).all()
