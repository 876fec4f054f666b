"""Builds an :class:`Indexer` from settings and the deployment manifest."""

from __future__ import annotations

from sqlalchemy import Engine

from ftzchain.context import FtzContext
from ftzchain.rpc import JsonRpc
from indexer.db import make_engine, migrate
from indexer.decode import TOPICS
from indexer.runner import Indexer
from indexer.sink import SqlSink
from indexer.source import RpcSource


def build_indexer(
    ctx: FtzContext, engine: Engine | None = None, rpc_url: str | None = None
) -> Indexer:
    """The indexer of ``ctx``'s deployment; ``rpc_url`` overrides the node it reads from."""
    settings = ctx.settings
    if engine is None:
        migrate(settings.database_url)
        engine = make_engine(settings.database_url)
    deployment = ctx.deployment
    rpc = JsonRpc(
        rpc_url or settings.rpc_url, timeout=settings.rpc_timeout, retries=settings.rpc_retries
    )
    source = RpcSource(rpc, [c.address for c in deployment.contracts.values()], TOPICS)
    return Indexer(
        source,
        SqlSink(engine),
        chain_id=deployment.chain_id,
        genesis_hash=deployment.genesis_hash,
        start_block=deployment.start_block,
        confirmations=settings.confirmations,
        max_range=settings.log_range,
        max_reorg_depth=settings.max_reorg_depth,
        prefetch=settings.prefetch,
    )
