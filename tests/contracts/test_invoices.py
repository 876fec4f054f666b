"""Invoices on chain: issued once, never financed twice (exact or near duplicate), in any zone;
only the issuer voids, only financiers pledge, only the holder releases (anvil and ganache)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ftzchain.enums import InvoiceAction, InvoiceStatus
from ftzchain.errors import AlreadyExists, InvalidState, NotFound, PermissionDenied
from ftzchain.fingerprints import consignment_key, lot_key, seller_fingerprint
from ftzchain.invoice import InvoicePrints, invoice_from_json
from tests.conftest import AH, ROOT, SH, TEST_CONSORTIUM_KEY, World

KEY = bytes.fromhex(TEST_CONSORTIUM_KEY)
BASE: dict[str, Any] = json.loads((ROOT / "tests" / "data" / "invoice-auto-parts.json").read_text())


def _prints(**changes: Any) -> InvoicePrints:
    data = json.loads(json.dumps(BASE))
    for field, value in changes.items():
        target, _, leaf = field.replace("__", ".").rpartition(".")
        (data[target] if target else data)[leaf] = value
    return invoice_from_json(data).prints(KEY)


def _fps(**changes: Any) -> list[bytes]:
    return _prints(**changes).all


def _issue(world: World, prints: InvoicePrints) -> None:
    reg = world.ctx.invoices
    if reg.seller_of(prints.seller) is None:
        reg.bind_seller(world.sh_node, prints.seller, world.sh_enterprise.address)
    reg.issue(world.sh_node, world.sh_enterprise, SH, prints)


def test_only_the_bound_seller_issues_in_its_name(world: World) -> None:
    reg, prints = world.ctx.invoices, _prints()
    with pytest.raises(PermissionDenied) as err:  # the seller's key is not vouched for yet
        reg.issue(world.sh_node, world.sh_enterprise, SH, prints)
    assert err.value.error_name == "InvoiceSellerNotBound"
    with pytest.raises(PermissionDenied):  # only a zone node of the enterprise's own zone
        reg.bind_seller(world.ah_node, prints.seller, world.sh_enterprise.address)
    reg.bind_seller(world.sh_node, prints.seller, world.sh_enterprise.address)
    assert reg.seller_of(prints.seller) == world.sh_enterprise.address
    with pytest.raises(AlreadyExists):  # another company cannot take that USCC over
        reg.bind_seller(world.ah_node, prints.seller, world.ah_enterprise.address)
    # Another enterprise, even bound to its own USCC, cannot issue in this seller's name.
    other = seller_fingerprint("913401007899876504", KEY)
    reg.bind_seller(world.ah_node, other, world.ah_enterprise.address)
    with pytest.raises(PermissionDenied) as err:
        reg.issue(world.ah_node, world.ah_enterprise, AH, prints)
    assert err.value.error_name == "InvoiceSellerNotBound"
    reg.issue(world.sh_node, world.sh_enterprise, SH, prints)


def test_issue_once_by_the_sellers_zone(world: World) -> None:
    reg, prints = world.ctx.invoices, _prints()
    fps = prints.all
    reg.bind_seller(world.sh_node, prints.seller, world.sh_enterprise.address)
    with pytest.raises(PermissionDenied) as err:
        reg.issue(world.ah_node, world.sh_enterprise, SH, prints)
    assert err.value.error_name == "ZoneRoleMissing"
    with pytest.raises(PermissionDenied) as err:
        reg.issue(world.sh_node, world.ah_enterprise, SH, prints)
    assert err.value.error_name == "InvoiceSellerNotInZone"
    _issue(world, prints)
    with pytest.raises(AlreadyExists):
        _issue(world, _prints(number="sh 2026 00042"))  # the same invoice, typed again
    found = reg.invoice(fps[0])
    assert found is not None and found.status is InvoiceStatus.ISSUED
    assert found.seller == world.sh_enterprise.address and found.financier is None


@pytest.mark.parametrize(
    "resubmitted",
    [
        {"number": "SH-2026-0004-2"},  # number re-typed with a dash
        {"issue_date": "2026/11/20"},  # date format
        {"number": "sh-2026-00042"},  # letter case
        {"buyer__name": "Hefei Assembley Co"},  # buyer name spelling
    ],
)
def test_a_second_pledge_is_refused_in_another_zone(
    world: World, resubmitted: dict[str, str]
) -> None:
    reg, fps = world.ctx.invoices, _fps()
    _issue(world, _prints())
    reg.pledge(world.bank_sh, fps, SH, "SH bank loan 1")
    found = reg.invoice(fps[0])
    assert found is not None and found.financier == world.bank_sh.address
    with pytest.raises(AlreadyExists) as err:
        reg.pledge(world.bank_ah, _fps(**resubmitted), AH, "AH bank loan 9")
    assert err.value.error_name == "InvoiceAlreadyPledged"


def test_a_near_duplicate_issued_as_new_is_refused_too(world: World) -> None:
    reg, fps = world.ctx.invoices, _fps()
    _issue(world, _prints())
    reg.pledge(world.bank_sh, fps, SH, "loan 1")
    renumbered = _fps(number="SH-2026-00042-B")  # a new number, everything else the same
    _issue(world, _prints(number="SH-2026-00042-B"))
    with pytest.raises(AlreadyExists) as err:
        reg.pledge(world.bank_ah, renumbered, AH, "loan 2")
    assert err.value.error_args["fingerprint"] == renumbered[1]  # parties, amount and date
    assert err.value.error_args["pledgedInvoiceId"] == fps[0]


@pytest.mark.parametrize("first_pledged", [0, 1])
def test_different_invoices_between_the_same_parties_are_not_confused(
    world: World, first_pledged: int
) -> None:
    reg = world.ctx.invoices
    prints = [
        _prints(),
        _prints(number="SH-2026-00043", total_without_tax="20000.00", total_with_tax="22600.00"),
    ]
    for issued in prints:
        _issue(world, issued)
    invoices = [p.all for p in prints]
    reg.pledge(world.bank_sh, invoices[first_pledged], SH, "first")
    reg.pledge(world.bank_ah, invoices[1 - first_pledged], AH, "second")


def test_only_financiers_pledge_and_only_the_holder_releases(world: World) -> None:
    reg, fps = world.ctx.invoices, _fps()
    _issue(world, _prints())
    with pytest.raises(PermissionDenied) as err:
        reg.pledge(world.sh_node, fps, SH, "not a bank")
    assert err.value.error_name == "ZoneRoleMissing"
    with pytest.raises(PermissionDenied):
        reg.pledge(world.bank_ah, fps, SH, "a bank of another zone naming this one")
    with pytest.raises(InvalidState) as err:
        reg.pledge(world.bank_sh, [fps[0], fps[2], fps[1]], SH, "fingerprints reordered")
    assert err.value.error_name == "InvoiceFingerprintsMismatch"
    with pytest.raises(InvalidState) as err:
        reg.release(world.bank_sh, fps, "nothing pledged")
    assert err.value.error_name == "InvoiceNotPledged"
    reg.pledge(world.bank_sh, fps, SH, "loan")
    with pytest.raises(PermissionDenied) as err:
        reg.release(world.bank_ah, fps, "loan")
    assert err.value.error_name == "InvoiceNotPledgeHolder"
    reg.release(world.bank_sh, fps, "loan repaid")
    reg.pledge(world.bank_ah, fps, AH, "refinanced")  # free again after the release


def test_only_the_issuer_voids_and_a_voided_invoice_is_not_financed(world: World) -> None:
    reg, fps = world.ctx.invoices, _fps()
    _issue(world, _prints())
    with pytest.raises(PermissionDenied) as err:
        reg.act(world.sh_node, world.ah_enterprise, fps[0], InvoiceAction.VOID, "not mine")
    assert err.value.error_name == "InvoiceNotIssuer"
    with pytest.raises(PermissionDenied):
        reg.act(world.ah_node, world.sh_enterprise, fps[0], InvoiceAction.VOID, "wrong zone")
    reg.act(world.sh_node, world.sh_enterprise, fps[0], InvoiceAction.VOID, "duplicate order")
    found = reg.invoice(fps[0])
    assert found is not None and found.status is InvoiceStatus.VOIDED
    with pytest.raises(InvalidState) as err:
        reg.pledge(world.bank_sh, fps, SH, "too late")
    assert err.value.error_name == "InvoiceNotOpen"
    with pytest.raises(InvalidState):
        reg.act(world.sh_node, world.sh_enterprise, fps[0], InvoiceAction.PAID, "paid anyway")
    with pytest.raises(NotFound):
        reg.act(world.sh_node, world.sh_enterprise, b"\1" * 32, InvoiceAction.VOID, "unknown")


def test_a_policy_can_require_goods(world: World) -> None:
    reg, fps = world.ctx.invoices, _fps()
    _issue(world, _prints())
    with pytest.raises(InvalidState) as err:
        reg.pledge(world.bank_sh, fps, SH, "goods-backed", require_goods=True)
    assert err.value.error_name == "InvoiceGoodsRequired"
    consignment = consignment_key("CSG-INV-1", KEY)
    with pytest.raises(NotFound):
        reg.link_goods(world.sh_node, world.sh_enterprise, fps[0], consignment)
    lot = lot_key("urn:epc:class:lgtin:4012345.000001.INV", KEY)
    world.ctx.custody.take_custody(world.sh_node, SH, [lot])
    world.ctx.custody.dispatch(world.sh_node, consignment, SH, AH, [lot])
    with pytest.raises(PermissionDenied):
        reg.link_goods(world.sh_node, world.ah_enterprise, fps[0], consignment)
    reg.link_goods(world.sh_node, world.sh_enterprise, fps[0], consignment)
    reg.pledge(world.bank_sh, fps, SH, "goods-backed", require_goods=True)
    found = reg.invoice(fps[0])
    assert found is not None and found.consignment_id == consignment
