"""Gas of every entry point equals the checked-in snapshot (a change must be deliberate)."""

from __future__ import annotations

from pathlib import Path

from ftzchain.artifacts import CORE_CONTRACTS
from ftzchain.compile import Build
from ftzchain.context import FtzContext
from ftzchain.devnet import start_node
from ftzchain.gas_snapshot import load_snapshot, measure
from ftzchain.settings import FtzSettings
from tests.conftest import ROOT


def test_gas_matches_the_snapshot(build: Build, tmp_path: Path) -> None:
    node = start_node("anvil", ROOT)  # fresh: contract addresses and so calldata are fixed
    try:
        ctx = FtzContext(FtzSettings(project_root=ROOT, state_dir=tmp_path, rpc_url=node.url))
        ctx.__dict__["build"] = build
        measured = measure(ctx, build)
        ctx.close()
    finally:
        node.stop()
    snapshot = load_snapshot(ROOT)
    changed = {
        name: (snapshot.get(name), measured.get(name))
        for name in sorted(set(snapshot) | set(measured))
        if snapshot.get(name) != measured.get(name)
    }
    assert not changed, (
        f"gas changed (snapshot, now): {changed}; if intended, run "
        "`scripts/bench gas --write-snapshot` and commit contracts/gas-snapshot.json"
    )


def test_every_write_entry_point_is_in_the_snapshot(build: Build) -> None:
    writes = {
        f"{name}.{entry['name']}"
        for name in (*CORE_CONTRACTS, "FtzAnchor", "NaiveTraceStore")
        for entry in build.get(name).abi
        if entry.get("type") == "function" and entry["stateMutability"] not in ("view", "pure")
    }
    covered = {key.split(" ")[0] for key in load_snapshot(ROOT)}
    assert writes <= covered, f"not measured: {sorted(writes - covered)}"
