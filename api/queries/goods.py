"""Goods questions answered from SQL: custody chain, declaration status, certificate status,
a batch's timeline and the key events of its upstream graph.

Everything here reads rows the indexer wrote (``trade_event``, ``trace_event``,
``trace_link``); identifiers arrive as keyed fingerprints (``0x`` hex), computed by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import text
from sqlmodel import Session, col, select

from api.queries.provenance import GraphEvent, events, reached
from api.queries.sort import SortKey
from ftzchain.enums import Rule, enum_name
from ftzchain.trace import BIZ_STEPS, EVENT_TYPES
from indexer.models import TradeEventRow

_EVENT_NAMES = {v: k for k, v in EVENT_TYPES.items()}
CUSTODY_EVENTS = ("CustodyTaken", "ConsignmentDispatched", "ConsignmentReceived")


@dataclass(frozen=True)
class KeyEvent:
    """One line of a timeline or export: an EPCIS event or a custody/customs/origin step."""

    time: datetime
    kind: str  # EPCIS event type and bizStep, or the contract event name
    zone: str | None
    other_zone: str | None
    actor: str
    reference: str  # the CBV hash id, or the consignment / declaration / certificate id
    detail: str | None
    block_number: int
    tx_hash: str
    log_index: int


def _trade_rows(session: Session, chain_id: int, **where: object) -> list[TradeEventRow]:
    query = select(TradeEventRow).where(TradeEventRow.chain_id == chain_id)
    for name, value in where.items():
        column = getattr(TradeEventRow, name)
        query = query.where(column.in_(value) if isinstance(value, list) else column == value)
    query = query.order_by(
        col(TradeEventRow.block_number), col(TradeEventRow.log_index), col(TradeEventRow.position)
    )
    return list(session.exec(query).all())


def custody_chain(session: Session, chain_id: int, lot: str) -> list[TradeEventRow]:
    """Every custody step of one lot, oldest first."""
    return [r for r in _trade_rows(session, chain_id, lot=lot) if r.event in CUSTODY_EVENTS]


def custody_state(steps: list[TradeEventRow]) -> tuple[str, str | None]:
    """("unknown" | "held" | "in_transit", the zone holding or sending it) after ``steps``."""
    if not steps:
        return "unknown", None
    last = steps[-1]
    if last.event == "ConsignmentDispatched":
        return "in_transit", last.zone
    if last.event == "ConsignmentReceived":
        return "held", last.other_zone
    return "held", last.zone


@dataclass(frozen=True)
class DeclarationStatus:
    declaration: str
    consignment: str
    origin_zone: str
    destination_zone: str
    rule: str
    document_hash: str | None
    filed: TradeEventRow
    inspections: dict[str, TradeEventRow]  # by zone
    cleared: TradeEventRow | None

    @property
    def required_zones(self) -> list[str]:
        if self.rule == "origin_only":
            return [self.origin_zone]
        if self.rule == "destination_only":
            return [self.destination_zone]
        return [self.origin_zone, self.destination_zone]

    @property
    def blocking(self) -> list[str]:
        """Why it is not cleared yet: one line per required inspection missing or failed."""
        lines = []
        for zone in self.required_zones:
            found = self.inspections.get(zone)
            if found is None:
                lines.append(f"inspection by {zone} missing")
            elif not found.passed:
                lines.append(f"inspection by {zone} failed")
        return lines

    @property
    def status(self) -> str:
        if self.cleared is not None:
            return "cleared"
        if any(line.endswith("failed") for line in self.blocking):
            return "inspection_failed"
        return "awaiting_inspection" if self.blocking else "ready_for_clearance"


def declaration_status(
    session: Session, chain_id: int, declaration: str
) -> DeclarationStatus | None:
    rows = _trade_rows(session, chain_id, subject=declaration)
    filed = next((r for r in rows if r.event == "DeclarationFiled"), None)
    if filed is None:
        return None
    inspections = {
        str(r.zone): r for r in rows if r.event == "InspectionRecorded" and r.zone is not None
    }
    return DeclarationStatus(
        declaration=declaration,
        consignment=str(filed.ref),
        origin_zone=str(filed.zone),
        destination_zone=str(filed.other_zone),
        rule=enum_name(Rule, filed.rule or 0),
        document_hash=filed.document_hash,
        filed=filed,
        inspections=inspections,
        cleared=next((r for r in rows if r.event == "DeclarationCleared"), None),
    )


@dataclass(frozen=True)
class CertificateStatus:
    certificate: str
    status: Literal["valid", "revoked", "superseded"]
    issued: TradeEventRow
    closed: TradeEventRow | None  # the revocation or supersession
    replaced_by: str | None
    replaces: str | None

    @property
    def lot(self) -> str | None:
        return self.issued.lot


def certificate_status(
    session: Session, chain_id: int, certificate: str
) -> CertificateStatus | None:
    rows = _trade_rows(session, chain_id, subject=certificate)
    issued = next((r for r in rows if r.event == "CertificateIssued"), None)
    if issued is None:
        return None
    closed = next(
        (r for r in rows if r.event in ("CertificateRevoked", "CertificateSuperseded")), None
    )
    status: Literal["valid", "revoked", "superseded"] = "valid"
    if closed is not None:
        status = "revoked" if closed.event == "CertificateRevoked" else "superseded"
    return CertificateStatus(
        certificate=certificate,
        status=status,
        issued=issued,
        closed=closed,
        replaced_by=closed.ref if closed is not None and status == "superseded" else None,
        replaces=issued.ref,
    )


def _utc(value: datetime | str) -> datetime:
    """A time from raw SQL: SQLite hands back text, PostgreSQL a datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _from_graph(e: GraphEvent) -> KeyEvent:
    kind = _EVENT_NAMES.get(e.event_type, str(e.event_type))
    if 0 < e.biz_step <= len(BIZ_STEPS):
        kind += f" {BIZ_STEPS[e.biz_step - 1]}"
    return KeyEvent(
        time=_utc(e.event_time),
        kind=kind,
        zone=e.zone,
        other_zone=None,
        actor=e.enterprise,
        reference=e.hash_id,
        detail=None,
        block_number=e.block_number,
        tx_hash=e.tx_hash,
        log_index=e.log_index,
    )


def _from_trade(r: TradeEventRow) -> KeyEvent:
    detail: str | None = None
    if r.event == "InspectionRecorded":
        detail = "passed" if r.passed else "failed"
    elif r.event == "DeclarationFiled":
        detail = f"rule {enum_name(Rule, r.rule or 0)}"
    elif r.event == "CertificateRevoked":
        detail = r.reason
    elif r.event == "CertificateSuperseded":
        detail = f"replaced by {r.ref}"
    return KeyEvent(
        time=_utc(r.block_time),
        kind=r.event,
        zone=r.zone,
        other_zone=r.other_zone,
        actor=r.actor,
        reference=r.subject,
        detail=detail,
        block_number=r.block_number,
        tx_hash=r.tx_hash,
        log_index=r.log_index,
    )


def _trade_events_of_lots(session: Session, chain_id: int, lots: list[str]) -> list[KeyEvent]:
    """Custody steps and certificates of these lots, and every step of the declarations and
    certificates they belong to."""
    if not lots:
        return []
    direct: list[TradeEventRow] = []
    for start in range(0, len(lots), 500):  # keep IN lists short for both databases
        direct += _trade_rows(session, chain_id, lot=lots[start : start + 500])
    consignments = sorted({r.subject for r in direct if r.event in CUSTODY_EVENTS[1:]})
    certificates = sorted({r.subject for r in direct if r.event == "CertificateIssued"})
    related: list[TradeEventRow] = []
    if consignments:
        related += _trade_rows(session, chain_id, event="DeclarationFiled", ref=consignments)
    declarations = sorted({r.subject for r in related})
    subjects = declarations + certificates
    if subjects:
        related += [
            r
            for r in _trade_rows(session, chain_id, subject=subjects)
            if r.event != "DeclarationFiled" and r.event != "CertificateIssued"
        ]
    # A consignment of several lots gives one row per lot: show the step once.
    seen: set[tuple[str, int]] = set()
    out = []
    for r in direct + related:
        if (r.tx_hash, r.log_index) not in seen:
            seen.add((r.tx_hash, r.log_index))
            out.append(_from_trade(r))
    return out


def timeline(session: Session, chain_id: int, lot: str) -> list[KeyEvent]:
    """Everything that happened to one batch itself, oldest first: the EPCIS events that
    touched it, its custody steps, declarations and certificates."""
    rows = session.execute(
        text(
            """
            SELECT e.event_id, e.event_type, e.action, e.biz_step, e.disposition, e.event_time,
                   e.zone, e.enterprise, e.block_number, e.tx_hash, e.log_index, e.id_version
            FROM trace_event e
            WHERE e.chain_id = :chain AND EXISTS (
                SELECT 1 FROM trace_link l
                WHERE l.chain_id = e.chain_id AND l.tx_hash = e.tx_hash
                  AND l.log_index = e.log_index AND l.fingerprint = :fp)
            """
        ),
        {"chain": chain_id, "fp": lot},
    ).all()
    found = [_from_graph(GraphEvent(*row)) for row in rows]
    found += _trade_events_of_lots(session, chain_id, [lot])
    return sort_events(found, "time", descending=False)


def upstream_key_events(
    session: Session, chain_id: int, lot: str, limit: int
) -> tuple[list[KeyEvent], int]:
    """The key events of a batch's full upstream graph (EPCIS events through transformations
    and aggregations, plus the custody, customs and origin steps of every batch reached), and
    how many batches were reached."""
    graph = events(session, chain_id, lot, "upstream", limit=limit)
    lots = sorted(reached(session, chain_id, lot, "upstream"))
    found = [_from_graph(e) for e in graph] + _trade_events_of_lots(session, chain_id, lots)
    return found, len(lots)


def sort_events(found: list[KeyEvent], key: SortKey, descending: bool) -> list[KeyEvent]:
    def order(e: KeyEvent) -> tuple[object, ...]:
        position = (e.block_number, e.log_index)
        if key == "zone":
            return (e.zone or "", e.time, *position)
        if key == "kind":
            return (e.kind, e.time, *position)
        if key == "block":
            return position
        return (e.time, *position)

    return sorted(found, key=order, reverse=descending)
