"""Invoice input: JSON and UBL 2.1 read the same, normalisation makes resubmissions match,
malformed invoices are refused with the field named."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from ftzchain.errors import InvalidInvoice
from ftzchain.invoice import FINGERPRINT_KINDS, invoice_from_json, parse_invoice
from tests.conftest import ROOT, TEST_CONSORTIUM_KEY

KEY = bytes.fromhex(TEST_CONSORTIUM_KEY)
JSON_TEXT = (ROOT / "tests" / "data" / "invoice-auto-parts.json").read_text()
UBL_TEXT = (ROOT / "tests" / "data" / "invoice-auto-parts.ubl.xml").read_bytes()


def _base() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(JSON_TEXT)
    return data


def _shared(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    fa, fb = invoice_from_json(a).fingerprints(KEY), invoice_from_json(b).fingerprints(KEY)
    return [kind for kind, x, y in zip(FINGERPRINT_KINDS, fa, fb, strict=True) if x == y]


def test_json_and_ubl_give_the_same_invoice() -> None:
    from_json, from_ubl = parse_invoice(JSON_TEXT), parse_invoice(UBL_TEXT)
    assert from_json.fingerprints(KEY) == from_ubl.fingerprints(KEY)
    assert from_json.number == "SH202600042" and from_json.total_with_tax == Decimal("113000.00")
    assert from_ubl.currency == "CNY" and from_ubl.buyer_id == "913401007899876504"


def test_fingerprints_are_keyed() -> None:
    invoice = parse_invoice(JSON_TEXT)
    assert invoice.fingerprints(KEY) != invoice.fingerprints(b"another consortium key!")
    assert len(set(invoice.fingerprints(KEY))) == len(FINGERPRINT_KINDS)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("number", "sh-2026-00042"),  # letter case and a dash
        ("number", "SH 2026/00042"),  # spaces and a slash
        # Full-width, as typed with a CJK input method.
        (
            "number",
            "\uff33\uff28\uff0d\uff12\uff10\uff12\uff16\uff0d\uff10\uff10\uff10\uff14\uff12",
        ),
        ("issue_date", "2026/11/20"),
        ("issue_date", "20261120"),
        ("issue_date", "2026年11月20日"),
        ("issue_date", "20.11.2026"),
        ("total_with_tax", "113,000"),
        ("total_with_tax", Decimal("113000.0")),
        ("currency", "cny"),
    ],
)
def test_the_same_invoice_typed_differently_keeps_every_fingerprint(field: str, value: Any) -> None:
    changed = _base()
    changed[field] = value
    assert _shared(_base(), changed) == list(FINGERPRINT_KINDS)


def test_a_respelled_buyer_name_keeps_every_fingerprint() -> None:
    changed = _base()
    changed["buyer"]["name"] = "Hefei Assembley Company"
    assert _shared(_base(), changed) == list(FINGERPRINT_KINDS)


def test_one_altered_field_still_shares_a_near_duplicate_fingerprint() -> None:
    renumbered = _base()
    renumbered["number"] = "SH-2026-00042A"
    assert _shared(_base(), renumbered) == ["parties_amount_date", "buyer_amount_date"]
    other_seller = _base()
    other_seller["seller"]["uscc"] = "91320500691234560J"
    assert _shared(_base(), other_seller) == ["buyer_amount_date"]


def test_genuinely_different_invoices_between_the_same_parties_share_nothing() -> None:
    second = _base()
    second["number"] = "SH-2026-00043"
    second["total_without_tax"], second["total_with_tax"] = "20000.00", "22600.00"
    assert _shared(_base(), second) == []
    assert _shared(second, _base()) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("seller.uscc", "91310115660123450X", "not a valid USCC"),  # bad check digit
        ("buyer.uscc", "12345", "not a valid USCC"),
        ("total_with_tax", "-113000.00", "negative"),
        ("total_without_tax", "100000.001", "two decimal places"),
        ("total_with_tax", 113000.5, "binary float"),
        ("number", None, "missing (BT-1)"),
        ("number", " -/ ", "no letters or digits"),
        ("issue_date", "2026-02-30", "day is out of range"),
        ("issue_date", "next tuesday", "not a date"),
        ("currency", "RMB", "not an ISO 4217 code"),
        ("total_with_tax", "99.00", "below the total without tax"),
    ],
)
def test_malformed_invoice_names_the_field(field: str, value: Any, message: str) -> None:
    data = _base()
    target, _, leaf = field.rpartition(".")
    holder = data[target] if target else data
    if value is None:
        del holder[leaf]
    else:
        holder[leaf] = value
    with pytest.raises(InvalidInvoice) as err:
        invoice_from_json(data)
    assert err.value.field == field and message in str(err.value)


def test_xml_with_entities_is_refused() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with pytest.raises(ValueError, match="not acceptable XML"):
        parse_invoice(bomb)
    with pytest.raises(ValueError, match=r"not a UBL 2\.1 Invoice"):
        parse_invoice(b"<Order/>")
