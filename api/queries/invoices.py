"""Invoice answers from SQL: what the chain says about an invoice's fingerprints.

A verifier learns the status of the invoice it holds (unknown, issued, voided, credited, paid,
pledged), where and when it was issued, and which of its own fingerprints are known: for a near
duplicate, only that one of its fingerprints belongs to another invoice and whether that one
is pledged, never that invoice's data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from ftzchain.enums import InvoiceAction
from ftzchain.invoice import FINGERPRINT_KINDS
from indexer.models import InvoiceEventRow

# What each seller action makes of the invoice (the statuses the verifier is told), by the
# action code the chain logs.
_ACTIONS: dict[int, str] = {
    InvoiceAction.VOID: "voided",
    InvoiceAction.CREDIT_NOTE: "credited",
    InvoiceAction.PAID: "paid",
}


@dataclass
class InvoiceState:
    invoice_id: str
    issued: InvoiceEventRow
    status: str = "issued"  # issued, voided, credited, paid
    pledged_by: str | None = None
    pledge_zone: str | None = None
    goods: str | None = None


@dataclass(frozen=True)
class Match:
    kind: str  # which of the verifier's fingerprints (FINGERPRINT_KINDS)
    same_invoice: bool
    pledged: bool
    status: str


@dataclass
class InvoiceAnswer:
    status: str  # unknown, issued, voided, credited, paid, pledged
    state: InvoiceState | None
    matches: list[Match] = field(default_factory=list)

    @property
    def financeable(self) -> bool:
        return self.status == "issued" and not any(m.pledged for m in self.matches)

    @property
    def refusal(self) -> str | None:
        if self.status == "unknown":
            return "the invoice was never issued on chain"
        if self.status == "pledged":
            return "the invoice is already pledged"
        if self.status != "issued":
            return f"the invoice is {self.status}"
        near = [m.kind for m in self.matches if m.pledged]
        if near:
            return "a fingerprint is already pledged: " + ", ".join(near)
        return None


def _state(session: Session, chain_id: int, invoice_id: str) -> InvoiceState | None:
    rows = session.exec(
        select(InvoiceEventRow)
        .where(InvoiceEventRow.chain_id == chain_id)
        .where(InvoiceEventRow.invoice_id == invoice_id)
        .where(InvoiceEventRow.position == 0)
        .order_by(col(InvoiceEventRow.block_number), col(InvoiceEventRow.log_index))
    ).all()
    issued = next((r for r in rows if r.event == "InvoiceIssued"), None)
    if issued is None:
        return None
    state = InvoiceState(invoice_id, issued)
    for r in rows:
        if r.event == "InvoiceStatusChanged" and r.action in _ACTIONS:
            state.status = _ACTIONS[r.action]
        elif r.event == "InvoicePledged":
            state.pledged_by, state.pledge_zone = r.actor, r.zone
        elif r.event == "InvoiceReleased":
            state.pledged_by = state.pledge_zone = None
        elif r.event == "InvoiceGoodsLinked":
            state.goods = r.ref
    return state


def answer(session: Session, chain_id: int, fingerprints: list[str]) -> InvoiceAnswer:
    """The chain's view of an invoice given its fingerprints (``FINGERPRINT_KINDS`` order)."""
    issued = session.exec(
        select(InvoiceEventRow)
        .where(InvoiceEventRow.chain_id == chain_id)
        .where(InvoiceEventRow.event == "InvoiceIssued")
        .where(col(InvoiceEventRow.fingerprint).in_(fingerprints))
    ).all()
    own = _state(session, chain_id, fingerprints[0])
    states: dict[str, InvoiceState | None] = {fingerprints[0]: own}
    matches = []
    for row in sorted(issued, key=lambda r: (fingerprints.index(str(r.fingerprint)), r.id or 0)):
        if row.invoice_id not in states:
            states[row.invoice_id] = _state(session, chain_id, row.invoice_id)
        other = states[row.invoice_id]
        if other is None:
            continue
        matches.append(
            Match(
                kind=FINGERPRINT_KINDS[fingerprints.index(str(row.fingerprint))],
                same_invoice=row.invoice_id == fingerprints[0],
                pledged=other.pledged_by is not None,
                status="pledged" if other.pledged_by else other.status,
            )
        )
    if own is None:
        return InvoiceAnswer("unknown", None, matches)
    status = "pledged" if own.pledged_by and own.status == "issued" else own.status
    return InvoiceAnswer(status, own, matches)
