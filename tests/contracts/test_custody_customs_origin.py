"""Custody hand-overs, one declaration two inspections, certificates of origin (on every node)."""

from __future__ import annotations

import pytest

from ftzchain.domain import zone_id
from ftzchain.enums import CertificateStatus, ConsignmentState, LotState, Result, Rule
from ftzchain.errors import AlreadyExists, InvalidState, NotFound, PermissionDenied
from ftzchain.fingerprints import certificate_key, consignment_key, declaration_key, lot_key
from tests.conftest import AH, SH, TEST_CONSORTIUM_KEY, World

KEY = bytes.fromhex(TEST_CONSORTIUM_KEY)
LOT_A = lot_key("urn:epc:class:lgtin:4012345.012345.LOT-A", KEY)
LOT_B = lot_key("urn:epc:class:lgtin:4012345.012345.LOT-B", KEY)


def test_ids_are_keyed_and_namespaced() -> None:
    assert consignment_key(" CSG-1 ", KEY) == consignment_key("CSG-1", KEY)
    assert consignment_key("CSG-1", KEY) != declaration_key("CSG-1", KEY)
    assert certificate_key("CSG-1", KEY) != consignment_key("CSG-1", KEY)
    assert consignment_key("CSG-1", KEY) != consignment_key("CSG-1", b"another key, 16 bytes")


def test_two_sided_hand_over_between_zones(world: World) -> None:
    custody = world.ctx.custody
    csg = consignment_key("CSG-2026-001", KEY)
    custody.take_custody(world.sh_node, SH, [LOT_A, LOT_B])
    assert custody.lot(LOT_A).state is LotState.HELD and custody.lot(LOT_A).zone_id == SH

    # Only the custodian zone can dispatch; a zone node of another zone cannot claim its lots.
    with pytest.raises(PermissionDenied) as err:
        custody.dispatch(world.ah_node, csg, AH, SH, [LOT_A])
    assert err.value.error_name == "CustodyNotCustodian"
    with pytest.raises(PermissionDenied) as err:
        custody.dispatch(world.ah_node, csg, SH, AH, [LOT_A])
    assert err.value.error_name == "ZoneRoleMissing"
    with pytest.raises(AlreadyExists):
        custody.take_custody(world.ah_node, AH, [LOT_A])

    custody.dispatch(world.sh_node, csg, SH, AH, [LOT_A, LOT_B])
    assert custody.lot(LOT_B).state is LotState.IN_TRANSIT
    assert custody.lot(LOT_B).consignment_id == csg
    # Goods in transit cannot be dispatched again, by anyone.
    with pytest.raises(InvalidState) as err:
        custody.dispatch(world.sh_node, consignment_key("CSG-2", KEY), SH, AH, [LOT_A])
    assert err.value.error_name == "CustodyLotInTransit"
    # Only the destination zone receives, and only the lots that were dispatched.
    with pytest.raises(PermissionDenied):
        custody.receive(world.sh_node, csg, [LOT_A, LOT_B])
    with pytest.raises(InvalidState) as err:
        custody.receive(world.ah_node, csg, [LOT_A])
    assert err.value.error_name == "CustodyLotsMismatch"
    receipt = custody.receive(world.ah_node, csg, [LOT_A, LOT_B])
    assert len(receipt.logs) == 1
    assert custody.lot(LOT_A).state is LotState.HELD and custody.lot(LOT_A).zone_id == AH
    with pytest.raises(InvalidState) as err:
        custody.receive(world.ah_node, csg, [LOT_A, LOT_B])
    assert err.value.error_name == "CustodyAlreadyReceived"
    with pytest.raises(NotFound):
        custody.receive(world.ah_node, consignment_key("never", KEY), [LOT_A])
    # The new custodian can hand it on; the old one no longer can.
    back = consignment_key("CSG-2026-002", KEY)
    with pytest.raises(PermissionDenied):
        custody.dispatch(world.sh_node, back, SH, AH, [LOT_A])
    custody.dispatch(world.ah_node, back, AH, SH, [LOT_A])
    with pytest.raises(AlreadyExists):
        custody.dispatch(world.ah_node, back, AH, SH, [LOT_B])
    data = custody.codec.encode_call("consignment", csg)
    state = custody.codec.decode_output("consignment", world.ctx.client.call(custody.address, data))
    assert ConsignmentState(state[0][0]) is ConsignmentState.RECEIVED and state[0][2] > 0


def test_dispatch_to_an_unknown_zone_or_the_same_zone_is_refused(world: World) -> None:
    custody = world.ctx.custody
    custody.take_custody(world.sh_node, SH, [LOT_A])
    with pytest.raises(InvalidState) as err:
        custody.dispatch(world.sh_node, consignment_key("x", KEY), SH, zone_id("CN-XX"), [LOT_A])
    assert err.value.error_name == "CustodyZoneNotActive"
    with pytest.raises(InvalidState) as err:
        custody.dispatch(world.sh_node, consignment_key("x", KEY), SH, SH, [LOT_A])
    assert err.value.error_name == "CustodySameZone"


def _shipped(world: World, number: str) -> bytes:
    """A consignment of a fresh lot dispatched from CN-SH to CN-AH."""
    lot, csg = (
        lot_key(f"urn:epc:class:lgtin:4012345.000009.{number}", KEY),
        consignment_key(number, KEY),
    )
    world.ctx.custody.take_custody(world.sh_node, SH, [lot])
    world.ctx.custody.dispatch(world.sh_node, csg, SH, AH, [lot])
    return csg


def test_a_declaration_needs_a_dispatched_consignment_on_its_route(world: World) -> None:
    customs = world.ctx.customs
    decl = declaration_key("D-ROUTE", KEY)
    with pytest.raises(NotFound) as err:
        customs.file_declaration(
            world.sh_node, decl, consignment_key("never", KEY), SH, AH, Rule.BOTH_ZONES
        )
    assert err.value.error_name == "CustomsUnknownConsignment"
    csg = _shipped(world, "CSG-ROUTE")
    with pytest.raises(InvalidState) as err:
        customs.file_declaration(world.ah_node, decl, csg, AH, SH, Rule.BOTH_ZONES)
    assert err.value.error_name == "CustomsRouteMismatch"
    customs.file_declaration(world.sh_node, decl, csg, SH, AH, Rule.BOTH_ZONES)


def test_one_declaration_two_inspections(world: World) -> None:
    customs = world.ctx.customs
    decl = declaration_key("222520261000000001", KEY)
    csg = _shipped(world, "CSG-2026-001")
    with pytest.raises(PermissionDenied):  # only a zone node of the origin zone files it
        customs.file_declaration(world.ah_node, decl, csg, SH, AH, Rule.BOTH_ZONES)
    customs.file_declaration(world.sh_node, decl, csg, SH, AH, Rule.BOTH_ZONES)
    with pytest.raises(AlreadyExists):
        customs.file_declaration(world.sh_node, decl, csg, SH, AH, Rule.ORIGIN_ONLY)

    # Customs of a zone inspects for its own zone only, once.
    with pytest.raises(PermissionDenied) as err:
        customs.inspect(world.customs, decl, AH, True)
    assert err.value.error_name == "ZoneRoleMissing"
    with pytest.raises(PermissionDenied):
        customs.inspect(world.sh_node, decl, SH, True)
    customs.inspect(world.customs, decl, SH, True)
    with pytest.raises(AlreadyExists):
        customs.inspect(world.customs, decl, SH, False)

    # With the destination's inspection missing, the declaration is not cleared.
    with pytest.raises(InvalidState) as err:
        customs.clear(world.customs, decl, SH)
    assert err.value.error_name == "CustomsInspectionMissing"
    assert err.value.error_args["zoneId"] == AH
    declared = customs.declaration(decl)
    assert declared is not None and not declared.cleared
    assert declared.origin_result is Result.PASSED and declared.destination_result is Result.NONE

    customs.inspect(world.customs_ah, decl, AH, True)
    customs.clear(world.customs_ah, decl, AH)
    declared = customs.declaration(decl)
    assert declared is not None and declared.cleared
    with pytest.raises(InvalidState) as err:
        customs.inspect(world.customs_ah, decl, AH, True)
    assert err.value.error_name == "CustomsAlreadyCleared"
    assert customs.declaration(declaration_key("unknown", KEY)) is None


def test_a_failed_inspection_blocks_clearance_and_rules_differ(world: World) -> None:
    customs = world.ctx.customs
    failed, mutual = declaration_key("D-FAIL", KEY), declaration_key("D-MUTUAL", KEY)
    csg = _shipped(world, "CSG-9")
    customs.file_declaration(world.sh_node, failed, csg, SH, AH, Rule.BOTH_ZONES)
    customs.inspect(world.customs, failed, SH, True)
    customs.inspect(world.customs_ah, failed, AH, False)
    with pytest.raises(InvalidState) as err:
        customs.clear(world.customs_ah, failed, AH)
    assert err.value.error_name == "CustomsInspectionFailed"
    # Mutual recognition: the origin's pass suffices.
    customs.file_declaration(world.sh_node, mutual, csg, SH, AH, Rule.ORIGIN_ONLY)
    customs.inspect(world.customs, mutual, SH, True)
    customs.clear(world.customs_ah, mutual, AH)
    with pytest.raises(InvalidState):
        customs.clear(world.customs, mutual, SH)  # cleared once


def test_certificates_of_origin(world: World) -> None:
    origin = world.ctx.origin_certificates
    cert, replacement = certificate_key("CO-001", KEY), certificate_key("CO-001-R", KEY)
    doc = bytes.fromhex("ab" * 32)
    with pytest.raises(PermissionDenied) as err:
        origin.issue(world.customs, cert, SH, LOT_A, doc)
    assert err.value.error_name == "ZoneRoleMissing"
    with pytest.raises(PermissionDenied):
        origin.issue(world.issuer, cert, AH, LOT_A, doc)  # an issuer of another zone
    origin.issue(world.issuer, cert, SH, LOT_A, doc)
    with pytest.raises(AlreadyExists):
        origin.issue(world.issuer, cert, SH, LOT_A, doc)
    issued = origin.certificate(cert)
    assert issued is not None and issued.status is CertificateStatus.VALID
    assert issued.document_hash == doc and issued.lot == LOT_A and issued.zone_id == SH

    with pytest.raises(PermissionDenied):
        origin.revoke(world.ah_node, cert, "wrong origin")
    origin.supersede(world.issuer, cert, replacement, LOT_A, bytes.fromhex("cd" * 32))
    old = origin.certificate(cert)
    assert old is not None and old.status is CertificateStatus.SUPERSEDED
    assert old.replaced_by == replacement
    with pytest.raises(InvalidState) as err:
        origin.revoke(world.issuer, cert, "too late")
    assert err.value.error_name == "OriginNotValid"

    origin.revoke(world.issuer, replacement, "origin criteria not met")
    revoked = origin.certificate(replacement)
    assert revoked is not None and revoked.status is CertificateStatus.REVOKED
    assert revoked.closed_at > 0
    assert origin.certificate(certificate_key("CO-404", KEY)) is None
    with pytest.raises(NotFound):
        origin.revoke(world.issuer, certificate_key("CO-404", KEY), "no such certificate")
