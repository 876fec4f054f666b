"""``ftz serve``: the verification API and portal."""

from __future__ import annotations

from typing import Annotated

import typer

from ftzchain.cli.common import load_settings as _settings


def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default FTZ_API_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default FTZ_API_PORT).")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Server processes (default FTZ_API_WORKERS). Python runs one request's code "
            "at a time per process: one worker per core uses the machine; admission and rate "
            "limits then apply per process.",
        ),
    ] = None,
) -> None:
    """Serve the verification API and portal with uvicorn (the database must have been
    migrated by `ftz index`; serve never changes the schema)."""
    import uvicorn

    from api.app import create_app
    from indexer.db import require_current_schema

    settings = _settings()
    require_current_schema(settings.database_url)  # only the indexer migrates
    count = workers or settings.api_workers
    address, number = host or settings.api_host, port or settings.api_port
    if count == 1:
        uvicorn.run(create_app(settings), host=address, port=number, log_level="info")
    else:  # each worker process builds its app from the same FTZ_* settings
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            workers=count,
            host=address,
            port=number,
            log_level="info",
        )
