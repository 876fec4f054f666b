"""An invoice as the system knows it (normalised fields) and its keyed fingerprints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from eth_utils.crypto import keccak

from ftzchain.fingerprints import invoice_fingerprint, seller_fingerprint

# The fingerprints, in their on-chain order. The first is the invoice id, keccak256 of the
# seller's fingerprint (bound on chain to the seller's key) and the number's; the others cover
# other fields, so a resubmission with one field altered still shares them.
FINGERPRINT_KINDS = ("id", "parties_amount_date", "buyer_amount_date")


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

    def as_json(self) -> dict[str, object]:
        """The invoice in this system's JSON names (what ``POST /v1/invoices/items`` and
        ``/v1/invoices/verify`` take); amounts as decimal strings, never floats."""
        return {
            "number": self.number,
            "issue_date": self.issue_date.isoformat(),
            "currency": self.currency,
            "seller": {"name": self.seller_name, "uscc": self.seller_id},
            "buyer": {"name": self.buyer_name, "uscc": self.buyer_id},
            "total_without_tax": str(self.total_without_tax),
            "total_with_tax": str(self.total_with_tax),
        }

    def prints(self, key: bytes) -> InvoicePrints:
        total = f"{self.total_with_tax:.2f}"
        day = self.issue_date.isoformat()
        return InvoicePrints(
            seller=seller_fingerprint(self.seller_id, key),
            number=invoice_fingerprint(key, "number", [self.seller_id, self.number]),
            near=(
                invoice_fingerprint(
                    key,
                    "parties_amount_date",
                    [self.seller_id, self.buyer_id, total, self.currency, day],
                ),
                invoice_fingerprint(
                    key, "buyer_amount_date", [self.buyer_id, total, self.currency, day]
                ),
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
