"""Admission control for the API: bounded work in flight, and per-client rate limits.

Under overload a server that queues every request answers nothing for minutes; this one
answers 503 with ``Retry-After`` at once when ``FTZ_API_MAX_IN_FLIGHT`` requests are being
worked on, so clients back off and ``/healthz`` (never refused, never counted) keeps
answering. Look-ups by number are guessable, and verification is the expensive work, so each
client (by its address) gets ``FTZ_RATE_LIMIT_PER_MINUTE`` requests a minute there (a token
bucket holding ten seconds' worth), then 429 with ``Retry-After``. A look-up by a guessable
id has a second limit per signed-in caller (its address, however many sessions or peer
addresses it uses): ``FTZ_LOOKUP_RATE_PER_MINUTE``, applied by the access gate (api/access.py).
Both are per server process.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import error_body

# Paths that are neither rate limited nor counted: liveness, docs, the portal's own files.
_FREE = ("/healthz", "/docs", "/redoc", "/openapi.json", "/static/")
_LIMITED = ("/v1/", "/ip/", "/goods", "/origin/", "/customs/")
_MAX_CLIENTS = 10_000  # buckets kept; older ones are forgotten (they would be full anyway)


class Admission:
    """ASGI middleware wrapping the whole app."""

    def __init__(
        self,
        app: ASGIApp,
        max_in_flight: int,
        rate_per_minute: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.buckets = TokenBuckets(rate_per_minute, clock)
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path == "/" or path.startswith(_FREE):
            await self.app(scope, receive, send)
            return
        if self.buckets.rate > 0 and path.startswith(_LIMITED):
            wait = self.buckets.take(_client(scope))
            if wait > 0:
                await _refuse(429, "rate_limited", "too many requests from this client", wait)(
                    scope, receive, send
                )
                return
        if self.in_flight >= self.max_in_flight:
            await _refuse(503, "overloaded", "the server is at capacity; retry shortly", 1)(
                scope, receive, send
            )
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


class TokenBuckets:
    """A token bucket per key: ``rate_per_minute`` tokens a minute, holding ten seconds' worth
    (at least ten); 0 means no limit. Not thread-safe: used from the event loop only."""

    def __init__(self, rate_per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate_per_minute / 60.0
        self.capacity = max(10.0, self.rate * 10)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> float:
        """Take one token from ``key``'s bucket: 0, or the seconds until one is there."""
        if self.rate <= 0:
            return 0.0
        now = self.clock()
        tokens, last = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate
        if len(self._buckets) >= _MAX_CLIENTS and key not in self._buckets:
            self._buckets.clear()
        self._buckets[key] = (tokens - 1, now)
        return 0.0


def _client(scope: Scope) -> str:
    peer = scope.get("client")
    return str(peer[0]) if peer else "unknown"


def _refuse(status: int, code: str, message: str, retry_after: float) -> JSONResponse:
    seconds = max(1, math.ceil(retry_after))
    body: dict[str, Any] = error_body(code, message, {"retry_after_s": seconds})
    return JSONResponse(body, status_code=status, headers={"Retry-After": str(seconds)})
