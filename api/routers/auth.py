"""Sign-In with Ethereum (EIP-4361): a nonce, a login with the signed message, a logout, and
who the caller is now (its standing from the indexed Governance events)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Annotated

from eth_utils.address import to_checksum_address
from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from api.auth import (
    SESSION_COOKIE,
    Caller,
    CallerDep,
    TokenDep,
    caller_of,
    end_session,
    issue_nonce,
    open_session,
    sign_in_domain,
    take_nonce,
)
from api.body import JSON_TYPES, json_body, parse_json, read_body, require_content_type
from api.deps import SessionDep, SettingsDep
from api.errors import error_responses
from ftzchain.errors import ConfigError
from ftzchain.siwe import SiweError, parse, verify

router = APIRouter(prefix="/v1/auth", tags=["sign-in"])

STATEMENT = "Sign in to the FTZ Chain zone API."


class NonceOut(BaseModel):
    nonce: str = Field(description="Single use; put it in the message's Nonce line")
    expires_at: datetime = Field(description="The login must come before this time")
    domain: str = Field(description="The authority the message must name (host[:port])")
    uri: str = Field(description="The URI line the message must carry")
    chain_id: int = Field(description="The Chain ID line the message must carry")
    statement: str = Field(description="A statement the portal shows (any, or none, is taken)")
    address: str | None = Field(
        None, description="The ?address= given, in EIP-55 checksum case, as the message needs it"
    )


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(max_length=4096, description="The EIP-4361 message, as signed")
    signature: str = Field(
        pattern=r"^0x[0-9a-fA-F]{130}$", description="personal_sign (EIP-191) of the message"
    )


class StandingOut(BaseModel):
    address: str
    committee: bool = Field(description="A member of the steering committee")
    roles: list[dict[str, str]] = Field(description="[{role, zone}] in admitted zones")
    enterprise_zones: list[str] = Field(description="Zones the account is bound to")


class SessionOut(BaseModel):
    token: str = Field(description="Send as 'Authorization: Bearer …' (also set as a cookie)")
    token_type: str = "bearer"
    expires_at: datetime
    caller: StandingOut


class CallerOut(BaseModel):
    session_expires_at: datetime
    caller: StandingOut


def _login_uri(base: str) -> str:
    return f"{base}/v1/auth/login"


def _standing_out(caller: Caller) -> StandingOut:
    s = caller.standing
    return StandingOut(
        address=s.address,
        committee=s.committee,
        roles=[{"role": r, "zone": z} for r, z in sorted(s.roles)],
        enterprise_zones=sorted(s.enterprise_zones),
    )


def _chain_id(settings: SettingsDep) -> int:
    if settings.chain_id is None:
        raise ConfigError("set FTZ_CHAIN_ID: sign-in messages name the chain")
    return settings.chain_id


@router.post("/nonce", status_code=201, responses=error_responses(422, 503))
def nonce(
    session: SessionDep,
    settings: SettingsDep,
    address: Annotated[
        str | None,
        Query(
            pattern=r"^0x[0-9a-fA-F]{40}$",
            description="The signer's address: answered back in EIP-55 checksum case (a "
            "browser has no Keccak-256 to compute it)",
        ),
    ] = None,
) -> NonceOut:
    """Start a sign-in: a single-use nonce and the lines the EIP-4361 message must carry."""
    value, expires = issue_nonce(session, settings.sign_in_nonce_ttl)
    return NonceOut(
        nonce=value,
        expires_at=datetime.fromtimestamp(expires, UTC),
        domain=sign_in_domain(settings),
        uri=_login_uri(settings.api_base_url),
        chain_id=_chain_id(settings),
        statement=STATEMENT,
        address=to_checksum_address(address) if address else None,
    )


@router.post(
    "/login",
    response_model=SessionOut,
    responses=error_responses(401, 413, 415, 422),
    openapi_extra=json_body(LoginIn, "The EIP-4361 message and its personal_sign signature"),
)
async def login(
    request: Request, response: Response, session: SessionDep, settings: SettingsDep
) -> SessionOut:
    """Sign in with a message signed by the caller's key: domain, URI, chain id, nonce (one
    use), issued-at (within the nonce's lifetime), expiry and not-before are all checked.
    Sets the HttpOnly ``ftz_session`` cookie and returns the same token for bearer use."""
    require_content_type(request, JSON_TYPES)
    body = parse_json(LoginIn, await read_body(request, 16 * 1024), 16 * 1024)
    return await run_in_threadpool(_login, body, response, session, settings)


def _login(
    body: LoginIn, response: Response, session: SessionDep, settings: SettingsDep
) -> SessionOut:
    message = parse(body.message)
    expected_uri = _login_uri(settings.api_base_url)
    if message.uri != expected_uri:
        raise SiweError("uri", f"the message's URI is {message.uri}, not {expected_uri}")
    address = verify(
        message,
        bytes.fromhex(body.signature[2:]),
        domain=sign_in_domain(settings),
        chain_id=_chain_id(settings),
        max_age=timedelta(seconds=settings.sign_in_nonce_ttl),
    )
    if not take_nonce(session, message.nonce):
        raise SiweError("nonce", "the nonce was not handed out here, is used, or has expired")
    expires = int(time.time()) + settings.session_ttl
    if message.expiration_time:
        expires = min(expires, int(datetime.fromisoformat(message.expiration_time).timestamp()))
    token = open_session(session, address, expires)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max(0, expires - int(time.time())),
        httponly=True,
        samesite="strict",
        secure=settings.api_base_url.startswith("https://"),
        path="/",
    )
    caller = caller_of(token, session, settings)
    return SessionOut(
        token=token,
        expires_at=datetime.fromtimestamp(expires, UTC),
        caller=_standing_out(caller),
    )


@router.post("/logout", status_code=204, responses=error_responses(401))
def logout(caller: CallerDep, token: TokenDep, session: SessionDep, response: Response) -> None:
    """End the session (its token is refused from now on) and clear the cookie."""
    assert token is not None  # a signed-in caller has one
    end_session(session, token)
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/me", responses=error_responses(401))
def me(caller: CallerDep) -> CallerOut:
    """The signed-in caller and its standing now, as the index has it."""
    return CallerOut(
        session_expires_at=datetime.fromtimestamp(caller.session_expires_at, UTC),
        caller=_standing_out(caller),
    )
