"""Evidence bundles for a zone node: find a registration, export its bundle."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from ftzchain.context import FtzContext
from ftzchain.eip712 import IP_REGISTRY_DOMAIN_NAME, IP_REGISTRY_DOMAIN_VERSION
from ftzchain.evidence.export import export_ip_bundle
from indexer.models import IpRegistrationRow

REGISTRY_DOMAIN = {"name": IP_REGISTRY_DOMAIN_NAME, "version": IP_REGISTRY_DOMAIN_VERSION}


def registration_tx(session: Session, chain_id: int, content_hash: bytes) -> str | None:
    """The indexed transaction that registered ``content_hash`` first, or None."""
    query = (
        select(IpRegistrationRow.tx_hash)
        .where(IpRegistrationRow.chain_id == chain_id)
        .where(IpRegistrationRow.content_hash == "0x" + content_hash.hex())
        .order_by(col(IpRegistrationRow.block_number), col(IpRegistrationRow.log_index))
    )
    found: str | None = session.exec(query).first()
    return found


def registration_tx_from_db(engine: Engine, chain_id: int, content_hash: bytes) -> str | None:
    with Session(engine) as session:
        return registration_tx(session, chain_id, content_hash)


def ip_bundle(ctx: FtzContext, content_hash: bytes, tx_hash: str) -> dict[str, Any]:
    """The evidence bundle of ``content_hash`` registered by ``tx_hash``, from the node."""
    return export_ip_bundle(
        ctx.client.rpc,
        ctx.client.chain_id,
        ctx.deployment.address("IpRegistry"),
        tx_hash,
        content_hash,
        REGISTRY_DOMAIN,
        ctx.anchor_source,
    )
