"""Electronic invoices: read (JSON or UBL 2.1 XML), validate, normalise, fingerprint, and the
InvoiceRegistry contract from Python.

Nothing readable goes on chain: an invoice is known by keyed fingerprints (HMAC-SHA256 under
the consortium key) of its normalised fields, so an outsider cannot test guesses (an invoice
number, an amount) against chain data. Normalisation makes the same invoice give the same
fingerprints however it was typed: letter case, whitespace, punctuation in ids, date formats,
amount scale.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import IntEnum
from typing import Any

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from ftzchain.abi import AbiCodec
from ftzchain.client import ChainClient, Receipt, TxSender
from ftzchain.eip712 import (
    INVOICE_DOMAIN_NAME,
    INVOICE_DOMAIN_VERSION,
    struct_hash,
    typed_digest,
    word_address,
    word_array,
    word_uint,
)
from ftzchain.errors import InvalidInput, InvalidInvoice
from ftzchain.signing import Signer

# The fingerprints, in their on-chain order. The first is the invoice id, keccak256 of the
# seller's fingerprint (bound on chain to the seller's key) and the number's; the others cover
# other fields, so a resubmission with one field altered still shares them.
FINGERPRINT_KINDS = ("id", "parties_amount_date", "buyer_amount_date")
_MAX_AMOUNT = Decimal("1e15")


@dataclass(frozen=True)
class Invoice:
    """A validated, normalised invoice (fapiao fields and EN 16931 core terms)."""

    number: str  # BT-1, upper case, no punctuation or spaces
    issue_date: date  # BT-2
    currency: str  # BT-5, ISO 4217
    seller_name: str  # BT-27
    seller_id: str  # BT-31: the seller's USCC (统一社会信用代码)
    buyer_name: str  # BT-44
    buyer_id: str  # BT-48: the buyer's USCC
    total_without_tax: Decimal  # BT-109
    total_with_tax: Decimal  # BT-112

    def prints(self, key: bytes) -> InvoicePrints:
        total = f"{self.total_with_tax:.2f}"
        day = self.issue_date.isoformat()
        return InvoicePrints(
            seller=seller_fingerprint(self.seller_id, key),
            number=_keyed(key, "number", [self.seller_id, self.number]),
            near=(
                _keyed(
                    key,
                    "parties_amount_date",
                    [self.seller_id, self.buyer_id, total, self.currency, day],
                ),
                _keyed(key, "buyer_amount_date", [self.buyer_id, total, self.currency, day]),
            ),
        )

    def fingerprints(self, key: bytes) -> list[bytes]:
        """Fingerprints in :data:`FINGERPRINT_KINDS` order (the id first), as pledges name
        them."""
        return self.prints(key).all


@dataclass(frozen=True)
class InvoicePrints:
    """What an issue sends: the seller's and the number's fingerprints, the near ones."""

    seller: bytes
    number: bytes
    near: tuple[bytes, ...]

    @property
    def invoice_id(self) -> bytes:
        return keccak(self.seller + self.number)

    @property
    def all(self) -> list[bytes]:
        return [self.invoice_id, *self.near]


def seller_fingerprint(uscc: str, key: bytes) -> bytes:
    """The keyed fingerprint of a seller's USCC, bound on chain to the seller's key."""
    return _keyed(key, "seller", [uscc])


def _keyed(key: bytes, kind: str, fields: list[str]) -> bytes:
    message = "\x1f".join(["ftz-invoice-v1", kind, *fields]).encode()
    return hmac.new(key, message, hashlib.sha256).digest()


# --- reading ---------------------------------------------------------------------------

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
    return _validated(raw)


def parse_invoice_json(text: str | bytes) -> Invoice:
    """A JSON invoice from text; numbers are read as Decimal, never float."""
    try:
        data = json.loads(text, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInvoice("document", f"the invoice is not JSON ({exc})") from None
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
    return _validated(raw)


def parse_invoice(text: str | bytes) -> Invoice:
    """JSON or UBL XML, told apart by the first character."""
    head = text.lstrip()[:1]
    if head in ("<", b"<"):
        return parse_invoice_ubl(text)
    return parse_invoice_json(text)


# --- validation and normalisation -------------------------------------------------------

_PUNCTUATION = re.compile(r"[\s\-_/.,:;#()\[\]{}'\"]+")


def _text(raw: dict[str, Any], field: str, bt: str) -> str:
    value = raw.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInvoice(field, f"missing ({bt})")
    if not isinstance(value, str):
        raise InvalidInvoice(field, f"must be text, not {type(value).__name__}")
    return unicodedata.normalize("NFKC", value).strip()


def normalise_number(value: str) -> str:
    """Invoice numbers compare without case, spaces or punctuation (全角 folded to ASCII)."""
    return _PUNCTUATION.sub("", unicodedata.normalize("NFKC", value)).upper()


def _uscc(raw: dict[str, Any], field: str, bt: str) -> str:
    from stdnum.cn import uscc
    from stdnum.exceptions import ValidationError

    value = _PUNCTUATION.sub("", _text(raw, field, bt)).upper()
    try:
        return str(uscc.validate(value))
    except ValidationError as exc:
        raise InvalidInvoice(field, f"{value!r} is not a valid USCC ({exc})") from None


_DATE_FORMATS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)
_DAY_FIRST = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")  # 20.11.2026


def normalise_date(value: str) -> date:
    text = unicodedata.normalize("NFKC", value).strip()
    text = text.split("T")[0]  # an ISO date-time: the date part
    for pattern in _DATE_FORMATS:
        if m := pattern.match(text):
            year, month, day = (int(g) for g in m.groups())
            break
    else:
        if not (m := _DAY_FIRST.match(text)):
            raise ValueError(
                f"{value!r} is not a date (use YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD, "
                "DD.MM.YYYY or YYYY年MM月DD日)"
            )
        day, month, year = (int(g) for g in m.groups())
    return date(year, month, day)


def normalise_amount(value: Any) -> Decimal:
    """An amount as Decimal with two places; never float."""
    if isinstance(value, float):
        raise ValueError("is a binary float; send the amount as a string or JSON number")
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValueError("must be a decimal amount")
    text = str(value).replace(",", "").replace(" ", "").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a decimal amount") from None
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not a finite amount")
    if amount < 0:
        raise ValueError(f"{value!r} is negative (a refund is a credit note, not an invoice)")
    if amount >= _MAX_AMOUNT:
        raise ValueError(f"{value!r} is implausibly large")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"{value!r} has more than two decimal places")
    return amount.quantize(Decimal("0.01"))


def _validated(raw: dict[str, Any]) -> Invoice:
    import pycountry

    number = normalise_number(_text(raw, "number", "BT-1"))
    if not number:
        raise InvalidInvoice("number", "has no letters or digits (BT-1)")
    try:
        issued = normalise_date(_text(raw, "issue_date", "BT-2"))
    except ValueError as exc:
        raise InvalidInvoice("issue_date", str(exc)) from None
    currency = _text(raw, "currency", "BT-5").upper()
    if pycountry.currencies.get(alpha_3=currency) is None:
        raise InvalidInvoice("currency", f"{currency!r} is not an ISO 4217 code")
    amounts = {}
    for field, bt in (("total_without_tax", "BT-109"), ("total_with_tax", "BT-112")):
        if raw.get(field) is None:
            raise InvalidInvoice(field, f"missing ({bt})")
        try:
            amounts[field] = normalise_amount(raw[field])
        except ValueError as exc:
            raise InvalidInvoice(field, str(exc)) from None
    if amounts["total_with_tax"] < amounts["total_without_tax"]:
        raise InvalidInvoice("total_with_tax", "is below the total without tax")
    seller_id, buyer_id = _uscc(raw, "seller.uscc", "BT-31"), _uscc(raw, "buyer.uscc", "BT-48")
    if seller_id == buyer_id:
        raise InvalidInvoice("buyer.uscc", "is the seller's own USCC")
    return Invoice(
        number=number,
        issue_date=issued,
        currency=currency,
        seller_name=" ".join(_text(raw, "seller.name", "BT-27").split()),
        seller_id=seller_id,
        buyer_name=" ".join(_text(raw, "buyer.name", "BT-44").split()),
        buyer_id=buyer_id,
        total_without_tax=amounts["total_without_tax"],
        total_with_tax=amounts["total_with_tax"],
    )


# --- the contract --------------------------------------------------------------------------


class InvoiceStatus(IntEnum):
    NONE = 0
    ISSUED = 1
    VOIDED = 2
    CREDITED = 3
    PAID = 4


class InvoiceAction(IntEnum):
    VOID = 1
    CREDIT_NOTE = 2
    PAID = 3


@dataclass(frozen=True)
class OnChainInvoice:
    status: InvoiceStatus
    issued_at: int
    seller: str
    zone_id: bytes
    financier: str | None
    consignment_id: bytes | None


@dataclass(frozen=True)
class _Signed:
    deadline: int
    signature: bytes


class InvoiceRegistryContract:
    """Issue, void/credit/pay, link goods, pledge and release on one InvoiceRegistry."""

    def __init__(self, client: ChainClient, address: str, codec: AbiCodec) -> None:
        self.client = client
        self.address = address
        self.codec = codec

    def _digest(self, struct_hash: bytes) -> bytes:
        return typed_digest(
            INVOICE_DOMAIN_NAME,
            INVOICE_DOMAIN_VERSION,
            self.client.chain_id,
            to_checksum_address(self.address),
            struct_hash,
        )

    def _sign(self, seller: Signer, struct_hash: bytes, deadline: int) -> _Signed:
        return _Signed(deadline, seller.sign_digest_unsafe(self._digest(struct_hash)))

    def _deadline(self, deadline: int | None) -> int:
        return self.client.signature_deadline() if deadline is None else deadline

    def bind_seller(self, zone_node: TxSender, seller_fp: bytes, enterprise: str) -> Receipt:
        """Vouch that ``enterprise`` is the company with this USCC fingerprint (once each)."""
        return zone_node.transact(
            self.address, self.codec.encode_call("bindSeller", seller_fp, enterprise)
        )

    def seller_of(self, seller_fp: bytes) -> str | None:
        data = self.client.call(self.address, self.codec.encode_call("sellerOf", seller_fp))
        (bound,) = self.codec.decode_output("sellerOf", data)
        return None if int(bound, 16) == 0 else to_checksum_address(bound)

    def issue_call(
        self, seller: Signer, zone_id: bytes, prints: InvoicePrints, deadline: int | None = None
    ) -> bytes:
        """Calldata of ``issue``, signed by the seller (a zone node of its zone sends it)."""
        deadline = self._deadline(deadline)
        struct = struct_hash(
            "InvoiceIssue",
            word_address(seller.address),
            zone_id,
            prints.seller,
            prints.number,
            word_array(prints.near),
            word_uint(deadline),
        )
        signed = self._sign(seller, struct, deadline)
        return self.codec.encode_call(
            "issue",
            seller.address,
            zone_id,
            prints.seller,
            prints.number,
            list(prints.near),
            deadline,
            signed.signature,
        )

    def issue(
        self,
        zone_node: TxSender,
        seller: Signer,
        zone_id: bytes,
        prints: InvoicePrints,
        deadline: int | None = None,
    ) -> Receipt:
        return zone_node.transact(self.address, self.issue_call(seller, zone_id, prints, deadline))

    def act_call(
        self,
        seller: Signer,
        invoice_id: bytes,
        action: InvoiceAction,
        reason: str,
        deadline: int | None = None,
    ) -> bytes:
        """Calldata of a void, credit note or payment; only the SHA-256 of ``reason`` goes on
        chain."""
        if not reason.strip():
            raise InvalidInput("a void, credit note or payment needs a reason or reference")
        deadline = self._deadline(deadline)
        reason_hash = hashlib.sha256(reason.strip().encode()).digest()
        struct = struct_hash(
            "InvoiceAction", invoice_id, word_uint(int(action)), reason_hash, word_uint(deadline)
        )
        signed = self._sign(seller, struct, deadline)
        return self.codec.encode_call(
            "act", invoice_id, int(action), reason_hash, deadline, signed.signature
        )

    def act(
        self,
        zone_node: TxSender,
        seller: Signer,
        invoice_id: bytes,
        action: InvoiceAction,
        reason: str,
        deadline: int | None = None,
    ) -> Receipt:
        return zone_node.transact(
            self.address, self.act_call(seller, invoice_id, action, reason, deadline)
        )

    def link_goods_call(
        self,
        seller: Signer,
        invoice_id: bytes,
        consignment_id: bytes,
        deadline: int | None = None,
    ) -> bytes:
        deadline = self._deadline(deadline)
        struct = struct_hash("InvoiceGoods", invoice_id, consignment_id, word_uint(deadline))
        signed = self._sign(seller, struct, deadline)
        return self.codec.encode_call(
            "linkGoods", invoice_id, consignment_id, deadline, signed.signature
        )

    def link_goods(
        self,
        zone_node: TxSender,
        seller: Signer,
        invoice_id: bytes,
        consignment_id: bytes,
        deadline: int | None = None,
    ) -> Receipt:
        return zone_node.transact(
            self.address, self.link_goods_call(seller, invoice_id, consignment_id, deadline)
        )

    def pledge(
        self,
        financier: TxSender,
        fingerprints: list[bytes],
        zone_id: bytes,
        reference: str,
        require_goods: bool = False,
    ) -> Receipt:
        return financier.transact(
            self.address, self.pledge_call(fingerprints, zone_id, reference, require_goods)
        )

    def pledge_call(
        self, fingerprints: list[bytes], zone_id: bytes, reference: str, require_goods: bool
    ) -> bytes:
        """Calldata of a pledge (for a financier who signs elsewhere)."""
        ref = hashlib.sha256(reference.encode()).digest()
        return self.codec.encode_call("pledge", fingerprints, zone_id, ref, require_goods)

    def release(self, financier: TxSender, fingerprints: list[bytes], reference: str) -> Receipt:
        return financier.transact(self.address, self.release_call(fingerprints, reference))

    def release_call(self, fingerprints: list[bytes], reference: str) -> bytes:
        ref = hashlib.sha256(reference.encode()).digest()
        return self.codec.encode_call("release", fingerprints, ref)

    def pledged_by(self, fingerprint: bytes) -> bytes | None:
        """The invoice whose active pledge covers ``fingerprint``, if any."""
        data = self.client.call(self.address, self.codec.encode_call("pledgedBy", fingerprint))
        (holder,) = self.codec.decode_output("pledgedBy", data)
        return bytes(holder) if any(holder) else None

    def invoice(self, invoice_id: bytes) -> OnChainInvoice | None:
        data = self.client.call(self.address, self.codec.encode_call("invoice", invoice_id))
        status, issued, seller, zone, _fps, financier, consignment = self.codec.decode_output(
            "invoice", data
        )[0]
        if not status:
            return None
        zero = "0x" + "00" * 20
        return OnChainInvoice(
            InvoiceStatus(status),
            int(issued),
            to_checksum_address(seller),
            bytes(zone),
            None if financier.lower() == zero else to_checksum_address(financier),
            bytes(consignment) if any(consignment) else None,
        )
