"""The Python build and Hardhat's build agree, and the bytecode runs on London-rules chains."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from ftzchain.compile import Build
from tests.conftest import ROOT

PUSH0, MCOPY, TLOAD, TSTORE = 0x5F, 0x5E, 0x5C, 0x5D


def _opcodes(code_hex: str) -> list[int]:
    """Opcodes of deployed bytecode, skipping PUSH data and the trailing CBOR metadata."""
    code = bytes.fromhex(code_hex)
    metadata_length = int.from_bytes(code[-2:], "big")
    code = code[: -(metadata_length + 2)]
    ops, i = [], 0
    while i < len(code):
        op = code[i]
        ops.append(op)
        i += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    return ops


def test_hardhat_bytecode_equals_python_build(build: Build) -> None:
    env = {**os.environ, "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true", "CI": "true"}
    proc = subprocess.run(
        [str(ROOT / "node_modules" / ".bin" / "hardhat"), "compile", "--force", "--quiet"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    deployable = [c for c in build.contracts.values() if c.deployable]
    assert {c.name for c in deployable} >= {"Governance", "IpRegistry"}
    for contract in deployable:
        artifact = ROOT / "build/hardhat/artifacts" / contract.source_name / f"{contract.name}.json"
        hardhat = json.loads(artifact.read_text())
        assert hardhat["bytecode"] == "0x" + contract.bytecode, contract.name
        assert hardhat["deployedBytecode"] == "0x" + contract.deployed_bytecode, contract.name


@pytest.mark.parametrize("name", ["Governance", "IpRegistry"])
def test_bytecode_uses_no_post_london_opcodes(build: Build, name: str) -> None:
    ops = _opcodes(build.get(name).deployed_bytecode)
    assert len(ops) > 100
    assert not {PUSH0, MCOPY, TLOAD, TSTORE} & set(ops)
