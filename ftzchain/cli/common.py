"""What every ``ftz`` command module shares: consoles, settings, passwords, keys."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from eth_utils.address import is_address, to_checksum_address
from rich.console import Console

from ftzchain.context import FtzContext
from ftzchain.errors import ConfigError, InvalidInput
from ftzchain.settings import FtzSettings, get_settings
from ftzchain.signing import LocalSigner

console = Console()
err_console = Console(stderr=True)


def load_settings() -> FtzSettings:
    return get_settings()


def password(settings: FtzSettings, confirm: bool = False) -> str:
    if settings.keystore_password is not None:
        return settings.keystore_password.get_secret_value()
    if not sys.stdin.isatty():
        raise ConfigError("no keystore password: set FTZ_KEYSTORE_PASSWORD")
    return str(typer.prompt("Keystore password", hide_input=True, confirmation_prompt=confirm))


def sender_name(settings: FtzSettings, given: str | None) -> str:
    name = given or settings.sender
    if not name:
        raise ConfigError("no sender key: pass --sender NAME or set FTZ_SENDER")
    return name


def context_and_sender(sender: str | None) -> tuple[FtzContext, LocalSigner]:
    """The context and the decrypted key of ``--sender`` (or FTZ_SENDER)."""
    settings = load_settings()
    ctx = FtzContext(settings)
    return ctx, ctx.signer(sender_name(settings, sender), password(settings))


SenderOpt = Annotated[
    str | None,
    typer.Option(
        "--sender",
        "-s",
        help="Keystore name of the key that signs the transaction (default: FTZ_SENDER).",
    ),
]


def address(text: str) -> str:
    if not is_address(text):
        raise InvalidInput(f"not an address: {text!r} (expected 0x and 40 hex digits)")
    return str(to_checksum_address(text))


def licence_period(valid_from: str, valid_until: str) -> tuple[int, int]:
    """Unix times of a licence's first moment and last second, from its first and last day
    (YYYY-MM-DD, UTC, both inclusive)."""
    import calendar
    import time

    def day(text: str) -> int:
        try:
            return calendar.timegm(time.strptime(text, "%Y-%m-%d"))
        except ValueError:
            raise InvalidInput(f"not a date: {text!r} (expected YYYY-MM-DD)") from None

    start, end = day(valid_from), day(valid_until) + 86_399
    if end < start:
        raise InvalidInput(f"the licence ends ({valid_until}) before it starts ({valid_from})")
    return start, end


def load_json_object(path: Path, what: str) -> dict[str, Any]:
    """A JSON object from ``path``; ``what`` names the expected document in the errors."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"no such file: {path}") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path} is not JSON ({exc}): pass {what}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path} is not {what} (expected a JSON object)")
    return data
