"""The zone node's writer: a durable outbox, signed batches, pipelined transactions.

Records (IP registrations) are queued in a local SQLite outbox under their natural id, the
work's SHA-256. The writer groups queued records of one enterprise into batches that the
enterprise signs once (``IpRegistry.registerSigned``), signs each transaction with the next
local nonce of one of several sender keys, writes batch and raw transaction to the outbox
(fsync) BEFORE broadcasting, sends many transactions in one JSON-RPC batch, and collects
receipts in batches.

Exactly once on chain rests on two facts: a record's id is its content hash, which the
registry accepts once; and ``registerSigned`` skips works already registered to the owner, so
resubmitting any batch is harmless. Recovery therefore never guesses: after a crash, a node
restart, a dropped or replaced transaction, or a nonce the node refuses, the writer resyncs the
nonce from the node, asks the chain which of the batch's records are registered, and queues the
rest again.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftzchain.client import TxSender
from ftzchain.eip712 import IpItem
from ftzchain.errors import NodeUnavailable
from ftzchain.ip import IpRegistryContract
from ftzchain.rpc import RpcError
from ftzchain.signing import Signer

log = logging.getLogger(__name__)

GAS_PER_RECORD = 40_000  # measured 28.5k (contracts/gas-snapshot.json) plus headroom
GAS_PER_BATCH = 150_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS record (
    id TEXT PRIMARY KEY,          -- 0x SHA-256 of the work: the registry's natural key
    owner TEXT NOT NULL,
    zone TEXT NOT NULL,           -- 0x bytes32 zone id
    work_type INTEGER NOT NULL,
    title_hash TEXT NOT NULL,
    state TEXT NOT NULL,          -- queued | sent | confirmed
    batch INTEGER
);
CREATE INDEX IF NOT EXISTS record_state ON record (state, owner, zone);
CREATE TABLE IF NOT EXISTS batch (
    id INTEGER PRIMARY KEY,
    sender TEXT NOT NULL,
    nonce INTEGER NOT NULL,
    tx_hash TEXT NOT NULL,
    raw TEXT NOT NULL,
    state TEXT NOT NULL,          -- sent | confirmed | abandoned
    sent_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS batch_state ON batch (state);
"""


@dataclass(frozen=True)
class QueuedRecord:
    content_hash: bytes
    owner: str
    zone_id: bytes
    work_type: int = 0
    title_hash: bytes = b"\0" * 32


class Outbox:
    """What was queued, sent (in which transaction) and confirmed; survives SIGKILL."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[None]:
        """One durable transaction (the connection is in autocommit mode otherwise)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def enqueue(self, records: Iterable[QueuedRecord]) -> int:
        """Queue records; ids already in the outbox are ignored. Returns how many were new."""
        rows = [
            (
                "0x" + r.content_hash.hex(),
                r.owner.lower(),
                "0x" + r.zone_id.hex(),
                r.work_type,
                "0x" + r.title_hash.hex(),
            )
            for r in records
        ]
        with self._tx():
            before = self.db.total_changes
            self.db.executemany(
                "INSERT OR IGNORE INTO record (id, owner, zone, work_type, title_hash, state) "
                "VALUES (?, ?, ?, ?, ?, 'queued')",
                rows,
            )
            return self.db.total_changes - before

    def queued(self, limit: int) -> list[QueuedRecord]:
        """Up to ``limit`` queued records of the first (owner, zone) that has any."""
        first = self.db.execute(
            "SELECT owner, zone FROM record WHERE state = 'queued' LIMIT 1"
        ).fetchone()
        if first is None:
            return []
        rows = self.db.execute(
            "SELECT id, owner, zone, work_type, title_hash FROM record "
            "WHERE state = 'queued' AND owner = ? AND zone = ? LIMIT ?",
            (*first, limit),
        ).fetchall()
        return [
            QueuedRecord(bytes.fromhex(i[2:]), o, bytes.fromhex(z[2:]), w, bytes.fromhex(t[2:]))
            for i, o, z, w, t in rows
        ]

    def mark_sent(self, ids: list[str], sender: str, nonce: int, tx_hash: str, raw: bytes) -> int:
        """Record a signed transaction and its records in one durable transaction."""
        with self._tx():
            cur = self.db.execute(
                "INSERT INTO batch (sender, nonce, tx_hash, raw, state, sent_at) "
                "VALUES (?, ?, ?, ?, 'sent', ?)",
                (sender.lower(), nonce, tx_hash, "0x" + raw.hex(), time.time()),
            )
            batch_id = int(cur.lastrowid or 0)
            self.db.executemany(
                "UPDATE record SET state = 'sent', batch = ? WHERE id = ?",
                [(batch_id, i) for i in ids],
            )
        return batch_id

    def confirm(self, batch_id: int) -> None:
        with self._tx():
            self.db.execute("UPDATE batch SET state = 'confirmed' WHERE id = ?", (batch_id,))
            self.db.execute(
                "UPDATE record SET state = 'confirmed' WHERE batch = ? AND state = 'sent'",
                (batch_id,),
            )

    def abandon(self, batch_id: int, on_chain: set[str]) -> int:
        """Give a batch up: records on chain are confirmed, the others queued again."""
        with self._tx():
            self.db.execute("UPDATE batch SET state = 'abandoned' WHERE id = ?", (batch_id,))
            ids = [
                r[0] for r in self.db.execute("SELECT id FROM record WHERE batch = ?", (batch_id,))
            ]
            self.db.executemany(
                "UPDATE record SET state = ? WHERE id = ?",
                [("confirmed" if i in on_chain else "queued", i) for i in ids],
            )
        return sum(1 for i in ids if i not in on_chain)

    def record_ids(self, batch_id: int) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT id FROM record WHERE batch = ?", (batch_id,))]

    def open_batches(self) -> list[tuple[int, str, int, str, str]]:
        """(id, sender, nonce, tx hash, raw) of batches sent but not settled."""
        rows = self.db.execute(
            "SELECT id, sender, nonce, tx_hash, raw FROM batch WHERE state = 'sent' ORDER BY id"
        ).fetchall()
        return [(int(a), str(b), int(c), str(d), str(e)) for a, b, c, d, e in rows]

    def counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT state, COUNT(*) FROM record GROUP BY state").fetchall()
        return {"queued": 0, "sent": 0, "confirmed": 0, **{s: int(n) for s, n in rows}}


@dataclass
class _InFlight:
    batch_id: int
    sender: TxSender
    nonce: int
    tx_hash: str
    raw: str
    sent_at: float
    checked_at: float = field(default=0.0)


@dataclass(frozen=True)
class WriterStats:
    records: int
    transactions: int
    seconds: float
    resubmitted: int


class Writer:
    """Drains the outbox into ``registerSigned`` transactions from several sender keys."""

    def __init__(
        self,
        registry: IpRegistryContract,
        senders: list[TxSender],
        enterprises: dict[str, Signer],
        outbox: Outbox,
        *,
        batch_size: int = 100,
        in_flight: int = 8,
        stall_after: float = 5.0,
        signature_ttl: int = 3600,
    ) -> None:
        if not senders:
            raise ValueError("the writer needs at least one sender key")
        self.registry = registry
        self.client = registry.client
        self.senders = senders
        self.by_address = {s.address.lower(): s for s in senders}
        self.enterprises = {k.lower(): v for k, v in enterprises.items()}
        self.outbox = outbox
        self.batch_size = batch_size
        self.max_in_flight = in_flight
        self.stall_after = stall_after
        self.signature_ttl = signature_ttl
        self.in_flight: dict[str, _InFlight] = {}
        self._next_sender = 0
        self.transactions = 0
        self.resubmitted = 0

    # --- recovery -------------------------------------------------------------------------

    def recover(self) -> None:
        """Settle what a previous run left in flight, then take nonces from the node."""
        for sender in self.senders:
            sender.resync_nonce()
        open_batches = self.outbox.open_batches()
        if not open_batches:
            return
        receipts = self._receipts([b[3] for b in open_batches])
        known = self.client.rpc.batch([("eth_getTransactionByHash", [b[3]]) for b in open_batches])
        for (batch_id, address, nonce, tx_hash, raw), receipt, tx in zip(
            open_batches, receipts, known, strict=True
        ):
            if receipt is not None and int(receipt.get("status", "0x1"), 16) == 1:
                self.outbox.confirm(batch_id)
            elif receipt is None and tx is not None and address in self.by_address:
                # Still in the node's pool: keep waiting for it.
                self.in_flight[tx_hash] = _InFlight(
                    batch_id, self.by_address[address], nonce, tx_hash, raw, time.monotonic()
                )
            else:
                self._abandon(batch_id, "left unsettled by an earlier run")

    # --- the loop ---------------------------------------------------------------------------

    def run(
        self,
        on_progress: Callable[[dict[str, int]], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> WriterStats:
        """Write until the outbox holds nothing queued or sent."""
        started = time.perf_counter()
        confirmed_before = self.outbox.counts()["confirmed"]
        self.recover()
        outage = 0.0
        while not (stop and stop()):
            try:
                if outage:
                    self.recover()  # the node may have restarted and lost its pool
                    outage = 0.0
                self._fill_pipeline()
                if not self.in_flight:
                    if self.outbox.counts()["queued"] == 0:
                        break
                    continue
                self._collect()
            except NodeUnavailable as exc:
                outage = min(max(outage * 2, 0.2), 5.0)
                log.warning("node unavailable (%s); retrying in %.1fs", exc, outage)
                time.sleep(outage)
                continue
            if on_progress:
                on_progress(self.outbox.counts())
        counts = self.outbox.counts()
        return WriterStats(
            records=counts["confirmed"] - confirmed_before,
            transactions=self.transactions,
            seconds=time.perf_counter() - started,
            resubmitted=self.resubmitted,
        )

    def _fill_pipeline(self) -> None:
        raws: list[tuple[_InFlight, str]] = []
        while len(self.in_flight) + len(raws) < self.max_in_flight:
            records = self.outbox.queued(self.batch_size)
            if not records:
                break
            raws.append(self._sign_and_persist(records))
        if not raws:
            return
        results = self._send([raw for _, raw in raws])
        refused: set[int] = set()  # senders with a refused nonce: their later ones have a gap
        for (flight, _raw), error in zip(raws, results, strict=True):
            if error is None and id(flight.sender) not in refused:
                self.in_flight[flight.tx_hash] = flight
                self.transactions += 1
                continue
            if error is not None:
                log.warning(
                    "nonce %d of %s refused: %s", flight.nonce, flight.sender.address, error
                )
                refused.add(id(flight.sender))
            self._abandon(flight.batch_id, error or "sent after a refused nonce")
        for sender in self.senders:
            if id(sender) in refused:
                sender.resync_nonce()

    def _sign_and_persist(self, records: list[QueuedRecord]) -> tuple[_InFlight, str]:
        owner = records[0].owner
        enterprise = self.enterprises.get(owner)
        if enterprise is None:
            raise KeyError(f"no signing key for enterprise {owner}: pass it to the writer")
        items = [IpItem(r.content_hash, r.work_type, r.title_hash) for r in records]
        deadline = int(time.time()) + self.signature_ttl
        batch = self.registry.sign_batch(enterprise, records[0].zone_id, items, deadline=deadline)
        data = self.registry.codec.encode_call("registerSigned", *batch.call_args())
        sender = self.senders[self._next_sender % len(self.senders)]
        self._next_sender += 1
        gas = GAS_PER_BATCH + GAS_PER_RECORD * len(records)
        raw, nonce, tx_hash = sender.sign(self.registry.address, data, gas)
        batch_id = self.outbox.mark_sent(
            ["0x" + r.content_hash.hex() for r in records], sender.address, nonce, tx_hash, raw
        )
        flight = _InFlight(batch_id, sender, nonce, tx_hash, "0x" + raw.hex(), time.monotonic())
        return flight, flight.raw

    def _send(self, raws: list[str]) -> list[str | None]:
        """Broadcast in one JSON-RPC batch; per transaction None or the node's error."""
        outcomes = self.client.rpc.batch_outcomes([("eth_sendRawTransaction", [r]) for r in raws])
        return [
            None  # "already known": the node has this very transaction; it is in flight
            if not isinstance(o, RpcError) or "already known" in o.rpc_message.lower()
            else o.rpc_message
            for o in outcomes
        ]

    def _collect(self) -> None:
        hashes = list(self.in_flight)
        receipts = self._receipts(hashes)
        now = time.monotonic()
        settled = 0
        for tx_hash, receipt in zip(hashes, receipts, strict=True):
            flight = self.in_flight.get(tx_hash)
            if flight is None:
                continue  # abandoned meanwhile, with a stalled one before it
            if receipt is None:
                if now - flight.sent_at > self.stall_after and now - flight.checked_at > 1.0:
                    flight.checked_at = now
                    self._check_stalled(flight)
                continue
            del self.in_flight[tx_hash]
            settled += 1
            if int(receipt.get("status", "0x1"), 16) == 1:
                self.outbox.confirm(flight.batch_id)
            else:
                self._abandon(flight.batch_id, "reverted")
        if not settled:
            time.sleep(0.002)

    def _check_stalled(self, flight: _InFlight) -> None:
        """No receipt for a while: still pending, dropped from the pool, or lost in a restart."""
        try:
            known = self.client.rpc.call("eth_getTransactionByHash", [flight.tx_hash])
        except RpcError:
            return
        if known is not None:
            mined_nonce = int(
                self.client.rpc.call("eth_getTransactionCount", [flight.sender.address, "latest"]),
                16,
            )
            waiting_for = [f for f in self.in_flight.values() if f.sender is flight.sender]
            if any(f.nonce == mined_nonce for f in waiting_for) or flight.nonce < mined_nonce:
                return  # pending, and nothing in front of it is missing
            log.warning(
                "transaction %s waits for nonce %d that nothing will fill",
                flight.tx_hash,
                mined_nonce,
            )
            flight = min(waiting_for, key=lambda f: f.nonce)
        else:
            log.warning(
                "transaction %s (nonce %d) is gone from the node", flight.tx_hash, flight.nonce
            )
        # Everything this sender has in flight from that nonce on can no longer be mined in
        # order; queue those records again (resubmission is idempotent on chain).
        for other in list(self.in_flight.values()):
            if other.sender is flight.sender and other.nonce >= flight.nonce:
                del self.in_flight[other.tx_hash]
                self._abandon(other.batch_id, "dropped by the node")
        flight.sender.resync_nonce()

    def _abandon(self, batch_id: int, why: str) -> None:
        ids = self.outbox.record_ids(batch_id)
        on_chain = self._registered(ids)
        requeued = self.outbox.abandon(batch_id, on_chain)
        self.resubmitted += requeued
        log.info("batch %d %s: %d records queued again", batch_id, why, requeued)

    def _registered(self, ids: list[str]) -> set[str]:
        """Which of ``ids`` the chain holds (asked of the chain, never of the outbox)."""
        return registered_on_chain(self.registry, ids)

    def _receipts(self, hashes: list[str]) -> list[dict[str, Any] | None]:
        if not hashes:
            return []
        return list(self.client.rpc.batch([("eth_getTransactionReceipt", [h]) for h in hashes]))


def registered_on_chain(registry: IpRegistryContract, ids: list[str]) -> set[str]:
    """Which record ids (0x content hashes) are registered, in JSON-RPC batches of 500."""
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        calls: list[tuple[str, list[Any]]] = []
        for record_id in chunk:
            data = registry.codec.encode_call("isRegistered", bytes.fromhex(record_id[2:]))
            calls.append(
                ("eth_call", [{"to": registry.address, "data": "0x" + data.hex()}, "latest"])
            )
        replies = registry.client.rpc.batch(calls)
        found.update(i for i, r in zip(chunk, replies, strict=True) if int(r, 16) == 1)
    return found
