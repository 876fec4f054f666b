"""`scripts/bench evidence`: exporting and verifying court bundles against a naive fetch."""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from ftzchain.client import ChainClient
from ftzchain.devnet import dev_private_key, start_node
from ftzchain.domain import zone_id
from ftzchain.reverts import RevertDecoder
from ftzchain.signing import LocalSigner

from .harness import (
    ROOT,
    Bench,
    Result,
    fresh_bench,
    median_p95,
)

log = logging.getLogger("bench")


def _fill_blocks(bench: Bench, count: int, per_block: int) -> list[tuple[bytes, str]]:
    """``count`` single registrations, ``per_block`` transactions to a block (busy blocks)."""
    reg = bench.ctx.ip_registry
    rpc = bench.ctx.client.rpc
    zone = zone_id("CN-SH")
    nonce = reg.nonce(bench.enterprise.address)
    max_fee, tip = bench.ctx.client.fees()
    sent: list[tuple[bytes, str]] = []
    rpc.call("evm_setAutomine", [False])
    try:
        for i in range(count):
            content = hashlib.sha256(f"evidence {i}".encode()).digest()
            signed = reg.sign(bench.enterprise, content, zone, nonce=nonce + i, deadline=2**40)
            data = reg.codec.encode_call(
                "register", signed.registration.as_tuple(), signed.signature
            )
            sent.append(
                (content, bench.zone_node.send(reg.address, data, gas=200_000, fees=(max_fee, tip)))
            )
            if (i + 1) % per_block == 0 or i == count - 1:
                rpc.call("evm_mine", [])
    finally:
        rpc.call("evm_setAutomine", [True])
    for _, tx_hash in sent[-1:]:
        if bench.ctx.client.wait_for_receipt(tx_hash).status != 1:
            raise RuntimeError("a registration reverted while filling blocks")
    return sent


def _naive_export_fetch(url: str, tx_hash: str) -> None:
    """What a naive exporter fetches: the block, then every receipt one request at a time."""
    from web3 import Web3

    w3 = Web3(Web3.HTTPProvider(url))
    receipt = w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
    block = w3.eth.get_block(receipt["blockHash"], full_transactions=True)
    for tx in block["transactions"]:
        assert isinstance(tx, Mapping)  # full_transactions=True: objects, not hashes
        w3.eth.get_transaction_receipt(tx["hash"])


def bench_evidence(args: argparse.Namespace) -> Result:
    from ftzchain.anchor import Anchorer, deploy_anchor
    from ftzchain.evidence.export import AnchorSource, block_evidence, export_ip_bundle
    from ftzchain.evidence.service import REGISTRY_DOMAIN
    from ftzchain.evidence.verify import verify_bundle

    count, per_block = args.bundles, args.per_block
    with tempfile.TemporaryDirectory() as state:
        bench = fresh_bench(args.node, Path(state))
        outer_node = start_node("anvil", ROOT, chain_id=1_234_321)
        try:
            ctx = bench.ctx
            outer = ctx.sender_on(
                ChainClient(outer_node.url, RevertDecoder(ctx.abis.all_entries())),
                LocalSigner.from_key(dev_private_key(9)),
            )
            anchor_dep, _ = deploy_anchor(outer.client, outer, ctx.build, Path(state) / "anchors")
            contract = anchor_dep.address("FtzAnchor")
            print(
                f"evidence: {count} registrations, {per_block} transactions per block, "
                f"on {args.node}"
            )
            sent = _fill_blocks(bench, count, per_block)
            Anchorer(ctx.client, outer, contract, ctx.abis.get("FtzAnchor")).anchor_once()
            source = AnchorSource(outer.client.rpc, contract, outer.client.chain_id)
            rpc, chain_id, registry = ctx.client.rpc, ctx.client.chain_id, ctx.ip_registry.address

            def export(content: bytes, tx_hash: str) -> dict[str, object]:
                return export_ip_bundle(
                    rpc, chain_id, registry, tx_hash, content, REGISTRY_DOMAIN, source
                )

            export(*sent[0])  # warm-up: connections, caches
            export_times, verify_times, sizes = [], [], []
            for content, tx_hash in sent:
                started = time.perf_counter()
                bundle = export(content, tx_hash)
                export_times.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                verdict = verify_bundle(bundle)
                verify_times.append((time.perf_counter() - started) * 1000)
                if not verdict.ok or bundle["anchor"] is None:
                    raise RuntimeError(f"bundle of {tx_hash} failed: {verdict.reason}")
                sizes.append(len(json.dumps(bundle)))
            sample = sent[:: max(1, count // 50)]
            naive_times, fetch_times = [], []
            for _content, tx_hash in sample:
                started = time.perf_counter()
                _naive_export_fetch(bench.node.url, tx_hash)
                naive_times.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                block_evidence(rpc, tx_hash)
                fetch_times.append((time.perf_counter() - started) * 1000)
        finally:
            bench.ctx.close()
            bench.node.stop()
            outer_node.stop()
    export_ms, export_p95 = median_p95(export_times)
    verify_ms, verify_p95 = median_p95(verify_times)
    naive_ms, _ = median_p95(naive_times)
    fetch_ms, _ = median_p95(fetch_times)
    ratio = naive_ms / fetch_ms
    print(
        f"  export (anchored bundle): median {export_ms:.1f} ms, p95 {export_p95:.1f} ms "
        f"(target < 200 ms); bundle {sum(sizes) // len(sizes):,} bytes on average"
    )
    print(f"  offline verify: median {verify_ms:.2f} ms, p95 {verify_p95:.2f} ms (target < 50 ms)")
    print(
        f"  block data + proofs: {fetch_ms:.1f} ms batched vs {naive_ms:.1f} ms naive "
        f"(web3.py, one receipt per request): {ratio:.1f}x"
    )
    figures: dict[str, float | int | str] = {
        "export_ms": round(export_ms, 1),
        "export_p95_ms": round(export_p95, 1),
        "verify_ms": round(verify_ms, 2),
        "verify_p95_ms": round(verify_p95, 2),
        "baseline_fetch_ms": round(naive_ms, 1),
        "fetch_ms": round(fetch_ms, 1),
        "ratio": round(ratio, 1),
        "bundles": count,
        "tx_per_block": per_block,
        "node": args.node,
    }
    return Result(
        "evidence",
        figures,
        headline=f"export {export_ms:.1f} ms, verify {verify_ms:.2f} ms per record (median)",
        baseline=f"{naive_ms:.1f} ms naive block fetch (web3, per-receipt) vs {fetch_ms:.1f} ms",
        ratio=f"{ratio:.1f}",
    )
