"""`ftz serve` as the tests run it: a real uvicorn process on a free port, stopped after."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from ftzchain.devnet import free_port, wait_for_http

FTZ = str(Path(sys.executable).with_name("ftz"))


@contextmanager
def serving(
    env: Mapping[str, str], *args: str, cwd: Path | None = None, port: int | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Yield (base URL, process) once /healthz answers; the server is stopped on exit."""
    port = port or free_port()
    proc = subprocess.Popen(
        [FTZ, "serve", "--port", str(port), *args],
        env=dict(env),
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/healthz", proc)
        yield base, proc
    finally:
        proc.terminate()
        proc.wait(20)
