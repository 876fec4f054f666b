"""The FTZ Chain demo: a local chain, contracts, governance, one IP record, two supply chains
across six zones (EPCIS events, custody, customs, certificates of origin), indexer and API,
plus an anchor chain, a court evidence bundle and its certificate.

Run through `make demo`. Everything lives under .ftz/demo and is started afresh each run; Ctrl-C
stops the chains, the indexer, the anchorer and the API.

With `--network CN-SH,CN-AH,CN-JS` (`make demo-network`) the chain is a zone network instead:
one geth Clique validator per zone (1 s blocks), the demo written through the first zone's
node, and every zone running its own indexer (SQLite), API and validator agent, each with the
other zones' nodes as fallbacks. Its evidence bundle carries the validators' Clique seals.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import demo_goods  # scripts/ is on sys.path when this runs as a script
import demo_invoices

from ftzchain import network as net
from ftzchain.context import FtzContext
from ftzchain.deploy import deploy
from ftzchain.devnet import LocalNode, dev_private_key, free_port, start_node, wait_for_http
from ftzchain.domain import WorkType, sha256_file, zone_id
from ftzchain.errors import ToolchainError
from ftzchain.network import ZoneNetwork
from ftzchain.sandbox import NetworkPlan, apply_plan
from ftzchain.settings import FtzSettings
from ftzchain.signing import LocalSigner
from ftzchain.trace import trace_items

log = logging.getLogger("demo")
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STATE = ROOT / ".ftz" / "demo"
PASSWORD = "demo-password"  # demo keystores only
ANCHOR_CHAIN_ID = 1_234_321
CONSORTIUM_KEY = "64656d6f2d636f6e736f727469756d2d6b6579"  # "demo-consortium-key": demo only
SAMPLE = ROOT / "scripts" / "demo-data" / "sample-work.md"
EPCIS_SAMPLE = ROOT / "scripts" / "demo-data" / "auto-parts.epcis.json"


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


class ZoneChain:
    """The demo's chain: one anvil, or a zone network (one Clique validator per zone)."""

    def __init__(self, entry: LocalNode, network: ZoneNetwork | None) -> None:
        self.entry = entry  # the node the demo writes through
        self.network = network

    @classmethod
    def anvil(cls, state: Path, port: int) -> ZoneChain:
        return cls(start_node("anvil", ROOT, port=port, log_file=state / "anvil.log"), None)

    @classmethod
    def start(cls, state: Path, zones: str) -> ZoneChain:
        codes = net.parse_zones(zones)
        network = net.create_network(ROOT, state / "network", codes)
        started = [net.start_zone_node(ROOT, network, zone) for zone in codes]
        net.start_sealing(network)
        log.info("zone network up: %s, a block every %d s", network.zones(), network.period)
        return cls(started[0], network)

    def serve(
        self, ftz: str, env: dict[str, str], api_port: int, children: list[subprocess.Popen[bytes]]
    ) -> list[tuple[str, str, subprocess.Popen[bytes]]]:
        """Start each zone's indexer and API (and validator agent); (zone, API URL, API
        process) each."""
        if self.network is None:
            children.append(subprocess.Popen([ftz, "index", "--follow"], env=env))
            children.append(_api(ftz, env, api_port, Path(env["FTZ_STATE_DIR"]) / "api.log"))
            return [("", f"http://127.0.0.1:{api_port}", children[-1])]
        apis = []
        state = Path(env["FTZ_STATE_DIR"])
        for i, node in enumerate(self.network.nodes):
            others = ",".join(o.url for o in self.network.nodes if o is not node)
            zone_env = {
                **env,
                "FTZ_RPC_URL": node.url,
                "FTZ_RPC_FALLBACK_URLS": others,
                "FTZ_DATABASE_URL": f"sqlite:///{state / f'index-{node.zone}.db'}",
                "FTZ_ZONE": node.zone,
            }
            subprocess.run([ftz, "index"], env=zone_env, check=True, capture_output=True)
            port = api_port if i == 0 else free_port()
            children.append(subprocess.Popen([ftz, "index", "--follow"], env=zone_env))
            children.append(_api(ftz, zone_env, port, state / f"api-{node.zone}.log"))
            agent = [ftz, "network", "agent", "--zone", node.zone]
            children.append(
                subprocess.Popen([*agent, "--network-dir", self.network.workdir], env=zone_env)
            )
            apis.append((node.zone, f"http://127.0.0.1:{port}", children[-2]))
        return apis

    def stop(self) -> None:
        if self.network is None:
            self.entry.stop()
            return
        for node in self.network.nodes:
            net.stop_zone_node(self.network, node.zone)


def _api(ftz: str, env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [ftz, "serve", "--port", str(port)],
        env=env,
        stdout=log_path.open("ab"),
        stderr=subprocess.STDOUT,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api-port", type=int, default=8000, help="API/portal port (default 8000)")
    parser.add_argument("--chain-port", type=int, default=8545, help="anvil port (default 8545)")
    parser.add_argument("--no-serve", action="store_true", help="set up, index once, and exit")
    parser.add_argument(
        "--network",
        metavar="ZONES",
        help="run on a zone network of these validator zones (e.g. CN-SH,CN-AH,CN-JS) "
        "instead of one anvil; state in .ftz/demo-network unless --state-dir",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="where keys, databases, logs and evidence go (wiped first; default .ftz/demo)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="demo: %(message)s")
    logging.getLogger("urllib3").setLevel(logging.WARNING)

    default = DEFAULT_STATE.with_name("demo-network") if args.network else DEFAULT_STATE
    state = (args.state_dir or default).resolve()
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    chain_port = args.chain_port if _port_free(args.chain_port) else free_port()
    api_port = args.api_port if _port_free(args.api_port) else free_port()

    if args.network:
        chain = ZoneChain.start(state, args.network)
    else:
        chain = ZoneChain.anvil(state, chain_port)
    node = chain.entry
    # An independent chain for external anchors (a public chain in production).
    anchor_node = start_node(
        "anvil", ROOT, chain_id=ANCHOR_CHAIN_ID, log_file=state / "anchor-chain.log"
    )
    children: list[subprocess.Popen[bytes]] = []
    try:
        settings = FtzSettings(
            project_root=ROOT,
            state_dir=state,
            rpc_url=node.url,
            database_url=f"sqlite:///{state / 'ftz.db'}",
            chain_id=node.chain_id,
            api_port=api_port,
            anchor_rpc_url=anchor_node.url,
            anchor_chain_id=ANCHOR_CHAIN_ID,
            consortium_key=CONSORTIUM_KEY,
        )
        ctx = FtzContext(settings)
        faucet = ctx.sender(LocalSigner.from_key(dev_private_key(0)))

        names = [
            "committee-1",
            "committee-2",
            "committee-3",
            "shanghai-node",
            "anhui-node",
            "lingang-auto-parts",
        ]
        log.info("creating encrypted keystores in %s", settings.keystore_dir)
        keys = {}
        for name in names:
            entry = ctx.keystore.create(name, PASSWORD)
            keys[name] = ctx.keystore.load(entry.name, PASSWORD)
        funding = [  # the enterprise signs only; it needs no gas
            faucet.send(keys[name].address, b"", gas=21_000, value=10**20) for name in names[:5]
        ]
        for tx in funding:
            ctx.client.wait_for_receipt(tx)
        senders = {name: ctx.sender(keys[name]) for name in names[:5]}

        committee = [senders[n] for n in names[:3]]
        deploy(
            ctx.client,
            committee[0],
            ctx.build,
            settings.deployments_dir,
            [s.address for s in committee],
            threshold=2,
        )
        apply_plan(  # 2 of the 3 members vote on each decision
            ctx.governance,
            committee[:2],
            NetworkPlan(
                zones=["CN-SH", "CN-AH"],
                roles=[
                    ("ZONE_NODE", keys["shanghai-node"].address, "CN-SH"),
                    ("ZONE_NODE", keys["anhui-node"].address, "CN-AH"),
                ],
                enterprises=[(keys["lingang-auto-parts"].address, "CN-SH")],
            ),
        )
        shanghai = zone_id("CN-SH")
        log.info(
            "committee (2 of 3) admitted CN-SH and CN-AH, granted zone-node roles, "
            "bound the enterprise to CN-SH"
        )

        content_hash = sha256_file(SAMPLE)
        signed = ctx.ip_registry.sign(
            keys["lingang-auto-parts"], content_hash, shanghai, work_type=int(WorkType.DESIGN)
        )
        receipt = ctx.ip_registry.register(senders["shanghai-node"], signed)
        log.info(
            "registered %s (block %d, tx %s)", SAMPLE.name, receipt.block_number, receipt.tx_hash
        )

        epcis = json.loads(EPCIS_SAMPLE.read_text())
        trace_batch = ctx.traceability.sign_batch(
            keys["lingang-auto-parts"], shanghai, trace_items(epcis, ctx.consortium_key)
        )
        receipt = ctx.traceability.record(senders["shanghai-node"], trace_batch)
        log.info(
            "recorded %d EPCIS events of %s (block %d)",
            len(trace_batch.items),
            EPCIS_SAMPLE.name,
            receipt.block_number,
        )

        actors = demo_goods.set_up_actors(
            ctx,
            faucet,
            committee[:2],
            {"CN-SH": senders["shanghai-node"], "CN-AH": senders["anhui-node"]},
            {"CN-SH": keys["lingang-auto-parts"]},
        )
        goods = demo_goods.run(ctx, actors, state / "goods")
        log.info(
            "goods flows: %d EPCIS events in %d documents, %d wrong steps refused",
            goods.events,
            len(goods.documents),
            len(goods.refused),
        )

        financing = demo_invoices.run(ctx, actors, committee[:2], faucet, state / "invoices")
        log.info("invoices: %d double-financing attempt refused", len(financing))

        # The anchor payer is a funded account of the anchor chain.
        ctx.keystore.create("anchor-payer", PASSWORD, dev_private_key(9))
        env = {
            **os.environ,
            "FTZ_PROJECT_ROOT": str(ROOT),
            "FTZ_STATE_DIR": str(state),
            "FTZ_RPC_URL": node.url,
            "FTZ_DATABASE_URL": settings.database_url,
            "FTZ_CHAIN_ID": str(node.chain_id),
            "FTZ_POLL_INTERVAL": "0.5",
            "FTZ_KEYSTORE_PASSWORD": PASSWORD,
            "FTZ_ANCHOR_RPC_URL": anchor_node.url,
            "FTZ_ANCHOR_CHAIN_ID": str(ANCHOR_CHAIN_ID),
            "FTZ_ANCHOR_SENDER": "anchor-payer",
            "FTZ_ANCHOR_INTERVAL": "30",
            "FTZ_API_PORT": str(api_port),
            "FTZ_CONSORTIUM_KEY": CONSORTIUM_KEY,
        }
        ftz = str(Path(sys.executable).with_name("ftz"))
        subprocess.run([ftz, "anchor", "deploy"], env=env, check=True)
        subprocess.run([ftz, "anchor", "run", "--once"], env=env, check=True)
        subprocess.run([ftz, "index"], env=env, check=True)
        hex_hash = "0x" + content_hash.hex()
        evidence = state / "evidence"
        evidence.mkdir()
        bundle = evidence / "sample-work.bundle.json"
        subprocess.run(
            [ftz, "evidence", "export", hex_hash, "--out", str(bundle)], env=env, check=True
        )
        subprocess.run([ftz, "evidence", "verify", str(bundle)], env=env, check=True)
        subprocess.run(
            [
                ftz,
                "evidence",
                "certificate",
                str(bundle),
                "--html",
                str(evidence / "sample-work.certificate.html"),
                "--pdf",
                str(evidence / "sample-work.certificate.pdf"),
            ],
            env=env,
            check=True,
        )
        if args.no_serve:
            return 0
        children.append(subprocess.Popen([ftz, "anchor", "run"], env=env))
        apis = chain.serve(ftz, env, api_port, children)
        base = apis[0][1]
        for zone, url, api in apis:
            try:
                wait_for_http(f"{url}/healthz", api, timeout=30)
            except ToolchainError as exc:
                log.error("the API of %s did not start (%s); see %s", zone, exc, state)
                return 1
        print(f"\nFTZ Chain demo is running (chain {node.url}, chain id {node.chain_id}).")
        if chain.network is not None:
            print(f"  zone network of {chain.network.zones()}: one validator each, 1 s blocks")
            for zone, url, _ in apis:
                print(f"  {zone} API and portal:  {url}   (node {chain.network.node(zone).url})")
        print(f"  the sample work's registration (JSON): {base}/v1/ip/{hex_hash}")
        print(f"  the same in the portal:                {base}/ip/{hex_hash}")
        print(f"  verify any file in the browser:        {base}/")
        print(f"  court evidence bundle (courts, owner): {base}/v1/evidence/{hex_hash}")
        print(f"  printable certificate (courts, owner): {base}/v1/evidence/{hex_hash}/certificate")
        print(f"  the bundle, offline: ftz evidence verify {bundle}")
        print(
            f"  EPCIS events on chain?  curl -s -X POST -H 'content-type: application/json' "
            f"--data @{EPCIS_SAMPLE} {base}/v1/trace/verify"
        )
        lot = urllib.parse.quote(demo_goods.PALLET, safe="")
        print(f"  the export pallet's timeline:          {base}/v1/trace/timeline?id={lot}")
        board = urllib.parse.quote(demo_goods.MAINBOARD, safe="")
        print(
            f"  mainboards' upstream events (CSV):     {base}/v1/trace/export?id={board}&format=csv"
        )
        print(f"  who held the mainboards:               {base}/v1/trace/custody?id={board}")
        print(f"  declaration waiting for inspection:    {base}/v1/customs/declarations/CC-DEC-002")
        print("    (signed-in callers; its inspections for the two zones' customs: docs/access.md)")
        revoked = f"{base}/v1/origin/certificates/CO-SC-2026-0007"
        print(f"  a revoked certificate of origin:       {revoked}")
        print("    (signed in, or with ?document_sha256= of the certificate document)")
        invoice = state / "invoices" / "ecu-to-hefei.retyped.invoice.json"
        print(
            "  a re-typed invoice, already financed:  curl -s -X POST "
            f"-H 'content-type: application/json' --data @{invoice} "
            f"{base}/v1/invoices/verify"
        )
        print(f"  API docs:                              {base}/docs")
        print("Press Ctrl-C to stop.", flush=True)
        # A plain flag: a handler that takes a lock (threading.Event.set) deadlocks when a
        # second Ctrl-C lands while the first one's handler holds it.
        stopping: list[int] = []
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda signum, _frame: stopping.append(signum))
        while not stopping:
            time.sleep(1)  # the foreground's only job: notice a stopped child
            if any(child.poll() is not None for child in children):
                log.error("the indexer, the anchorer or the API stopped; see %s", state)
                return 1
        return 0
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_IGN)  # let the clean-up finish
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
        chain.stop()
        anchor_node.stop()


if __name__ == "__main__":
    sys.exit(main())
