"""`ftz serve --workers 2`: two processes answer on one port, and both stop with the server."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import httpx

from tests.conftest import ROOT
from tests.indexer.helpers import fresh_db
from tests.serving import serving

FTZ = str(Path(sys.executable).with_name("ftz"))


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def test_two_workers_answer_and_stop_together(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'api.db'}"
    fresh_db(db).dispose()
    env = {**os.environ, "FTZ_PROJECT_ROOT": str(ROOT), "FTZ_DATABASE_URL": db}
    with serving(env, "--workers", "2") as (base, server):
        workers = _children(server.pid)
        assert len(workers) == 2
        with httpx.Client() as client:
            assert all(client.get(f"{base}/healthz").status_code == 200 for _ in range(20))
        server.terminate()
        assert server.wait(20) == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
