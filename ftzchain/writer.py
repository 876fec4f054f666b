"""The zone node's writer: a durable outbox, signed batches, pipelined transactions.

Two things are queued in a local SQLite outbox:

- **submissions**: messages an enterprise signed itself (an ``IpBatch`` or a ``TraceBatch``,
  see :mod:`ftzchain.submission`), received over the intake API, under their EIP-712 digest;
- **records**: IP registrations of enterprises whose keys this node holds (development and
  bulk loading), under the work's SHA-256; the writer groups them into batches the
  enterprise signs once.

Each transaction is signed with the next local nonce of one of several sender keys and
written to the outbox (fsync) BEFORE it is broadcast; many go in one JSON-RPC batch, and
receipts are collected in batches. An enterprise's trace batches carry consecutive nonces and
the contract takes them only in that order, so they go in nonce order through one sender key
(its transaction nonces keep them in order); everything else is pipelined over all senders.

Exactly once on chain rests on what the contracts guarantee: a work's content hash is
registered once and ``registerSigned`` skips works already registered, so resending an IP
batch is harmless; a ``TraceBatch`` nonce is used once, so a trace batch can never be recorded
twice. Recovery therefore never guesses: after a crash, a node restart, a dropped or replaced
transaction, or a nonce the node refuses, the writer resyncs nonces from the node, asks the
chain what of the batch is recorded, and queues the rest again.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from ftzchain.abi import AbiCodec
from ftzchain.client import TxSender
from ftzchain.eip712 import IpItem
from ftzchain.enums import InvoiceAction, InvoiceStatus
from ftzchain.errors import ContractRevert, NodeUnavailable
from ftzchain.invoice.contract import InvoiceRegistryContract
from ftzchain.ip import IpRegistryContract
from ftzchain.rpc import RpcError, RpcNoAnswer
from ftzchain.signing import Signer
from ftzchain.submission import AFTER_ISSUE, LANE_OF_KIND, Submission, build, read_submission
from ftzchain.trace import TraceabilityContract

log = logging.getLogger(__name__)

GAS_PER_RECORD = 40_000  # measured 28.5k (contracts/gas-snapshot.json) plus headroom
GAS_PER_BATCH = 150_000
GAS_PER_EVENT = 25_000  # measured 13.9k in batches of 100 (BENCHMARKS.md) plus headroom
GAS_PER_EVENT_ID = 1_500  # each input or output fingerprint

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
CREATE TABLE IF NOT EXISTS submission (
    id TEXT PRIMARY KEY,          -- 0x EIP-712 digest the enterprise signed
    kind TEXT NOT NULL,           -- ip-batch | trace-batch | ip-transfer | … (submission.KINDS)
    signer TEXT NOT NULL,         -- lowercase enterprise address
    lane TEXT,                    -- the nonces it uses: trace | ip (submission.LANE_OF_KIND)
    lane_nonce INTEGER,           -- its nonce there (a lane is recorded in nonce order)
    subject TEXT,                 -- 0x id of its first record: work, event or invoice
    records INTEGER NOT NULL,     -- works or events in it
    body TEXT NOT NULL,           -- the submission JSON as received (with its document)
    contract TEXT,                -- its transaction, encoded when it was accepted (NULL in
    calldata BLOB,                --   an outbox of an earlier version: encoded from the body)
    gas INTEGER,
    state TEXT NOT NULL,          -- queued | sent | confirmed | failed
    batch INTEGER,
    error TEXT,                   -- failed: the contract's decoded error
    block INTEGER,                -- confirmed: where its first log is
    tx_hash TEXT,
    log_index INTEGER,
    received_at REAL NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS submission_lane ON submission (lane, signer, lane_nonce)
    WHERE lane IS NOT NULL;
CREATE INDEX IF NOT EXISTS submission_state ON submission (state, lane, signer, lane_nonce);
"""


@dataclass(frozen=True)
class QueuedRecord:
    content_hash: bytes
    owner: str
    zone_id: bytes
    work_type: int = 0
    title_hash: bytes = b"\0" * 32


class QueuedSubmission(NamedTuple):
    """A submission as the outbox holds it, for the writer to send (its body and call are
    read only when it is sent: a queue of EPCIS documents is megabytes)."""

    id: str
    kind: str
    signer: str  # lower-case address
    lane_nonce: int | None  # its nonce in its lane (trace batches, transfers, licences)
    subject: bytes | None  # its first record: work, event or invoice (None in old outboxes)


class PreparedCall(NamedTuple):
    """The transaction that records a submission, but for its sender and nonce."""

    contract: str  # IpRegistry | Traceability | InvoiceRegistry
    calldata: bytes
    gas: int


def prepare_call(sub: Submission, codec: AbiCodec) -> PreparedCall:
    """Encode ``sub``'s call with its contract's ``codec``, and its gas limit."""
    contract, function, args = sub.call
    if sub.kind == "trace-batch":
        gas = GAS_PER_BATCH + sum(
            GAS_PER_EVENT + GAS_PER_EVENT_ID * (len(e[7]) + len(e[8])) for e in args[4]
        )
    else:
        gas = GAS_PER_BATCH + GAS_PER_RECORD * len(sub.record_ids)
    return PreparedCall(contract, codec.encode_call(function, *args), gas)


class Outbox:
    """What was queued, sent (in which transaction) and confirmed; survives SIGKILL."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(_SCHEMA)
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(submission)")}
        if "subject" not in columns:  # an outbox written before submissions named it
            self.db.execute("ALTER TABLE submission ADD COLUMN subject TEXT")
        for name, sql_type in (("contract", "TEXT"), ("calldata", "BLOB"), ("gas", "INTEGER")):
            if name not in columns:  # written before submissions were encoded on arrival
                self.db.execute(f"ALTER TABLE submission ADD COLUMN {name} {sql_type}")
        self.db.execute(
            "CREATE INDEX IF NOT EXISTS submission_subject ON submission (kind, subject, state)"
        )
        # One connection, shared by the API's threads: one statement sequence at a time.
        self._lock = threading.RLock()

    def close(self) -> None:
        self.db.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[None]:
        """One durable transaction (the connection is in autocommit mode otherwise)."""
        with self._lock:
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

    def _new_batch(self, sender: str, nonce: int, tx_hash: str, raw: bytes) -> int:
        """Insert a signed transaction (inside the caller's transaction); returns its id."""
        cur = self.db.execute(
            "INSERT INTO batch (sender, nonce, tx_hash, raw, state, sent_at) "
            "VALUES (?, ?, ?, ?, 'sent', ?)",
            (sender.lower(), nonce, tx_hash, "0x" + raw.hex(), time.time()),
        )
        return int(cur.lastrowid or 0)

    def mark_sent(self, ids: list[str], sender: str, nonce: int, tx_hash: str, raw: bytes) -> int:
        """Record a signed transaction and its records in one durable transaction."""
        with self._tx():
            batch_id = self._new_batch(sender, nonce, tx_hash, raw)
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
        """Records and submissions per state (submissions count the records in them)."""
        rows = self.db.execute(
            "SELECT state, SUM(n) FROM (SELECT state, COUNT(*) AS n FROM record GROUP BY state "
            "UNION ALL SELECT state, SUM(records) FROM submission GROUP BY state) GROUP BY state"
        ).fetchall()
        counts = {"queued": 0, "sent": 0, "confirmed": 0, "failed": 0}
        counts.update({state: int(n) for state, n in rows})
        return counts

    # --- submissions ------------------------------------------------------------------------

    def submit(self, sub: Submission, call: PreparedCall | None = None) -> tuple[str, bool]:
        """Queue a validated submission, with its encoded ``call`` when the caller has it
        (the writer then sends it without reading the body again). Returns (the id that
        holds it, whether it is new): the same signed message again is the same submission.
        A trace batch whose nonce is taken by another queued submission of the signer raises
        :class:`LaneTaken`."""
        with self._tx():
            found = self.db.execute("SELECT id FROM submission WHERE id = ?", (sub.id,)).fetchone()
            if found is not None:
                return sub.id, False
            if sub.lane is not None:
                other = self.db.execute(
                    "SELECT id, state FROM submission "
                    "WHERE lane = ? AND signer = ? AND lane_nonce = ?",
                    (sub.lane, sub.signer.lower(), sub.lane_nonce),
                ).fetchone()
                if other is not None and other[1] != "failed":
                    raise LaneTaken(int(sub.lane_nonce or 0), str(other[0]))
                if other is not None:  # a failed one gives its nonce up to a new signature
                    self.db.execute("DELETE FROM submission WHERE id = ?", (other[0],))
            self.db.execute(
                "INSERT INTO submission (id, kind, signer, lane, lane_nonce, subject, records, "
                "body, contract, calldata, gas, state, received_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?)",
                (
                    sub.id,
                    sub.kind,
                    sub.signer.lower(),
                    sub.lane,
                    sub.lane_nonce,
                    "0x" + sub.record_ids[0].hex(),
                    len(sub.record_ids),
                    sub.source,
                    *(call or (None, None, None)),
                    time.time(),
                ),
            )
        return sub.id, True

    def submission(self, submission_id: str) -> SubmissionStatus | None:
        with self._lock:
            return self._submission_status(submission_id)

    def _submission_status(self, submission_id: str) -> SubmissionStatus | None:
        row = self.db.execute(
            "SELECT id, kind, signer, lane_nonce, records, state, error, block, tx_hash, "
            "log_index, received_at, batch FROM submission WHERE id = ?",
            (submission_id.lower(),),
        ).fetchone()
        if row is None:
            return None
        sent = None
        if row[5] in ("sent", "confirmed") and row[11] is not None and row[8] is None:
            found = self.db.execute("SELECT tx_hash FROM batch WHERE id = ?", (row[11],)).fetchone()
            sent = found[0] if found else None
        return SubmissionStatus(
            id=row[0],
            kind=row[1],
            signer=row[2],
            nonce=row[3],
            records=int(row[4]),
            state=row[5],
            error=row[6],
            block_number=row[7],
            tx_hash=row[8] or sent,
            log_index=row[9],
            received_at=float(row[10]),
        )

    def pending_issue(self, invoice_id: bytes) -> str | None:
        """The signer of an ``invoice-issue`` of ``invoice_id`` queued or in flight, if any."""
        with self._lock:
            row = self.db.execute(
                "SELECT signer FROM submission WHERE kind = 'invoice-issue' AND subject = ? "
                "AND state IN ('queued', 'sent')",
                ("0x" + invoice_id.hex(),),
            ).fetchone()
        return None if row is None else str(row[0])

    def lane_queued(self, lane: str, signer: str) -> int | None:
        """The highest nonce queued or in flight in ``signer``'s ``lane``, if any."""
        with self._lock:
            row = self.db.execute(
                "SELECT MAX(lane_nonce) FROM submission WHERE lane = ? AND signer = ? "
                "AND state IN ('queued', 'sent')",
                (lane, signer.lower()),
            ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def queued_submissions(self, limit: int) -> list[QueuedSubmission]:
        """Queued submissions, each lane's in nonce order."""
        rows = self.db.execute(
            f"SELECT {_QUEUED} FROM submission WHERE state = 'queued' "
            "ORDER BY lane, signer, lane_nonce, received_at LIMIT ?",
            (limit,),
        ).fetchall()
        return [_queued(row) for row in rows]

    def submission_body(self, submission_id: str) -> str:
        """The JSON text a submission was received as."""
        with self._lock:
            row = self.db.execute(
                "SELECT body FROM submission WHERE id = ?", (submission_id,)
            ).fetchone()
        if row is None:
            raise KeyError(f"no submission {submission_id} in the outbox")
        return str(row[0])

    def prepared_call(self, submission_id: str) -> PreparedCall | None:
        """The call encoded when the submission was accepted; None if it was not."""
        with self._lock:
            row = self.db.execute(
                "SELECT contract, calldata, gas FROM submission WHERE id = ?", (submission_id,)
            ).fetchone()
        if row is None or row[1] is None:
            return None
        return PreparedCall(str(row[0]), bytes(row[1]), int(row[2]))

    def mark_submission_sent(
        self, submission_id: str, sender: str, nonce: int, tx_hash: str, raw: bytes
    ) -> int:
        with self._tx():
            batch_id = self._new_batch(sender, nonce, tx_hash, raw)
            self.db.execute(
                "UPDATE submission SET state = 'sent', batch = ? WHERE id = ?",
                (batch_id, submission_id),
            )
        return batch_id

    def batch_submission(self, batch_id: int) -> QueuedSubmission | None:
        row = self.db.execute(
            f"SELECT {_QUEUED} FROM submission WHERE batch = ?", (batch_id,)
        ).fetchone()
        return None if row is None else _queued(row)

    def settle_submission(
        self,
        submission_id: str,
        state: str,
        *,
        error: str | None = None,
        location: tuple[int, str, int] | None = None,
        batch_id: int | None = None,
    ) -> None:
        """Move a submission to ``state`` (queued again, confirmed at ``location`` = (block,
        tx hash, log index), or failed with ``error``), settling its transaction too."""
        block, tx_hash, log_index = location or (None, None, None)
        with self._tx():
            if batch_id is not None:
                self.db.execute(
                    "UPDATE batch SET state = ? WHERE id = ?",
                    ("confirmed" if state == "confirmed" else "abandoned", batch_id),
                )
            self.db.execute(
                "UPDATE submission SET state = ?, error = ?, block = ?, tx_hash = ?, "
                "log_index = ?, batch = CASE WHEN ? = 'queued' THEN NULL ELSE batch END "
                "WHERE id = ?",
                (state, error, block, tx_hash, log_index, state, submission_id),
            )


class LaneTaken(Exception):
    """Another queued submission of this enterprise carries the same TraceBatch nonce."""

    def __init__(self, nonce: int, holder: str) -> None:
        super().__init__(f"nonce {nonce} is taken by submission {holder}")
        self.nonce = nonce
        self.holder = holder


@dataclass(frozen=True)
class SubmissionStatus:
    id: str
    kind: str
    signer: str
    nonce: int | None
    records: int
    state: str  # queued | sent | confirmed | failed
    error: str | None
    block_number: int | None
    tx_hash: str | None
    log_index: int | None
    received_at: float


@dataclass
class _InFlight:
    batch_id: int
    sender: TxSender
    nonce: int
    tx_hash: str
    raw: str
    sent_at: float
    checked_at: float = field(default=0.0)
    submission: str | None = None
    lane: tuple[str, str, int] | None = None  # (lane, signer, nonce) of a lane message


@dataclass(frozen=True)
class WriterStats:
    records: int
    transactions: int
    seconds: float
    resubmitted: int


# Kind → (contract, the event that records it, the topic position of its signer or 0).
_EVENT_OF_KIND = {
    "ip-batch": ("IpRegistry", "IpRegistered", 0),
    "trace-batch": ("Traceability", "TraceEventRecorded", 3),
    "ip-transfer": ("IpRegistry", "IpTransferred", 2),
    "ip-licence": ("IpRegistry", "IpLicensed", 0),
    "invoice-issue": ("InvoiceRegistry", "InvoiceIssued", 3),
    "invoice-action": ("InvoiceRegistry", "InvoiceStatusChanged", 3),
    "invoice-goods": ("InvoiceRegistry", "InvoiceGoodsLinked", 3),
}
_STATUS_AFTER = {
    int(InvoiceAction.VOID): InvoiceStatus.VOIDED,
    int(InvoiceAction.CREDIT_NOTE): InvoiceStatus.CREDITED,
    int(InvoiceAction.PAID): InvoiceStatus.PAID,
}


_QUEUED = "id, kind, signer, lane_nonce, subject"


def _queued(row: tuple[Any, ...]) -> QueuedSubmission:
    sid, kind, signer, nonce, subject = row
    first = bytes.fromhex(subject[2:]) if subject else None
    return QueuedSubmission(str(sid), str(kind), str(signer), nonce, first)


def _lane_of(row: QueuedSubmission | None) -> tuple[str, str, int] | None:
    if row is None:
        return None
    lane = LANE_OF_KIND.get(row.kind)
    return None if lane is None or row.lane_nonce is None else (lane, row.signer, row.lane_nonce)


class Writer:
    """Drains the outbox into transactions from several sender keys: enterprise-signed
    submissions as they are, and records of enterprises whose keys it holds as
    ``registerSigned`` batches it has them sign."""

    def __init__(
        self,
        registry: IpRegistryContract,
        senders: list[TxSender],
        enterprises: dict[str, Signer],
        outbox: Outbox,
        *,
        traceability: TraceabilityContract | None = None,
        invoices: InvoiceRegistryContract | None = None,
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
        self.traceability = traceability
        self.in_flight: dict[str, _InFlight] = {}
        self.invoices = invoices
        # (lane, signer) → the next nonce to send in that lane
        self._lane_next: dict[tuple[str, str], int] = {}
        self._lane_checked: dict[tuple[str, str], float] = {}  # when the chain was last asked
        self._not_before: dict[str, float] = {}  # submission → when to look at it again
        self._next_sender = 0
        self._failovers = 0
        self.transactions = 0
        self.resubmitted = 0

    # --- recovery -------------------------------------------------------------------------

    def recover(self) -> None:
        """Settle what a previous run (or the node before a failover) left in flight, then
        take nonces from the node: what is in flight is rebuilt from the outbox."""
        self.in_flight.clear()
        self._lane_next.clear()
        self._failovers = self.client.rpc.failovers
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
            row = self.outbox.batch_submission(batch_id)
            if receipt is not None and int(receipt.get("status", "0x1"), 16) == 1:
                self._confirm(batch_id, row.id if row else None, receipt)
            elif receipt is None and tx is not None and address in self.by_address:
                # Still in the node's pool: keep waiting for it.
                self.in_flight[tx_hash] = _InFlight(
                    batch_id,
                    self.by_address[address],
                    nonce,
                    tx_hash,
                    raw,
                    time.monotonic(),
                    submission=row.id if row else None,
                    lane=_lane_of(row),
                )
            else:
                self._abandon(batch_id, "left unsettled by an earlier run", reverted=False)

    # --- the loop ---------------------------------------------------------------------------

    def run(
        self,
        on_progress: Callable[[dict[str, int]], None] | None = None,
        stop: Callable[[], bool] | None = None,
        *,
        follow: bool = False,
        idle_poll: float = 0.05,
    ) -> WriterStats:
        """Write until nothing is in flight and nothing queued can be sent (a trace batch
        waiting for its predecessor stays queued); with ``follow``, keep polling the outbox
        for new work every ``idle_poll`` seconds until ``stop`` says so."""
        started = time.perf_counter()
        confirmed_before = self.outbox.counts()["confirmed"]
        self.recover()
        outage = 0.0
        refused_in_a_row = 0
        while not (stop and stop()):
            try:
                if outage or self.client.rpc.failovers != self._failovers:
                    # The node may have restarted and lost its pool, or another zone's node
                    # took over, whose pool may lack what was sent before.
                    self.recover()
                    outage = 0.0
                attempted = self._fill_pipeline()
                if not self.in_flight:
                    if attempted:  # refused by the node and queued again: try again, at
                        # once the first time, then backing off while the node keeps refusing
                        refused_in_a_row += 1
                        if refused_in_a_row > 1:
                            time.sleep(min(0.01 * 2 ** min(refused_in_a_row, 8), 2.0))
                        continue
                    refused_in_a_row = 0
                    if not follow:
                        break
                    time.sleep(idle_poll)
                    continue
                refused_in_a_row = 0
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

    def _fill_pipeline(self) -> int:
        """Sign, persist and broadcast what fits in the pipeline; returns how many."""
        raws: list[tuple[_InFlight, str]] = []
        room = self.max_in_flight - len(self.in_flight)
        if room > 0:
            raws += [self._sign_submission(row) for row in self._next_submissions(room)]
        while len(self.in_flight) + len(raws) < self.max_in_flight:
            records = self.outbox.queued(self.batch_size)
            if not records:
                break
            raws.append(self._sign_and_persist(records))
        if not raws:
            return 0
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
        return len(raws)

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

    # --- enterprise-signed submissions ---------------------------------------------------

    def _next_submissions(self, room: int) -> list[QueuedSubmission]:
        """Queued submissions to send now: most in any order; those of a nonce lane (an
        enterprise's trace batches, an owner's transfers and licences) only from the nonce
        the chain expects next, without gaps."""
        picked: list[QueuedSubmission] = []
        now = time.monotonic()
        for row in self.outbox.queued_submissions(room * 4 + 64):
            kind, signer, nonce = row.kind, row.signer, row.lane_nonce
            if kind in AFTER_ISSUE and not self._invoice_issued(row, now):
                continue  # its invoice's issue is queued ahead of it
            lane = LANE_OF_KIND.get(kind)
            if lane is not None and nonce is not None:
                expected = self._expected_nonce(lane, signer)
                if nonce > expected and self._lane_moved(lane, signer, now):
                    expected = self._expected_nonce(lane, signer)
                if nonce > expected:
                    continue  # its predecessor has not arrived (or is not recorded) yet
                if nonce < expected:
                    if nonce < self._chain_nonce(lane, signer):
                        self._settle_used(row)
                    continue
                self._lane_next[(lane, signer)] = expected + 1
            picked.append(row)
            if len(picked) == room:
                break
        return picked

    def _invoice_issued(self, row: QueuedSubmission, now: float) -> bool:
        """Whether an invoice action or goods link may go: its invoice is on chain. While
        the issue is still queued it waits (looked at again every half second); with no
        issue anywhere it fails."""
        sid = row.id
        if self._not_before.get(sid, 0.0) > now:
            return False
        invoice_id = row.subject or self._submission(sid).record_ids[0]
        if self._invoices().invoice(invoice_id) is not None:
            self._not_before.pop(sid, None)
            return True
        if self.outbox.pending_issue(invoice_id) is not None:
            self._not_before[sid] = now + 0.5
            return False
        self.outbox.settle_submission(
            sid, "failed", error=f"invoice 0x{invoice_id.hex()} is not issued"
        )
        return False

    def _trace(self) -> TraceabilityContract:
        if self.traceability is None:
            raise RuntimeError("trace batches are queued: pass traceability= to the writer")
        return self.traceability

    def _invoices(self) -> InvoiceRegistryContract:
        if self.invoices is None:
            raise RuntimeError("invoice records are queued: pass invoices= to the writer")
        return self.invoices

    def _chain_nonce(self, lane: str, signer: str) -> int:
        if lane == "trace":
            return self._trace().nonce(signer)
        return self.registry.nonce(signer)

    def _lane_moved(self, lane: str, signer: str, now: float) -> bool:
        """Whether the chain took a lane's nonces past what this writer counted, by records
        sent some other way (another zone's relay, the CLI): looked at once a second per
        lane, while a submission waits for a nonce this writer thinks is still to come. The
        lane's count is then taken from the chain again."""
        key = (lane, signer)
        if self._lane_checked.get(key, 0.0) > now - 1.0:
            return False
        self._lane_checked[key] = now
        if self._chain_nonce(lane, signer) <= self._lane_next.get(key, 0):
            return False
        self._lane_next.pop(key, None)
        return True

    def _expected_nonce(self, lane: str, signer: str) -> int:
        key = (lane, signer)
        if key not in self._lane_next:
            flying = [
                f.lane[2] + 1 for f in self.in_flight.values() if f.lane and f.lane[:2] == key
            ]
            self._lane_next[key] = max([self._chain_nonce(lane, signer), *flying])
        return self._lane_next[key]

    def _submission(self, submission_id: str) -> Submission:
        """The queued submission, read again from the body it was received as."""
        body = self.outbox.submission_body(submission_id)
        addresses = {"IpRegistry": self.registry.address}
        if self.traceability is not None:
            addresses["Traceability"] = self.traceability.address
        if self.invoices is not None:
            addresses["InvoiceRegistry"] = self.invoices.address
        return build(read_submission(body, len(body)), self.client.chain_id, addresses, None, body)

    def _codec(self, contract: str) -> tuple[str, AbiCodec]:
        if contract == "Traceability":
            return self._trace().address, self._trace().codec
        if contract == "InvoiceRegistry":
            return self._invoices().address, self._invoices().codec
        return self.registry.address, self.registry.codec

    def _sign_submission(self, row: QueuedSubmission) -> tuple[_InFlight, str]:
        sid, kind, signer, nonce, _subject = row
        call = self.outbox.prepared_call(sid)
        if call is None:  # queued by an earlier version: encode it from its body
            sub = self._submission(sid)
            call = prepare_call(sub, self._codec(sub.call[0])[1])
        address = self._codec(call.contract)[0]
        lane = LANE_OF_KIND.get(kind)
        if lane is not None:
            # One sender per signer: its transaction nonces keep the lane in order.
            sender = self.senders[int(signer[2:10], 16) % len(self.senders)]
        else:
            sender = self.senders[self._next_sender % len(self.senders)]
            self._next_sender += 1
        raw, tx_nonce, tx_hash = sender.sign(address, call.calldata, call.gas)
        batch_id = self.outbox.mark_submission_sent(sid, sender.address, tx_nonce, tx_hash, raw)
        flight = _InFlight(
            batch_id,
            sender,
            tx_nonce,
            tx_hash,
            "0x" + raw.hex(),
            time.monotonic(),
            submission=sid,
            lane=(lane, signer, nonce) if lane is not None and nonce is not None else None,
        )
        return flight, flight.raw

    def _located(self, sub: Submission) -> tuple[int, str, int] | None:
        """Where the chain recorded ``sub`` (its first record, by its signer), if it did."""
        contract, event, signer_topic = _EVENT_OF_KIND[sub.kind]
        address, codec = self._codec(contract)
        topics: list[str | None] = [codec.event_topic(event), "0x" + sub.record_ids[0].hex()]
        if signer_topic:
            topics += [None] * (signer_topic - 2) + ["0x" + "00" * 12 + sub.signer[2:].lower()]
        logs = self.client.rpc.call(
            "eth_getLogs", [{"address": address, "topics": topics, "fromBlock": "0x0"}]
        )
        if not logs:
            return None
        last = logs[-1]
        return int(last["blockNumber"], 16), last["transactionHash"], int(last["logIndex"], 16)

    def _recorded(self, sub: Submission) -> bool:
        """Whether the chain holds what ``sub`` records (asked of the chain, never of the
        outbox); for a nonce lane, whether its nonce is used (by it or by another message)."""
        lane = sub.lane
        if lane is not None and sub.lane_nonce is not None:
            return sub.lane_nonce < self._chain_nonce(lane, sub.signer)
        if sub.kind == "ip-batch":
            ids = ["0x" + i.hex() for i in sub.record_ids]
            return self.registry.registered(ids) == set(ids)
        invoice = self._invoices().invoice(sub.record_ids[0])
        if invoice is None or invoice.seller != sub.signer:
            return False
        if sub.kind == "invoice-issue":
            return True
        if sub.kind == "invoice-goods":
            return bool(invoice.consignment_id == sub.call[2][1])
        return invoice.status == _STATUS_AFTER[int(sub.call[2][1])]

    def _settle_used(self, row: QueuedSubmission, batch_id: int | None = None) -> None:
        """A lane message whose nonce the chain has used: recorded (find where), or beaten
        to it by another message of the signer with the same nonce."""
        sid, kind, signer, nonce, _subject = row
        location = self._located(self._submission(sid))
        if location is not None:
            self.outbox.settle_submission(sid, "confirmed", location=location, batch_id=batch_id)
        else:
            self.outbox.settle_submission(
                sid,
                "failed",
                error=f"nonce {nonce} of {signer} was used by another {kind} message",
                batch_id=batch_id,
            )

    def _confirm(self, batch_id: int, submission: str | None, receipt: dict[str, Any]) -> None:
        if submission is None:
            self.outbox.confirm(batch_id)
            return
        self._not_before.clear()  # what waited for this one may go now
        logs = receipt.get("logs") or []
        location = (
            int(receipt["blockNumber"], 16),
            str(receipt["transactionHash"]),
            int(logs[0]["logIndex"], 16) if logs else 0,
        )
        self.outbox.settle_submission(submission, "confirmed", location=location, batch_id=batch_id)

    def _abandon_submission(self, batch_id: int, row: QueuedSubmission, reverted: bool) -> None:
        """Settle a submission whose transaction failed or vanished: recorded after all
        (confirmed), refused for good by the contract (failed, with its error), or queued
        again."""
        sid, kind, signer, nonce, _subject = row
        sub = self._submission(sid)
        lane = LANE_OF_KIND.get(kind)
        if lane is not None:
            self._lane_next.pop((lane, signer), None)
        if self._recorded(sub):
            if lane is not None:
                self._settle_used(row, batch_id)
            else:
                location = self._located(sub)
                self.outbox.settle_submission(
                    sid, "confirmed", location=location, batch_id=batch_id
                )
            return
        if reverted:
            contract, function, args = sub.call
            address, codec = self._codec(contract)
            try:
                self.client.call(
                    address, codec.encode_call(function, *args), sender=self.senders[0].address
                )
            except ContractRevert as exc:
                # A lane message behind a predecessor that is not on chain yet waits for it;
                # anything else the contract refuses is final.
                ahead = (
                    lane is not None
                    and nonce is not None
                    and (nonce > self._chain_nonce(lane, signer))
                )
                if not ahead:
                    self.outbox.settle_submission(sid, "failed", error=str(exc), batch_id=batch_id)
                    log.warning("submission %s failed: %s", sid, exc)
                    return
        self.outbox.settle_submission(sid, "queued", batch_id=batch_id)
        self.resubmitted += len(sub.record_ids)

    def _send(self, raws: list[str]) -> list[str | None]:
        """Broadcast in one JSON-RPC batch; per transaction None (in flight) or the node's
        error. "already known" means the node has this very transaction. An answer that
        leaves a transaction out says nothing either way: it is kept in flight, and its
        receipt, or the stall check (which finds it pending or gone from the node), settles
        it; taken as refused, its record would be sent again while the first transaction
        may still be mined."""
        outcomes = self.client.rpc.batch_outcomes([("eth_sendRawTransaction", [r]) for r in raws])
        return [
            None
            if not isinstance(o, RpcError)
            or isinstance(o, RpcNoAnswer)
            or "already known" in o.rpc_message.lower()
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
                self._confirm(flight.batch_id, flight.submission, receipt)
            else:
                self._abandon(flight.batch_id, "reverted", reverted=True)
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

    def _abandon(self, batch_id: int, why: str, reverted: bool = False) -> None:
        row = self.outbox.batch_submission(batch_id)
        if row is not None:
            log.info("submission %s %s", row.id, why)
            self._abandon_submission(batch_id, row, reverted)
            return
        ids = self.outbox.record_ids(batch_id)
        on_chain = self._registered(ids)
        requeued = self.outbox.abandon(batch_id, on_chain)
        self.resubmitted += requeued
        log.info("batch %d %s: %d records queued again", batch_id, why, requeued)

    def _registered(self, ids: list[str]) -> set[str]:
        """Which of ``ids`` the chain holds (asked of the chain, never of the outbox)."""
        return self.registry.registered(ids)

    def _receipts(self, hashes: list[str]) -> list[dict[str, Any] | None]:
        if not hashes:
            return []
        return list(self.client.rpc.batch([("eth_getTransactionReceipt", [h]) for h in hashes]))
