"""A small, fast JSON-RPC client (single calls and batches) over keep-alive connections.

The transport is urllib3: a backfill reads about 1 KB of JSON per log, and urllib3 reads a
body with a fixed length in one call (~0.5 µs per KB of CPU), where httpx spent about 8 times that
in Python while holding the GIL that the indexer's decoder threads need.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

import orjson
import urllib3
from urllib3.exceptions import HTTPError as TransportError

from ftzchain.errors import FtzError, NodeUnavailable

log = logging.getLogger(__name__)

_RETRY_STATUS = {429, 500, 502, 503, 504}
_HEADERS = {"content-type": "application/json"}

# A batch goes in as many HTTP requests as it takes to keep each within what nodes accept:
# anvil refuses a request body over 2 MiB (one "Invalid request" for the whole batch: 32
# 100-event trace batches are 2.7 MB), geth one over 5 MiB or with more than 1,000 calls.
MAX_BATCH_BYTES = 1 << 20
MAX_BATCH_CALLS = 1000


class RpcError(FtzError):
    """The node answered a JSON-RPC call with an error object."""

    def __init__(self, method: str, code: int, message: str, data: Any = None) -> None:
        self.method = method
        self.code = code
        self.rpc_message = message
        self.data = data
        super().__init__(f"{method}: {message} (code {code})")


class RpcNoAnswer(RpcError):
    """The node's answer held no result and no error for this call (a batch answer that left
    it out): whether the node did it is unknown, so a caller must not take it as refused."""


class JsonRpc:
    """JSON-RPC 2.0 over HTTP. Thread-safe; one connection pool per instance.

    Transport failures, timeouts and HTTP 429/5xx are retried ``retries`` times with
    exponential backoff (0.1 s doubling, capped at 5 s) before :class:`NodeUnavailable`.

    ``fallbacks`` are other nodes of the same chain (another zone's node): when the node in
    use stops answering, each is tried in turn and the first that answers, on the same chain
    id, is used from then on (no switching back while it answers; ``failovers`` counts the
    switches, so that a caller holding node-local state, such as pending transactions, can
    settle it again on the new node).
    """

    def __init__(
        self,
        url: str,
        timeout: float = 30.0,
        retries: int = 0,
        fallbacks: Sequence[str] = (),
    ) -> None:
        self.urls = [url, *(f for f in fallbacks if f != url)]
        self.url = url
        self.retries = retries
        self.failovers = 0
        self.chain_id: int | None = None  # set by whoever checked it: fallbacks must match
        # Our own retry loop below; one pooled connection per thread that talks at once.
        self._http = urllib3.PoolManager(
            maxsize=8, retries=False, timeout=urllib3.Timeout(total=timeout)
        )
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._http.clear()

    def __enter__(self) -> JsonRpc:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _next_id(self) -> int:
        with self._lock:
            return next(self._ids)

    def _post(self, payload: Any) -> Any:
        return orjson.loads(self.post_raw(payload))

    def post_raw(self, payload: Any) -> bytes:
        """POST one JSON-RPC request (or batch) with retries, then to the fallbacks; the
        answer's undecoded body, for callers that decode it into their own types (the
        indexer's logs)."""
        return self._post_body(orjson.dumps(payload))

    def _post_body(self, body: bytes) -> bytes:
        try:
            return self._post_to(self.url, body, self.retries)
        except NodeUnavailable as unavailable:
            for url in self.urls:
                if url == self.url or not self._serves_our_chain(url):
                    continue
                try:
                    answer = self._post_to(url, body, 0)
                except NodeUnavailable:
                    continue
                log.warning("node %s is down: failing over to %s", self.url, url)
                self.url = url
                self.failovers += 1
                return answer
            raise unavailable

    def _serves_our_chain(self, url: str) -> bool:
        if self.chain_id is None:
            return True
        try:
            reply = orjson.loads(self._post_to(url, orjson.dumps(self.request("eth_chainId")), 0))
            same = int(_result("eth_chainId", reply), 16) == self.chain_id
        except (FtzError, ValueError, TypeError):
            return False
        if not same:
            log.error("fallback node %s serves another chain: not used", url)
        return same

    def _post_to(self, url: str, body: bytes, retries: int) -> bytes:
        delay = 0.1
        for attempt in range(retries + 1):
            try:
                response = self._http.request("POST", url, body=body, headers=_HEADERS)
            except TransportError as exc:
                failure: str = exc.__class__.__name__
                cause: Exception | None = exc
            else:
                if response.status not in _RETRY_STATUS:
                    if response.status >= 400 and not response.data.startswith((b"{", b"[")):
                        raise NodeUnavailable(f"{url} answered HTTP {response.status}")
                    answer: bytes = response.data
                    return answer
                failure, cause = f"HTTP {response.status}", None
            if attempt < retries:
                log.warning(
                    "node %s: %s; retry %d/%d in %.1fs", url, failure, attempt + 1, retries, delay
                )
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
        raise NodeUnavailable(
            f"no chain node answers at {url} ({failure}): "
            "start one with `ftz devnet up` or set FTZ_RPC_URL"
        ) from cause

    def request(self, method: str, params: list[Any] | None = None) -> dict[str, Any]:
        """The JSON-RPC request object of one call (with a fresh id)."""
        return {"jsonrpc": "2.0", "id": self._next_id(), "method": method, "params": params or []}

    def call(self, method: str, params: list[Any] | None = None) -> Any:
        """One call; raises :class:`RpcError` on an error answer."""
        return _result(method, self._post(self.request(method, params)))

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """Many calls in one HTTP request; results in call order. The first error raises."""
        outcomes = self.batch_outcomes(calls)
        for outcome in outcomes:
            if isinstance(outcome, RpcError):
                raise outcome
        return outcomes

    def batch_outcomes(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """Like :meth:`batch`, but each call's error is returned in its place, not raised.
        A batch larger than nodes accept (:data:`MAX_BATCH_BYTES`, :data:`MAX_BATCH_CALLS`)
        goes as several requests, one after the other."""
        if not calls:
            return []
        first = self._next_id()
        with self._lock:  # reserve the id range
            self._ids = itertools.count(max(next(self._ids), first + len(calls)))
        encoded = [
            orjson.dumps({"jsonrpc": "2.0", "id": first + i, "method": m, "params": p})
            for i, (m, p) in enumerate(calls)
        ]
        by_id: dict[Any, Any] = {}
        for start, end in _chunks([len(e) + 1 for e in encoded], MAX_BATCH_BYTES):
            replies = orjson.loads(self._post_body(b"[" + b",".join(encoded[start:end]) + b"]"))
            if isinstance(replies, dict):
                # One error for the whole request (a node that refuses batches, or this
                # one's size): every call in it failed.
                replies = [{**replies, "id": first + i} for i in range(start, end)]
            by_id.update((r.get("id"), r) for r in replies if isinstance(r, dict))
        missing = [first + i for i in range(len(calls)) if first + i not in by_id]
        if missing:
            log.warning(
                "the node's batch answer lacks %d of %d calls (ids %s)",
                len(missing),
                len(calls),
                missing[:5],
            )
        outcomes: list[Any] = []
        for i, (method, _) in enumerate(calls):
            try:
                outcomes.append(_result(method, by_id.get(first + i, {})))
            except RpcError as exc:
                outcomes.append(exc)
        return outcomes


def _chunks(sizes: list[int], max_bytes: int) -> list[tuple[int, int]]:
    """Consecutive ranges of ``sizes`` each within ``max_bytes`` and :data:`MAX_BATCH_CALLS`
    calls (a call bigger than ``max_bytes`` goes alone)."""
    ranges: list[tuple[int, int]] = []
    start, total = 0, 0
    for i, size in enumerate(sizes):
        if i > start and (total + size > max_bytes or i - start == MAX_BATCH_CALLS):
            ranges.append((start, i))
            start, total = i, 0
        total += size
    ranges.append((start, len(sizes)))
    return ranges


def _result(method: str, reply: dict[str, Any]) -> Any:
    if "error" in reply:
        err = reply["error"]
        raise RpcError(
            method, int(err.get("code", 0)), str(err.get("message", "")), err.get("data")
        )
    if "result" not in reply:
        raise RpcNoAnswer(method, 0, "no result in the node's answer")
    return reply["result"]
