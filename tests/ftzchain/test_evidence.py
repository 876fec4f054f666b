"""Evidence bundles: exported from a real node, verified offline, tamper-evident in every field."""

from __future__ import annotations

import copy
import hashlib
import json
import random
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ftzchain.anchor import Anchorer, deploy_anchor
from ftzchain.client import ChainClient
from ftzchain.compile import Build
from ftzchain.devnet import LocalNode, dev_private_key, start_node
from ftzchain.evidence.certificate import Certificate, CertificateError
from ftzchain.evidence.export import AnchorSource, export_ip_bundle
from ftzchain.evidence.service import REGISTRY_DOMAIN
from ftzchain.evidence.verify import verify_bundle
from ftzchain.ip import SignedRegistration
from ftzchain.reverts import RevertDecoder
from ftzchain.rpc import JsonRpc
from ftzchain.signing import LocalSigner
from tests.conftest import ROOT, SH, World, make_world

ANCHOR_CHAIN_ID = 1_234_321


@dataclass
class Registered:
    content_hash: bytes
    tx_hash: str


def _bundle(world: World, reg: Registered, anchor: AnchorSource | None = None) -> dict[str, Any]:
    return export_ip_bundle(
        world.ctx.client.rpc,
        world.ctx.client.chain_id,
        world.ctx.ip_registry.address,
        reg.tx_hash,
        reg.content_hash,
        REGISTRY_DOMAIN,
        anchor,
    )


def _register_in_one_block(world: World, labels: list[str], batch_of: int = 0) -> list[Registered]:
    """Several registration transactions (and optionally one batch) mined in one block."""
    rpc = world.ctx.client.rpc
    ip = world.ctx.ip_registry
    nonce = ip.nonce(world.sh_enterprise.address)
    signed: list[SignedRegistration] = []
    for i, label in enumerate(labels):
        content = hashlib.sha256(label.encode()).digest()
        signed.append(ip.sign(world.sh_enterprise, content, SH, nonce=nonce + i))
    singles = signed[: len(signed) - batch_of]
    rpc.call("evm_setAutomine", [False])
    try:
        sent = []
        for s in singles:
            data = ip.codec.encode_call("register", s.registration.as_tuple(), s.signature)
            sent.append((s, world.sh_node.send(ip.address, data, gas=300_000)))
        if batch_of:
            batch = signed[-batch_of:]
            data = ip.codec.encode_call(
                "registerBatch",
                [b.registration.as_tuple() for b in batch],
                [b.signature for b in batch],
            )
            tx = world.sh_node.send(ip.address, data, gas=200_000 * batch_of)
            sent += [(b, tx) for b in batch]
        rpc.call("evm_mine", [])
    finally:
        rpc.call("evm_setAutomine", [True])
    out = []
    for s, tx_hash in sent:
        receipt = world.ctx.client.wait_for_receipt(tx_hash)
        assert receipt.status == 1
        out.append(Registered(s.registration.content_hash, tx_hash))
    return out


@pytest.fixture(scope="module")
def evidence_world(
    anvil: LocalNode, build: Build, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[World, list[Registered]]]:
    world = make_world(anvil, tmp_path_factory.mktemp("evidence"), build)
    registered = _register_in_one_block(world, [f"evidence {i}" for i in range(7)], batch_of=3)
    yield world, registered
    world.ctx.close()


def test_every_registration_in_a_busy_block_verifies(
    evidence_world: tuple[World, list[Registered]],
) -> None:
    world, registered = evidence_world
    blocks = set()
    for reg in registered:
        bundle = _bundle(world, reg)
        verdict = verify_bundle(bundle)
        assert verdict.ok, verdict.reason
        assert verdict.facts["owner"] == world.sh_enterprise.address.lower()
        assert verdict.facts["zone"] == "CN-SH"
        assert bundle["record"]["contentHash"] == "0x" + reg.content_hash.hex()
        blocks.add(bundle["block"]["hash"])
    assert len(blocks) == 1  # one block of five transactions: proofs through branch nodes


def _hex_fields(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, value) of every hex string and integer in the bundle's evidence sections."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _hex_fields(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _hex_fields(value, f"{path}[{i}]")
    elif (isinstance(node, str) and node.startswith("0x")) or (
        isinstance(node, int) and not isinstance(node, bool)
    ):
        yield path, node


def _set(bundle: dict[str, Any], path: str, value: Any) -> None:
    parts: list[str | int] = []
    for piece in path.split("."):
        name, *indexes = piece.replace("]", "").split("[")
        parts.append(name)
        parts += [int(i) for i in indexes]
    target: Any = bundle
    for part in parts[:-1]:
        target = target[part]
    target[parts[-1]] = value


def _flip(value: Any, position: int) -> Any:
    if isinstance(value, int):
        return value ^ 1
    raw = bytearray(bytes.fromhex(value[2:].rjust(len(value[2:]) + len(value[2:]) % 2, "0")))
    if not raw:  # "0x": an empty field becomes one byte
        return "0x01"
    raw[position % len(raw)] ^= 0x01
    return "0x" + raw.hex()


def _expected_links(path: str, kind: str | None = None) -> set[str]:
    section = path.split(".")[0].split("[")[0]
    if section == "block" and kind == "qbft" and path.endswith("extraData"):
        return {"header", "seals"}  # QBFT's block hash leaves the committed seals out
    if section == "block":
        return {"header"}
    if section == "transaction":
        return (
            {"transaction proof"} if ".proof" in path or path.endswith("index") else {"transaction"}
        )
    if section == "receipt":
        return {"receipt proof"} if ".proof" in path else {"receipt"}
    if section == "record":
        return {"signature"} if path.endswith("signature") else {"record"}
    if section == "chain":
        return {"transaction", "signature"}
    if section == "anchor":
        return {"anchor"}
    if section == "seals":
        return {"seals"}
    raise AssertionError(path)


TAMPERED_SECTIONS = ("block", "transaction", "receipt", "record", "chain", "seals", "anchor")


def _assert_every_flip_fails(bundle: dict[str, Any]) -> int:
    rng = random.Random(7)
    checked = 0
    for path, value in _hex_fields({k: bundle[k] for k in TAMPERED_SECTIONS if bundle.get(k)}):
        size = max(1, (len(value) - 2) // 2) if isinstance(value, str) else 1
        for position in {0, size - 1, rng.randrange(size), *range(0, size, 8)}:
            tampered = copy.deepcopy(bundle)
            _set(tampered, path, _flip(value, position))
            verdict = verify_bundle(tampered)
            assert not verdict.ok, f"flipping byte {position} of {path} went unnoticed"
            kind = (bundle.get("seals") or {}).get("kind")
            assert verdict.failed_link in _expected_links(path, kind), (
                f"{path}: failed at {verdict.failed_link} ({verdict.reason})"
            )
            checked += 1
    return checked


def test_flipping_any_byte_of_any_field_fails_and_names_the_part(
    evidence_world: tuple[World, list[Registered]],
) -> None:
    world, registered = evidence_world
    for reg in (registered[2], registered[-1]):  # a single registration and one in a batch
        bundle = _bundle(world, reg)
        assert verify_bundle(bundle).ok
        assert _assert_every_flip_fails(bundle) > 400


def test_structural_damage_is_reported_not_raised(
    evidence_world: tuple[World, list[Registered]],
) -> None:
    world, registered = evidence_world
    bundle = _bundle(world, registered[0])
    cases: list[tuple[str, Any, str]] = [
        ("transaction.proof", bundle["transaction"]["proof"][:-1], "transaction proof"),
        ("receipt.proof", [], "receipt proof"),
        ("receipt.logs", [], "receipt"),
        ("format.version", 2, "format"),
        ("block.header.gasUsed", "zz", "header"),
    ]
    for path, value, link in cases:
        tampered = copy.deepcopy(bundle)
        _set(tampered, path, value)
        verdict = verify_bundle(tampered)
        assert (verdict.ok, verdict.failed_link) == (False, link), (path, verdict.reason)
    del bundle["block"]["header"]["receiptsRoot"]
    assert verify_bundle(bundle).failed_link == "header"


def test_bundle_verifies_in_a_process_without_network(
    evidence_world: tuple[World, list[Registered]], tmp_path: Path
) -> None:
    world, registered = evidence_world
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(_bundle(world, registered[1])))
    # Sockets refused at the library level, then the verifier's own entry point.
    script = (
        "import socket, sys\n"
        "def refuse(*a, **k): raise OSError('networking disabled for this test')\n"
        "socket.socket = refuse; socket.create_connection = refuse; socket.getaddrinfo = refuse\n"
        "from ftzchain.evidence.verify import main\n"
        f"sys.exit(main([{str(path)!r}, '--json']))\n"
    )
    commands = [[sys.executable, "-c", script]]
    if _unshare_works():  # and in a network namespace with no interface at all
        commands.append(
            [
                "unshare",
                "-rn",
                str(Path(sys.executable).with_name("ftz")),
                "evidence",
                "verify",
                str(path),
                "--json",
            ]
        )
    for cmd in commands:
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert json.loads(done.stdout)["valid"] is True
    bad = json.loads(path.read_text())
    bad["record"]["signature"] = _flip(bad["record"]["signature"], 5)
    path.write_text(json.dumps(bad))
    done = subprocess.run(commands[-1], capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 1
    assert json.loads(done.stdout)["failedLink"] == "signature"


def _unshare_works() -> bool:
    try:
        return subprocess.run(["unshare", "-rn", "true"], check=False).returncode == 0
    except FileNotFoundError:
        return False


def test_bundle_from_one_node_matches_another_node_of_the_chain(
    build: Build, tmp_path: Path
) -> None:
    """anvil restarted from its state dump is another node of the same chain."""
    state = tmp_path / "anvil-state.json"
    first = start_node("anvil", ROOT, extra_args=["--dump-state", str(state)])
    try:
        world = make_world(first, tmp_path / "one", build)
        (reg,) = _register_in_one_block(world, ["two nodes"])
        bundle = _bundle(world, reg)
        world.ctx.close()
    finally:
        first.stop()
    second = start_node("anvil", ROOT, extra_args=["--load-state", str(state)])
    try:
        path = tmp_path / "bundle.json"
        path.write_text(json.dumps(bundle))
        ftz = str(Path(sys.executable).with_name("ftz"))
        done = subprocess.run(
            [ftz, "evidence", "verify", str(path), "--against", second.url, "--json"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        verdict = json.loads(done.stdout)
        assert any(c.startswith("node:") for c in verdict["checked"])
        # The second node's own header for that height hashes to the bundle's block hash.
        with JsonRpc(second.url) as rpc:
            block = rpc.call("eth_getBlockByNumber", [bundle["block"]["header"]["number"], False])
        assert block["hash"] == bundle["block"]["hash"]
    finally:
        second.stop()


@pytest.fixture(scope="module")
def anchor_chain(build: Build) -> Iterator[LocalNode]:
    node = start_node("anvil", ROOT, chain_id=ANCHOR_CHAIN_ID)
    yield node
    node.stop()


def test_anchored_bundle_proves_the_block_on_an_independent_chain(
    anvil: LocalNode, anchor_chain: LocalNode, build: Build, tmp_path: Path
) -> None:
    world = make_world(anvil, tmp_path, build)
    outer = ChainClient(anchor_chain.url, RevertDecoder(build.all_abi_entries()))
    payer = world.ctx.sender_on(outer, LocalSigner.from_key(dev_private_key(9)))
    deployment, _ = deploy_anchor(outer, payer, build, tmp_path / "anchors")
    contract = deployment.address("FtzAnchor")
    source = AnchorSource(outer.rpc, contract, ANCHOR_CHAIN_ID)
    anchorer = Anchorer(world.ctx.client, payer, contract, build.get("FtzAnchor").abi)

    (reg,) = _register_in_one_block(world, ["anchored work"])
    assert _bundle(world, reg, source)["anchor"] is None  # nothing anchored after it yet
    for _ in range(3):
        world.ctx.client.rpc.call("evm_mine", [])
    done = anchorer.anchor_once()
    assert done is not None
    assert anchorer.anchor_once() is None  # the head is already anchored

    bundle = _bundle(world, reg, source)
    anchor = bundle["anchor"]
    assert anchor is not None and len(anchor["links"]) == 3
    verdict = verify_bundle(bundle)
    assert verdict.ok, verdict.reason
    assert f"chain {ANCHOR_CHAIN_ID}" in verdict.facts["anchored on"]
    assert _assert_every_flip_fails(bundle) > 600

    # A forged anchor: the link headers do not lead to the anchored hash.
    forged = copy.deepcopy(bundle)
    forged["anchor"]["links"] = forged["anchor"]["links"][:-1]
    assert verify_bundle(forged).failed_link == "anchor"
    outer.close()
    world.ctx.close()


def test_certificate_is_made_only_from_a_verified_bundle(
    evidence_world: tuple[World, list[Registered]],
) -> None:
    world, registered = evidence_world
    bundle = _bundle(world, registered[0])
    url = "https://zone.example/v1/evidence/x"
    cert = Certificate.from_bundle(bundle, url)
    html = cert.html()
    assert bundle["record"]["contentHash"] in html and "CST" in html and "UTC" in html
    assert "<svg" in html and url in html
    pdf = cert.pdf()
    assert pdf.startswith(b"%PDF-") and len(pdf) > 1500
    bundle["record"]["owner"] = "0x" + "11" * 20
    with pytest.raises(CertificateError):
        Certificate.from_bundle(bundle, url)


def test_clique_seal_is_checked_against_the_validator_set(
    evidence_world: tuple[World, list[Registered]],
) -> None:
    """A Clique-shaped header (vanity + 65-byte seal in extraData) sealed with a real key.

    anvil does not seal blocks; the header is the bundle's own with a seal put into extraData
    and the block hash recomputed, which leaves the transaction and receipt roots untouched.
    """
    from ftzchain.evidence.verify import header_hash

    world, registered = evidence_world
    bundle = _bundle(world, registered[0])
    validator, stranger = LocalSigner.generate(), LocalSigner.generate()
    header = dict(bundle["block"]["header"], extraData="0x" + "00" * 32)
    seal = validator.sign_digest_unsafe(header_hash(header))
    seal = seal[:64] + bytes([seal[64] - 27 if seal[64] >= 27 else seal[64]])
    header["extraData"] = "0x" + ("00" * 32) + seal.hex()
    bundle["block"] = {"hash": "0x" + header_hash(header).hex(), "header": header}
    bundle["seals"] = {"kind": "clique", "validators": [validator.address.lower()]}

    verdict = verify_bundle(bundle)
    assert verdict.ok, verdict.reason
    assert any(c.startswith("seals: Clique seal by validator") for c in verdict.checked)
    assert any("embedded in the bundle" in t for t in verdict.trust)
    # The court's own validator set wins over the bundle's.
    refused = verify_bundle(bundle, validators=[stranger.address])
    assert (refused.ok, refused.failed_link) == (False, "seals")
    assert verify_bundle(bundle, validators=[validator.address]).ok
    # A seal by someone else, with the block hash recomputed to match, names the seals link.
    forged = copy.deepcopy(bundle)
    other = stranger.sign_digest_unsafe(header_hash(dict(header, extraData="0x" + "00" * 32)))
    forged["block"]["header"]["extraData"] = "0x" + ("00" * 32) + other.hex()
    forged["block"]["hash"] = "0x" + header_hash(forged["block"]["header"]).hex()
    assert verify_bundle(forged).failed_link == "seals"


BESU_QBFT_VECTOR = ROOT / "tests" / "data" / "besu-qbft" / "extra-data.json"


def test_qbft_extra_data_reads_and_writes_besus_own_vector() -> None:
    """Besu's codec test vector (vendored, Apache-2.0): decoded as Besu decodes it and
    encoded back to the same bytes."""
    from ftzchain.evidence.verify import QbftExtraData, qbft_extra_data

    vector = json.loads(BESU_QBFT_VECTOR.read_text())
    raw, want = bytes.fromhex(vector["raw"][2:]), vector["decoded"]
    extra = qbft_extra_data(raw)
    assert "0x" + extra.vanity.hex() == want["vanity"]
    assert extra.validators == want["validators"]
    assert extra.vote == (want["vote"]["recipient"], want["vote"]["add"])
    assert extra.round == want["round"] == 0xFEDCBA
    assert extra.seals == [
        s["r"].to_bytes(32, "big") + s["s"].to_bytes(32, "big") + bytes([s["recoveryId"]])
        for s in want["seals"]
    ]
    assert extra.encode() == raw
    assert QbftExtraData(**{**extra.__dict__, "vote": None}).encode() != raw


def _qbft_sealed(
    bundle: dict[str, Any],
    committers: list[LocalSigner],
    validators: list[str],
    round_: int = 1,
) -> dict[str, Any]:
    """The bundle's block rebuilt as a Besu QBFT header: extraData in Besu's layout, the
    committed seals signing the header with its round and no seals, the block hash over the
    header with round 0 and no seals (the roots, and so the proofs, are untouched)."""
    from ftzchain.evidence.verify import QbftExtraData, header_hash, qbft_block_hash

    header = dict(bundle["block"]["header"])
    extra = QbftExtraData(b"\x07" * 32, validators, None, round_, [])
    signed = header_hash(dict(header, extraData="0x" + extra.encode().hex()))
    seals = []
    for key in committers:
        seal = key.sign_digest_unsafe(signed)
        seals.append(seal[:64] + bytes([seal[64] - 27]))  # Besu: recovery id 0 or 1
    header["extraData"] = "0x" + extra.encode(seals=seals).hex()
    sealed = copy.deepcopy(bundle)
    sealed["block"] = {"hash": "0x" + qbft_block_hash(header).hex(), "header": header}
    sealed["seals"] = {"kind": "qbft", "validators": validators}
    return sealed


def test_qbft_committed_seals_need_a_quorum_of_the_validators(
    evidence_world: tuple[World, list[Registered]],
) -> None:
    from ftzchain.evidence.verify import qbft_block_hash

    world, registered = evidence_world
    bundle = _bundle(world, registered[0])
    keys = [LocalSigner.generate() for _ in range(4)]
    validators = sorted(k.address.lower() for k in keys)
    stranger = LocalSigner.generate()

    sealed = _qbft_sealed(bundle, keys[:3], validators)
    verdict = verify_bundle(sealed)
    assert verdict.ok, verdict.reason
    assert any(
        c.startswith("seals: QBFT committed seals of 3 of 4 validators (quorum 3, round 1)")
        for c in verdict.checked
    ), verdict.checked
    assert any("block's own extraData" in t for t in verdict.trust)
    # The block hash leaves out the round and the seals: another round's block is the same.
    again = _qbft_sealed(bundle, keys, validators, round_=3)
    assert again["block"]["hash"] == sealed["block"]["hash"]
    assert qbft_block_hash(again["block"]["header"]) == qbft_block_hash(sealed["block"]["header"])
    assert verify_bundle(again).ok
    for short in (
        _qbft_sealed(bundle, keys[:2], validators),  # 2 of 4: below ceil(8/3) = 3
        _qbft_sealed(bundle, [keys[0], keys[0], keys[1]], validators),  # one counted once
        _qbft_sealed(bundle, [*keys[:2], stranger], validators),  # not a validator
    ):
        assert verify_bundle(short).failed_link == "seals"
    # The court's own set wins over the header's.
    assert verify_bundle(sealed, validators=[k.address for k in keys[:3]]).ok
    assert verify_bundle(sealed, validators=[stranger.address]).failed_link == "seals"
    # A round changed after sealing: the block hash still matches, but no seal does.
    moved = copy.deepcopy(sealed)
    from ftzchain.evidence.verify import QbftExtraData, qbft_extra_data

    extra = qbft_extra_data(bytes.fromhex(moved["block"]["header"]["extraData"][2:]))
    moved["block"]["header"]["extraData"] = (
        "0x" + QbftExtraData(**{**extra.__dict__, "round": 2}).encode().hex()
    )
    assert qbft_block_hash(moved["block"]["header"]).hex() == moved["block"]["hash"][2:]
    assert verify_bundle(moved).failed_link == "seals"
    assert _assert_every_flip_fails(sealed) > 200


@pytest.fixture(scope="module")
def clique_world(
    build: Build, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[World, str]]:
    from ftzchain.clique import start_clique_node

    workdir = tmp_path_factory.mktemp("clique")
    node, validator = start_clique_node(ROOT, workdir)
    try:
        world = make_world(node, workdir / "state", build)
        yield world, validator
        world.ctx.close()
    finally:
        node.stop()


def test_bundle_from_a_geth_clique_chain_carries_a_verified_seal(
    clique_world: tuple[World, str],
) -> None:
    """A real proof-of-authority chain: geth 1.13 Clique, one validator sealing each block."""
    world, validator = clique_world
    ip = world.ctx.ip_registry
    content = hashlib.sha256(b"sealed work").digest()
    receipt = ip.register(world.sh_node, ip.sign(world.sh_enterprise, content, SH))
    bundle = _bundle(world, Registered(content, receipt.tx_hash))
    seals = bundle["seals"]
    assert seals["kind"] == "clique" and seals["validators"] == [validator.lower()]
    assert seals["checkpoint"]["header"]["number"] == "0x0"  # the genesis lists the validator

    embedded = verify_bundle(bundle)
    assert embedded.ok, embedded.reason
    assert any("listed in the genesis block" in t for t in embedded.trust)
    swapped = copy.deepcopy(bundle)
    swapped["seals"]["validators"] = [LocalSigner.generate().address.lower()]
    assert verify_bundle(swapped).failed_link == "seals"

    verdict = verify_bundle(bundle, validators=[validator])
    assert verdict.ok, verdict.reason
    assert any(
        c.startswith(f"seals: Clique seal by validator {validator.lower()}")
        for c in verdict.checked
    )
    assert any("given by the court" in t for t in verdict.trust)
    refused = verify_bundle(bundle, validators=[LocalSigner.generate().address])
    assert (refused.ok, refused.failed_link) == (False, "seals")
    assert _assert_every_flip_fails(bundle) > 200


def test_bundle_verifies_on_every_node_kind(world: World) -> None:
    """anvil and ganache 7 (which lacks eth_getBlockReceipts) both back a bundle."""
    ip = world.ctx.ip_registry
    content = hashlib.sha256(f"node kind {world.node.kind}".encode()).digest()
    receipt = ip.register(world.sh_node, ip.sign(world.sh_enterprise, content, SH))
    verdict = verify_bundle(_bundle(world, Registered(content, receipt.tx_hash)))
    assert verdict.ok, verdict.reason


def test_verifier_imports_nothing_of_the_node_side() -> None:
    """The verifier a court runs: no client, RPC, HTTP, database, API or indexer code."""
    script = (
        "import sys, ftzchain.evidence.verify\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'web3', 'httpx', 'sqlalchemy', 'sqlmodel', 'fastapi', 'indexer', 'api', 'eth_abi', "
        "'trie', 'requests', 'aiohttp'} or (m.startswith('ftzchain.') and m not in "
        "{'ftzchain.evidence', 'ftzchain.evidence.verify'}))\n"
        "print(','.join(loaded))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.strip() == ""


def test_bundle_of_a_work_registered_in_a_signed_batch(
    evidence_world: tuple[World, list[Registered]],
) -> None:
    """One owner signature covers the whole batch: the verifier rebuilds it from the call."""
    from ftzchain.eip712 import IpItem

    world, _ = evidence_world
    ip = world.ctx.ip_registry
    items = [IpItem(hashlib.sha256(f"signed batch {i}".encode()).digest(), 2) for i in range(20)]
    receipt = ip.register_signed(world.sh_node, ip.sign_batch(world.sh_enterprise, SH, items))
    bundle = _bundle(world, Registered(items[7].content_hash, receipt.tx_hash))
    assert bundle["record"]["nonce"] == 2**256 - 1
    verdict = verify_bundle(bundle)
    assert verdict.ok, verdict.reason
    assert _assert_every_flip_fails(bundle) > 300
