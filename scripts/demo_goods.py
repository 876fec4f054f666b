"""Demo goods flows for `make demo`: two supply chains across six zones.

* Yangtze River Delta auto parts: an ECU lot developed in Shanghai goes to Anhui (one
  declaration, two inspections, cleared), where it is merged with housings into assemblies,
  the assembly lot is split in two and one half packed on a pallet; the pallet travels through
  Jiangsu to Zhejiang for export (declared and cleared again). Anhui issues a certificate of
  origin for the packed half.
* Chengdu-Chongqing electronics: Chongqing sends PCBs to Chengdu (mutual recognition: the
  origin's inspection suffices), Chengdu merges them with chips into mainboards and sends
  them back; that declaration still waits for Chongqing's inspection. Chengdu's first
  certificate of origin is revoked (wrong HS heading) and a new one issued.

The EPCIS documents are written under the state directory so they can be posted to
``/v1/trace/verify``; the chain holds only their hash ids and keyed fingerprints.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftzchain.client import TxSender
from ftzchain.context import FtzContext
from ftzchain.domain import zone_id
from ftzchain.enums import Rule
from ftzchain.errors import ContractRevert, PermissionDenied
from ftzchain.fingerprints import certificate_key, consignment_key, declaration_key, lot_key
from ftzchain.sandbox import NetworkPlan, apply_plan
from ftzchain.signing import LocalSigner, Signer
from ftzchain.trace import trace_items

log = logging.getLogger("demo")

ZONES = ["CN-JS", "CN-ZJ", "CN-SC", "CN-CQ"]  # CN-SH and CN-AH exist already
ALL_ZONES = ["CN-SH", "CN-AH", *ZONES]
GS1 = "6901234"


ECU = f"urn:epc:class:lgtin:{GS1}.000201.ECU-2611"
HOUSING = f"urn:epc:class:lgtin:{GS1}.000202.HSG-2611"
ASSEMBLY = f"urn:epc:class:lgtin:{GS1}.000203.ASSY-2611"
ASSEMBLY_A = f"urn:epc:class:lgtin:{GS1}.000203.ASSY-2611-A"
ASSEMBLY_B = f"urn:epc:class:lgtin:{GS1}.000203.ASSY-2611-B"
PALLET = f"urn:epc:id:sscc:{GS1}.0000000001"
PCB = "urn:epc:class:lgtin:6955555.000301.PCB-2611"
CHIP = "urn:epc:class:lgtin:6955555.000302.CHIP-2611"
MAINBOARD = "urn:epc:class:lgtin:6955555.000303.MB-2611"


@dataclass
class Actors:
    nodes: dict[str, TxSender]
    customs: dict[str, TxSender]
    issuers: dict[str, TxSender]
    enterprises: dict[str, Signer]


@dataclass
class GoodsSummary:
    documents: list[Path] = field(default_factory=list)
    events: int = 0
    refused: list[str] = field(default_factory=list)


def _qty(*lots: str) -> list[dict[str, Any]]:
    return [{"epcClass": x, "quantity": 100, "uom": "EA"} for x in lots]


def _where(zone: str, site: int) -> dict[str, Any]:
    gln = f"urn:epc:id:sgln:{GS1}.{ALL_ZONES.index(zone) + 1:02d}{site:03d}.0"
    return {"readPoint": {"id": gln}, "bizLocation": {"id": gln}}


def _object(
    time: str, zone: str, action: str, step: str, disposition: str, *lots: str, epcs: bool = False
) -> dict[str, Any]:
    what: dict[str, Any] = {"epcList": list(lots)} if epcs else {"quantityList": _qty(*lots)}
    return {
        "type": "ObjectEvent",
        "eventTime": time,
        "eventTimeZoneOffset": "+08:00",
        **what,
        "action": action,
        "bizStep": step,
        "disposition": disposition,
        **_where(zone, 1),
    }


def _transform(time: str, zone: str, inputs: list[str], outputs: list[str]) -> dict[str, Any]:
    return {
        "type": "TransformationEvent",
        "eventTime": time,
        "eventTimeZoneOffset": "+08:00",
        "inputQuantityList": _qty(*inputs),
        "outputQuantityList": _qty(*outputs),
        "bizStep": "assembling" if len(inputs) > 1 else "repackaging",
        "disposition": "active",
        **_where(zone, 2),
    }


def _pack(time: str, zone: str, parent: str, *children: str) -> dict[str, Any]:
    return {
        "type": "AggregationEvent",
        "eventTime": time,
        "eventTimeZoneOffset": "+08:00",
        "parentID": parent,
        "childQuantityList": _qty(*children),
        "action": "ADD",
        "bizStep": "packing",
        "disposition": "container_closed",
        **_where(zone, 3),
    }


def _document(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": events[-1]["eventTime"],
        "epcisBody": {"eventList": events},
    }


def set_up_actors(
    ctx: FtzContext,
    faucet: TxSender,
    voters: list[TxSender],
    nodes: dict[str, TxSender],
    enterprises: dict[str, Signer],
) -> Actors:
    """Admit the four more zones; one zone node, customs officer and enterprise per zone, and
    origin-certificate issuers in Anhui and Sichuan (demo keys, held in memory)."""
    new_nodes = {z: LocalSigner.generate() for z in ZONES}
    officers = {z: LocalSigner.generate() for z in ALL_ZONES}
    issuers = {z: LocalSigner.generate() for z in ("CN-AH", "CN-SC")}
    firms = {z: LocalSigner.generate() for z in ALL_ZONES if z not in enterprises}
    pending = [
        faucet.send(s.address, b"", gas=21_000, value=10**20)
        for s in [*new_nodes.values(), *officers.values(), *issuers.values()]
    ]
    for tx in pending:
        ctx.client.wait_for_receipt(tx)
    apply_plan(
        ctx.governance,
        voters,
        NetworkPlan(
            zones=ZONES,
            roles=[("ZONE_NODE", s.address, z) for z, s in new_nodes.items()]
            + [("CUSTOMS", s.address, z) for z, s in officers.items()]
            + [("ORIGIN_ISSUER", s.address, z) for z, s in issuers.items()],
            enterprises=[(s.address, z) for z, s in firms.items()],
        ),
    )
    log.info(
        "committee admitted %s; granted zone-node, customs and origin-issuer roles",
        ", ".join(ZONES),
    )
    return Actors(
        nodes={**nodes, **{z: ctx.sender(s) for z, s in new_nodes.items()}},
        customs={z: ctx.sender(s) for z, s in officers.items()},
        issuers={z: ctx.sender(s) for z, s in issuers.items()},
        enterprises={**enterprises, **firms},
    )


class _Flow:
    """Records documents and chain steps, keeping hash ids by label."""

    def __init__(self, ctx: FtzContext, actors: Actors, out_dir: Path) -> None:
        self.ctx, self.actors, self.out_dir = ctx, actors, out_dir
        self.key = ctx.consortium_key
        self.event_ids: dict[str, bytes] = {}
        self.summary = GoodsSummary()

    def record(self, name: str, zone: str, events: dict[str, dict[str, Any]]) -> None:
        document = _document(list(events.values()))
        path = self.out_dir / f"{name}.epcis.json"
        path.write_text(json.dumps(document, indent=2) + "\n")
        items = trace_items(document, self.key)
        trace = self.ctx.traceability
        batch = trace.sign_batch(self.actors.enterprises[zone], zone_id(zone), items)
        trace.record(self.actors.nodes[zone], batch)
        self.event_ids.update(zip(events, (i.event_id for i in items), strict=True))
        self.summary.documents.append(path)
        self.summary.events += len(items)
        log.info("%s: recorded %d EPCIS events (%s)", zone, len(items), path.name)

    def take(self, zone: str, lots: list[str], event: str) -> None:
        self.ctx.custody.take_custody(
            self.actors.nodes[zone],
            zone_id(zone),
            [lot_key(x, self.key) for x in lots],
            self.event_ids[event],
        )

    def dispatch(self, number: str, src: str, dst: str, lots: list[str], event: str) -> None:
        self.ctx.custody.dispatch(
            self.actors.nodes[src],
            consignment_key(number, self.key),
            zone_id(src),
            zone_id(dst),
            [lot_key(x, self.key) for x in lots],
            self.event_ids[event],
        )
        log.info("%s → %s: consignment %s dispatched (in transit)", src, dst, number)

    def receive(self, number: str, dst: str, lots: list[str], event: str) -> None:
        self.ctx.custody.receive(
            self.actors.nodes[dst],
            consignment_key(number, self.key),
            [lot_key(x, self.key) for x in lots],
            self.event_ids[event],
        )
        log.info("%s: consignment %s received", dst, number)

    def declare(self, number: str, consignment: str, src: str, dst: str, rule: Rule) -> None:
        self.ctx.customs.file_declaration(
            self.actors.nodes[src],
            declaration_key(number, self.key),
            consignment_key(consignment, self.key),
            zone_id(src),
            zone_id(dst),
            rule,
        )

    def inspect(self, number: str, zone: str) -> None:
        self.ctx.customs.inspect(
            self.actors.customs[zone], declaration_key(number, self.key), zone_id(zone), True
        )

    def clear(self, number: str, zone: str) -> None:
        self.ctx.customs.clear(
            self.actors.customs[zone], declaration_key(number, self.key), zone_id(zone)
        )
        log.info("%s: declaration %s cleared", zone, number)

    def certify(self, number: str, zone: str, batch: str) -> None:
        document = f"Certificate of origin {number}\nGoods: {batch}\nOrigin: {zone}\n".encode()
        path = self.out_dir / f"{number}.txt"
        path.write_bytes(document)
        self.ctx.origin_certificates.issue(
            self.actors.issuers[zone],
            certificate_key(number, self.key),
            zone_id(zone),
            lot_key(batch, self.key),
            hashlib.sha256(document).digest(),
        )
        log.info("%s: certificate of origin %s issued (%s)", zone, number, path.name)


def run(ctx: FtzContext, actors: Actors, out_dir: Path) -> GoodsSummary:
    """Record both chains; returns what was written and which wrong steps were refused."""
    out_dir.mkdir(parents=True, exist_ok=True)
    f = _Flow(ctx, actors, out_dir)

    # Yangtze River Delta auto parts.
    f.record(
        "yrd-1-shanghai",
        "CN-SH",
        {
            "ecu made": _object(
                "2026-11-02T09:00:00+08:00", "CN-SH", "ADD", "commissioning", "active", ECU
            ),
            "ecu shipped": _object(
                "2026-11-03T15:00:00+08:00", "CN-SH", "OBSERVE", "shipping", "in_transit", ECU
            ),
        },
    )
    f.take("CN-SH", [ECU], "ecu made")
    f.dispatch("YRD-CSG-001", "CN-SH", "CN-AH", [ECU], "ecu shipped")
    f.declare("YRD-DEC-001", "YRD-CSG-001", "CN-SH", "CN-AH", Rule.BOTH_ZONES)
    f.inspect("YRD-DEC-001", "CN-SH")
    f.record(
        "yrd-2-anhui",
        "CN-AH",
        {
            "ecu received": _object(
                "2026-11-04T10:00:00+08:00", "CN-AH", "OBSERVE", "receiving", "active", ECU
            ),
            "housings made": _object(
                "2026-11-04T11:00:00+08:00", "CN-AH", "ADD", "commissioning", "active", HOUSING
            ),
            "assembled": _transform(
                "2026-11-05T09:00:00+08:00", "CN-AH", [ECU, HOUSING], [ASSEMBLY]
            ),
            "split": _transform(
                "2026-11-06T09:00:00+08:00", "CN-AH", [ASSEMBLY], [ASSEMBLY_A, ASSEMBLY_B]
            ),
            "packed": _pack("2026-11-06T14:00:00+08:00", "CN-AH", PALLET, ASSEMBLY_A),
            "pallet shipped": _object(
                "2026-11-07T08:00:00+08:00",
                "CN-AH",
                "OBSERVE",
                "shipping",
                "in_transit",
                PALLET,
                epcs=True,
            ),
        },
    )
    f.receive("YRD-CSG-001", "CN-AH", [ECU], "ecu received")
    f.inspect("YRD-DEC-001", "CN-AH")
    f.clear("YRD-DEC-001", "CN-AH")
    f.take("CN-AH", [HOUSING], "housings made")
    f.take("CN-AH", [ASSEMBLY], "assembled")
    f.take("CN-AH", [ASSEMBLY_A, ASSEMBLY_B], "split")
    f.take("CN-AH", [PALLET], "packed")
    f.certify("CO-AH-2026-0001", "CN-AH", ASSEMBLY_A)
    f.dispatch("YRD-CSG-002", "CN-AH", "CN-JS", [PALLET], "pallet shipped")
    try:  # goods in transit cannot be dispatched again
        f.dispatch("YRD-CSG-002-DUP", "CN-AH", "CN-ZJ", [PALLET], "pallet shipped")
    except ContractRevert as exc:
        f.summary.refused.append(f"second dispatch of the pallet in transit: {exc}")
    f.record(
        "yrd-3-jiangsu",
        "CN-JS",
        {
            "pallet at js": _object(
                "2026-11-08T09:00:00+08:00",
                "CN-JS",
                "OBSERVE",
                "receiving",
                "active",
                PALLET,
                epcs=True,
            ),
            "pallet to zj": _object(
                "2026-11-09T09:00:00+08:00",
                "CN-JS",
                "OBSERVE",
                "shipping",
                "in_transit",
                PALLET,
                epcs=True,
            ),
        },
    )
    f.receive("YRD-CSG-002", "CN-JS", [PALLET], "pallet at js")
    try:  # Anhui no longer holds the pallet
        f.dispatch("YRD-CSG-002-AGAIN", "CN-AH", "CN-ZJ", [PALLET], "pallet shipped")
    except PermissionDenied as exc:
        f.summary.refused.append(f"dispatch by a zone that is not the custodian: {exc}")
    f.dispatch("YRD-CSG-003", "CN-JS", "CN-ZJ", [PALLET], "pallet to zj")
    f.declare("YRD-DEC-003", "YRD-CSG-003", "CN-JS", "CN-ZJ", Rule.BOTH_ZONES)
    f.inspect("YRD-DEC-003", "CN-JS")
    f.record(
        "yrd-4-zhejiang",
        "CN-ZJ",
        {
            "pallet at zj": _object(
                "2026-11-10T09:00:00+08:00",
                "CN-ZJ",
                "OBSERVE",
                "receiving",
                "active",
                PALLET,
                epcs=True,
            ),
        },
    )
    f.receive("YRD-CSG-003", "CN-ZJ", [PALLET], "pallet at zj")
    f.inspect("YRD-DEC-003", "CN-ZJ")
    f.clear("YRD-DEC-003", "CN-ZJ")

    # Chengdu-Chongqing electronics.
    f.record(
        "cc-1-chongqing",
        "CN-CQ",
        {
            "pcb made": _object(
                "2026-11-11T09:00:00+08:00", "CN-CQ", "ADD", "commissioning", "active", PCB
            ),
            "pcb shipped": _object(
                "2026-11-11T17:00:00+08:00", "CN-CQ", "OBSERVE", "shipping", "in_transit", PCB
            ),
        },
    )
    f.take("CN-CQ", [PCB], "pcb made")
    f.dispatch("CC-CSG-001", "CN-CQ", "CN-SC", [PCB], "pcb shipped")
    f.declare("CC-DEC-001", "CC-CSG-001", "CN-CQ", "CN-SC", Rule.ORIGIN_ONLY)
    f.inspect("CC-DEC-001", "CN-CQ")
    f.clear("CC-DEC-001", "CN-SC")
    f.record(
        "cc-2-chengdu",
        "CN-SC",
        {
            "pcb received": _object(
                "2026-11-12T09:00:00+08:00", "CN-SC", "OBSERVE", "receiving", "active", PCB
            ),
            "chips made": _object(
                "2026-11-12T10:00:00+08:00", "CN-SC", "ADD", "commissioning", "active", CHIP
            ),
            "boards made": _transform(
                "2026-11-13T09:00:00+08:00", "CN-SC", [CHIP, PCB], [MAINBOARD]
            ),
            "boards shipped": _object(
                "2026-11-14T09:00:00+08:00", "CN-SC", "OBSERVE", "shipping", "in_transit", MAINBOARD
            ),
        },
    )
    f.receive("CC-CSG-001", "CN-SC", [PCB], "pcb received")
    f.take("CN-SC", [CHIP], "chips made")
    f.take("CN-SC", [MAINBOARD], "boards made")
    f.certify("CO-SC-2026-0007", "CN-SC", MAINBOARD)
    ctx.origin_certificates.revoke(
        actors.issuers["CN-SC"],
        certificate_key("CO-SC-2026-0007", f.key),
        "issued under the wrong HS heading (8471 instead of 8473)",
    )
    log.info("CN-SC: certificate of origin CO-SC-2026-0007 revoked (wrong HS heading)")
    f.certify("CO-SC-2026-0008", "CN-SC", MAINBOARD)
    f.dispatch("CC-CSG-002", "CN-SC", "CN-CQ", [MAINBOARD], "boards shipped")
    f.declare("CC-DEC-002", "CC-CSG-002", "CN-SC", "CN-CQ", Rule.BOTH_ZONES)
    f.inspect("CC-DEC-002", "CN-SC")
    try:  # one inspection missing: not cleared
        f.clear("CC-DEC-002", "CN-SC")
    except ContractRevert as exc:
        f.summary.refused.append(f"clearance with Chongqing's inspection missing: {exc}")
    f.record(
        "cc-3-chongqing",
        "CN-CQ",
        {
            "boards received": _object(
                "2026-11-15T09:00:00+08:00", "CN-CQ", "OBSERVE", "receiving", "active", MAINBOARD
            ),
        },
    )
    f.receive("CC-CSG-002", "CN-CQ", [MAINBOARD], "boards received")
    for line in f.summary.refused:
        log.info("refused, as it should be: %s", line)
    return f.summary
