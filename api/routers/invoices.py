"""Electronic invoices: verify anywhere; financiers prepare pledges and releases.

The invoice is posted as JSON (fapiao fields or EN 16931 business terms) or UBL 2.1 XML; the
zone recomputes its keyed fingerprints and answers from the indexed chain. Pledges are signed
and sent by the financier itself: the API only returns the call to send, with the answer a
pledge would get now.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.access import Subject, allowed, redact
from api.auth import Caller
from api.body import read_body, require_content_type
from api.deps import ChainDep, ContextDep, KeyDep, SessionDep
from api.errors import ApiError, error_responses
from api.queries.invoices import InvoiceAnswer, answer
from api.schemas import WITHHELD, WithheldOut
from ftzchain.context import FtzContext
from ftzchain.domain import zone_id
from ftzchain.invoice import parse_invoice
from ftzchain.invoice.read import MAX_INVOICE_BYTES

router = APIRouter(prefix="/v1/invoices", tags=["invoices"])

_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "application/xml": {"schema": {"type": "string"}},
            "text/xml": {"schema": {"type": "string"}},
        },
        "description": "The invoice: JSON (number, issue_date, currency, seller{name,uscc}, "
        "buyer{name,uscc}, total_without_tax, total_with_tax, or the BT-n terms) or UBL 2.1 XML; "
        f"at most {MAX_INVOICE_BYTES:,} bytes",
    }
}

_TYPES = ("application/json", "application/xml", "text/xml")
_ERRORS = error_responses(413, 415, 422, 503)


class MatchOut(BaseModel):
    fingerprint: str = Field(
        description="Which of your invoice's fingerprints matched: "
        + "id, parties_amount_date or buyer_amount_date"
    )
    same_invoice: bool = Field(description="False: it belongs to another invoice (near duplicate)")
    status: str = Field(description="That invoice's status (issued, pledged, voided, …)")


class VerificationOut(BaseModel):
    status: str | None = Field(
        description="unknown, issued, voided, credited, paid or pledged (seller, financiers)"
    )
    invoice_id: str = Field(description="Keyed fingerprint of seller and number (on chain)")
    zone: str | None = Field(description="The issuing zone")
    issued_at: datetime | None = Field(description="Block time of the issue (UTC)")
    block_number: int | None
    tx_hash: str | None
    goods_linked: bool
    financeable: bool = Field(description="A pledge would be accepted now (goods aside)")
    refusal: str | None = Field(description="Why a pledge would be refused (seller, financiers)")
    matched: list[MatchOut] | None = Field(
        description="Fingerprints found on chain and their invoices' state (seller, financiers)"
    )
    withheld: list[WithheldOut] = WITHHELD


class PreparedCallOut(BaseModel):
    to: str = Field(description="The InvoiceRegistry contract")
    data: str = Field(description="Calldata to sign and send from the financier's account")
    chain_id: int
    verification: VerificationOut


async def _body(request: Request) -> bytes:
    """The posted invoice's bytes, within the size limit, declared as JSON or XML."""
    require_content_type(request, _TYPES)
    body = await read_body(request, MAX_INVOICE_BYTES)
    if not body.strip():
        raise ApiError(422, "invalid_invoice", "post the invoice as JSON or UBL 2.1 XML")
    return body


def _out(found: InvoiceAnswer, invoice_id: str) -> VerificationOut:
    state = found.state
    return VerificationOut(
        status=found.status,
        invoice_id=invoice_id,
        zone=state.issued.zone if state else None,
        issued_at=state.issued.block_time if state else None,
        block_number=state.issued.block_number if state else None,
        tx_hash=state.issued.tx_hash if state else None,
        goods_linked=bool(state and state.goods),
        financeable=found.financeable,
        refusal=found.refusal,
        matched=[
            MatchOut(fingerprint=m.kind, same_invoice=m.same_invoice, status=m.status)
            for m in found.matches
        ],
    )


def _verified(
    body: bytes, session: Session, chain_id: int, key: bytes, caller: Caller | None
) -> tuple[list[bytes], VerificationOut]:
    """Parse, fingerprint and look up (blocking: called in the thread pool); graded for the
    caller (api/access.py)."""
    fingerprints = parse_invoice(body).fingerprints(key)
    hexed = ["0x" + f.hex() for f in fingerprints]
    found = answer(session, chain_id, hexed)
    seller = found.state.issued.actor.lower() if found.state else None
    subject = Subject(owners=frozenset({seller} if seller else set()))
    graded = redact(*_VERIFY, _out(found, hexed[0]).model_dump(), caller, subject)
    return fingerprints, VerificationOut.model_validate(graded)


_VERIFY = ("POST", "/v1/invoices/verify")


@router.post(
    "/verify",
    response_model=VerificationOut,
    openapi_extra=_BODY,
    responses={**_ERRORS, **error_responses(401)},
)
async def verify(
    request: Request,
    session: SessionDep,
    chain_id: ChainDep,
    key: KeyDep,
    caller: Annotated[Caller | None, Depends(allowed(*_VERIFY))],
) -> VerificationOut:
    """Whoever presents an invoice learns whether it is on chain and financeable now; its
    state and whether any of its fingerprints (exact or near duplicate) is already pledged
    anywhere in the network is for financiers and its seller."""
    body = await _body(request)
    return (await run_in_threadpool(_verified, body, session, chain_id, key, caller))[1]


def _pledge_call(
    body: bytes,
    session: Session,
    chain_id: int,
    key: bytes,
    ctx: FtzContext,
    zone: str,
    reference: str,
    require_goods: bool,
    caller: Caller | None,
) -> PreparedCallOut:
    fingerprints, verification = _verified(body, session, chain_id, key, caller)
    zid = zone_id(zone)
    invoices = ctx.invoices
    data = invoices.pledge_call(fingerprints, zid, reference, require_goods)
    return PreparedCallOut(
        to=invoices.address, data="0x" + data.hex(), chain_id=chain_id, verification=verification
    )


@router.post(
    "/pledge-request",
    response_model=PreparedCallOut,
    openapi_extra=_BODY,
    responses={**_ERRORS, **error_responses(401, 403)},
)
async def pledge_request(
    request: Request,
    session: SessionDep,
    chain_id: ChainDep,
    key: KeyDep,
    ctx: ContextDep,
    zone: Annotated[str, Query(description="The financier's zone, e.g. CN-AH")],
    reference: Annotated[
        str, Query(min_length=1, description="The financing contract's reference")
    ],
    require_goods: Annotated[bool, Query(description="Refuse unless goods are linked")] = False,
    caller: Annotated[
        Caller | None, Depends(allowed("POST", "/v1/invoices/pledge-request"))
    ] = None,
) -> PreparedCallOut:
    """Financier: the pledge call to sign and send, with what a pledge would be told now."""
    body = await _body(request)
    return await run_in_threadpool(
        _pledge_call, body, session, chain_id, key, ctx, zone, reference, require_goods, caller
    )


def _release_call(
    body: bytes,
    session: Session,
    chain_id: int,
    key: bytes,
    ctx: FtzContext,
    reference: str,
    caller: Caller | None,
) -> PreparedCallOut:
    fingerprints, verification = _verified(body, session, chain_id, key, caller)
    if verification.status != "pledged":
        raise ApiError(409, "not_pledged", f"the invoice is {verification.status}, not pledged")
    invoices = ctx.invoices
    data = invoices.release_call(fingerprints, reference)
    return PreparedCallOut(
        to=invoices.address, data="0x" + data.hex(), chain_id=chain_id, verification=verification
    )


@router.post(
    "/release-request",
    response_model=PreparedCallOut,
    openapi_extra=_BODY,
    responses=error_responses(401, 403, 409, 413, 415, 422, 503),
)
async def release_request(
    request: Request,
    session: SessionDep,
    chain_id: ChainDep,
    key: KeyDep,
    ctx: ContextDep,
    reference: Annotated[
        str, Query(min_length=1, description="The financing contract's reference")
    ],
    caller: Annotated[
        Caller | None, Depends(allowed("POST", "/v1/invoices/release-request"))
    ] = None,
) -> PreparedCallOut:
    """Financier holding the pledge: the release call to sign and send."""
    body = await _body(request)
    return await run_in_threadpool(
        _release_call, body, session, chain_id, key, ctx, reference, caller
    )
