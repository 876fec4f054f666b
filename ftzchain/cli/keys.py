"""``ftz keys``: encrypted keystores."""

from __future__ import annotations

from typing import Annotated

import typer

from ftzchain.cli.common import console, err_console
from ftzchain.cli.common import load_settings as _settings
from ftzchain.cli.common import password as _password
from ftzchain.context import FtzContext

keys_app = typer.Typer(
    help="Encrypted keystores (Web3 Secret Storage, scrypt).", no_args_is_help=True
)


@keys_app.command("new")
def keys_new(
    name: Annotated[str, typer.Argument(help="Name of the new key (file NAME.json).")],
    private_key: Annotated[
        str | None,
        typer.Option("--import-key", help="Import this hex private key instead of generating."),
    ] = None,
) -> None:
    """Create (or import) a key and store it encrypted in the keystore folder."""
    settings = _settings()
    ctx = FtzContext(settings)
    raw = bytes.fromhex(private_key.removeprefix("0x")) if private_key else None
    entry = ctx.keystore.create(name, _password(settings, confirm=True), raw)
    console.print(f"{entry.name}  {entry.address}  {entry.path}")


@keys_app.command("list")
def keys_list() -> None:
    """List the keystores: name and address (no password needed)."""
    settings = _settings()
    entries = FtzContext(settings).keystore.list()
    if not entries:
        err_console.print(
            f"no keys in {settings.keystore_dir}: create one with `ftz keys new NAME`"
        )
        return
    for entry in entries:
        console.print(f"{entry.name}\t{entry.address}")
