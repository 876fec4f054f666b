"""The indexing loop: pipelined backfill in adaptive ranges, reorg handling, follow mode.

Each range is one SQL transaction holding its event rows, the hashes of its blocks that lie in
the unfinalised window, and the cursor. Ranges are fetched ahead concurrently and committed in
order. Before a range is committed its first block must extend the cursor's block (parent
hash); if it does not, the indexer walks back through the remembered window to the common
ancestor and rolls back to it in one transaction, or stops (DB untouched) beyond the maximum
rollback depth.
"""

from __future__ import annotations

import gc
import itertools
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from ftzchain.errors import FtzError, NodeUnavailable
from ftzchain.rpc import RpcError
from indexer.decode import decode_log
from indexer.metrics import IndexerMetrics
from indexer.sink import Cursor, PreparedRows, SqlSink
from indexer.source import BlockHeader, RpcLog, RpcSource

log = logging.getLogger(__name__)
# A sync that wrote this many events refreshes the database's planner statistics.
ANALYZE_AFTER_EVENTS = 2_000

_RANGE_ERRORS = ("too many", "range", "limit", "exceed", "timeout", "timed out", "size")
_SUGGESTED_RANGE = re.compile(r"\[\s*(0x[0-9a-f]+)\s*,\s*(0x[0-9a-f]+)\s*\]")
_MAX_RANGE = re.compile(r"(?:max(?:imum)?|limit)[^0-9\[]{0,40}?(\d{1,7})")


class IndexerError(FtzError):
    """The indexer cannot go on safely."""


class ReorgTooDeep(IndexerError):
    """The chain changed deeper than the maximum rollback depth: stop, touch nothing."""


class ChainMoved(Exception):
    """The node's view changed while a range was being read; read it again."""


@dataclass(frozen=True)
class Progress:
    block: int
    target: int
    events: int


@dataclass(frozen=True)
class Batch:
    first: int
    end: int
    rows: PreparedRows
    headers: dict[int, BlockHeader]
    window: list[BlockHeader]


def suggested_range(message: str) -> int | None:
    """The block range a node's "too many results" error suggests, if it names one."""
    lowered = message.lower()
    if m := _SUGGESTED_RANGE.search(lowered):
        return max(1, int(m.group(2), 16) - int(m.group(1), 16) + 1)
    if m := _MAX_RANGE.search(lowered):
        return max(1, int(m.group(1)))
    return None


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
        max_reorg_depth: int = 64,
        prefetch: int = 3,
        target_logs: int = 10_000,
        metrics: IndexerMetrics | None = None,
    ) -> None:
        self.source = source
        self.sink = sink
        self.chain_id = chain_id
        self.genesis_hash = genesis_hash.lower()
        self.start_block = start_block
        self.confirmations = confirmations
        self.max_range = max_range
        self.max_reorg_depth = max_reorg_depth
        self.prefetch = max(1, prefetch)
        self.metrics = metrics or IndexerMetrics()
        self.target_logs = target_logs
        self._range = min(max_range, 16)  # grows quickly while ranges come back light

    # --- cursor and chain identity ------------------------------------------------------

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
                    extra={"event": "new_genesis", "chain_id": self.chain_id},
                )
            cursor = self.sink.reset_chain(self.chain_id, self.genesis_hash, self.start_block)
        return cursor

    def reset(self) -> Cursor:
        """Forget this chain's rows and index again from the start block."""
        return self.sink.reset_chain(self.chain_id, self.genesis_hash, self.start_block)

    def target(self) -> int:
        """The newest block the indexer may index now (head minus confirmations)."""
        return self.source.head() - self.confirmations

    # --- reading a range ----------------------------------------------------------------

    def _fetch(self, first: int, end: int, head: int) -> Batch:
        """Read and decode [first, end]; runs in a worker thread.

        Blocks that lie deeper than the reorg window are read with one ``eth_getLogs`` over
        the range; blocks in the window (the new blocks follow mode sees) are read by block
        hash, after their headers, so their logs belong to exactly the blocks whose hashes
        are remembered."""
        window_from = max(first, head - self.max_reorg_depth + 1)
        split = min(window_from, end + 1)  # [first, split) by range, [split, end] by hash
        by_block: dict[int, list[RpcLog]] = {}
        if split > first:
            for entry in self.source.logs(first, split - 1):
                by_block.setdefault(int(entry.blockNumber, 16), []).append(entry)
        # Every header of the range: the window needs its hashes, and every block's logsBloom
        # is checked against what the range query returned.
        headers = self.source.headers(list(range(first, end + 1)))
        for number, entries in by_block.items():
            if any(e.blockHash.lower() != headers[number].hash for e in entries):
                raise ChainMoved(f"block {number} changed while range {first}-{end} was read")
        # By hash: the window's blocks, and any older block whose bloom says our contracts
        # may have logged in it although the range query returned nothing (a node bug).
        ask = [
            h
            for n, h in sorted(headers.items())
            if n not in by_block and self.source.may_hold_our_logs(h)
        ]
        try:
            answers = self.source.logs_of_blocks([h.hash for h in ask])
        except RpcError as exc:
            if "unknown" in exc.rpc_message.lower() or "not found" in exc.rpc_message.lower():
                raise ChainMoved(f"a block of {first}-{end} left the chain: {exc}") from exc
            raise
        for header, again in zip(ask, answers, strict=True):
            if again and header.number < split:
                log.warning(
                    "block %d: range query missed %d logs; using the by-hash answer",
                    header.number,
                    len(again),
                    extra={"event": "bloom_recheck", "block": header.number, "logs": len(again)},
                )
            if again:
                by_block[header.number] = again
        window = [headers[n] for n in range(split, end + 1)]
        for prev, cur in itertools.pairwise(window):
            if cur.parent_hash != prev.hash:
                raise ChainMoved(f"block {cur.number} does not extend {prev.number}")
        records = [
            decode_log(entry, self.chain_id)
            for number in sorted(by_block)
            for entry in by_block[number]
        ]
        return Batch(first, end, self.sink.prepare(records, headers), headers, window)

    def _adapt_range(self, blocks: int, logs: int) -> None:
        """Aim each range at about ``target_logs`` logs: enough to amortise a commit, small
        enough to pipeline (fetching ahead while committing) and to bound memory."""
        if logs > self.target_logs:
            self._range = max(1, blocks * self.target_logs // logs)
        elif logs < self.target_logs // 2:
            self._range = min(self.max_range, max(self._range, blocks) * 2)

    def _shrink(self, exc: RpcError) -> bool:
        """Shrink the range after a node refused it as too large; False if not a range error."""
        message = exc.rpc_message.lower()
        if not any(word in message for word in _RANGE_ERRORS):
            return False
        hint = suggested_range(exc.rpc_message)
        new = min(hint, self._range - 1) if hint else self._range // 2
        if self._range <= 1:
            return False
        self._range = max(1, new)
        log.info(
            "eth_getLogs refused the range (%s); now %d blocks",
            exc.rpc_message[:120],
            self._range,
            extra={"event": "range_refused", "blocks": self._range},
        )
        return True

    # --- reorgs -------------------------------------------------------------------------

    def _roll_back(self, cursor: Cursor) -> Cursor:
        """Walk back to the newest remembered block the node still has; roll back to it."""
        for number, stored_hash in self.sink.window(
            self.chain_id, cursor.block_number, self.max_reorg_depth + 1
        ):
            if cursor.block_number - number > self.max_reorg_depth:
                break
            if self.source.header(number).hash == stored_hash:
                depth = cursor.block_number - number
                log.warning(
                    "reorg of depth %d at block %d: rolling back to %d (%s)",
                    depth,
                    cursor.block_number,
                    number,
                    stored_hash,
                    extra={"event": "reorg", "depth": depth, "block": cursor.block_number},
                )
                self.metrics.reorgs.inc()
                return self.sink.rollback(cursor, number, stored_hash)
        raise ReorgTooDeep(
            f"chain {self.chain_id} changed below block "
            f"{cursor.block_number - self.max_reorg_depth} (more than {self.max_reorg_depth} "
            "blocks deep): nothing was deleted. If the node is on the right chain, reindex "
            "with `ftz index --reset`; else fix the node"
        )

    def _tip_still_canonical(self, cursor: Cursor) -> bool | None:
        """True/False whether the node still has the cursor's block; None if it lags behind."""
        if cursor.block_hash == "0x":
            return True
        try:
            header = self.source.header(cursor.block_number)
        except LookupError:
            return None
        return header.hash == cursor.block_hash

    # --- the loop -----------------------------------------------------------------------

    def sync(
        self,
        to_block: int | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        stop: threading.Event | None = None,
    ) -> Cursor:
        """Index from the cursor up to ``to_block`` (default: the confirmed head)."""
        cursor = self.cursor()
        events = 0
        while not (stop and stop.is_set()):
            canonical = self._tip_still_canonical(cursor)
            if canonical is None:
                log.info(
                    "the node is behind block %d; waiting",
                    cursor.block_number,
                    extra={"event": "node_behind", "block": cursor.block_number},
                )
                break
            if not canonical:
                cursor = self._roll_back(cursor)
                continue
            head = self.source.head()
            self.metrics.head.set(head)
            target = head - self.confirmations
            if to_block is not None:
                target = min(target, to_block)
            if cursor.block_number >= target:
                break
            cursor, count, done = self._run(cursor, target, head, on_progress, stop)
            events += count
            if done:
                break
        if events >= ANALYZE_AFTER_EVENTS:
            self.sink.refresh_statistics()
            log.info(
                "refreshed the query planner's statistics after %d events",
                events,
                extra={"event": "analyze", "events": events},
            )
        self.metrics.indexed.set(cursor.block_number)
        return cursor

    def _run(
        self,
        cursor: Cursor,
        target: int,
        head: int,
        on_progress: Callable[[Progress], None] | None,
        stop: threading.Event | None,
    ) -> tuple[Cursor, int, bool]:
        """Fetch ahead, commit in order. Returns (cursor, events, reached the target)."""
        pool = ThreadPoolExecutor(max_workers=self.prefetch, thread_name_prefix="fetch")
        # Decoding allocates millions of short-lived, acyclic objects; the cyclic collector
        # would re-scan them all the time (a third of the backfill's CPU). Reference counting
        # frees them; the collector comes back on when the range loop ends.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        pending: deque[tuple[int, int, Future[Batch]]] = deque()
        next_first = cursor.block_number + 1
        events = 0
        moved = 0
        try:
            while cursor.block_number < target:
                if stop and stop.is_set():
                    return cursor, events, True
                while len(pending) < self.prefetch and next_first <= target:
                    end = min(target, next_first + self._range - 1)
                    pending.append(
                        (next_first, end, pool.submit(self._fetch, next_first, end, head))
                    )
                    next_first = end + 1
                first, end, future = pending.popleft()
                started = time.monotonic()
                try:
                    batch = future.result()
                except RpcError as exc:
                    if not self._shrink(exc):
                        raise
                    return cursor, events, False  # re-plan with the smaller range
                except ChainMoved as exc:
                    moved += 1
                    if moved > 5:
                        raise IndexerError(
                            f"the chain keeps changing under the indexer: {exc}"
                        ) from exc
                    log.info("%s; reading again", exc, extra={"event": "chain_moved"})
                    return cursor, events, False
                if cursor.block_hash != "0x" and batch.headers[first].parent_hash != (
                    cursor.block_hash
                ):
                    return self._roll_back(cursor), events, False
                new_cursor = Cursor(
                    self.chain_id,
                    self.genesis_hash,
                    cursor.start_block,
                    end,
                    batch.headers[end].hash,
                )
                self.sink.write(
                    batch.rows,
                    new_cursor,
                    batch.window,
                    keep_window_from=end - self.max_reorg_depth,
                )
                cursor = new_cursor
                events += batch.rows.count
                self._adapt_range(end - first + 1, batch.rows.count)
                self.metrics.events.inc(batch.rows.count)
                self.metrics.indexed.set(end)
                self.metrics.lag.set(max(0, head - end))
                elapsed = time.monotonic() - started
                if elapsed > 0:
                    self.metrics.events_per_s.set(batch.rows.count / elapsed)
                if on_progress:
                    on_progress(Progress(end, target, events))
            return cursor, events, True
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            if gc_was_enabled:
                gc.enable()

    def follow(
        self,
        poll_interval: float,
        on_progress: Callable[[Progress], None] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        """Keep indexing new blocks until ``stop`` is set; a node outage is waited out."""
        stop = stop or threading.Event()
        backoff = poll_interval
        while not stop.is_set():
            started = time.monotonic()
            try:
                self.sync(on_progress=on_progress, stop=stop)
                backoff = poll_interval
            except NodeUnavailable as exc:
                self.metrics.node_errors.inc()
                log.warning(
                    "%s; retrying in %.1fs",
                    exc,
                    backoff,
                    extra={"event": "node_unavailable", "retry_s": backoff},
                )
                stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            stop.wait(max(0.0, poll_interval - (time.monotonic() - started)))
