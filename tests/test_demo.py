"""`make demo` as a user runs it (set-up part): two chains, contracts, records, evidence."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ftzchain.devnet import free_port
from ftzchain.evidence.verify import verify_file
from tests.conftest import ROOT


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
    bundle = state / "evidence" / "sample-work.bundle.json"
    verdict = verify_file(str(bundle))
    assert verdict.ok and json.loads(bundle.read_text())["anchor"] is not None
    assert (state / "evidence" / "sample-work.certificate.pdf").read_bytes().startswith(b"%PDF-")
