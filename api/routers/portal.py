"""The web portal: verification pages for people (customs, courts, financiers).

Pages are Jinja2 templates (``api/templates``, autoescaped) with their stylesheet and scripts
in ``api/static``; the routes only ask the read side and pick the template.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.auth import OptionalCallerDep
from api.deps import SessionDep, SettingsDep, chain_id, consortium_key
from api.queries.goods import (
    certificate_status,
    custody_chain,
    custody_state,
    declaration_status,
    timeline,
)
from api.queries.ip import find_registration, normalise_hash
from api.routers.ip import HASH_PATTERN, Sha256Path, graded_record
from ftzchain.fingerprints import certificate_key, declaration_key, fingerprint

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
    id: Annotated[str, Query(min_length=1, description="EPC, class or lot id")],
) -> HTMLResponse:
    """A batch: who holds it, and everything that happened to it."""
    lot = "0x" + fingerprint(id, consortium_key(settings)).hex()
    chain = chain_id(settings)
    events = timeline(session, chain, lot)
    if not events:
        return _page(request, "goods.html", "Unknown batch", identifier=id, events=[])
    state, zone = custody_state(custody_chain(session, chain, lot))
    return _page(
        request, "goods.html", "Batch", identifier=id, events=events, held=_HELD[state], zone=zone
    )


@router.get("/origin/{number}", response_class=HTMLResponse)
def certificate_page(
    request: Request, number: str, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    """A certificate of origin: valid, revoked or superseded."""
    cert = "0x" + certificate_key(number, consortium_key(settings)).hex()
    found = certificate_status(session, chain_id(settings), cert)
    title = "Certificate of origin" if found is not None else "Unknown certificate"
    return _page(request, "certificate.html", title, number=number, found=found)


@router.get("/customs/{number}", response_class=HTMLResponse)
def declaration_page(
    request: Request, number: str, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    """A customs declaration: inspections and clearance."""
    decl = "0x" + declaration_key(number, consortium_key(settings)).hex()
    found = declaration_status(session, chain_id(settings), decl)
    title = "Customs declaration" if found is not None else "Unknown declaration"
    return _page(request, "declaration.html", title, number=number, found=found)


@router.get("/invoice", response_class=HTMLResponse)
def invoice_page(request: Request) -> HTMLResponse:
    """Check an invoice (JSON or UBL XML) before financing it."""
    return _page(request, "invoice.html", "Check an invoice")
