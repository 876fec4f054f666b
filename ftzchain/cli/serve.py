"""``ftz serve``: the verification API and portal."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Annotated

import typer

from ftzchain.cli.common import load_settings as _settings

if TYPE_CHECKING:
    from ftzchain.settings import FtzSettings


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
    else:
        _serve_workers(settings, address, number, count)


def _serve_workers(settings: FtzSettings, host: str, port: int, count: int) -> None:
    """``count`` uvicorn processes sharing one listening socket; the first to stop stops all.

    The socket is made here with ``IPPROTO_TCP`` as its protocol: uvicorn's own multi-worker
    mode binds one with protocol 0, on which asyncio does not set TCP_NODELAY for accepted
    connections, and every keep-alive answer then waits ~40 ms for the client's delayed ACK
    (measured: 44 ms per request against 1 ms with one worker)."""
    import os
    import signal
    import socket

    import uvicorn

    from api.app import create_app

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(2048)
    children = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:  # a worker: its own app, engine and pools, built after the fork
            code = 1
            try:
                _die_with_parent()
                config = uvicorn.Config(create_app(settings), log_level="info")
                uvicorn.Server(config).run(sockets=[listener])
                code = 0
            finally:
                os._exit(code)
        children.append(pid)
    listener.close()

    asked_to_stop: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        asked_to_stop.append(signum)
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    _, status = os.wait()  # the first worker to end ends the service
    if not asked_to_stop:
        stop(signal.SIGTERM, None)
        asked_to_stop.clear()
    for _ in children[1:]:
        with contextlib.suppress(ChildProcessError):
            os.wait()
    # Stopped on request: a clean end; a worker that died by itself: its exit code.
    raise typer.Exit(0 if asked_to_stop else os.waitstatus_to_exitcode(status) or 1)


def _die_with_parent() -> None:
    """Ask Linux to send this worker SIGTERM when the supervising process dies."""
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)
