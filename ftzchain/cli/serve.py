"""``ftz serve``: the verification API and portal."""

from __future__ import annotations

from typing import Annotated

import typer

from ftzchain.cli.common import load_settings as _settings


def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default FTZ_API_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default FTZ_API_PORT).")] = None,
) -> None:
    """Serve the verification API and portal with uvicorn (the database must have been
    migrated by `ftz index`; serve never changes the schema)."""
    import uvicorn

    from api.app import create_app
    from indexer.db import require_current_schema

    settings = _settings()
    require_current_schema(settings.database_url)  # only the indexer migrates
    uvicorn.run(
        create_app(settings),
        host=host or settings.api_host,
        port=port or settings.api_port,
        log_level="info",
    )
