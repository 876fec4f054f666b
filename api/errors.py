"""One JSON error shape for every failure: ``{"error": {"code", "message", "detail"}}``."""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError as SqlOperationalError
from sqlalchemy.exc import TimeoutError as SqlTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.session_read import DatabaseBusy, DatabaseUnavailable
from ftzchain.errors import (
    AlreadyRecorded,
    ChainIdMismatch,
    ConfigError,
    ContractRevert,
    Forbidden,
    FtzError,
    InvalidEpcis,
    InvalidInput,
    InvalidInvoice,
    NodeUnavailable,
    NotDeployed,
    RateLimited,
    Unauthenticated,
)
from ftzchain.evidence.export import EvidenceError
from ftzchain.rpc import RpcError
from ftzchain.siwe import SiweError

_log = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    code: str
    message: str
    detail: Any | None = None


class ErrorResponse(BaseModel):
    """What every non-2xx answer carries."""

    error: ErrorBody


_ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
_DESCRIPTIONS = {
    401: "Unauthenticated: sign in (POST /v1/auth/nonce, then /v1/auth/login) and send the "
    "session as a bearer token or the ftz_session cookie",
    403: "Forbidden: the signature or the caller's role does not allow this here",
    404: "Not found: nothing of that id is indexed",
    409: "Conflict with the record's current state",
    413: "The body is larger than this endpoint accepts",
    415: "The body's content type is not one this endpoint reads",
    422: "Invalid input; the message names the field",
    429: "Too many requests from this client; see Retry-After",
    503: "Unavailable: overloaded, the chain node or the database does not answer, or the zone "
    "is not configured; see Retry-After where given",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these statuses, each with the one error shape (JSON, also
    on routes whose success is HTML or a file)."""
    return {
        status: {
            "description": _DESCRIPTIONS[status],
            "content": {"application/json": {"schema": _ERROR_REF}},
        }
        for status in statuses
    }


# What any operation can answer besides its own: rate limited, overloaded or unavailable.
COMMON_ERRORS = error_responses(429, 503)


def add_error_schema(app: FastAPI) -> None:
    """Publish ``ErrorResponse`` in the OpenAPI components, which ``error_responses`` refers
    to."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            error = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
            nested = error.pop("$defs", {})
            schema.setdefault("components", {}).setdefault("schemas", {}).update(
                {"ErrorResponse": error, **nested}
            )
        return app.openapi_schema or build()

    app.openapi = openapi  # type: ignore[method-assign]


class ApiError(Exception):
    """Raise from a route to answer with the error shape."""

    def __init__(self, status: int, code: str, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail


# The one map from the exception hierarchy to HTTP: the first class in an error's MRO found here
# decides. ``message`` None: the error's own text is safe to show; otherwise show this fixed
# text (it may name internal URLs or paths) and log the original.
_STATUS: dict[type[FtzError], tuple[int, str, str | None]] = {
    Unauthenticated: (401, "unauthenticated", None),
    SiweError: (401, "sign_in_refused", None),
    Forbidden: (403, "forbidden", None),
    RateLimited: (429, "rate_limited", None),
    AlreadyRecorded: (409, "already_recorded", None),
    InvalidInvoice: (422, "invalid_invoice", None),
    InvalidEpcis: (422, "invalid_epcis", None),
    InvalidInput: (422, "invalid_request", None),
    ContractRevert: (409, "contract_refused", None),
    ConfigError: (503, "not_configured", "this zone node is not fully configured"),
    NodeUnavailable: (503, "node_unavailable", "the chain node did not answer; try again later"),
    RpcError: (503, "node_unavailable", "the chain node did not answer; try again later"),
    ChainIdMismatch: (503, "node_unavailable", "the chain node serves another chain"),
    NotDeployed: (503, "chain_not_ready", "the contracts are not deployed on this chain yet"),
    EvidenceError: (503, "evidence_unavailable", None),
    FtzError: (503, "unavailable", "the service cannot answer this now; try again later"),
}


def error_status(exc: FtzError) -> tuple[int, str, str]:
    """(HTTP status, error code, message shown) of a domain error."""
    for cls in type(exc).__mro__:
        if cls in _STATUS:
            status, code, fixed = _STATUS[cls]
            return status, code, fixed or str(exc)
    raise AssertionError("FtzError is in the table")  # pragma: no cover


def error_body(code: str, message: str, detail: Any = None) -> dict[str, Any]:
    return ErrorResponse(error=ErrorBody(code=code, message=message, detail=detail)).model_dump()


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message, exc.detail), status_code=exc.status)

    @app.exception_handler(FtzError)
    async def _domain_error(_request: Request, exc: FtzError) -> JSONResponse:
        status, code, message = error_status(exc)
        detail: dict[str, Any] | None = None
        if isinstance(exc, InvalidInvoice):
            detail = {"field": exc.field}
        elif isinstance(exc, ContractRevert):
            detail = {"error": exc.error_name}
        elif isinstance(exc, AlreadyRecorded):
            detail = exc.detail
        elif isinstance(exc, SiweError):
            detail = {"reason": exc.reason}
        if status >= 500:
            _log.warning("%s answered %d %s: %s", type(exc).__name__, status, code, exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if isinstance(exc, RateLimited):
            seconds = max(1, math.ceil(exc.retry_after))
            detail, headers = {"retry_after_s": seconds}, {"Retry-After": str(seconds)}
        return JSONResponse(error_body(code, message, detail), status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
            for e in exc.errors()
        ]
        return JSONResponse(
            error_body("invalid_request", "the request is malformed; see detail", detail),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(SqlTimeout)
    @app.exception_handler(DatabaseBusy)
    async def _pool_exhausted(_request: Request, exc: Exception) -> JSONResponse:
        message = "every database connection is in use; retry shortly"
        return JSONResponse(
            error_body("busy", str(exc) if isinstance(exc, DatabaseBusy) else message),
            status_code=503,
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(SqlOperationalError)
    @app.exception_handler(DatabaseUnavailable)
    async def _database_down(_request: Request, exc: Exception) -> JSONResponse:
        _log.warning("database error: %s", exc.__cause__ or exc)
        return JSONResponse(
            error_body("database_unavailable", "the database does not answer; retry later"),
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, _exc: Exception) -> JSONResponse:
        return JSONResponse(
            error_body("internal_error", "unexpected server error; the server log has the details"),
            status_code=500,
        )
