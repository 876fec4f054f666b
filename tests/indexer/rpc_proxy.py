"""A JSON-RPC proxy in front of a real node that can misbehave on demand (tests only).

- ``stop()`` / ``start()``: close and reopen the listening socket on the same port (a node
  outage as the indexer sees it: connection refused).
- ``max_log_range``: refuse ``eth_getLogs`` over more blocks, the way hosted nodes do, with a
  suggested range in the message.
- ``fail_next``: answer the next requests with HTTP 503.
- ``hide_logs_of_block``: drop one block's logs from range queries (a buggy node), while
  by-hash queries still return them.
- ``asked_by_hash``: the block hashes logs were asked for by ``blockHash``.
- ``malformed_logs``: break the first log of each range answer (a buggy or hostile node).
- ``stale_reads_after_receipt``: after serving a receipt of block B, answer that many
  following ``eth_blockNumber``/``eth_call``/``eth_estimateGas`` requests from block B - 1,
  the way geth answers ``latest`` from the parent block for a moment.
- ``omit_send_answers``: pass that many ``eth_sendRawTransaction`` calls to the node but leave
  their entries out of a batch answer (the node took them; the caller cannot tell).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from ftzchain.devnet import free_port


class RpcProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.max_log_range: int | None = None
        self.hide_logs_of_block: int | None = None
        self.refused_ranges = 0
        self.asked_by_hash: list[str] = []  # block hashes of eth_getLogs by blockHash
        self.malformed_logs = False  # a range answer's first log gets a number for its data
        self.fail_next = 0  # answer that many requests with HTTP 503 (an overloaded node)
        self.stale_reads_after_receipt = 0
        self.omit_send_answers = 0
        self.omitted: list[str] = []  # the raw transactions whose answers were left out
        self.stale_answers = 0  # how many reads were answered from the parent block
        self._stale_left = 0
        self._stale_block = 0
        self._http = httpx.Client(timeout=30)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                if proxy.fail_next > 0:
                    proxy.fail_next -= 1
                    self.send_response(503)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                calls = body if isinstance(body, list) else [body]
                answers = [proxy._answer(call) for call in calls]
                if isinstance(body, list):
                    answers = [a for c, a in zip(calls, answers, strict=True) if proxy._kept(c)]
                reply = json.dumps(answers if isinstance(body, list) else answers[0]).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def close(self) -> None:
        self.stop()
        self._http.close()

    def __enter__(self) -> RpcProxy:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _kept(self, call: dict[str, Any]) -> bool:
        if call.get("method") != "eth_sendRawTransaction" or self.omit_send_answers <= 0:
            return True
        self.omit_send_answers -= 1
        self.omitted.append(call["params"][0])
        return False

    def _stale(self, call: dict[str, Any]) -> dict[str, Any] | None:
        """The parent block's view of a read, while the stale window lasts."""
        method = call.get("method")
        if self._stale_left <= 0 or method not in (
            "eth_blockNumber",
            "eth_call",
            "eth_estimateGas",
        ):
            return None
        self._stale_left -= 1
        self.stale_answers += 1
        parent = hex(self._stale_block - 1)
        if method == "eth_blockNumber":
            return {"jsonrpc": "2.0", "id": call.get("id"), "result": parent}
        pinned = {**call, "params": [call["params"][0], parent]}
        answer: dict[str, Any] = self._http.post(self.upstream, json=pinned).json()
        return answer

    def _answer(self, call: dict[str, Any]) -> dict[str, Any]:
        stale = self._stale(call)
        if stale is not None:
            return stale
        if call.get("method") == "eth_getLogs" and "fromBlock" in call["params"][0]:
            query = call["params"][0]
            first, last = int(query["fromBlock"], 16), int(query["toBlock"], 16)
            if self.max_log_range is not None and last - first + 1 > self.max_log_range:
                self.refused_ranges += 1
                end = first + self.max_log_range - 1
                return {
                    "jsonrpc": "2.0",
                    "id": call.get("id"),
                    "error": {
                        "code": -32005,
                        "message": "query returned more than 10000 results. Try with this block "
                        f"range [{hex(first)}, {hex(end)}].",
                    },
                }
        if call.get("method") == "eth_getLogs" and "blockHash" in call["params"][0]:
            self.asked_by_hash.append(call["params"][0]["blockHash"])
        answer: dict[str, Any] = self._http.post(self.upstream, json=call).json()
        if (
            self.hide_logs_of_block is not None
            and call.get("method") == "eth_getLogs"
            and "fromBlock" in call["params"][0]
            and isinstance(answer.get("result"), list)
        ):
            hidden = hex(self.hide_logs_of_block)
            answer["result"] = [e for e in answer["result"] if e["blockNumber"] != hidden]
        if self.malformed_logs and call.get("method") == "eth_getLogs" and answer.get("result"):
            answer["result"][0]["data"] = 12345
        if (
            self.stale_reads_after_receipt
            and call.get("method") == "eth_getTransactionReceipt"
            and answer.get("result")
        ):
            self._stale_block = int(answer["result"]["blockNumber"], 16)
            self._stale_left = self.stale_reads_after_receipt
        return answer
