"""The zone network on real geth 1.13 Clique validators (one per zone, 1 s blocks): losing one
of three stops nobody, and it catches up when it comes back; `ftz network` starts, reports and
stops it."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ftzchain.network import (
    ZoneNetwork,
    create_network,
    start_sealing,
    start_zone_node,
    stop_zone_node,
)
from ftzchain.rpc import JsonRpc
from tests.conftest import ROOT
from tests.serving import FTZ

ZONES = ["CN-SH", "CN-AH", "CN-JS"]


def _head(url: str) -> tuple[int, str]:
    block = JsonRpc(url, timeout=5).call("eth_getBlockByNumber", ["latest", False])
    return int(block["number"], 16), str(block["hash"])


def _until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what}")
        time.sleep(0.2)  # polling the nodes' heads


@pytest.fixture
def network(tmp_path: Path) -> Iterator[ZoneNetwork]:
    net = create_network(ROOT, tmp_path / "network", ZONES)
    try:
        for zone in ZONES:
            start_zone_node(ROOT, net, zone)
        start_sealing(net)
        yield net
    finally:
        for zone in ZONES:
            stop_zone_node(net, zone)


def test_one_validator_down_stops_nobody_and_catches_up(network: ZoneNetwork) -> None:
    sh, ah, js = (network.node(z) for z in ZONES)
    _until(lambda: min(_head(n.url)[0] for n in (sh, ah, js)) >= 2, 30, "all sealing")
    signers = JsonRpc(sh.url).call("clique_getSigners", ["latest"])
    assert sorted(s.lower() for s in signers) == sorted(n.signer.lower() for n in (sh, ah, js))
    assert stop_zone_node(network, "CN-JS")
    down_at = _head(sh.url)[0]
    _until(lambda: _head(sh.url)[0] >= down_at + 4, 30, "blocks without CN-JS")
    # The two left agree on the chain.
    number, block_hash = _head(ah.url)
    other = JsonRpc(sh.url).call("eth_getBlockByNumber", [hex(number), False])
    assert other is not None and other["hash"] == block_hash
    start_zone_node(ROOT, network, "CN-JS")
    start_sealing(network, ["CN-JS"])
    target = _head(sh.url)[0]
    _until(lambda: _head(js.url)[0] >= target, 60, "CN-JS catching up")
    back = JsonRpc(js.url).call("eth_getBlockByNumber", [hex(target), False])
    ours = JsonRpc(sh.url).call("eth_getBlockByNumber", [hex(target), False])
    assert back["hash"] == ours["hash"]


def test_ftz_network_up_status_down(tmp_path: Path) -> None:
    env = {**os.environ, "FTZ_STATE_DIR": str(tmp_path)}

    def ftz(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [FTZ, "network", *args], env=env, capture_output=True, text=True, timeout=120
        )

    refused = ftz("up", "--zones", "CN-SH,CN-AH")
    assert refused.returncode == 1 and "odd number" in refused.stderr
    assert ftz("status").returncode == 1
    up = ftz("up", "--zones", ",".join(ZONES))
    try:
        assert up.returncode == 0, up.stderr
        for zone in ZONES:
            assert zone in up.stdout
        pids = [
            n["pid"]
            for n in json.loads((tmp_path / "network" / "network.json").read_text())["nodes"]
        ]
        assert all(pids)
        status = ftz("status")
        assert status.returncode == 0, status.stderr
        assert "3 of 3 zone nodes up" in status.stdout and "validators 3" in status.stdout
    finally:
        down = ftz("down")
    assert down.returncode == 0 and "stopped CN-SH, CN-AH, CN-JS" in down.stdout
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
