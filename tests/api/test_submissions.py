"""The intake API over HTTP with `ftz serve` and `ftz relay` running: enterprise-signed IP and
EPCIS batches are validated, queued, relayed and recorded once; bad ones are refused with the
status and the field that say why. Messages are signed with eth_account's EIP-712 encoder
from the typed data the zone hands out (not with this project's digest code)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from ftzchain.compile import Build
from ftzchain.devnet import LocalNode, dev_private_key
from ftzchain.eip712 import typed_data_types
from ftzchain.enums import InvoiceStatus
from ftzchain.fingerprints import consignment_key, lot_key
from ftzchain.invoice import invoice_from_json
from ftzchain.invoice.read import parse_invoice
from ftzchain.sandbox import NetworkPlan, apply_plan, epcis_document
from ftzchain.signing import Keystore, LocalSigner, Signer
from ftzchain.submission import CONTRACT_OF_KIND, PRIMARY_TYPE
from indexer.models import IpRegistrationRow, TraceEventRow
from tests.api.signin import bearer
from tests.conftest import AH, ROOT, SH, TEST_CONSORTIUM_KEY, World, make_world
from tests.indexer.helpers import fresh_db, indexer_for
from tests.serving import FTZ, serving

PASSWORD = "intake-test"


@dataclass
class Intake:
    base: str
    world: World
    db_url: str
    relay: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def intake(
    anvil: LocalNode, build: Build, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Intake]:
    state = tmp_path_factory.mktemp("intake")
    world = make_world(anvil, state, build)
    Keystore(state / "keystore", scrypt_n=2**10).create("sh-node", PASSWORD, dev_private_key(4))
    url = f"sqlite:///{state / 'intake.db'}"
    indexer_for(world, fresh_db(url)).sync()  # the governance the API reads callers' roles from
    env = {
        **os.environ,
        "FTZ_DATABASE_URL": url,
        "FTZ_CHAIN_ID": str(anvil.chain_id),
        "FTZ_RPC_URL": anvil.url,
        "FTZ_STATE_DIR": str(state),
        "FTZ_CONSORTIUM_KEY": TEST_CONSORTIUM_KEY,
        "FTZ_ZONE": "CN-SH",
        "FTZ_SENDER": "sh-node",
        "FTZ_KEYSTORE_PASSWORD": PASSWORD,
        "FTZ_KEYSTORE_SCRYPT_N": str(2**10),
        "FTZ_RATE_LIMIT_PER_MINUTE": "0",
    }
    relay = subprocess.Popen(
        [FTZ, "relay"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        with serving(env) as (base, _proc):
            yield Intake(base, world, url, relay)
    finally:
        relay.terminate()
        relay.wait(20)
        world.ctx.close()


_SESSIONS: dict[tuple[str, str], dict[str, str]] = {}


def _signed_in(intake: Intake, caller: Signer) -> dict[str, str]:
    """A session of ``caller`` (the /items endpoints answer this zone's clients only)."""
    key = (intake.base, caller.address)
    if key not in _SESSIONS:
        _SESSIONS[key] = bearer(intake.base, caller)
    return _SESSIONS[key]


def _typed(
    intake: Intake, path: str, body: dict[str, Any], caller: Signer | None = None
) -> dict[str, Any]:
    headers = _signed_in(intake, caller or intake.world.sh_enterprise)
    r = httpx.post(f"{intake.base}{path}", json=body, timeout=30, headers=headers)
    assert r.status_code == 200, r.text
    typed: dict[str, Any] = r.json()["typedData"]
    return typed


def _trace_submission(
    intake: Intake, signer: LocalSigner, document: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    # An enterprise of another zone cannot ask this zone: its node prepares the typed data.
    bound = signer.address == intake.world.ah_enterprise.address
    typed = _typed(
        intake,
        "/v1/trace/items",
        {"enterprise": signer.address, "document": document, **fields},
        intake.world.sh_node.signer if bound else signer,
    )
    return {
        "kind": "trace-batch",
        "message": typed["message"],
        "signature": "0x" + signer.sign_typed_data(typed).hex(),
        "document": document,
    }


def _wait(intake: Intake, submission_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status: dict[str, Any] = httpx.get(
            f"{intake.base}/v1/submissions/{submission_id}", timeout=10
        ).json()
        if status["state"] in ("confirmed", "failed") or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def _post(intake: Intake, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{intake.base}/v1/submissions", json=body, timeout=30)


def test_an_epcis_batch_is_relayed_and_recorded_once(intake: Intake) -> None:
    world = intake.world
    document = epcis_document("intake once", 5)
    body = _trace_submission(intake, world.sh_enterprise, document)
    first = _post(intake, body)
    assert first.status_code == 202, first.text
    sid = first.json()["id"]
    again = _post(intake, body)
    assert again.status_code == 200 and again.json()["id"] == sid
    status = _wait(intake, sid)
    assert status["state"] == "confirmed", status
    receipt = world.ctx.client.wait_for_receipt(status["tx_hash"])
    assert receipt.block_number == status["block_number"]
    assert len(receipt.logs) == 5
    # In SQL after indexing; a new signature over the same events is refused (409).
    indexer_for(world, fresh_db(intake.db_url)).sync()
    hash_ids = _typed(
        intake, "/v1/trace/items", {"enterprise": world.sh_enterprise.address, "document": document}
    )
    verify = httpx.post(f"{intake.base}/v1/trace/verify", json=document, timeout=30).json()
    assert verify["all_recorded"] and len(verify["events"]) == 5
    assert hash_ids["message"]["nonce"] == status["nonce"] + 1
    replay = _post(intake, _trace_submission(intake, world.sh_enterprise, document))
    assert replay.status_code == 409
    assert replay.json()["error"]["code"] == "already_recorded"
    # The same signed message after confirmation is still the same, confirmed submission.
    assert _post(intake, body).json()["state"] == "confirmed"


def test_trace_batches_signed_out_of_order_are_recorded_in_nonce_order(intake: Intake) -> None:
    world = intake.world
    nonce = world.ctx.traceability.nonce(world.sh_enterprise.address)
    later = _trace_submission(
        intake, world.sh_enterprise, epcis_document("order b", 2), nonce=nonce + 1
    )
    earlier = _trace_submission(
        intake, world.sh_enterprise, epcis_document("order a", 2), nonce=nonce
    )
    later_id = _post(intake, later).json()["id"]
    assert httpx.get(f"{intake.base}/v1/submissions/{later_id}").json()["state"] == "queued"
    earlier_id = _post(intake, earlier).json()["id"]
    a, b = _wait(intake, earlier_id), _wait(intake, later_id)
    assert a["state"] == b["state"] == "confirmed"
    assert (a["block_number"], a["log_index"]) < (b["block_number"], b["log_index"])


def test_an_ip_batch_is_relayed(intake: Intake) -> None:
    world = intake.world
    works = [hashlib.sha256(f"intake work {i}".encode()).hexdigest() for i in range(3)]
    typed = _typed(
        intake,
        "/v1/ip/items",
        {"owner": world.sh_enterprise.address, "items": [{"contentHash": "0x" + w} for w in works]},
    )
    body = {
        "kind": "ip-batch",
        "message": typed["message"],
        "signature": "0x" + world.sh_enterprise.sign_typed_data(typed).hex(),
    }
    r = _post(intake, body)
    assert r.status_code == 202, r.text
    assert _wait(intake, r.json()["id"])["state"] == "confirmed"
    ids = ["0x" + w for w in works]
    assert world.ctx.ip_registry.registered(ids) == set(ids)
    # A new signature over works all registered already is refused.
    typed["message"]["deadline"] += 1
    body["message"] = typed["message"]
    body["signature"] = "0x" + world.sh_enterprise.sign_typed_data(typed).hex()
    refused = _post(intake, body)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "already_recorded"


def _error(r: httpx.Response) -> tuple[int, str]:
    return r.status_code, str(r.json()["error"]["message"])


def test_bad_submissions_are_refused_saying_why(intake: Intake) -> None:
    world = intake.world
    good = _trace_submission(intake, world.sh_enterprise, epcis_document("refusals", 2))
    # Signed by another key than the enterprise the message names.
    typed = _typed(
        intake,
        "/v1/trace/items",
        {"enterprise": world.sh_enterprise.address, "document": good["document"]},
    )
    # The very message submitted, signed by the wrong key (a second /items call may hand out
    # another default deadline when a second has passed).
    wrong = world.ah_enterprise.sign_typed_data({**typed, "message": good["message"]})
    forged = {**good, "signature": "0x" + wrong.hex()}
    status, message = _error(_post(intake, forged))
    assert status == 403 and world.ah_enterprise.address in message
    # An enterprise bound to another zone.
    other = _trace_submission(intake, world.ah_enterprise, epcis_document("other zone", 1))
    status, message = _error(_post(intake, other))
    assert status == 403 and "CN-AH" in message
    # Expired.
    expired = _trace_submission(
        intake, world.sh_enterprise, epcis_document("late", 1), deadline=int(time.time()) + 5
    )
    status, message = _error(_post(intake, expired))
    assert status == 422 and "message.deadline" in message and "expires" in message
    # Signed events that are not the document's.
    typed["message"]["events"][1]["eventTime"] += 1
    tampered = {
        **good,
        "message": typed["message"],
        "signature": "0x" + world.sh_enterprise.sign_typed_data(typed).hex(),
    }
    status, message = _error(_post(intake, tampered))
    assert status == 422 and "message.events.1.event_time" in message
    # Malformed: no signature; a field of the wrong type.
    status, message = _error(_post(intake, {k: v for k, v in good.items() if k != "signature"}))
    assert status == 422 and "signature" in message
    wrong_type = {**good, "message": {**good["message"], "nonce": "zero"}}
    status, message = _error(_post(intake, wrong_type))
    assert status == 422 and "message.nonce" in message
    status, _ = _error(_post(intake, {**good, "kind": "custody"}))
    assert status == 422
    # A nonce the chain used already.
    used = _trace_submission(intake, world.sh_enterprise, epcis_document("used nonce", 1), nonce=0)
    if world.ctx.traceability.nonce(world.sh_enterprise.address) > 0:
        status, message = _error(_post(intake, used))
        assert status == 409 and "nonce 0" in message
    # Two different batches signed with the same future nonce: the second is refused.
    far = world.ctx.traceability.nonce(world.sh_enterprise.address) + 50
    one = _trace_submission(intake, world.sh_enterprise, epcis_document("far 1", 1), nonce=far)
    two = _trace_submission(intake, world.sh_enterprise, epcis_document("far 2", 1), nonce=far)
    assert _post(intake, one).status_code == 202
    r = _post(intake, two)
    assert r.status_code == 409 and r.json()["error"]["code"] == "nonce_taken"


def test_an_ethers_client_following_the_guide_is_relayed(intake: Intake) -> None:
    """ethers v6 under node signs an IpBatch and a TraceBatch from docs/integrating.md; both
    end up on chain and, once indexed, in SQL."""
    world = intake.world
    enterprise = LocalSigner.generate()
    apply_plan(
        world.ctx.governance,
        world.committee[:2],
        NetworkPlan(enterprises=[(enterprise.address, "CN-SH")]),
    )
    indexer_for(world, fresh_db(intake.db_url)).sync()  # its binding, for the sign-in
    done = subprocess.run(
        [
            "node",
            str(ROOT / "tests" / "js" / "intake_client.mjs"),
            intake.base,
            "0x" + enterprise.private_key.hex(),
            "ethers client",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    # ethers' own EIP-4361 message signed it in, as an enterprise of this zone.
    assert seen["signed_in"]["enterprise_zones"] == ["CN-SH"]
    assert world.ctx.ip_registry.registered(seen["ip"]["works"]) == set(seen["ip"]["works"])
    for tx in (seen["ip"]["tx_hash"], seen["trace"]["tx_hash"]):
        assert world.ctx.client.wait_for_receipt(tx).status == 1
    engine = fresh_db(intake.db_url)
    indexer_for(world, engine).sync()
    with Session(engine) as session:
        owners = session.exec(
            select(IpRegistrationRow.owner).where(
                col(IpRegistrationRow.content_hash).in_(seen["ip"]["works"])
            )
        ).all()
        events = session.exec(
            select(TraceEventRow.enterprise).where(
                col(TraceEventRow.event_id).in_(seen["trace"]["event_ids"])
            )
        ).all()
    assert owners == [enterprise.address.lower()] * 3
    assert events == [enterprise.address.lower()] * 2


def test_ftz_sign_and_submit_from_the_enterprises_machine(intake: Intake, tmp_path: Path) -> None:
    """The enterprise's side: its own keystore, `ftz sign trace` against the zone's API (the
    unkeyed fields recomputed locally), then `ftz submit --wait`."""
    world = intake.world
    enterprise = LocalSigner.generate()
    apply_plan(
        world.ctx.governance,
        world.committee[:2],
        NetworkPlan(enterprises=[(enterprise.address, "CN-SH")]),
    )
    indexer_for(world, fresh_db(intake.db_url)).sync()  # its binding, for the sign-in
    Keystore(tmp_path / "keystore", scrypt_n=2**10).create("acme", PASSWORD, enterprise.private_key)
    env = {
        **os.environ,
        "FTZ_STATE_DIR": str(tmp_path),
        "FTZ_KEYSTORE_PASSWORD": PASSWORD,
        "FTZ_ZONE_API": intake.base,
    }
    document = tmp_path / "capture.json"
    document.write_text(json.dumps(epcis_document("ftz sign", 3)))
    signed = tmp_path / "capture.signed.json"
    run = subprocess.run(
        [FTZ, "sign", "trace", str(document), "--enterprise", "acme", "-o", str(signed)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    body = json.loads(signed.read_text())
    assert body["kind"] == "trace-batch" and len(body["message"]["events"]) == 3
    run = subprocess.run(
        [FTZ, "submit", str(signed), "--wait", "60"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert '"state": "confirmed"' in run.stdout
    assert world.ctx.traceability.nonce(enterprise.address) == 1
    # A zone that does not answer: one line that says so, and a failing exit.
    run = subprocess.run(
        [FTZ, "submit", str(signed), "--zone-api", "http://127.0.0.1:9"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1 and "did not answer" in run.stderr


def test_ftz_sign_covers_every_kind_an_enterprise_signs(intake: Intake, tmp_path: Path) -> None:
    """`ftz sign ip | ip-licence | ip-transfer | invoice | invoice-goods | invoice-action` on
    the enterprise's machine, each posted with `ftz submit --wait` and found on chain: the
    enterprise's key never reaches the zone."""
    world = intake.world
    seller = world.sh_enterprise  # bound to CN-SH, and the seller the invoice's USCC names
    Keystore(tmp_path / "keystore", scrypt_n=2**10).create("acme", PASSWORD, seller.private_key)
    env = {
        **os.environ,
        "FTZ_STATE_DIR": str(tmp_path),
        "FTZ_KEYSTORE_PASSWORD": PASSWORD,
        "FTZ_ZONE_API": intake.base,
    }

    def ftz(*args: str) -> str:
        run = subprocess.run(
            [FTZ, *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert run.returncode == 0, (args, run.stdout, run.stderr)
        return run.stdout

    def sign_and_submit(kind: str, *args: str) -> str:
        out = tmp_path / f"{kind}.signed.json"
        printed = ftz("sign", kind, *args, "--enterprise", "acme", "-o", str(out))
        assert '"state": "confirmed"' in ftz("submit", str(out), "--wait", "60")
        return printed

    work = tmp_path / "design.txt"
    work.write_text("a design registered from the enterprise's machine")
    content = hashlib.sha256(work.read_bytes()).digest()
    sign_and_submit("ip", str(work))
    assert world.ctx.ip_registry.registered(["0x" + content.hex()]) == {"0x" + content.hex()}
    terms = tmp_path / "terms.txt"
    terms.write_text("non-exclusive, mainland China")
    licensee = world.ah_enterprise.address
    sign_and_submit(
        "ip-licence", content.hex(), "--licensee", licensee, "--terms", str(terms),
        "--valid-from", "2027-01-01", "--valid-until", "2027-12-31",
    )  # fmt: skip
    sign_and_submit("ip-transfer", content.hex(), "--to", licensee, "--to-zone", "CN-AH")
    record = world.ctx.ip_registry.record(content)
    assert record is not None and record.owner == licensee

    key = world.ctx.consortium_key
    ubl = (ROOT / "tests" / "data" / "invoice-auto-parts.ubl.xml").read_text()
    invoice = tmp_path / "invoice.xml"
    invoice.write_text(ubl.replace("<cbc:ID>sh 2026 00042</cbc:ID>", "<cbc:ID>SIGN-0001</cbc:ID>"))
    prints = parse_invoice(invoice.read_bytes()).prints(key)
    if world.ctx.invoices.seller_of(prints.seller) is None:
        world.ctx.invoices.bind_seller(world.sh_node, prints.seller, seller.address)
    invoice_id = "0x" + prints.invoice_id.hex()
    assert invoice_id in sign_and_submit("invoice", str(invoice))
    lot = lot_key("urn:epc:class:lgtin:4012345.000009.SIGN", key)
    world.ctx.custody.take_custody(world.sh_node, SH, [lot])
    world.ctx.custody.dispatch(world.sh_node, consignment_key("CSG-SIGN-1", key), SH, AH, [lot])
    sign_and_submit("invoice-goods", invoice_id, "--consignment", "CSG-SIGN-1")
    sign_and_submit("invoice-action", invoice_id, "--action", "paid", "--reason", "wire 0042")
    on_chain = world.ctx.invoices.invoice(prints.invoice_id)
    assert on_chain is not None and on_chain.status == InvoiceStatus.PAID
    assert on_chain.consignment_id == consignment_key("CSG-SIGN-1", key)
    # A bad option is refused before anything is signed, saying what to use.
    run = subprocess.run(
        [FTZ, "sign", "invoice-action", invoice_id, "-e", "acme", "-o", str(tmp_path / "x"),
         "--action", "cancel", "--reason", "r"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert run.returncode == 1 and "void, credit-note, paid" in run.stderr
    assert not (tmp_path / "x").exists()


def _signed(
    intake: Intake, signer: LocalSigner, kind: str, message: dict[str, Any]
) -> dict[str, Any]:
    """A submission built as an integrator builds it from docs/integrating.md: the domain
    from GET /v1/chain, the types from the guide's table, signed with eth_account."""
    chain = httpx.get(f"{intake.base}/v1/chain", timeout=10).json()
    typed = {
        "types": typed_data_types(PRIMARY_TYPE[kind]),
        "primaryType": PRIMARY_TYPE[kind],
        "domain": chain["domains"][CONTRACT_OF_KIND[kind]],
        "message": message,
    }
    return {
        "kind": kind,
        "message": message,
        "signature": "0x" + signer.sign_typed_data(typed).hex(),
    }


def test_invoices_are_issued_linked_and_voided_through_the_intake(intake: Intake) -> None:
    world = intake.world
    key = world.ctx.consortium_key
    invoice = json.loads((ROOT / "tests" / "data" / "invoice-auto-parts.json").read_text())
    invoice["number"] = "SH-INTAKE-0001"
    prints = invoice_from_json(invoice).prints(key)
    if world.ctx.invoices.seller_of(prints.seller) is None:  # bound by an earlier test
        world.ctx.invoices.bind_seller(world.sh_node, prints.seller, world.sh_enterprise.address)
    typed = _typed(
        intake, "/v1/invoices/items", {"seller": world.sh_enterprise.address, "invoice": invoice}
    )
    issue = {
        "kind": "invoice-issue",
        "message": typed["message"],
        "signature": "0x" + world.sh_enterprise.sign_typed_data(typed).hex(),
    }
    r = _post(intake, issue)
    assert r.status_code == 202, r.text
    assert _wait(intake, r.json()["id"])["state"] == "confirmed"
    invoice_id = "0x" + prints.invoice_id.hex()
    on_chain = world.ctx.invoices.invoice(prints.invoice_id)
    assert on_chain is not None and on_chain.seller == world.sh_enterprise.address
    again = _post(intake, {**issue, "signature": issue["signature"]})
    assert again.status_code == 200
    # Link the goods: the consignment is dispatched first (custody, by the zone node).
    lot = lot_key("urn:epc:class:lgtin:4012345.000009.INTAKE", key)
    world.ctx.custody.take_custody(world.sh_node, SH, [lot])
    world.ctx.custody.dispatch(world.sh_node, consignment_key("CSG-INTAKE-1", key), SH, AH, [lot])
    goods = _typed(
        intake, "/v1/invoices/goods-items", {"invoiceId": invoice_id, "consignment": "CSG-INTAKE-1"}
    )
    r = _post(
        intake,
        {
            "kind": "invoice-goods",
            "message": goods["message"],
            "signature": "0x" + world.sh_enterprise.sign_typed_data(goods).hex(),
        },
    )
    assert r.status_code == 202, r.text
    assert _wait(intake, r.json()["id"])["state"] == "confirmed"
    # Void it: the action is built from the guide alone (no zone endpoint needed).
    deadline = int(time.time()) + 3600
    void = {
        "invoiceId": invoice_id,
        "action": 1,
        "reasonHash": "0x" + hashlib.sha256(b"issued twice by mistake").hexdigest(),
        "deadline": deadline,
    }
    # Only the seller may act on it.
    status, message = _error(
        _post(intake, _signed(intake, world.ah_enterprise, "invoice-action", void))
    )
    assert status == 403
    r = _post(intake, _signed(intake, world.sh_enterprise, "invoice-action", void))
    assert r.status_code == 202, r.text
    assert _wait(intake, r.json()["id"])["state"] == "confirmed"
    voided = world.ctx.invoices.invoice(prints.invoice_id)
    assert voided is not None and voided.status == InvoiceStatus.VOIDED
    assert voided.consignment_id == consignment_key("CSG-INTAKE-1", key)
    paid = {**void, "action": 3}
    status, message = _error(
        _post(intake, _signed(intake, world.sh_enterprise, "invoice-action", paid))
    )
    assert status == 409 and "voided" in message


def test_a_licence_and_a_transfer_signed_by_the_owner_are_recorded_in_nonce_order(
    intake: Intake,
) -> None:
    world = intake.world
    owner = world.sh_enterprise
    work = hashlib.sha256(b"intake transfer work").digest()
    world.ctx.ip_registry.register(world.sh_node, world.ctx.ip_registry.sign(owner, work, SH))
    nonce = httpx.get(f"{intake.base}/v1/nonces/{owner.address}").json()["ipRegistry"]
    assert nonce == world.ctx.ip_registry.nonce(owner.address)
    deadline = int(time.time()) + 3600
    licence = {
        "contentHash": "0x" + work.hex(),
        "licensee": world.ah_enterprise.address,
        "scopeHash": "0x" + hashlib.sha256(b"terms").hexdigest(),
        "validFrom": 1_800_000_000,
        "validUntil": 1_900_000_000,
        "nonce": nonce,
        "deadline": deadline,
    }
    transfer = {
        "contentHash": "0x" + work.hex(),
        "newOwner": world.ah_enterprise.address,
        "newZoneId": "0x" + AH.hex(),
        "nonce": nonce + 1,
        "deadline": deadline,
    }
    # Signed by someone else than the owner: refused.
    status, _ = _error(_post(intake, _signed(intake, world.ah_enterprise, "ip-licence", licence)))
    assert status == 403
    later = _post(intake, _signed(intake, owner, "ip-transfer", transfer))
    assert later.status_code == 202, later.text
    assert (
        httpx.get(f"{intake.base}/v1/submissions/{later.json()['id']}").json()["state"] == "queued"
    )
    earlier = _post(intake, _signed(intake, owner, "ip-licence", licence))
    assert earlier.status_code == 202, earlier.text
    a, b = _wait(intake, earlier.json()["id"]), _wait(intake, later.json()["id"])
    assert a["state"] == b["state"] == "confirmed", (a, b)
    record = world.ctx.ip_registry.record(work)
    assert record is not None and record.owner == world.ah_enterprise.address
    assert world.ctx.ip_registry.nonce(owner.address) == nonce + 2


def test_an_invoice_action_posted_before_its_issue_is_mined_waits_for_it(intake: Intake) -> None:
    world = intake.world
    key = world.ctx.consortium_key
    invoice = json.loads((ROOT / "tests" / "data" / "invoice-auto-parts.json").read_text())
    invoice["number"] = "SH-INTAKE-0002"
    prints = invoice_from_json(invoice).prints(key)
    if world.ctx.invoices.seller_of(prints.seller) is None:
        world.ctx.invoices.bind_seller(world.sh_node, prints.seller, world.sh_enterprise.address)
    invoice_id = "0x" + prints.invoice_id.hex()
    paid = {
        "invoiceId": invoice_id,
        "action": 3,
        "reasonHash": "0x" + hashlib.sha256(b"paid by wire 2026-11-30").hexdigest(),
        "deadline": int(time.time()) + 3600,
    }
    # No issue anywhere yet: refused, naming the field.
    status, message = _error(
        _post(intake, _signed(intake, world.sh_enterprise, "invoice-action", paid))
    )
    assert status == 422 and "message.invoiceId" in message
    typed = _typed(
        intake, "/v1/invoices/items", {"seller": world.sh_enterprise.address, "invoice": invoice}
    )
    issue = {
        "kind": "invoice-issue",
        "message": typed["message"],
        "signature": "0x" + world.sh_enterprise.sign_typed_data(typed).hex(),
    }
    action = _signed(intake, world.sh_enterprise, "invoice-action", paid)
    # Both queued while the relay is paused: the action is accepted behind its queued issue,
    # and the relay sends it only once the issue is on chain.
    os.kill(intake.relay.pid, signal.SIGSTOP)
    try:
        first, second = _post(intake, issue), _post(intake, action)
    finally:
        os.kill(intake.relay.pid, signal.SIGCONT)
    assert (first.status_code, second.status_code) == (202, 202), (first.text, second.text)
    issued, acted = _wait(intake, first.json()["id"]), _wait(intake, second.json()["id"])
    assert issued["state"] == acted["state"] == "confirmed", (issued, acted)
    assert (issued["block_number"], issued["log_index"]) < (
        acted["block_number"],
        acted["log_index"],
    )
    on_chain = world.ctx.invoices.invoice(prints.invoice_id)
    assert on_chain is not None and on_chain.status == InvoiceStatus.PAID
