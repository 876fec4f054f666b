"""`make demo` as a user runs it (set-up part): two chains, contracts, records, evidence."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlmodel import Session

from api.queries.goods import (
    certificate_status,
    custody_chain,
    custody_state,
    declaration_status,
    upstream_key_events,
)
from api.queries.invoices import answer as invoice_answer
from ftzchain.devnet import free_port
from ftzchain.evidence.verify import verify_file
from ftzchain.fingerprints import certificate_key, declaration_key, lot_key
from ftzchain.invoice import parse_invoice
from indexer.db import make_engine
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import demo_goods
from demo import CONSORTIUM_KEY


def test_demo_sets_everything_up(tmp_path: Path) -> None:
    state = tmp_path / "demo"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "demo.py"),
            "--no-serve",
            "--state-dir",
            str(state),
            "--chain-port",
            str(free_port()),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "recorded 2 EPCIS events" in done.stderr
    assert "18 EPCIS events in 7 documents, 3 wrong steps refused" in done.stderr
    assert "invoices: 1 double-financing attempt refused" in done.stderr
    refusals = ("CustodyLotInTransit", "CustodyNotCustodian", "CustomsInspectionMissing")
    for refused in (*refusals, "InvoiceAlreadyPledged"):
        assert refused in done.stderr
    # The goods flows reached SQL, and the queries tell their story.
    key = bytes.fromhex(CONSORTIUM_KEY)
    engine = make_engine(f"sqlite:///{state / 'ftz.db'}")
    with Session(engine) as session:
        chain_id = 31337
        board = "0x" + lot_key(demo_goods.MAINBOARD, key).hex()
        assert custody_state(custody_chain(session, chain_id, board)) == ("held", "CN-CQ")
        pending = declaration_status(
            session, chain_id, "0x" + declaration_key("CC-DEC-002", key).hex()
        )
        assert pending is not None and pending.blocking == ["inspection by CN-CQ missing"]
        revoked = certificate_status(
            session, chain_id, "0x" + certificate_key("CO-SC-2026-0007", key).hex()
        )
        assert revoked is not None and revoked.status == "revoked"
        pallet = "0x" + lot_key(demo_goods.PALLET, key).hex()
        found, lots = upstream_key_events(session, chain_id, pallet, limit=1000)
        zones = {e.zone for e in found}
        assert {"CN-SH", "CN-AH", "CN-JS", "CN-ZJ"} <= zones and lots >= 4
        retyped = (state / "invoices" / "ecu-to-hefei.retyped.invoice.json").read_text()
        prints = ["0x" + f.hex() for f in parse_invoice(retyped).fingerprints(key)]
        assert invoice_answer(session, chain_id, prints).status == "pledged"
    engine.dispose()
    bundle = state / "evidence" / "sample-work.bundle.json"
    verdict = verify_file(str(bundle))
    assert verdict.ok and json.loads(bundle.read_text())["anchor"] is not None
    assert (state / "evidence" / "sample-work.certificate.pdf").read_bytes().startswith(b"%PDF-")
