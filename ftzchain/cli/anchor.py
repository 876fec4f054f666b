"""``ftz anchor``: commit this chain's block hashes to an independent chain."""

from __future__ import annotations

import threading
from typing import Annotated, Any

import typer

from ftzchain.cli.common import (
    console,
    context_and_sender,
    load_settings,
)
from ftzchain.context import FtzContext
from ftzchain.errors import ConfigError

anchor_app = typer.Typer(
    help="Commit this chain's block hashes to an independent chain (FTZ_ANCHOR_RPC_URL).",
    no_args_is_help=True,
)


AnchorSenderOpt = Annotated[
    str | None,
    typer.Option(
        "--sender",
        "-s",
        help="Keystore name paying on the anchor chain (default: FTZ_ANCHOR_SENDER).",
    ),
]


@anchor_app.command("deploy")
def anchor_deploy(
    sender: AnchorSenderOpt = None,
) -> None:
    """Deploy the FtzAnchor contract on the anchor chain (idempotent)."""
    from ftzchain.anchor import deploy_anchor

    ctx, signer = _anchor_signer(sender)
    deployment, created = deploy_anchor(
        ctx.anchor_client,
        ctx.sender_on(ctx.anchor_client, signer),
        ctx.build,
        ctx.settings.anchor_manifests_dir,
    )
    verb = "deployed" if created else "already deployed"
    console.print(
        f"FtzAnchor {verb} at {deployment.address('FtzAnchor')} on chain {deployment.chain_id}"
    )


@anchor_app.command("run")
def anchor_run(
    sender: AnchorSenderOpt = None,
    once: Annotated[bool, typer.Option(help="Anchor the latest block once and exit.")] = False,
    interval: Annotated[
        float | None, typer.Option(help="Seconds between anchors (default FTZ_ANCHOR_INTERVAL).")
    ] = None,
) -> None:
    """Commit the latest confirmed block hash to the anchor chain, once or periodically."""
    from ftzchain.anchor import Anchorer

    ctx, signer = _anchor_signer(sender)
    anchorer = Anchorer(
        ctx.client,
        ctx.sender_on(ctx.anchor_client, signer),
        ctx.anchor_deployment.address("FtzAnchor"),
        ctx.abis.get("FtzAnchor"),
        ctx.settings.confirmations,
    )
    if once:
        done = anchorer.anchor_once()
        if done is None:
            console.print("latest block already anchored")
        else:
            console.print(
                f"anchored block {done.block_number} {done.block_hash} "
                f"in anchor-chain block {done.anchor_block} (tx {done.anchor_tx})"
            )
        return
    every = interval or ctx.settings.anchor_interval
    console.print(f"anchoring every {every:g}s; Ctrl-C stops")
    stop = threading.Event()
    try:
        anchorer.run(every, stop)
    except KeyboardInterrupt:
        stop.set()


def _anchor_signer(sender: str | None) -> tuple[FtzContext, Any]:
    settings = load_settings()
    name = sender or settings.anchor_sender
    if not name:
        raise ConfigError("no anchor key: pass --sender NAME or set FTZ_ANCHOR_SENDER")
    return context_and_sender(name)
