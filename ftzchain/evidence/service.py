"""Evidence bundles for a zone node: the bundle of a registration whose transaction the caller
names (the API and the CLI find it in the index; this module never reads SQL)."""

from __future__ import annotations

from typing import Any

from ftzchain.context import FtzContext
from ftzchain.eip712 import IP_REGISTRY_DOMAIN_NAME, IP_REGISTRY_DOMAIN_VERSION
from ftzchain.evidence.export import export_ip_bundle

REGISTRY_DOMAIN = {"name": IP_REGISTRY_DOMAIN_NAME, "version": IP_REGISTRY_DOMAIN_VERSION}


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
