"""Reading an invoice: JSON (our names or EN 16931 terms) or UBL 2.1 XML (defusedxml)."""

from __future__ import annotations

from typing import Any

from ftzchain.boundedjson import loads_bounded
from ftzchain.errors import InvalidInvoice
from ftzchain.invoice.model import Invoice
from ftzchain.invoice.normalise import validated

# Our JSON names, and the EN 16931 business terms accepted in their place.
_ALIASES = {
    "number": ("number", "BT-1", "fapiao_number"),
    "issue_date": ("issue_date", "BT-2"),
    "currency": ("currency", "BT-5"),
    "seller.name": ("seller.name", "BT-27"),
    "seller.uscc": ("seller.uscc", "BT-31"),
    "buyer.name": ("buyer.name", "BT-44"),
    "buyer.uscc": ("buyer.uscc", "BT-48"),
    "total_without_tax": ("total_without_tax", "BT-109"),
    "total_with_tax": ("total_with_tax", "BT-112"),
}


def _lookup(data: dict[str, Any], dotted: str) -> Any:
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def invoice_from_json(data: dict[str, Any]) -> Invoice:
    """Validate and normalise a JSON invoice (see ``docs`` in the README for its fields)."""
    raw = {}
    for name, aliases in _ALIASES.items():
        found = next((v for a in aliases if (v := _lookup(data, a)) is not None), None)
        raw[name] = found
    return validated(raw)


MAX_INVOICE_BYTES = 256 * 1024  # an invoice is a few KB; its lines are not read
MAX_INVOICE_DEPTH = 16


def parse_invoice_json(text: str | bytes) -> Invoice:
    """A JSON invoice from text; numbers are read as Decimal, never float."""
    data = loads_bounded(
        text,
        max_bytes=MAX_INVOICE_BYTES,
        max_depth=MAX_INVOICE_DEPTH,
        what="the invoice",
        fail=lambda message: InvalidInvoice("document", message),
    )
    if not isinstance(data, dict):
        raise InvalidInvoice("document", "the invoice is not a JSON object")
    return invoice_from_json(data)


_UBL = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
_SELLER, _BUYER = "cac:AccountingSupplierParty/cac:Party", "cac:AccountingCustomerParty/cac:Party"
_UBL_PATHS = {
    "number": "cbc:ID",
    "issue_date": "cbc:IssueDate",
    "currency": "cbc:DocumentCurrencyCode",
    "seller.name": f"{_SELLER}/cac:PartyLegalEntity/cbc:RegistrationName",
    "seller.uscc": f"{_SELLER}/cac:PartyTaxScheme/cbc:CompanyID",
    "buyer.name": f"{_BUYER}/cac:PartyLegalEntity/cbc:RegistrationName",
    "buyer.uscc": f"{_BUYER}/cac:PartyTaxScheme/cbc:CompanyID",
    "total_without_tax": "cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount",
    "total_with_tax": "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount",
}


def parse_invoice_ubl(text: str | bytes) -> Invoice:
    """A UBL 2.1 Invoice (XML; parsed with defusedxml: no entities, no external references)."""
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    if len(text) > MAX_INVOICE_BYTES:
        raise InvalidInvoice(
            "document", f"the invoice has {len(text):,} bytes, more than {MAX_INVOICE_BYTES:,}"
        )
    try:
        root = ElementTree.fromstring(text)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise InvalidInvoice("document", f"the invoice is not acceptable XML ({exc})") from None
    if root.tag != f"{{{_UBL['inv']}}}Invoice":
        raise InvalidInvoice(
            "document", "the XML is not a UBL 2.1 Invoice (root element inv:Invoice)"
        )
    raw: dict[str, Any] = {}
    for name, path in _UBL_PATHS.items():
        element = root.find(path, _UBL)
        raw[name] = element.text if element is not None else None
    return validated(raw)


def parse_invoice(text: str | bytes) -> Invoice:
    """JSON or UBL XML, told apart by the first character."""
    head = text.lstrip()[:1]
    if head in ("<", b"<"):
        return parse_invoice_ubl(text)
    return parse_invoice_json(text)
