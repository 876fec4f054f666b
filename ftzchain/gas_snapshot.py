"""Gas of every contract entry point, measured on a fresh chain with fixed keys and inputs.

The same scenario always produces the same transactions (deterministic keys, RFC 6979 signatures,
contract addresses from the deployer's nonce), so the figures are exact and
``contracts/gas-snapshot.json`` can be compared byte for byte: any change fails the test suite
until the snapshot is rewritten on purpose (``scripts/bench gas --write-snapshot``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from eth_utils.crypto import keccak

from ftzchain.abi import AbiCodec
from ftzchain.client import TxSender
from ftzchain.compile import Build
from ftzchain.context import FtzContext
from ftzchain.deploy import deploy, deploy_contracts
from ftzchain.devnet import dev_private_key
from ftzchain.domain import zone_id
from ftzchain.eip712 import IpItem, IpRegistration, ip_registration_digest
from ftzchain.enums import GovernanceAction as Action
from ftzchain.enums import InvoiceAction, Rule
from ftzchain.invoice import InvoicePrints
from ftzchain.ip import IpRegistryContract, SignedRegistration
from ftzchain.sandbox import NetworkPlan, apply_plan
from ftzchain.signing import LocalSigner
from ftzchain.trace import BIZ_STEPS, DISPOSITIONS, TraceItem

SNAPSHOT_PATH = Path("contracts") / "gas-snapshot.json"
BATCH = 100
DEADLINE = 2**40
CASE = b"(2026) Hu 73 Min Chu 1".ljust(32, b"\0")


def _key(label: str) -> LocalSigner:
    return LocalSigner.from_key(keccak(text=f"ftz gas snapshot {label}"))


def _content(label: str, i: int) -> bytes:
    return hashlib.sha256(f"{label} {i}".encode()).digest()


def measure(ctx: FtzContext, build: Build) -> dict[str, int]:
    """Deploy on the (fresh) chain behind ``ctx`` and return gas per entry point.

    Batch entries are per record in batches of ``BATCH``; the rest per call.
    """
    client = ctx.client
    senders = [ctx.sender(LocalSigner.from_key(dev_private_key(i))) for i in range(10)]
    admin, zone_node, court, payer = senders[0], senders[1], senders[2], senders[3]
    committee = [admin, senders[4]]
    enterprise, other = _key("enterprise"), _key("other enterprise")
    deploy(
        client,
        admin,
        build,
        ctx.settings.deployments_dir,
        [c.address for c in committee],
        threshold=2,
        force=True,
    )
    gas: dict[str, int] = {}

    # Governance: one whole decision (admit a zone), then the rest of the plan.
    gov = ctx.governance
    data = gov.codec.encode_call(
        "propose", int(Action.ADMIT_ZONE), b"\0" * 32, "0x" + "00" * 20, zone_id("CN-SH"), 0
    )
    receipt = admin.transact(gov.address, data)
    gas["Governance.propose"] = receipt.gas_used
    proposal_id = int(receipt.logs[0]["topics"][1], 16)
    gas["Governance.approve"] = gov.approve(committee[1], proposal_id).gas_used
    gas["Governance.execute"] = gov.execute(admin, proposal_id).gas_used
    apply_plan(
        gov,
        committee,
        NetworkPlan(
            zones=["CN-AH"],
            roles=[
                ("ZONE_NODE", zone_node.address, "CN-SH"),
                ("ZONE_NODE", senders[5].address, "CN-AH"),
                ("COURT", court.address, "CN-SH"),
                ("CUSTOMS", senders[6].address, "CN-SH"),
                ("CUSTOMS", senders[7].address, "CN-AH"),
                ("ORIGIN_ISSUER", senders[8].address, "CN-SH"),
                ("FINANCIER", senders[9].address, "CN-AH"),
            ],
            enterprises=[(enterprise.address, "CN-SH"), (other.address, "CN-AH")],
        ),
    )

    ip = ctx.ip_registry
    sh = zone_id("CN-SH")
    gas.update(_registrations(ip, zone_node, enterprise, sh))
    first = _content("single", 0)
    lic, lic_sig = ip.sign_licence(
        enterprise, first, other.address, b"\1" * 32, 1, 2, deadline=DEADLINE
    )
    gas["IpRegistry.license"] = ip.license(zone_node, lic, lic_sig).gas_used
    gas["IpRegistry.freeze"] = ip.freeze(court, first, CASE).gas_used
    gas["IpRegistry.recordRuling"] = ip.record_ruling(court, first, CASE, b"\2" * 32).gas_used
    gas["IpRegistry.unfreeze"] = ip.unfreeze(court, first, CASE).gas_used
    t, t_sig = ip.sign_transfer(
        enterprise, first, other.address, zone_id("CN-AH"), deadline=DEADLINE
    )
    gas["IpRegistry.transfer"] = ip.transfer(zone_node, t, t_sig).gas_used

    gas.update(_trace_events(ctx, zone_node, enterprise, sh))
    gas.update(_goods(ctx, zone_node, senders[5], senders[6], senders[7], senders[8]))
    # An audit head committed by the zone's node, then the next one (the steady state).
    ctx.audit_trail.commit(zone_node, sh, 1, "0x" + "0a" * 32)
    gas["AuditTrail.commit"] = ctx.audit_trail.commit(zone_node, sh, 2, "0x" + "0b" * 32).gas_used
    gas.update(_invoices(ctx, zone_node, enterprise, senders[9]))
    naive_items = _trace_items("naive", 1)
    naive = deploy_contracts(
        client, payer, build, ctx.settings.state_dir / "naive", [("NaiveTraceStore", ())]
    )
    naive_codec = AbiCodec(build.get("NaiveTraceStore").abi)
    gas["NaiveTraceStore.store (baseline: one struct per event)"] = payer.transact(
        naive.address("NaiveTraceStore"),
        naive_codec.encode_call("store", naive_items[0].as_tuple()),
    ).gas_used

    anchor = deploy_contracts(
        client, payer, build, ctx.settings.state_dir / "anchors", [("FtzAnchor", ())]
    )
    codec = AbiCodec(build.get("FtzAnchor").abi)
    gas["FtzAnchor.anchor"] = payer.transact(
        anchor.address("FtzAnchor"), codec.encode_call("anchor", 31337, 1, b"\3" * 32)
    ).gas_used
    return dict(sorted(gas.items()))


def _goods(
    ctx: FtzContext,
    sh_node: TxSender,
    ah_node: TxSender,
    sh_customs: TxSender,
    ah_customs: TxSender,
    issuer: TxSender,
) -> dict[str, int]:
    """One lot handed from CN-SH to CN-AH, declared, inspected twice and cleared; a
    certificate of origin issued, superseded, and its replacement revoked."""
    sh, ah = zone_id("CN-SH"), zone_id("CN-AH")
    lot, consignment, declaration = b"\x11" * 32, b"\x12" * 32, b"\x13" * 32
    custody, customs, origin = ctx.custody, ctx.customs, ctx.origin_certificates
    gas = {
        "Custody.takeCustody": custody.take_custody(sh_node, sh, [lot]).gas_used,
        "Custody.dispatch": custody.dispatch(sh_node, consignment, sh, ah, [lot]).gas_used,
        "Custody.receiveConsignment": custody.receive(ah_node, consignment, [lot]).gas_used,
        "Customs.fileDeclaration": customs.file_declaration(
            sh_node, declaration, consignment, sh, ah, Rule.BOTH_ZONES, b"\x14" * 32
        ).gas_used,
        "Customs.recordInspection": customs.inspect(
            sh_customs, declaration, sh, True, b"\x15" * 32
        ).gas_used,
    }
    customs.inspect(ah_customs, declaration, ah, True, b"\x16" * 32)
    gas["Customs.clear"] = customs.clear(ah_customs, declaration, ah).gas_used
    first, second = b"\x21" * 32, b"\x22" * 32
    gas["OriginCertificates.issue"] = origin.issue(issuer, first, sh, lot, b"\x23" * 32).gas_used
    gas["OriginCertificates.supersede"] = origin.supersede(
        issuer, first, second, lot, b"\x24" * 32
    ).gas_used
    gas["OriginCertificates.revoke"] = origin.revoke(
        issuer, second, "issued under the wrong HS heading"
    ).gas_used
    return gas


def _invoices(
    ctx: FtzContext, sh_node: TxSender, seller: LocalSigner, bank: TxSender
) -> dict[str, int]:
    """The seller bound; two invoices (id and two near fingerprints): one issued, goods
    linked, pledged and released; the other issued and paid."""
    reg, sh = ctx.invoices, zone_id("CN-SH")
    seller_fp = keccak(text="seller fingerprint")
    first, second = (
        InvoicePrints(
            seller_fp,
            keccak(text=f"number fingerprint {n}"),
            (keccak(text=f"near fingerprint {n} 1"), keccak(text=f"near fingerprint {n} 2")),
        )
        for n in (1, 2)
    )
    bound = reg.bind_seller(sh_node, seller_fp, seller.address)
    gas = {
        "InvoiceRegistry.bindSeller": bound.gas_used,
        "InvoiceRegistry.issue": reg.issue(sh_node, seller, sh, first, DEADLINE).gas_used,
    }
    reg.issue(sh_node, seller, sh, second, DEADLINE)
    gas["InvoiceRegistry.act"] = reg.act(
        sh_node, seller, second.invoice_id, InvoiceAction.PAID, "paid 2026-11-30", DEADLINE
    ).gas_used
    consignment = b"\x12" * 32  # the consignment of _goods
    gas["InvoiceRegistry.linkGoods"] = reg.link_goods(
        sh_node, seller, first.invoice_id, consignment, DEADLINE
    ).gas_used
    ah = zone_id("CN-AH")
    gas["InvoiceRegistry.pledge"] = reg.pledge(bank, first.all, ah, "loan 1", True).gas_used
    gas["InvoiceRegistry.release"] = reg.release(bank, first.all, "loan 1").gas_used
    return gas


def _registrations(
    ip: IpRegistryContract, zone_node: TxSender, enterprise: LocalSigner, zone: bytes
) -> dict[str, int]:
    chain_id, address = ip.client.chain_id, ip.address

    def signed(label: str, i: int, nonce: int) -> SignedRegistration:
        reg = IpRegistration(
            _content(label, i), 1, b"\0" * 32, zone, enterprise.address, nonce, DEADLINE
        )
        return SignedRegistration(
            reg, enterprise.sign_digest_unsafe(ip_registration_digest(reg, chain_id, address))
        )

    ip.register(zone_node, signed("single", 0, 0))  # the enterprise's first: its nonce slot is new
    gas = {"IpRegistry.register": ip.register(zone_node, signed("single", 1, 1)).gas_used}
    batch = [signed("batch", i, 2 + i) for i in range(BATCH)]
    gas["IpRegistry.registerBatch per record"] = (
        ip.register_batch(zone_node, batch).gas_used // BATCH
    )
    items = [IpItem(_content("signed", i), 1) for i in range(BATCH)]
    signed_batch = ip.sign_batch(enterprise, zone, items, deadline=DEADLINE)
    gas["IpRegistry.registerSigned per record"] = (
        ip.register_signed(zone_node, signed_batch).gas_used // BATCH
    )
    one = ip.sign_batch(enterprise, zone, [IpItem(_content("signed one", 0), 1)], deadline=DEADLINE)
    gas["IpRegistry.registerSigned single"] = ip.register_signed(zone_node, one).gas_used
    gas["IpRegistry.registerSigned resubmitted per record"] = (
        ip.register_signed(zone_node, signed_batch).gas_used // BATCH
    )
    return gas


def _trace_items(label: str, count: int) -> list[TraceItem]:
    return [
        TraceItem(
            event_id=_content(f"{label} event", i),
            event_type=3,  # a transformation: one input, one output
            action=0,
            biz_step=BIZ_STEPS.index("shipping") + 1,
            disposition=DISPOSITIONS.index("in_transit") + 1,
            event_time=1_800_000_000 + i,
            where_hash=_content(f"{label} where", i),
            inputs=(_content(f"{label} input", i),),
            outputs=(_content(f"{label} output", i),),
        )
        for i in range(count)
    ]


def _trace_events(
    ctx: FtzContext, zone_node: TxSender, enterprise: LocalSigner, zone: bytes
) -> dict[str, int]:
    trace = ctx.traceability
    first = trace.nonce(enterprise.address)
    batch = trace.sign_batch(
        enterprise, zone, _trace_items("batch", BATCH), nonce=first, deadline=DEADLINE
    )
    one = trace.sign_batch(
        enterprise, zone, _trace_items("single", 1), nonce=first + 1, deadline=DEADLINE
    )
    return {
        "Traceability.recordEvents per event": trace.record(zone_node, batch).gas_used // BATCH,
        "Traceability.recordEvents single": trace.record(zone_node, one).gas_used,
    }


def load_snapshot(project_root: Path) -> dict[str, int]:
    """The checked-in figures (empty when there is no snapshot yet)."""
    path = project_root / SNAPSHOT_PATH
    if not path.exists():
        return {}
    data: dict[str, int] = json.loads(path.read_text())
    return data


def write_snapshot(project_root: Path, gas: dict[str, int]) -> Path:
    path = project_root / SNAPSHOT_PATH
    path.write_text(json.dumps(gas, indent=2, sort_keys=True) + "\n")
    return path
