"""The web portal: verification pages for people (customs, courts, financiers).

Pages are Jinja2 templates (``api/templates``, autoescaped) with their stylesheet and scripts
in ``api/static``; the routes only ask the read side and pick the template.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel

from api.access import LookupCallerDep, require_party
from api.auth import OptionalCallerDep
from api.deps import SessionDep, SettingsDep, chain_id, consortium_key
from api.errors import ApiError
from api.queries.goods import (
    custody_chain,
    custody_state,
    timeline,
)
from api.queries.ip import find_registration, normalise_hash
from api.routers.customs import graded_certificate, graded_declaration
from api.routers.ip import HASH_PATTERN, Sha256Path, graded_record
from api.routers.trace import key_event_subject
from ftzchain.errors import Forbidden, Unauthenticated
from ftzchain.fingerprints import fingerprint

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=TEMPLATES_DIR)  # autoescapes .html templates

_HELD = {"held": "held by", "in_transit": "in transit from", "unknown": "custody unknown"}


def _page(request: Request, template: str, title: str, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, template, {"title": title, **context})


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    """Upload a work (hashed in the browser, never uploaded) or paste its SHA-256."""
    return _page(request, "home.html", "FTZ Chain verification", hash_pattern=HASH_PATTERN)


@router.get("/ip/{sha256}", response_class=HTMLResponse)
def ip_page(
    request: Request,
    sha256: Sha256Path,
    session: SessionDep,
    settings: SettingsDep,
    caller: OptionalCallerDep,
) -> HTMLResponse:
    """The registration as the caller (signed in by the session cookie) may see it, saying
    what is withheld and who may see it (api/access.py)."""
    content_hash = normalise_hash(sha256)
    found = find_registration(session, content_hash, settings.chain_id)
    record = None if found is None else graded_record(found, caller)
    title = "Registered" if record is not None else "Not registered"
    withheld = {w.field: w.visible_to for w in record.withheld} if record else {}
    return _page(
        request, "ip.html", title, record=record, content_hash=content_hash, withheld=withheld
    )


@router.get("/goods", response_class=HTMLResponse)
def goods_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    caller: LookupCallerDep,
    id: Annotated[str, Query(min_length=1, description="EPC, class or lot id")],
) -> HTMLResponse:
    """A batch: who holds it, and everything that happened to it (for the parties of the
    goods, as GET /v1/trace/timeline)."""
    lot = "0x" + fingerprint(id, consortium_key(settings)).hex()
    chain = chain_id(settings)
    events = timeline(session, chain, lot)
    try:
        require_party("GET", "/v1/trace/timeline", caller, key_event_subject(events))
    except (Unauthenticated, Forbidden) as exc:
        return _page(request, "goods.html", "Batch", identifier=id, events=[], refusal=str(exc))
    if not events:
        return _page(request, "goods.html", "Unknown batch", identifier=id, events=[])
    state, zone = custody_state(custody_chain(session, chain, lot))
    return _page(
        request, "goods.html", "Batch", identifier=id, events=events, held=_HELD[state], zone=zone
    )


def _graded_page(
    request: Request, template: str, title: str, number: str, answer: Callable[[], BaseModel]
) -> HTMLResponse:
    """A page of one graded answer: the answer, or why there is none for this caller."""
    try:
        found = answer()
    except (ApiError, Unauthenticated) as exc:
        refusal = exc.message if isinstance(exc, ApiError) else str(exc)
        return _page(request, template, title, number=number, found=None, refusal=refusal)
    withheld = {w.field: w.visible_to for w in getattr(found, "withheld", [])}
    return _page(request, template, title, number=number, found=found, withheld=withheld)


@router.get("/origin/{number}", response_class=HTMLResponse)
def certificate_page(
    request: Request,
    number: str,
    session: SessionDep,
    settings: SettingsDep,
    caller: LookupCallerDep,
    document_sha256: Annotated[str | None, Query(pattern=HASH_PATTERN)] = None,
) -> HTMLResponse:
    """A certificate of origin: valid, revoked or superseded (as GET
    /v1/origin/certificates/{number} answers this caller)."""
    key, chain = consortium_key(settings), chain_id(settings)
    return _graded_page(
        request,
        "certificate.html",
        "Certificate of origin",
        number,
        lambda: graded_certificate(session, chain, key, number, document_sha256, caller),
    )


@router.get("/customs/{number}", response_class=HTMLResponse)
def declaration_page(
    request: Request,
    number: str,
    session: SessionDep,
    settings: SettingsDep,
    caller: LookupCallerDep,
) -> HTMLResponse:
    """A customs declaration: clearance, and inspections for the zones' customs."""
    key, chain = consortium_key(settings), chain_id(settings)
    return _graded_page(
        request,
        "declaration.html",
        "Customs declaration",
        number,
        lambda: graded_declaration(session, chain, key, number, caller),
    )


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request) -> HTMLResponse:
    """Who read the signed-in enterprise's records (from GET /v1/audit/mine)."""
    return _page(request, "audit.html", "Who read your records")


@router.get("/invoice", response_class=HTMLResponse)
def invoice_page(request: Request) -> HTMLResponse:
    """Check an invoice (JSON or UBL XML) before financing it."""
    return _page(request, "invoice.html", "Check an invoice")
