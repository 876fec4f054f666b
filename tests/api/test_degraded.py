"""The API when what it depends on misbehaves: a chain node that hangs or is down, a crowd of
clients at once. Each answer comes back fast, as 503 where it must, and /healthz keeps up."""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from ftzchain.devnet import free_port
from tests.api.conftest import Served
from tests.conftest import ROOT, TEST_CONSORTIUM_KEY
from tests.indexer.helpers import fresh_db
from tests.serving import serving

FTZ = str(Path(sys.executable).with_name("ftz"))
HASH = "ab" * 32


class _BlackHole:
    """A TCP listener that accepts connections and never answers (a hung node)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


def _serve(tmp_path: Path, rpc_url: str) -> Iterator[str]:
    db = f"sqlite:///{tmp_path / 'api.db'}"
    fresh_db(db).dispose()
    env = {
        **os.environ,
        "FTZ_PROJECT_ROOT": str(ROOT),
        "FTZ_DATABASE_URL": db,
        "FTZ_CHAIN_ID": "31337",
        "FTZ_RPC_URL": rpc_url,
        "FTZ_API_RPC_TIMEOUT": "1.5",
        "FTZ_STATE_DIR": str(tmp_path / "state"),
        "FTZ_CONSORTIUM_KEY": TEST_CONSORTIUM_KEY,
    }
    with serving(env) as (base, _proc):
        yield base


@pytest.fixture
def hung_node_api(tmp_path: Path) -> Iterator[str]:
    hole = _BlackHole()
    try:
        yield from _serve(tmp_path, hole.url)
    finally:
        hole.close()


@pytest.fixture
def absent_node_api(tmp_path: Path) -> Iterator[str]:
    yield from _serve(tmp_path, f"http://127.0.0.1:{free_port()}")


def _timed(call: object) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call()  # type: ignore[operator]
    return response, time.monotonic() - started


def test_a_hung_node_gives_503_in_time_and_health_keeps_answering(hung_node_api: str) -> None:
    base = hung_node_api
    with ThreadPoolExecutor(8) as pool:
        stuck = [
            pool.submit(_timed, lambda: httpx.get(f"{base}/v1/evidence/{HASH}", timeout=30))
            for _ in range(6)
        ]
        health, health_s = _timed(lambda: httpx.get(f"{base}/healthz", timeout=5))
        assert health.status_code == 200 and health_s < 3.0
        for future in stuck:
            answer, seconds = future.result()
            assert answer.status_code == 503, answer.text
            assert answer.json()["error"]["code"] == "node_unavailable"
            assert "127.0.0.1" not in answer.json()["error"]["message"]  # no internal URL
            assert seconds < 10


def test_an_unreachable_node_gives_503_not_500(absent_node_api: str) -> None:
    base = absent_node_api
    evidence = httpx.get(f"{base}/v1/evidence/{HASH}", timeout=30)
    assert evidence.status_code == 503 and evidence.json()["error"]["code"] == "node_unavailable"
    owner = "0x" + "11" * 20
    nonces = httpx.get(f"{base}/v1/nonces/{owner}", timeout=30)  # the contracts' nonces
    assert nonces.status_code == 503, nonces.text
    assert nonces.json()["error"]["code"] == "node_unavailable"


def test_a_hundred_concurrent_clients_get_answers_not_errors(served: Served) -> None:
    """The load that once exhausted the DB pool: every answer is 200 or a fast 503/429.
    (Anonymous public look-ups; signed-in load, with its audit entries, is in test_audit.)"""
    statuses: list[int] = []
    slowest = 0.0
    work = f"{served.base}/v1/ip/0x{served.registered.hex()}"

    def one() -> None:
        nonlocal slowest
        started = time.monotonic()
        r = httpx.get(work, timeout=60)
        slowest = max(slowest, time.monotonic() - started)
        statuses.append(r.status_code)

    with ThreadPoolExecutor(100) as pool:
        load = [pool.submit(one) for _ in range(300)]
        health, health_s = _timed(lambda: httpx.get(f"{served.base}/healthz", timeout=5))
        for future in load:
            future.result()
    # The 1 s target is measured by scripts/bench api-load; here, under CI's own load, a margin.
    assert health.status_code == 200 and health_s < 3.0, f"/healthz took {health_s:.2f} s"
    assert set(statuses) <= {200, 429, 503}, statuses
    assert statuses.count(200) > 0
    assert slowest < 30
