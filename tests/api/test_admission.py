"""Admission control on its own: per-client token buckets and the in-flight bound."""

from __future__ import annotations

from typing import Any

import anyio

from api.admission import Admission


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _scope(path: str, client: str = "10.0.0.1") -> dict[str, Any]:
    return {"type": "http", "path": path, "client": (client, 5000), "headers": []}


async def _ok(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def _call(app: Admission, scope: dict[str, Any]) -> tuple[int, dict[bytes, bytes]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    anyio.run(app, scope, receive, send)
    start = sent[0]
    return start["status"], dict(start.get("headers", []))


def test_a_client_past_its_rate_gets_429_with_retry_after_and_others_do_not() -> None:
    clock = _Clock()
    app = Admission(_ok, max_in_flight=10, rate_per_minute=60, clock=clock)
    statuses = [_call(app, _scope("/v1/ip/x"))[0] for _ in range(12)]
    assert statuses[:10] == [200] * 10 and statuses[10:] == [429, 429]
    status, headers = _call(app, _scope("/v1/ip/x"))
    assert status == 429 and headers[b"retry-after"] == b"1"
    assert _call(app, _scope("/v1/ip/x", client="10.0.0.2"))[0] == 200
    assert _call(app, _scope("/healthz"))[0] == 200  # never limited
    clock.now += 2.0  # two tokens back at one a second
    assert [_call(app, _scope("/v1/ip/x"))[0] for _ in range(3)] == [200, 200, 429]


def test_past_the_in_flight_bound_the_answer_is_503_at_once() -> None:
    release = anyio.Event()
    statuses: list[int] = []

    async def slow(scope: Any, receive: Any, send: Any) -> None:
        await release.wait()
        await _ok(scope, receive, send)

    app = Admission(slow, max_in_flight=2, rate_per_minute=0)

    async def one(path: str) -> None:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app(_scope(path), receive, send)
        statuses.append(sent[0]["status"])

    async def main() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(one, "/v1/a")
            group.start_soon(one, "/v1/b")
            await anyio.wait_all_tasks_blocked()
            await one("/v1/c")  # a third while two are in flight: refused at once
            assert statuses == [503]
            release.set()

    anyio.run(main)
    assert sorted(statuses) == [200, 200, 503]
