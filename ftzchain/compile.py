"""Compile the contracts offline with the npm ``solc`` (solcjs) through py-solc-x.

Compiler version, optimizer and ``evmVersion`` live in ``contracts/solc-settings.json``, which
``hardhat.config.js`` reads too, so both builds produce the same bytecode.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solcx
from solcx.exceptions import SolcError

from ftzchain.errors import CompileError, ToolchainError

log = logging.getLogger(__name__)

SETTINGS_FILE = Path("contracts") / "solc-settings.json"
ARTIFACT_FILE = "contracts.json"
_WRAPPER_JS = Path(__file__).with_name("solcjs_standard_json.js")


@dataclass(frozen=True)
class ContractArtifact:
    """One compiled contract."""

    name: str
    source_name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str

    @property
    def deployable(self) -> bool:
        return len(self.bytecode) > 0


@dataclass(frozen=True)
class Build:
    """Everything one compilation produced."""

    solc_version: str
    digest: str
    contracts: dict[str, ContractArtifact]

    def get(self, name: str) -> ContractArtifact:
        try:
            return self.contracts[name]
        except KeyError as exc:
            raise CompileError(f"no contract named {name} in the build") from exc

    def all_abi_entries(self) -> list[dict[str, Any]]:
        """Every ABI entry of every contract, for decoding errors and events anywhere."""
        return [entry for c in self.contracts.values() for entry in c.abi]


def compiler_config(project_root: Path) -> dict[str, Any]:
    """The single source of truth for compiler version and settings."""
    path = project_root / SETTINGS_FILE
    try:
        config: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ToolchainError(f"{path} is missing: run from the project root") from exc
    return config


def source_files(project_root: Path) -> dict[str, str]:
    """Source unit name (as Hardhat names it) → content, for every contract under contracts/."""
    root = project_root / "contracts"
    return {
        path.relative_to(project_root).as_posix(): path.read_text()
        for path in sorted(root.rglob("*.sol"))
    }


def standard_json_input(project_root: Path) -> dict[str, Any]:
    config = compiler_config(project_root)
    settings = dict(config["settings"])
    settings["outputSelection"] = {
        "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}
    }
    return {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in source_files(project_root).items()},
        "settings": settings,
    }


def _solc_command(project_root: Path, build_dir: Path) -> Path:
    """Write a tiny ``solc`` executable that runs the npm solc through node."""
    node = shutil.which("node")
    if node is None:
        raise ToolchainError("node is not on PATH: install Node.js 20, then run `make install`")
    solc_dir = (project_root / "node_modules" / "solc").resolve()
    if not (solc_dir / "soljson.js").exists():
        raise ToolchainError(f"{solc_dir} is missing: run `npm ci` (or `make install`) first")
    build_dir.mkdir(parents=True, exist_ok=True)
    script = build_dir / "solc"
    script.write_text(
        f'#!/bin/sh\nexec "{node}" "{_WRAPPER_JS}" "{solc_dir}" "{project_root.resolve()}" "$@"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script


def _digest(project_root: Path, input_json: dict[str, Any]) -> str:
    solc_pkg = project_root / "node_modules" / "solc" / "package.json"
    version = json.loads(solc_pkg.read_text())["version"] if solc_pkg.exists() else "?"
    blob = json.dumps([version, input_json], sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()


def compile_contracts(project_root: Path, build_dir: Path, *, force: bool = False) -> Build:
    """Compile (or reuse the cached build when sources and settings are unchanged)."""
    input_json = standard_json_input(project_root)
    digest = _digest(project_root, input_json)
    artifact_path = build_dir / ARTIFACT_FILE
    if not force and artifact_path.exists():
        cached = load_build(artifact_path)
        if cached.digest == digest:
            return cached

    solc = _solc_command(project_root, build_dir)
    expected = compiler_config(project_root)["version"]
    try:
        version = str(solcx.wrapper.get_solc_version(solc))
    except (SolcError, subprocess.CalledProcessError, OSError) as exc:
        raise ToolchainError(f"cannot run the npm solc ({exc}): run `make install`") from exc
    if version != expected:
        raise ToolchainError(
            f"node_modules has solc {version} but {SETTINGS_FILE} pins {expected}: run `npm ci`"
        )
    log.info("compiling %d sources with solcjs %s", len(input_json["sources"]), version)
    try:
        output = solcx.compile_standard(
            input_json, solc_binary=solc, base_path=str(project_root.resolve())
        )
    except SolcError as exc:
        raise CompileError(_compiler_errors(exc)) from exc

    contracts: dict[str, ContractArtifact] = {}
    for source_name, by_name in output["contracts"].items():
        if not source_name.startswith("contracts/"):
            continue
        for name, out in by_name.items():
            contracts[name] = ContractArtifact(
                name=name,
                source_name=source_name,
                abi=out["abi"],
                bytecode=out["evm"]["bytecode"]["object"],
                deployed_bytecode=out["evm"]["deployedBytecode"]["object"],
            )
    build = Build(solc_version=version, digest=digest, contracts=contracts)
    _save_build(build, artifact_path)
    return build


def source_asts(project_root: Path, build_dir: Path) -> dict[str, dict[str, Any]]:
    """The compiler's AST of every source under contracts/ (for tests that check the Python
    mirrors of contract declarations against the contracts themselves)."""
    input_json = standard_json_input(project_root)
    input_json["settings"]["outputSelection"] = {"*": {"": ["ast"]}}
    solc = _solc_command(project_root, build_dir)
    try:
        output = solcx.compile_standard(
            input_json, solc_binary=solc, base_path=str(project_root.resolve())
        )
    except SolcError as exc:
        raise CompileError(_compiler_errors(exc)) from exc
    return {
        name: source["ast"]
        for name, source in output["sources"].items()
        if name.startswith("contracts/")
    }


def _compiler_errors(exc: SolcError) -> str:
    """The compiler's own error messages (not the whole JSON output py-solc-x attaches)."""
    errors = getattr(exc, "error_dict", None) or {}
    if not errors and getattr(exc, "stdout_data", None):
        try:
            errors = json.loads(exc.stdout_data or "{}")
        except ValueError:
            errors = {}
    listed = errors if isinstance(errors, list) else errors.get("errors", [])
    messages = [
        str(e.get("formattedMessage") or e.get("message"))
        for e in listed
        if isinstance(e, dict) and e.get("severity") == "error"
    ]
    if not messages:
        return f"solc failed: {exc.message}"
    return "the contracts do not compile:\n" + "\n".join(m.strip() for m in messages)


def _save_build(build: Build, path: Path) -> None:
    payload = {
        "solc_version": build.solc_version,
        "digest": build.digest,
        "contracts": {
            name: {
                "source_name": c.source_name,
                "abi": c.abi,
                "bytecode": c.bytecode,
                "deployed_bytecode": c.deployed_bytecode,
            }
            for name, c in build.contracts.items()
        },
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, indent=1, sort_keys=True))
    os.replace(tmp, path)


def load_build(path: Path) -> Build:
    raw = json.loads(path.read_text())
    return Build(
        solc_version=raw["solc_version"],
        digest=raw["digest"],
        contracts={
            name: ContractArtifact(
                name=name,
                source_name=c["source_name"],
                abi=c["abi"],
                bytecode=c["bytecode"],
                deployed_bytecode=c["deployed_bytecode"],
            )
            for name, c in raw["contracts"].items()
        },
    )
