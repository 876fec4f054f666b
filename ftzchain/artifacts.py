"""The contracts' published ABIs: ``contracts/abi/<Contract>.json``, one file per contract.

They are committed to the repository (integrators take them from there) and kept equal to a
fresh compile by ``tests/contracts/test_published_abi.py``. Everything that only reads or
calls the chain (the indexer, the API, every non-deploying command) loads ABIs from here, so
it needs neither solc nor ``node_modules/``; only deployment, the gas snapshot and the tests
compile. ``scripts/publish-abi`` rewrites the files after a contract change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ftzchain.errors import ConfigError

ABI_DIR = Path("contracts") / "abi"

# The contracts `ftz deploy` puts on the FTZ chain, in deployment order: every one but
# Governance takes the Governance address; Customs and InvoiceRegistry also Custody's.
CORE_CONTRACTS = (
    "Governance",
    "IpRegistry",
    "Traceability",
    "Custody",
    "Customs",
    "OriginCertificates",
    "InvoiceRegistry",
    "AuditTrail",
)
ANCHOR_CONTRACT = "FtzAnchor"  # deployed on the independent anchor chain
# The deployable contracts whose ABI is published (contracts/bench/ is benchmark-only).
PUBLISHED = (*CORE_CONTRACTS, ANCHOR_CONTRACT)

Abi = list[dict[str, Any]]


class Abis:
    """The published ABI of each contract, by contract name."""

    def __init__(self, by_name: dict[str, Abi]) -> None:
        self._by_name = by_name

    def get(self, name: str) -> Abi:
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(self._by_name)
            raise ConfigError(f"no published ABI for {name} (one of {known})") from None

    def all_entries(self) -> Abi:
        """Every entry of every contract, for decoding errors and events anywhere."""
        return [entry for abi in self._by_name.values() for entry in abi]


def abi_path(project_root: Path, name: str) -> Path:
    return project_root / ABI_DIR / f"{name}.json"


def load_abis(project_root: Path) -> Abis:
    """The published ABIs under ``project_root``; a missing file says how to restore it."""
    by_name: dict[str, Abi] = {}
    for name in PUBLISHED:
        path = abi_path(project_root, name)
        try:
            by_name[name] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(
                f"{path} is missing: set FTZ_PROJECT_ROOT to the FTZ Chain checkout "
                "(contracts/abi/ is part of it)"
            ) from None
    return Abis(by_name)


def write_abis(project_root: Path, abis: dict[str, Abi]) -> list[Path]:
    """Write each published contract's ABI (stable formatting, so diffs show real changes)."""
    written = []
    (project_root / ABI_DIR).mkdir(parents=True, exist_ok=True)
    for name in PUBLISHED:
        path = abi_path(project_root, name)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(abis[name], indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)
        written.append(path)
    return written
