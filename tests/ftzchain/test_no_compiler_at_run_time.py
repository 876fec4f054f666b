"""`ftz index` and `ftz serve` on a box with no solc, no node and no node_modules/.

The project root handed to them holds only the published ABIs (contracts/abi/); PATH holds
only the virtualenv. Both must still index a real chain and answer over HTTP."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx

from ftzchain.devnet import free_port
from tests.conftest import ROOT, TEST_CONSORTIUM_KEY, World
from tests.indexer.helpers import register_many
from tests.serving import serving

FTZ = str(Path(sys.executable).with_name("ftz"))


def _bare_root(tmp_path: Path) -> Path:
    root = tmp_path / "release"
    shutil.copytree(ROOT / "contracts" / "abi", root / "contracts" / "abi")
    return root


def test_index_and_serve_run_without_node_or_node_modules(
    anvil_world: World, tmp_path: Path
) -> None:
    world = anvil_world
    (registered,) = register_many(world, 1, label="no-compiler")
    root = _bare_root(tmp_path)
    venv_bin = str(Path(sys.executable).parent)
    assert shutil.which("node", path=venv_bin) is None
    env = {
        **os.environ,
        "PATH": venv_bin,
        "FTZ_PROJECT_ROOT": str(root),
        "FTZ_STATE_DIR": str(world.ctx.settings.state_dir),
        "FTZ_RPC_URL": world.node.url,
        "FTZ_CHAIN_ID": str(world.node.chain_id),
        "FTZ_DATABASE_URL": f"sqlite:///{tmp_path / 'release.db'}",
        "FTZ_CONSORTIUM_KEY": TEST_CONSORTIUM_KEY,
    }
    head = world.ctx.client.block_number()
    indexed = subprocess.run(
        [FTZ, "index", "--to-block", str(head)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert indexed.returncode == 0, indexed.stderr
    assert f"up to block {head}" in indexed.stdout
    assert not (root / "build").exists(), "nothing was compiled"

    with serving(env, cwd=tmp_path) as (base, _proc):
        found = httpx.get(f"{base}/v1/ip/0x{registered.hex()}", timeout=10)
        assert found.status_code == 200
        assert found.json()["block_number"] <= head


def test_serve_refuses_a_database_the_indexer_has_not_migrated(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "FTZ_PROJECT_ROOT": str(_bare_root(tmp_path)),
        "FTZ_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}",
    }
    proc = subprocess.run(
        [FTZ, "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "run `ftz index` first" in proc.stderr
    assert not (tmp_path / "empty.db").exists() or "no schema" in proc.stderr
