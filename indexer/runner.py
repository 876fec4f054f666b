"""The indexing loop: backfill in adaptive ranges, then (optionally) follow the head."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ftzchain.errors import FtzError
from ftzchain.rpc import RpcError
from indexer.decode import Record, decode_log
from indexer.sink import Cursor, SqlSink
from indexer.source import RpcSource

log = logging.getLogger(__name__)

_RANGE_ERRORS = ("too many", "range", "limit", "exceed", "timeout", "timed out", "size")


class IndexerError(FtzError):
    """The indexer cannot go on safely."""


class ChainMismatch(IndexerError):
    """The node's block at the cursor has another hash than the one indexed."""


@dataclass(frozen=True)
class Progress:
    block: int
    target: int
    events: int


class Indexer:
    """Moves the cursor of one chain forward, one atomic range at a time."""

    def __init__(
        self,
        source: RpcSource,
        sink: SqlSink,
        *,
        chain_id: int,
        genesis_hash: str,
        start_block: int,
        confirmations: int = 0,
        max_range: int = 1000,
    ) -> None:
        self.source = source
        self.sink = sink
        self.chain_id = chain_id
        self.genesis_hash = genesis_hash.lower()
        self.start_block = start_block
        self.confirmations = confirmations
        self.max_range = max_range
        self._range = max_range

    def cursor(self) -> Cursor:
        """The stored cursor; a new chain (or a different genesis) starts from scratch."""
        cursor = self.sink.read_cursor(self.chain_id)
        if cursor is None or cursor.genesis_hash != self.genesis_hash:
            if cursor is not None:
                log.warning(
                    "chain %d has a new genesis %s (was %s): resyncing from block %d",
                    self.chain_id,
                    self.genesis_hash,
                    cursor.genesis_hash,
                    self.start_block,
                )
            cursor = self.sink.reset_chain(self.chain_id, self.genesis_hash, self.start_block)
        return cursor

    def target(self) -> int:
        return self.source.head() - self.confirmations

    def _check_cursor(self, cursor: Cursor) -> None:
        if cursor.block_hash == "0x":
            return
        header = self.source.header(cursor.block_number)
        if header.hash != cursor.block_hash:
            raise ChainMismatch(
                f"block {cursor.block_number} is now {header.hash}, indexed as "
                f"{cursor.block_hash}: the chain reorganised below the cursor; "
                "raise FTZ_CONFIRMATIONS and reindex with `ftz index --reset`"
            )

    def _fetch(self, first: int, last: int) -> tuple[int, list[dict[str, object]]]:
        """Logs of [first, ≤last]; shrinks the range on range errors, grows it on success."""
        while True:
            end = min(last, first + self._range - 1)
            try:
                logs = self.source.logs(first, end)
            except RpcError as exc:
                if self._range > 1 and any(w in exc.rpc_message.lower() for w in _RANGE_ERRORS):
                    self._range = max(1, self._range // 2)
                    log.info(
                        "eth_getLogs refused %d blocks (%s); trying %d",
                        end - first + 1,
                        exc.rpc_message,
                        self._range,
                    )
                    continue
                raise
            self._range = min(self.max_range, self._range * 2)
            return end, logs

    def step(self, cursor: Cursor, target: int) -> tuple[Cursor, int]:
        """Index one range after the cursor, up to ``target``; returns the new cursor and count."""
        first = cursor.block_number + 1
        end, logs = self._fetch(first, target)
        numbers = sorted({int(str(e["blockNumber"]), 16) for e in logs} | {end})
        headers = self.source.headers(numbers)
        for entry in logs:
            number = int(str(entry["blockNumber"]), 16)
            if str(entry["blockHash"]).lower() != headers[number].hash:
                raise ChainMismatch(f"block {number} changed while indexing it; retry")
        records: list[Record] = [decode_log(entry, self.chain_id) for entry in logs]
        new_cursor = Cursor(
            self.chain_id, self.genesis_hash, cursor.start_block, end, headers[end].hash
        )
        self.sink.write(records, headers, new_cursor)
        return new_cursor, len(records)

    def sync(
        self,
        to_block: int | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        stop: threading.Event | None = None,
    ) -> Cursor:
        """Index from the cursor up to ``to_block`` (default: the confirmed head)."""
        cursor = self.cursor()
        self._check_cursor(cursor)
        target = self.target() if to_block is None else min(to_block, self.target())
        events = 0
        while cursor.block_number < target and not (stop and stop.is_set()):
            cursor, count = self.step(cursor, target)
            events += count
            if on_progress:
                on_progress(Progress(cursor.block_number, target, events))
        return cursor

    def follow(
        self,
        poll_interval: float,
        on_progress: Callable[[Progress], None] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        """Keep indexing new blocks until ``stop`` is set."""
        stop = stop or threading.Event()
        while not stop.is_set():
            started = time.monotonic()
            self.sync(on_progress=on_progress, stop=stop)
            stop.wait(max(0.0, poll_interval - (time.monotonic() - started)))
