"""The revert table names only errors the contracts really declare."""

from __future__ import annotations

from ftzchain.artifacts import load_abis
from ftzchain.reverts import KIND_BY_ERROR
from tests.conftest import ROOT


def test_every_error_in_the_revert_table_is_in_a_published_abi() -> None:
    declared = {e["name"] for e in load_abis(ROOT).all_entries() if e.get("type") == "error"}
    missing = sorted(set(KIND_BY_ERROR) - declared)
    assert not missing, f"the revert table names errors no contract declares: {missing}"


def test_the_zone_role_error_is_a_permission_error() -> None:
    assert issubclass(KIND_BY_ERROR["ZoneRoleMissing"], PermissionError)
