"""A one-validator geth Clique (proof-of-authority) chain for tests and demos.

Clique is the consensus of the permissioned networks FTZ Chain targets (London rules); its
headers carry the validator's seal in extraData, which evidence bundles include and the offline
verifier checks. geth 1.13 is the last release with Clique; `make install` builds it from the
Go module proxy into ``.tools/bin/geth`` (or set FTZ_GETH).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from eth_account import Account

from ftzchain.devnet import (
    DEV_BALANCE_ETH,
    LocalNode,
    dev_private_key,
    free_ports,
    spawn_node,
)
from ftzchain.errors import ToolchainError

GETH_VERSION = "v1.13.15"
FUNDED_DEV_ACCOUNTS = 10


def geth_binary(project_root: Path) -> Path:
    """FTZ_GETH, else the project's ``.tools/bin/geth``, else ``geth`` on PATH."""
    configured = os.environ.get("FTZ_GETH")
    candidates = [Path(configured)] if configured else []
    candidates.append(project_root / ".tools" / "bin" / "geth")
    on_path = shutil.which("geth")
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ToolchainError(
        f"geth {GETH_VERSION} is missing: run `make install` (it builds geth with Go) "
        "or set FTZ_GETH"
    )


def clique_genesis(
    chain_id: int,
    signers: list[str],
    period: int,
    gas_limit: int = 30_000_000,
    timestamp: int = 0,
    epoch: int = 30_000,
) -> dict[str, object]:
    """A London-rules Clique genesis: ``signers`` seal, the dev accounts are funded.
    ``timestamp``: the genesis time (a network's first block then waits its period, so the
    in-turn validator seals it first instead of every validator at once). ``epoch``: blocks
    between checkpoints, which list the validators (and clear pending votes)."""
    extra = "0x" + "00" * 32 + "".join(s.lower().removeprefix("0x") for s in signers) + "00" * 65
    alloc = {
        Account.from_key(dev_private_key(i)).address: {"balance": hex(DEV_BALANCE_ETH * 10**18)}
        for i in range(FUNDED_DEV_ACCOUNTS)
    }
    forks = [
        "homestead",
        "eip150",
        "eip155",
        "eip158",
        "byzantium",
        "constantinople",
        "petersburg",
        "istanbul",
        "berlin",
        "london",
    ]
    config: dict[str, object] = {"chainId": chain_id, **{f"{f}Block": 0 for f in forks}}
    config["clique"] = {"period": period, "epoch": epoch}
    return {
        "config": config,
        "difficulty": "0x1",
        "gasLimit": hex(gas_limit),
        "timestamp": hex(timestamp),
        "extradata": extra,
        "alloc": alloc,
    }


def init_datadir(
    geth: Path, datadir: Path, genesis: Path, signer_key: bytes, password: Path
) -> None:
    """``geth init`` a data directory and import the validator's key into its keystore."""
    datadir.mkdir(parents=True)
    key_file = datadir.parent / f"{datadir.name}.key"
    key_file.write_text(signer_key.hex())
    try:
        for cmd in (
            [str(geth), "--datadir", str(datadir), "init", str(genesis)],
            [
                str(geth),
                "account",
                "import",
                "--lightkdf",  # a development key: unlocked in milliseconds, not seconds
                "--datadir",
                str(datadir),
                "--password",
                str(password),
                str(key_file),
            ],
        ):
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise ToolchainError(f"{' '.join(cmd[:4])} failed: {done.stderr.strip()[-500:]}")
    finally:
        key_file.unlink()


def start_clique_node(
    project_root: Path, workdir: Path, *, chain_id: int = 4242, period: int = 0
) -> tuple[LocalNode, str]:
    """Start a sealing geth Clique node; returns the node and its validator's address.

    ``period`` 0 seals a block as soon as a transaction is pending (as a dev chain should);
    a network would use a fixed period.
    """
    geth = geth_binary(project_root)
    signer_key = dev_private_key(0)
    signer = Account.from_key(signer_key).address
    datadir = workdir / "geth"
    (workdir / "genesis.json").write_text(json.dumps(clique_genesis(chain_id, [signer], period)))
    (workdir / "password").write_text("clique-dev\n")
    init_datadir(geth, datadir, workdir / "genesis.json", signer_key, workdir / "password")
    port, p2p_port, auth_port = free_ports(3)
    command = [
        str(geth),
        "--datadir",
        str(datadir),
        "--networkid",
        str(chain_id),
        "--nodiscover",
        "--maxpeers",
        "0",
        "--port",
        str(p2p_port),
        "--authrpc.port",
        str(auth_port),
        "--ipcdisable",
        "--http",
        "--http.addr",
        "127.0.0.1",
        "--http.port",
        str(port),
        "--http.api",
        "eth,net,web3,clique",
        "--mine",
        "--miner.etherbase",
        signer,
        "--unlock",
        signer,
        "--password",
        str(workdir / "password"),
        "--allow-insecure-unlock",
        "--miner.gasprice",
        "1",
    ]
    node = spawn_node("geth-clique", command, port, chain_id, workdir / "geth.log")
    return node, signer
