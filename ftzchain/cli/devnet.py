"""``ftz devnet``: a local anvil chain for development."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from ftzchain import devnet as devnet_mod
from ftzchain.cli.common import console
from ftzchain.cli.common import load_settings as _settings
from ftzchain.settings import FtzSettings

devnet_app = typer.Typer(
    help="A local anvil chain (London rules) for development.", no_args_is_help=True
)


def _devnet_file(settings: FtzSettings) -> Path:
    return settings.state_dir / "devnet.json"


@devnet_app.command("up")
def devnet_up(
    port: Annotated[int | None, typer.Option(help="RPC port (default FTZ_DEVNET_PORT).")] = None,
    block_time: Annotated[
        float | None, typer.Option(help="Seconds per block (default: a block per transaction).")
    ] = None,
) -> None:
    """Start anvil in the background (London hardfork, funded dev accounts)."""
    settings = _settings()
    state = _devnet_file(settings)
    if state.exists():
        info = json.loads(state.read_text())
        try:
            os.kill(int(info["pid"]), 0)
            console.print(f"devnet already running: {info['url']} (pid {info['pid']})")
            return
        except ProcessLookupError:
            state.unlink()
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    node = devnet_mod.start_node(
        "anvil",
        settings.project_root,
        port=port or settings.devnet_port,
        chain_id=settings.devnet_chain_id,
        block_time=block_time,
        log_file=settings.state_dir / "anvil.log",
        die_with_parent=False,
    )
    state.write_text(json.dumps({"pid": node.process.pid, "url": node.url}))
    console.print(f"devnet up: {node.url} (chain {node.chain_id}, pid {node.process.pid})")


@devnet_app.command("down")
def devnet_down() -> None:
    """Stop the devnet started by `ftz devnet up`."""
    state = _devnet_file(_settings())
    if not state.exists():
        console.print("no devnet running")
        return
    info = json.loads(state.read_text())
    stopped = devnet_mod.stop_pid(int(info["pid"]))
    state.unlink()
    console.print("devnet stopped" if stopped else "devnet was not running")


@devnet_app.command("status")
def devnet_status() -> None:
    """Say whether the devnet runs and at which block."""
    settings = _settings()
    state = _devnet_file(settings)
    if not state.exists():
        console.print("no devnet running (start one with `ftz devnet up`)")
        raise typer.Exit(1)
    info = json.loads(state.read_text())
    from ftzchain.rpc import JsonRpc

    with JsonRpc(info["url"], timeout=5) as rpc:
        block = int(rpc.call("eth_blockNumber"), 16)
    console.print(f"devnet {info['url']} pid {info['pid']} at block {block}")
