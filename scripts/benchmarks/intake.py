"""`scripts/bench intake`: enterprise clients submit EPCIS documents over HTTP to one zone node.

Each of ``--clients`` enterprises (bound to CN-SH) takes documents of ``--doc-events`` events,
asks the zone for their typed data (``POST /v1/trace/items``, with the next nonce of its own
count so it need not wait), signs the TraceBatch, and posts it (``POST /v1/submissions``);
`ftz serve` validates and queues, `ftz relay` (its own process, one zone-node key per
enterprise lane) sends. Events/s counts events confirmed on chain (checked from the chain's
logs) over the wall time from the first request to the last confirmation.

The baseline is a naive intake on the same servers in the same run: one client, one document
at a time, each posted and waited for until confirmed before the next (one document, one
transaction, wait).
With ``--block-time S`` the node mines every S seconds (the zone network's Clique validators
mine every second) instead of one block per transaction, for both runs.

The clients sign with this project's EIP-712 digest (``trace_batch_digest``), which the test
suite checks equal to eth_account's and ethers' typed-data signing: on this one machine the
clients share the two cores with the node and the servers, and a real enterprise signs on
its own machine.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from ftzchain.devnet import dev_private_key, free_port, wait_for_http
from ftzchain.sandbox import NetworkPlan, apply_plan, epcis_document
from ftzchain.signing import Keystore, LocalSigner
from ftzchain.submission import trace_item_from_message, trace_item_message
from ftzchain.trace import trace_batch_digest

from .harness import BENCH_CONSORTIUM_KEY, SH, Result, fresh_bench, median_p95, tree_cpu_s

log = logging.getLogger("bench")

_PASSWORD = "bench-intake"


class Client:
    """One enterprise's system: prepares, signs and posts documents."""

    def __init__(self, base: str, enterprise: LocalSigner, chain_id: int, contract: str) -> None:
        import httpx

        from ftzchain.cli.intake import sign_in

        # The /items endpoints answer the zone's signed-in enterprises (Sign-In with Ethereum).
        self.http = httpx.Client(base_url=base, timeout=120, headers=sign_in(base, enterprise))
        self.enterprise = enterprise
        self.chain_id = chain_id
        self.contract = contract
        self.submit_ms: list[float] = []
        self.ids: list[str] = []
        self.event_ids: list[str] = []

    def post_document(self, document: dict[str, Any], nonce: int) -> str:
        r = self.http.post(
            "/v1/trace/items",
            json={"enterprise": self.enterprise.address, "document": document, "nonce": nonce},
        )
        r.raise_for_status()
        message = r.json()["typedData"]["message"]
        items = [trace_item_from_message(e) for e in message["events"]]
        if [trace_item_message(i) for i in items] != message["events"]:
            raise RuntimeError("the events do not round-trip")
        digest = trace_batch_digest(
            self.enterprise.address,
            SH,
            items,
            nonce,
            message["deadline"],
            self.chain_id,
            self.contract,
        )
        body = {
            "kind": "trace-batch",
            "message": message,
            "signature": "0x" + self.enterprise.sign_digest_unsafe(digest).hex(),
            "document": document,
        }
        started = time.perf_counter()
        posted = self.http.post("/v1/submissions", json=body)
        self.submit_ms.append((time.perf_counter() - started) * 1000)
        if posted.status_code != 202:
            raise RuntimeError(f"submission refused: {posted.status_code} {posted.text[:300]}")
        submission_id: str = posted.json()["id"]
        self.ids.append(submission_id)
        self.event_ids += [e["eventId"] for e in message["events"]]
        return submission_id

    def wait(self, submission_id: str, timeout: float = 600) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            status: dict[str, Any] = self.http.get(f"/v1/submissions/{submission_id}").json()
            if status["state"] == "confirmed":
                return status
            if status["state"] == "failed":
                raise RuntimeError(f"submission {submission_id} failed: {status['error']}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"submission {submission_id} not confirmed in {timeout} s")
            time.sleep(0.02)


def _cpu(server: int, relay: int, node: int) -> dict[str, float]:
    return {
        "API": tree_cpu_s(server),
        "relay": tree_cpu_s(relay),
        "node": tree_cpu_s(node),
        "clients": time.process_time(),
    }


def _events_on_chain(ctx: Any, from_block: int) -> dict[str, int]:
    """TraceEventRecorded logs per event id since ``from_block``, straight from the chain."""
    topic = ctx.traceability.codec.event_topic("TraceEventRecorded")
    logs = ctx.client.rpc.call(
        "eth_getLogs",
        [{"address": ctx.traceability.address, "topics": [topic], "fromBlock": hex(from_block)}],
    )
    counts: dict[str, int] = {}
    for entry in logs:
        counts[entry["topics"][1]] = counts.get(entry["topics"][1], 0) + 1
    return counts


def bench_intake(args: argparse.Namespace) -> Result:
    from indexer.db import migrate

    clients_n, per_doc = args.clients, args.doc_events
    docs_per_client = max(1, args.intake_events // (clients_n * per_doc))
    total = docs_per_client * clients_n * per_doc
    with tempfile.TemporaryDirectory() as state:
        bench = fresh_bench(args.node, Path(state), args.block_time or None)
        relay_log = Path(state) / "relay.log"  # shown if the run fails
        ctx = bench.ctx
        procs: list[subprocess.Popen[bytes]] = []
        try:
            enterprises = [LocalSigner.generate() for _ in range(clients_n + 1)]
            node_keys = [LocalSigner.from_key(dev_private_key(i)) for i in range(2, 2 + clients_n)]
            apply_plan(
                ctx.governance,
                [bench.admin],
                NetworkPlan(
                    roles=[("ZONE_NODE", k.address, "CN-SH") for k in node_keys],
                    enterprises=[(e.address, "CN-SH") for e in enterprises],
                ),
            )
            keystore = Keystore(Path(state) / "keystore", scrypt_n=2**10)
            for i, key in enumerate(node_keys):
                keystore.create(f"zone-{i}", _PASSWORD, key.private_key)
            url = f"sqlite:///{Path(state) / 'intake.db'}"
            migrate(url)
            env = {
                **os.environ,
                "FTZ_DATABASE_URL": url,
                "FTZ_CHAIN_ID": str(ctx.client.chain_id),
                "FTZ_RPC_URL": bench.node.url,
                "FTZ_STATE_DIR": state,
                "FTZ_CONSORTIUM_KEY": BENCH_CONSORTIUM_KEY,
                "FTZ_ZONE": "CN-SH",
                "FTZ_KEYSTORE_PASSWORD": _PASSWORD,
                "FTZ_RATE_LIMIT_PER_MINUTE": "0",
            }
            ftz = str(Path(sys.executable).with_name("ftz"))
            # The enterprises' bindings, which the API reads callers' standing from.
            subprocess.run([ftz, "index"], env=env, check=True, capture_output=True)
            port = free_port()
            server = subprocess.Popen(
                [ftz, "serve", "--port", str(port), "--workers", str(args.api_workers)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            procs.append(server)
            relay_cmd = [ftz, "relay"]
            for i in range(clients_n):
                relay_cmd += ["--sender", f"zone-{i}"]
            with relay_log.open("wb") as out:
                procs.append(
                    subprocess.Popen(relay_cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
                )
            base = f"http://127.0.0.1:{port}"
            wait_for_http(f"{base}/healthz", server)
            chain_id, contract = ctx.client.chain_id, ctx.traceability.address
            start_block = ctx.client.block_number() + 1

            # Baseline: one document, one transaction, wait.
            naive = Client(base, enterprises[-1], chain_id, contract)
            naive.wait(naive.post_document(epcis_document("warm-up", 10), 0))
            baseline_docs = max(1, args.intake_baseline_docs)
            print(f"baseline: {baseline_docs} documents of {per_doc} events, one at a time")
            started = time.perf_counter()
            for k in range(baseline_docs):
                naive.wait(naive.post_document(epcis_document(f"naive {k}", per_doc), k + 1))
            baseline_s = time.perf_counter() - started
            baseline = baseline_docs * per_doc / baseline_s
            print(f"  {baseline_docs * per_doc} events in {baseline_s:.2f} s: {baseline:,.0f}/s")

            # The run: concurrent clients, each posting its documents without waiting.
            documents = {
                j: [epcis_document(f"client {j} doc {k}", per_doc) for k in range(docs_per_client)]
                for j in range(clients_n)
            }
            clients = [Client(base, enterprises[j], chain_id, contract) for j in range(clients_n)]
            errors: list[BaseException] = []

            def run(j: int) -> None:
                try:
                    for k, document in enumerate(documents[j]):
                        clients[j].post_document(document, k)
                except BaseException as exc:
                    errors.append(exc)

            cpu_before = _cpu(server.pid, procs[1].pid, bench.node.process.pid)
            print(
                f"run: {clients_n} clients x {docs_per_client} documents x {per_doc} events "
                f"= {total:,} events; {args.api_workers} API worker(s), relay with "
                f"{clients_n} key(s)"
            )
            started = time.perf_counter()
            threads = [threading.Thread(target=run, args=(j,)) for j in range(clients_n)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if errors:
                raise errors[0]
            submitted_s = time.perf_counter() - started
            for c in clients:
                for submission_id in c.ids:
                    c.wait(submission_id)
            wall = time.perf_counter() - started
            cpu = {
                name: after - cpu_before[name]
                for name, after in _cpu(server.pid, procs[1].pid, bench.node.process.pid).items()
            }
            counts = _events_on_chain(ctx, start_block)
            ours_ids = [i for c in clients for i in c.event_ids]
            missing = [i for i in ours_ids if counts.get(i) != 1]
            if len(set(ours_ids)) != total:
                raise RuntimeError("the documents did not hold distinct events")
            if missing:
                raise RuntimeError(f"{len(missing)} events not on chain exactly once")
            rate = total / wall
            _p50, p95 = median_p95([ms for c in clients for ms in c.submit_ms])
            print(
                f"  all posted in {submitted_s:.2f} s; {total:,} events confirmed in "
                f"{wall:.2f} s: {rate:,.0f} events/s; POST /v1/submissions p95 {p95:.0f} ms; "
                f"every event checked on chain exactly once"
            )
            print(
                "  CPU seconds during the run: "
                + ", ".join(f"{name} {seconds:.1f}" for name, seconds in cpu.items())
            )
        except BaseException:
            if relay_log.exists():
                tail = relay_log.read_text(errors="replace").splitlines()[-40:]
                print("the relay's last lines:", *tail, sep="\n  ", file=sys.stderr)
            raise
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(20)
            ctx.close()
            bench.node.stop()
    ratio = rate / baseline
    figures: dict[str, float | int | str] = {
        "events_per_s": round(rate, 1),
        "submit_p95_ms": round(p95, 1),
        "baseline_events_per_s": round(baseline, 1),
        "ratio": round(ratio, 1),
        "events": total,
        "clients": clients_n,
        "api_workers": args.api_workers,
        "node": args.node,
        "block_time_s": args.block_time,
    }
    return Result(
        "intake",
        figures,
        headline=f"{rate:,.0f} confirmed events/s, submit p95 {p95:.0f} ms",
        baseline=f"{baseline:,.0f} events/s (one document, one tx, wait)",
        ratio=f"{ratio:.1f}",
    )
