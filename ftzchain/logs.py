"""Logging set-up for the command line: readable lines on a terminal, or JSON lines for a log
collector (``--log-format json`` / ``FTZ_LOG_FORMAT=json``)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from rich.console import Console
from rich.logging import RichHandler

LogFormat = Literal["rich", "json"]

# Attributes every LogRecord has; anything else was passed with ``extra=`` and is a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonLines(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, and the
    fields given with ``extra=`` (e.g. ``block``, ``depth``), plus the exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


_active: list[LogFormat] = ["rich"]


def active_format() -> LogFormat:
    """The format :func:`configure` set (commands that draw progress bars ask)."""
    return _active[0]


def configure(fmt: LogFormat, verbose: bool, console: Console) -> None:
    """Send log records to stderr in ``fmt``; quiet the libraries that chat at INFO."""
    _active[0] = fmt
    handler: logging.Handler
    if fmt == "json":
        handler = logging.StreamHandler(console.file)
        handler.setFormatter(JsonLines())
    else:
        handler = RichHandler(console=console, show_path=False)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[handler],
        force=True,
    )
    for noisy in ("urllib3", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
