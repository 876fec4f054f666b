"""The published ABIs (contracts/abi/) equal a fresh compile, contract by contract."""

from __future__ import annotations

import json

import pytest

from ftzchain.artifacts import PUBLISHED, abi_path, load_abis
from ftzchain.compile import Build
from tests.conftest import ROOT


@pytest.mark.parametrize("name", PUBLISHED)
def test_published_abi_equals_a_fresh_compile(build: Build, name: str) -> None:
    published = json.loads(abi_path(ROOT, name).read_text())
    assert published == build.get(name).abi, (
        f"contracts/abi/{name}.json is stale: run scripts/publish-abi and commit the result"
    )


def test_every_deployable_contract_is_published(build: Build) -> None:
    deployable = {
        name
        for name, artifact in build.contracts.items()
        if artifact.deployable
        and artifact.source_name.count("/") == 1  # contracts/bench/ is benchmark-only
        and artifact.abi  # libraries (Roles) have no ABI
    }
    assert deployable == set(PUBLISHED)
    assert load_abis(ROOT).get("Governance") == build.get("Governance").abi
