"""Court evidence: the self-contained bundle of a registration, and its printable certificate.

The bundle's proofs come from the chain node (the one thing the API asks the chain for); which
transaction to prove comes from the indexed SQL.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.access import require
from api.auth import OptionalCallerDep
from api.deps import SessionDep, SettingsDep, get_context
from api.errors import ApiError, error_responses
from api.queries.ip import find_registration, normalise_hash, registration_tx
from api.routers.ip import Sha256Path, ip_subject
from ftzchain.evidence.certificate import Certificate
from ftzchain.evidence.service import ip_bundle

router = APIRouter(prefix="/v1/evidence", tags=["evidence"])

_ERRORS = error_responses(401, 403, 404, 422, 503)


def _bundle(
    request: Request, session: SessionDep, sha256: str, caller: OptionalCallerDep, path: str
) -> dict[str, Any]:
    """The bundle, for the owner and courts (api/access.py): it names the owner and carries
    its signature."""
    content_hash = normalise_hash(sha256)
    ctx = get_context(request)
    record = find_registration(session, content_hash, ctx.client.chain_id)
    if record is not None:
        require("GET", path, caller, ip_subject(record))
    tx_hash = registration_tx(session, ctx.client.chain_id, bytes.fromhex(content_hash[2:]))
    if record is None or tx_hash is None:
        raise ApiError(
            404,
            "ip_not_registered",
            f"no registration of {content_hash} has been indexed",
            {"content_hash": content_hash},
        )
    return ip_bundle(ctx, bytes.fromhex(content_hash[2:]), tx_hash)


@router.get("/{sha256}", responses=_ERRORS)
def get_bundle(
    sha256: Sha256Path, request: Request, session: SessionDep, caller: OptionalCallerDep
) -> dict[str, Any]:
    """The evidence bundle of a registered work: verify it offline with `ftz evidence verify`
    (for the owner and courts)."""
    return _bundle(request, session, sha256, caller, "/v1/evidence/{sha256}")


@router.get("/{sha256}/certificate", response_class=HTMLResponse, responses=_ERRORS)
def get_certificate(
    sha256: Sha256Path,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    caller: OptionalCallerDep,
) -> HTMLResponse:
    """A printable certificate (HTML) of the registration, made from a verified bundle."""
    url = f"{settings.api_base_url}/v1/evidence/{normalise_hash(sha256)}"
    bundle = _bundle(request, session, sha256, caller, "/v1/evidence/{sha256}/certificate")
    return HTMLResponse(Certificate.from_bundle(bundle, url).html())


@router.get(
    "/{sha256}/certificate.pdf",
    responses={**_ERRORS, 200: {"content": {"application/pdf": {}}}},
    response_class=Response,
)
def get_certificate_pdf(
    sha256: Sha256Path,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    caller: OptionalCallerDep,
) -> Response:
    """The same certificate as a PDF."""
    url = f"{settings.api_base_url}/v1/evidence/{normalise_hash(sha256)}"
    bundle = _bundle(request, session, sha256, caller, "/v1/evidence/{sha256}/certificate.pdf")
    pdf = Certificate.from_bundle(bundle, url).pdf()
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="ip-{normalise_hash(sha256)[2:14]}.pdf"'
        },
    )
