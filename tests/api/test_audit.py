"""The audit trail of privileged reads, over HTTP and against the chain: reads recorded with
the answer's digest, read back by auditors and by the enterprise whose records they were,
the head committed with `ftz audit commit`, and `ftz audit verify` naming the entry that was
edited, deleted, moved or rewritten."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sqlite3
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, create_engine, select

from ftzchain.audit import entry_hash
from ftzchain.devnet import dev_private_key
from ftzchain.domain import role_id, zone_id
from ftzchain.enums import GovernanceAction as Action
from ftzchain.signing import Keystore, LocalSigner
from indexer.api_tables import AuditEntry
from tests.api.conftest import Served
from tests.api.signin import bearer
from tests.indexer.helpers import fresh_db, indexer_for
from tests.serving import FTZ

PASSWORD = "audit-test"


def _entries(db_url: str, **where: str) -> list[AuditEntry]:
    engine = create_engine(db_url)
    try:
        with Session(engine) as session:
            query = select(AuditEntry).order_by(col(AuditEntry.seq))
            for name, value in where.items():
                query = query.where(getattr(AuditEntry, name) == value)
            return list(session.exec(query).all())
    finally:
        engine.dispose()


def test_privileged_reads_are_recorded_and_read_back(served: Served) -> None:
    world = served.world
    url = f"{served.base}/v1/customs/declarations/API-DEC-1"
    customs = bearer(served.base, world.customs.signer)
    answer = httpx.get(url, headers=customs)
    assert answer.status_code == 200
    (entry,) = _entries(served.db_url, caller=world.customs.address.lower())[-1:]
    assert entry.operation == "GET /v1/customs/declarations/{number}"
    assert entry.target == "/v1/customs/declarations/API-DEC-1" and entry.zone == "CN-SH"
    assert entry.roles == "CUSTOMS@CN-SH"
    assert entry.answer_digest == "0x" + hashlib.sha256(answer.content).hexdigest()
    # Nothing privileged, nothing recorded: an anonymous read, a public answer.
    before = len(_entries(served.db_url))
    work = f"{served.base}/v1/ip/0x{served.registered.hex()}"
    assert httpx.get(work).status_code == 200
    assert len(_entries(served.db_url)) == before
    # A court reads the owner's registration; the owner sees who looked.
    assert httpx.get(work, headers=bearer(served.base, world.court.signer)).status_code == 200
    owner = bearer(served.base, world.sh_enterprise)
    mine = _all_pages(f"{served.base}/v1/audit/mine", owner)
    assert any(
        e["caller"] == world.court.address.lower() and e["operation"] == "GET /v1/ip/{sha256}"
        for e in mine
    )
    assert all(world.sh_enterprise.address.lower() in e["owners"] for e in mine)
    # The whole trail: for auditors (and the committee), not for the customs officer.
    auditor = LocalSigner.generate()
    world.ctx.governance.decide(
        world.committee[:2],
        Action.GRANT_ROLE,
        role=role_id("AUDITOR"),
        account=auditor.address,
        zone_id=zone_id("CN-SH"),
    )
    indexer_for(world, fresh_db(served.db_url)).sync()
    trail = httpx.get(f"{served.base}/v1/audit/entries", headers=bearer(served.base, auditor))
    assert trail.status_code == 200
    seqs = [e["seq"] for e in trail.json()["entries"]]
    assert seqs == list(range(1, len(seqs) + 1))
    refused = httpx.get(f"{served.base}/v1/audit/entries", headers=customs)
    assert refused.status_code == 403


def _all_pages(url: str, headers: dict[str, str]) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = []
    after: int | None = 0
    while after is not None:
        page = httpx.get(url, params={"after": after, "limit": 1000}, headers=headers).json()
        entries += page["entries"]
        after = page["next_after"]
    return entries


def test_concurrent_privileged_reads_are_each_recorded_once_in_one_chain(
    served_on: Served,
) -> None:
    """50 clients at once, on SQLite and PostgreSQL (where the sessions are read from the
    event loop over a pool of four connections)."""
    from ftzchain.cli.audit import check_trail

    served = served_on

    customs = bearer(served.base, served.world.customs.signer)
    before = len(_entries(served.db_url))
    url = f"{served.base}/v1/customs/declarations/API-DEC-1"
    with ThreadPoolExecutor(50) as pool:
        statuses = list(
            pool.map(lambda _: httpx.get(url, headers=customs, timeout=60).status_code, range(200))
        )
    assert statuses.count(200) + statuses.count(503) == 200 and statuses.count(200) > 0
    rows = [e.model_dump() for e in _entries(served.db_url)]
    assert len(rows) - before == statuses.count(200)  # one entry per answer, none for a 503
    assert check_trail(rows, []) == (None, 0)


_FIELDS = {
    "at_ms": 1,
    "caller": "0x" + "ab" * 20,
    "roles": "CUSTOMS@CN-SH",
    "zone": "CN-SH",
    "operation": "GET /v1/customs/declarations/{number}",
    "target": "/v1/customs/declarations/X",
    "body_digest": None,
    "owners": "",
}


def _append_many(url: str, process: int, count: int, start: Any) -> None:
    from api.audit import AuditWriter

    writer = AuditWriter(url, max_batch=3)  # small batches: many turns at the write lock
    start.wait(60)  # every process imported and ready: they append at the same time
    done = [
        writer.submit({**_FIELDS, "answer_digest": "0x" + f"{process:02x}{i:062x}"})
        for i in range(count)
    ]
    for each in done:
        each.result(timeout=120)
    writer.close()


def test_writers_in_several_processes_take_turns_in_one_chain(db_url: str) -> None:
    """Three server processes appending at once (on SQLite and PostgreSQL): every entry once,
    numbered without gaps, each chained to the one before it."""
    from ftzchain.cli.audit import check_trail
    from indexer.db import migrate

    migrate(db_url)
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(3)
    workers = [spawn.Process(target=_append_many, args=(db_url, p, 400, start)) for p in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(180)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    rows = [e.model_dump() for e in _entries(db_url)]
    assert [r["seq"] for r in rows] == list(range(1, 1201))
    assert len({r["answer_digest"] for r in rows}) == 1200
    assert check_trail(rows, []) == (None, 0)


def test_a_writer_whose_last_head_is_stale_chains_after_the_true_head(db_url: str) -> None:
    """On PostgreSQL a writer appends after the head it committed last, in one round trip;
    when another writer appended since, the primary key refuses that, and it reads the head.
    Alternating writers (SQLite and PostgreSQL): one chain, no gap, nothing lost."""
    from api.audit import AuditWriter
    from ftzchain.cli.audit import check_trail
    from indexer.db import migrate

    migrate(db_url)
    # The request's own text is bound into the SQL: quotes, placeholders and statement ends too.
    hostile = "/v1/x?q=%27'); DROP TABLE audit_entry; -- %s %(seq)s \\' 区"
    one, two = AuditWriter(db_url), AuditWriter(db_url)
    try:
        for i, writer in enumerate([one, one, two, one, two, two, one]):
            fields = {**_FIELDS, "target": f"{hostile}{i}", "answer_digest": "0x" + f"{i:064x}"}
            writer.submit(fields).result(30)
    finally:
        one.close()
        two.close()
    rows = [e.model_dump() for e in _entries(db_url)]
    assert [r["seq"] for r in rows] == list(range(1, 8))
    assert [int(r["answer_digest"], 16) for r in rows] == list(range(7))
    assert [r["target"] for r in rows] == [f"{hostile}{i}" for i in range(7)]
    assert check_trail(rows, []) == (None, 0)


def test_a_guarded_entry_is_appended_only_if_its_guard_holds(db_url: str) -> None:
    """An entry may come with a guard the appender checks in its transaction (the session of
    a read served before it was confirmed: api/auth.py). Queued together, on SQLite and
    PostgreSQL: an entry whose guard fails is left out and said to be, the unguarded ones are
    appended in order, and the chain has no gap. (On PostgreSQL a failed guard leaves out
    every guarded entry of its batch, which the reads behind them then confirm apart.)"""
    import asyncio

    from api.audit import AuditWriter, Guard
    from ftzchain.cli.audit import check_trail
    from indexer.db import migrate

    migrate(db_url)
    fails, holds = Guard("SELECT 0", {}), Guard("SELECT 1", {})
    writer = AuditWriter(db_url)

    async def appended() -> list[bool]:
        return await asyncio.gather(
            *(
                writer.record({**_FIELDS, "answer_digest": "0x" + f"{i:064x}"}, guard)
                for i, guard in enumerate([None, fails, None, holds, fails])
            )
        )

    try:
        done = asyncio.run(appended())
        assert done[:3] == [True, False, True] and done[4] is False
        if "sqlite" in db_url:
            assert done[3] is True
        assert writer.submit({**_FIELDS, "answer_digest": "0x" + f"{5:064x}"}).result(30) is None
    finally:
        writer.close()
    rows = [e.model_dump() for e in _entries(db_url)]
    assert [int(r["answer_digest"], 16) for r in rows] == [i for i in range(5) if done[i]] + [5]
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    assert check_trail(rows, []) == (None, 0)


def test_a_guard_is_prepared_on_each_connection_the_writer_opens(
    db_factory: Callable[[], str],
) -> None:
    """On PostgreSQL a guard is a statement prepared on the writer's connection the first
    time it is met, its values sent at each append: the same guard holds for one value and
    not for another. When the connection is lost (its server process terminated), the
    batch on it fails and the next one, on a new connection, prepares the guard again there
    instead of calling a statement that connection never had."""
    import asyncio

    import psycopg

    from api.audit import AuditWriter, Guard
    from ftzchain.cli.audit import check_trail
    from indexer.db import migrate

    url = db_factory()
    if "postgresql" not in url:
        pytest.skip("prepared guards are PostgreSQL's (SQLite reads each in its transaction)")
    migrate(url)
    nonzero = "SELECT %(n)s::int"  # holds unless n is 0
    writer = AuditWriter(url)

    def record(i: int, n: int) -> bool:
        fields = {**_FIELDS, "answer_digest": "0x" + f"{i:064x}"}
        return asyncio.run(writer.record(fields, Guard(nonzero, {"n": n})))

    try:
        assert [record(0, 1), record(1, 0), record(2, 7)] == [True, False, True]
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as other:
            ended = other.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()
        assert ended == [(True,)]  # the writer's one connection
        with pytest.raises(psycopg.OperationalError):
            record(3, 1)
        assert [record(4, 1), record(5, 0)] == [True, False]
    finally:
        writer.close()
    rows = [e.model_dump() for e in _entries(url)]
    assert [int(r["answer_digest"], 16) for r in rows] == [0, 2, 4]
    assert check_trail(rows, []) == (None, 0)


def _copy(db_url: str, to: Path) -> str:
    """A consistent copy of the served (WAL) database, to tamper with."""
    source = sqlite3.connect(db_url.removeprefix("sqlite:///"))
    target = sqlite3.connect(to)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return f"sqlite:///{to}"


def _edit(url: str) -> Callable[[str], None]:
    def run(sql: str) -> None:
        db = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            db.executescript(sql)
            db.commit()
        finally:
            db.close()

    return run


def _rehash_from(url: str, seq: int) -> None:
    """The careful forger: after editing entry ``seq``, recompute every hash from it on."""
    engine = create_engine(url)
    with Session(engine) as session:
        rows = session.exec(select(AuditEntry).order_by(col(AuditEntry.seq))).all()
        prev = rows[seq - 2].hash if seq > 1 else "0x" + "00" * 32
        for row in rows[seq - 1 :]:
            row.prev_hash = prev
            row.hash = entry_hash(prev, row.model_dump())
            prev = row.hash
            session.add(row)
        session.commit()
    engine.dispose()


def test_ftz_audit_verify_names_the_tampered_entry(served: Served, tmp_path: Path) -> None:
    world = served.world
    # A few privileged reads, so the trail has entries to commit and to tamper with.
    customs = bearer(served.base, world.customs.signer)
    for _ in range(3):
        httpx.get(f"{served.base}/v1/customs/declarations/API-DEC-1", headers=customs)
    state = Path(world.ctx.settings.state_dir)
    Keystore(state / "keystore", scrypt_n=2**10).create(
        "audit-node",
        PASSWORD,
        dev_private_key(4),  # the CN-SH zone node's key
    )
    env = {
        **os.environ,
        "FTZ_STATE_DIR": str(state),
        "FTZ_RPC_URL": world.node.url,
        "FTZ_CHAIN_ID": str(world.node.chain_id),
        "FTZ_DATABASE_URL": served.db_url,
        "FTZ_ZONE": "CN-SH",
        "FTZ_KEYSTORE_PASSWORD": PASSWORD,
    }

    def ftz(*args: str, db: str = served.db_url) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [FTZ, "audit", *args],
            env={**env, "FTZ_DATABASE_URL": db},
            capture_output=True,
            text=True,
            timeout=120,
        )

    committed = ftz("commit", "--sender", "audit-node")
    assert committed.returncode == 0, committed.stderr
    assert "committed entry" in committed.stdout
    head = len(_entries(served.db_url))
    assert world.ctx.audit_trail.head_of(zone_id("CN-SH"))[0] >= head - 1
    ok = ftz("verify")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "holds" in ok.stdout

    copy = _copy(served.db_url, tmp_path / "tampered.db")
    entries = _entries(copy)
    middle = entries[len(entries) // 2].seq
    cases = {
        "edited": f"UPDATE audit_entry SET target = '/v1/other' WHERE seq = {middle};",
        "deleted": f"DELETE FROM audit_entry WHERE seq = {middle};",
        "moved": (
            f"UPDATE audit_entry SET seq = -1 WHERE seq = {middle};"
            f"UPDATE audit_entry SET seq = {middle} WHERE seq = {middle + 1};"
            f"UPDATE audit_entry SET seq = {middle + 1} WHERE seq = -1;"
        ),
    }
    for what, sql in cases.items():
        db = _copy(served.db_url, tmp_path / f"{what}.db")
        _edit(db)(sql)
        refused = ftz("verify", db=db)
        assert refused.returncode == 1, f"{what}: {refused.stdout}"
        assert f"broken at entry {middle}" in refused.stdout, f"{what}: {refused.stdout}"
    # Edited, then every later hash recomputed: the chain holds, the commitment does not.
    forged = _copy(served.db_url, tmp_path / "forged.db")
    _edit(forged)(f"UPDATE audit_entry SET caller = '0x{'00' * 20}' WHERE seq = {middle};")
    _rehash_from(forged, middle)
    refused = ftz("verify", db=forged)
    assert refused.returncode == 1 and "differs from its commitment" in refused.stdout


@pytest.mark.parametrize("path", ["/v1/audit/entries", "/v1/audit/mine"])
def test_the_trail_is_not_for_anonymous_callers(served: Served, path: str) -> None:
    assert httpx.get(f"{served.base}{path}").status_code == 401
