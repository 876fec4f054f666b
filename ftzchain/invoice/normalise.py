"""Validation and normalisation: the same invoice gives the same fields however it was
typed."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from ftzchain.errors import InvalidInvoice
from ftzchain.invoice.model import Invoice

_MAX_AMOUNT = Decimal("1e15")

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


def validated(raw: dict[str, Any]) -> Invoice:
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
