"""Electronic invoices: read (JSON or UBL 2.1 XML), validate, normalise, fingerprint, and the
InvoiceRegistry contract from Python.

Nothing readable goes on chain: an invoice is known by keyed fingerprints (HMAC-SHA256 under
the consortium key, :mod:`ftzchain.fingerprints`) of its normalised fields, so an outsider
cannot test guesses (an invoice number, an amount) against chain data. Normalisation makes the
same invoice give the same fingerprints however it was typed: letter case, whitespace,
punctuation in ids, date formats, amount scale.

- :mod:`.model`: the invoice and its fingerprints;
- :mod:`.read`: JSON and UBL input;
- :mod:`.normalise`: validation and normalisation;
- :mod:`.contract`: the InvoiceRegistry wrapper.
"""

from ftzchain.invoice.contract import InvoiceRegistryContract, OnChainInvoice
from ftzchain.invoice.model import FINGERPRINT_KINDS, Invoice, InvoicePrints
from ftzchain.invoice.normalise import normalise_amount, normalise_date, normalise_number
from ftzchain.invoice.read import (
    invoice_from_json,
    parse_invoice,
    parse_invoice_json,
    parse_invoice_ubl,
)

__all__ = [
    "FINGERPRINT_KINDS",
    "Invoice",
    "InvoicePrints",
    "InvoiceRegistryContract",
    "OnChainInvoice",
    "invoice_from_json",
    "normalise_amount",
    "normalise_date",
    "normalise_number",
    "parse_invoice",
    "parse_invoice_json",
    "parse_invoice_ubl",
]
