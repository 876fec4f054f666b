"""The transaction client and deployment against a real node."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ftzchain.client import ChainClient, TxSender
from ftzchain.compile import Build
from ftzchain.deploy import deploy, load_deployment
from ftzchain.devnet import LocalNode, dev_private_key, start_node
from ftzchain.errors import ChainIdMismatch, NodeUnavailable, NotDeployed
from ftzchain.ip import IpRegistryContract
from ftzchain.reverts import RevertDecoder
from ftzchain.rpc import RpcError
from ftzchain.signing import LocalSigner
from tests.conftest import ROOT, SH, World
from tests.indexer.rpc_proxy import RpcProxy


def _client(node: LocalNode, build: Build, expected: int | None = None) -> ChainClient:
    return ChainClient(node.url, RevertDecoder(build.all_abi_entries()), expected)


def test_client_refuses_a_node_of_another_chain(node: LocalNode, build: Build) -> None:
    with pytest.raises(ChainIdMismatch):
        _client(node, build, expected=node.chain_id + 1)


def test_client_reports_a_missing_node_clearly(build: Build) -> None:
    from ftzchain.devnet import free_port

    with pytest.raises(NodeUnavailable, match="ftz devnet up"):
        ChainClient(f"http://127.0.0.1:{free_port()}", RevertDecoder([]))


def test_client_fails_over_to_a_node_of_the_same_chain_only(node: LocalNode, build: Build) -> None:
    from ftzchain.devnet import free_port

    other_chain = start_node("anvil", ROOT, chain_id=node.chain_id + 7)
    proxy = RpcProxy(node.url)
    proxy.start()
    try:
        client = ChainClient(
            proxy.url,
            RevertDecoder([]),
            fallback_urls=[f"http://127.0.0.1:{free_port()}", other_chain.url, node.url],
        )
        head = client.block_number()
        proxy.stop()  # the node in use goes away: the dead one and the other chain are passed
        assert client.block_number() >= head
        assert client.rpc.url == node.url and client.rpc.failovers == 1
        lone = ChainClient(other_chain.url, RevertDecoder([]), fallback_urls=[node.url])
        other_chain.stop()
        with pytest.raises(NodeUnavailable):
            lone.block_number()  # the only fallback serves another chain
    finally:
        other_chain.stop()
        proxy.close()


def test_local_nonces_stay_in_order_and_resync(node: LocalNode, build: Build) -> None:
    client = _client(node, build)
    sender = TxSender(client, LocalSigner.from_key(dev_private_key(9)))
    target = LocalSigner.generate().address
    hashes = [sender.send(target, b"", gas=21_000, value=1) for _ in range(5)]
    receipts = [client.wait_for_receipt(h) for h in hashes]
    assert all(r.status == 1 for r in receipts)
    # another client using the same key moves the nonce behind our back
    other = TxSender(client, LocalSigner.from_key(dev_private_key(9)))
    client.wait_for_receipt(other.send(target, b"", gas=21_000, value=1))
    # our stale counter is refused with "nonce too low"; the sender resyncs and succeeds
    client.wait_for_receipt(sender.send(target, b"", gas=21_000, value=1))
    balance = int(client.rpc.call("eth_getBalance", [target, "latest"]), 16)
    assert balance == 7


def test_deploy_is_idempotent_and_redeploys_on_a_new_chain(build: Build, tmp_path: Path) -> None:
    deployments = tmp_path / "deployments"
    first_node = start_node("anvil", ROOT)
    try:
        client = _client(first_node, build)
        sender = TxSender(client, LocalSigner.from_key(dev_private_key(0)))
        members = [sender.address]
        first, deployed = deploy(client, sender, build, deployments, members, 1)
        assert deployed
        again, deployed_again = deploy(client, sender, build, deployments, members, 1)
        assert not deployed_again and again == first
        assert load_deployment(deployments, client.chain_id) == first
    finally:
        first_node.stop()
    # same chain id, new genesis (a restarted devnet): the manifest is stale, so deploy again
    second_node = start_node("anvil", ROOT)
    try:
        client = _client(second_node, build)
        sender = TxSender(client, LocalSigner.from_key(dev_private_key(0)))
        from ftzchain.deploy import current_deployment

        with pytest.raises(NotDeployed, match="devnet restarted"):
            current_deployment(client, deployments)
        second, deployed = deploy(client, sender, build, deployments, [sender.address], 1)
        assert deployed
        assert current_deployment(client, deployments) == second
    finally:
        second_node.stop()


def test_compile_error_shows_the_compilers_messages_only(tmp_path: Path) -> None:
    import shutil

    from ftzchain.compile import compile_contracts
    from ftzchain.errors import CompileError

    shutil.copytree(ROOT / "contracts", tmp_path / "contracts")
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    (tmp_path / "contracts" / "Broken.sol").write_text(
        "// SPDX-License-Identifier: Apache-2.0\npragma solidity ^0.8.28;\n"
        "contract Broken { function f() public { undeclared = 1; } }\n"
    )
    with pytest.raises(CompileError) as err:
        compile_contracts(tmp_path, tmp_path / "build")
    message = str(err.value)
    assert "DeclarationError: Undeclared identifier" in message and "Broken.sol" in message
    assert '"abi"' not in message and len(message) < 2_000


def test_reads_right_after_a_receipt_see_that_receipts_block(anvil_world: World) -> None:
    """A node that answers ``latest`` from the parent block just after a receipt (as geth
    does) must not make the client read state from before its own write."""
    world = anvil_world
    with RpcProxy(world.node.url) as proxy:
        proxy.stale_reads_after_receipt = 3
        client = ChainClient(proxy.url, world.ctx.client.decoder, world.node.chain_id)
        try:
            registry = IpRegistryContract(
                client, world.ctx.ip_registry.address, world.ctx.ip_registry.codec
            )
            zone_node = TxSender(client, world.sh_node.signer)
            content_hash = hashlib.sha256(b"read your own writes").digest()
            signed = registry.sign(world.sh_enterprise, content_hash, SH)
            receipt = registry.register(zone_node, signed)
            record = registry.record(content_hash)
            assert proxy.stale_answers == 3, "the stale window was exercised"
            assert record is not None and record.owner == world.sh_enterprise.address
            # The control: the same read straight after the next receipt, without the client's
            # wait, is answered from the parent block and misses the write.
            other = hashlib.sha256(b"read your own writes, control").digest()
            receipt = registry.register(zone_node, registry.sign(world.sh_enterprise, other, SH))
            call = registry.codec.encode_call("recordOf", other)
            with pytest.raises(RpcError):  # recordOf reverts: not registered at the parent
                client.rpc.call("eth_call", [{"to": registry.address, "data": "0x" + call.hex()}])
            assert registry.record(other) is not None
            assert receipt.block_number > 0
        finally:
            client.close()


def test_a_batch_larger_than_the_node_accepts_is_sent_in_parts(node: LocalNode) -> None:
    """anvil refuses a request body over 2 MiB with one "Invalid request" for the whole
    batch: 32 trace batches of 100 events (84 KB of hex each) held a relay with 1 s blocks in
    a loop of refused sends. Each call of a larger batch gets its own answer."""
    from ftzchain.rpc import JsonRpc

    junk = "0x" + "ab" * 42_000  # not a transaction: each call's own answer is a decode error
    calls = [("eth_sendRawTransaction", [junk]) for _ in range(32)]
    assert 32 * len(junk) > 2 * 1024 * 1024
    with JsonRpc(node.url) as rpc:
        outcomes = rpc.batch_outcomes(calls)
        assert rpc.call("eth_chainId") == hex(node.chain_id)  # ids stay in step
    assert len(outcomes) == 32
    assert all(isinstance(o, RpcError) for o in outcomes)
    messages = {o.rpc_message for o in outcomes}
    assert "Invalid request" not in messages and not any("no result" in m for m in messages)


def test_batch_parts_stay_within_the_byte_and_call_limits() -> None:
    from ftzchain.rpc import MAX_BATCH_CALLS, _chunks

    assert _chunks([400, 400, 400, 2000, 10], 1000) == [(0, 2), (2, 3), (3, 4), (4, 5)]
    assert _chunks([1] * (MAX_BATCH_CALLS + 1), 10**9) == [
        (0, MAX_BATCH_CALLS),
        (MAX_BATCH_CALLS, MAX_BATCH_CALLS + 1),
    ]
    assert _chunks([5], 1) == [(0, 1)]
