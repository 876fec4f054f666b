"""Local chain nodes (anvil, ganache 7) from the project's node_modules, London rules."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ftzchain.errors import NodeUnavailable, ToolchainError
from ftzchain.rpc import JsonRpc

log = logging.getLogger(__name__)

NodeKind = Literal["anvil", "ganache"]
NodeFlavour = Literal["anvil", "ganache", "geth-clique"]

# anvil's and ganache's well-known development mnemonic: public knowledge, devnet only.
DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_BALANCE_ETH = 1_000_000


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports on loopback that nothing listens on right now. Each socket
    stays bound until all are chosen: ports picked one at a time before anything binds them
    can repeat (the kernel handed two nodes of one network the same port once)."""
    with contextlib.ExitStack() as held:
        ports = []
        for _ in range(count):
            sock = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(int(sock.getsockname()[1]))
        return ports


def _binary(kind: NodeKind, project_root: Path) -> Path:
    """The node's executable; for anvil the native binary, not npm's node launcher."""
    if kind == "anvil":
        native = sorted((project_root / "node_modules" / "@foundry-rs").glob("anvil-*/bin/anvil"))
        if native:
            return native[0]
    return project_root / "node_modules" / ".bin" / kind


def node_command(
    kind: NodeKind, project_root: Path, port: int, chain_id: int, block_time: float | None = None
) -> list[str]:
    binary = _binary(kind, project_root)
    if not binary.exists():
        raise ToolchainError(f"{binary} is missing: run `make install` (npm ci) first")
    if kind == "anvil":
        cmd = [
            str(binary),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--chain-id",
            str(chain_id),
            "--hardfork",
            "london",
            "--mnemonic",
            DEV_MNEMONIC,
            "--balance",
            str(DEV_BALANCE_ETH),
            "--accounts",
            "10",
            "--silent",
            # Old block states are dropped, not written to ~/.foundry/anvil/tmp: a node that is
            # killed leaves nothing behind, and long benchmarks do not fill the disk.
            "--max-persisted-states",
            "0",
        ]
        if block_time:
            cmd += ["--block-time", str(block_time)]
        return cmd
    cmd = [
        str(binary),
        "--server.host",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--chain.chainId",
        str(chain_id),
        "--chain.hardfork",
        "london",
        "--wallet.mnemonic",
        DEV_MNEMONIC,
        "--wallet.defaultBalance",
        str(DEV_BALANCE_ETH),
        "--wallet.totalAccounts",
        "10",
        "--logging.quiet",
        "--miner.instamine",
        "eager",
    ]
    if block_time:
        cmd += ["--miner.blockTime", str(block_time)]
    return cmd


def wait_until_ready(url: str, proc: subprocess.Popen[bytes] | None, timeout: float = 60) -> None:
    """Poll eth_chainId until the node answers, the process dies, or the timeout passes."""
    deadline = time.monotonic() + timeout
    with JsonRpc(url, timeout=2) as rpc:
        while True:
            if proc is not None and proc.poll() is not None:
                raise NodeUnavailable(f"the node exited with code {proc.returncode} at start")
            try:
                rpc.call("eth_chainId")
                return
            except NodeUnavailable:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


@dataclass
class LocalNode:
    """A chain node process this program started."""

    kind: NodeFlavour
    url: str
    chain_id: int
    process: subprocess.Popen[bytes]

    def stop(self, timeout: float = 10) -> None:
        """Stop the node and anything it spawned (it runs in its own process group)."""
        if self.process.poll() is not None:
            return
        _signal_group(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            _signal_group(self.process.pid, signal.SIGKILL)
            self.process.wait()


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signum)


def start_node(
    kind: NodeKind,
    project_root: Path,
    *,
    port: int | None = None,
    chain_id: int = 31337,
    block_time: float | None = None,
    log_file: Path | None = None,
    die_with_parent: bool = True,
    extra_args: list[str] | None = None,
) -> LocalNode:
    """Start a node and wait until it answers JSON-RPC.

    The node gets its own process group (so :meth:`LocalNode.stop` reaches anything it
    spawns) and, unless ``die_with_parent`` is False (`ftz devnet up`), is sent SIGTERM by the
    kernel when this process dies, so a crashed test run leaves no node behind. ``extra_args``
    go to the node's command line as they are (e.g. anvil's ``--dump-state PATH``).
    """
    port = port or free_port()
    cmd = node_command(kind, project_root, port, chain_id, block_time) + (extra_args or [])
    node = spawn_node(kind, cmd, port, chain_id, log_file, die_with_parent)
    log.info("%s listening on %s (chain %d, pid %d)", kind, node.url, chain_id, node.process.pid)
    return node


def spawn_node(
    kind: NodeFlavour,
    cmd: list[str],
    port: int,
    chain_id: int,
    log_file: Path | None = None,
    die_with_parent: bool = True,
) -> LocalNode:
    """Run a node command in its own process group and wait until it answers on ``port``."""
    out = log_file.open("ab") if log_file else subprocess.DEVNULL
    proc = subprocess.Popen(
        cmd,
        stdout=out,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=_terminate_with_parent if die_with_parent else None,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, proc)
    except Exception:
        proc.kill()
        proc.wait()
        raise
    return LocalNode(kind=kind, url=url, chain_id=chain_id, process=proc)


def _terminate_with_parent() -> None:
    """In the child before exec: ask Linux for SIGTERM when the parent dies (PR_SET_PDEATHSIG)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)


def stop_pid(pid: int, timeout: float = 10) -> bool:
    """SIGTERM a node's process group (then SIGKILL); False when it was not running."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    _signal_group(pid, signal.SIGKILL)
    return True


def dev_private_key(index: int) -> bytes:
    """The devnet's funded account ``index`` (from the public development mnemonic)."""
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    account = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return bytes(account.key)


def wait_for_http(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Poll ``url`` until it answers 200, the process exits, or the timeout passes."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise ToolchainError(f"the server exited (code {process.returncode}) before {url}")
        if time.monotonic() > deadline:
            raise ToolchainError(f"{url} did not answer within {timeout:.0f}s")
        time.sleep(0.1)
