"""Who is calling: Sign-In with Ethereum sessions, and the caller's standing from the index.

A caller signs in once (``/v1/auth/nonce``, then ``/v1/auth/login`` with an EIP-4361 message
signed by its key) and then sends its session token, as ``Authorization: Bearer …`` (machine
clients, other zones' systems) or as the HttpOnly ``ftz_session`` cookie the login sets (the
portal). Only the token's SHA-256 is stored. The caller's roles are not part of the session:
they are read from the indexed Governance events, so a revocation counts as soon as the
indexer has passed its block. Each request reads its session row and the indexer's cursor in
one query; the standing replayed from the events is kept per process and reused only while
the cursor (block number and hash) is the one it was read at. The cursor is written in the
same transaction as the rows, so an unchanged cursor means unchanged Governance rows.

A request that writes nothing (a GET, or a POST the access table marks ``reads``), from a
session this process has read before, does not wait for that query: it is served on the
standing the process knows, and its answer is held (api/audit.py) until the database
confirms the session is live and the index where that standing was read
(:class:`SessionCheck`): a privileged answer inside its audit entry's append, which it
waits for anyway, any other by the same query once the answer is ready. If the session
has ended or expired, or the standing changed, the held answer is dropped unsent and
unrecorded and the request is served again the ordinary way, so the caller gets exactly
what it would have got had the session been read first. A request that writes reads its
session first.
"""

from __future__ import annotations

import hashlib
import secrets
import string
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import bindparam, delete, func, select, update
from sqlmodel import Session, col

from api.audit import Guard, ReadNote, note
from api.deps import SessionDep, SettingsDep
from api.queries.governance import Standing, standing
from api.session_read import SessionReads
from ftzchain.errors import ConfigError, Unauthenticated
from ftzchain.settings import FtzSettings
from indexer.api_tables import AuthNonce, AuthSession
from indexer.models import ChainCursor

SESSION_COOKIE = "ftz_session"
_NONCE_ALPHABET = string.ascii_letters + string.digits

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="session",
    description="The token POST /v1/auth/login returns (Sign-In with Ethereum)",
)
cookie_scheme = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="sessionCookie",
    description="The HttpOnly cookie POST /v1/auth/login sets (the portal)",
)


def sign_in_domain(settings: FtzSettings) -> str:
    """The authority sign-in messages must name: this API's public host[:port]."""
    return urlsplit(settings.api_base_url).netloc


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_nonce(session: Session, ttl: int) -> tuple[str, int]:
    """A fresh single-use nonce and when it expires; expired nonces are cleared."""
    now = int(time.time())
    nonce = "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(17))
    session.exec(delete(AuthNonce).where(col(AuthNonce.expires_at) < now))
    session.add(AuthNonce(nonce=nonce, expires_at=now + ttl))
    session.commit()
    return nonce, now + ttl


def take_nonce(session: Session, nonce: str) -> bool:
    """Mark the nonce used; False if it was never handed out, is used, or has expired. One
    UPDATE: of two logins racing with the same nonce, one wins."""
    now = int(time.time())
    taken = session.exec(
        update(AuthNonce)
        .where(col(AuthNonce.nonce) == nonce)
        .where(col(AuthNonce.used_at).is_(None))
        .where(col(AuthNonce.expires_at) >= now)
        .values(used_at=now)
    )
    session.commit()
    return bool(taken.rowcount == 1)


def open_session(session: Session, address: str, expires_at: int) -> str:
    """A new session for ``address``; returns its token (shown once, stored hashed)."""
    token = secrets.token_urlsafe(32)
    session.add(
        AuthSession(
            token_hash=hash_token(token),
            address=address.lower(),
            created_at=int(time.time()),
            expires_at=expires_at,
        )
    )
    session.commit()
    return token


def end_session(session: Session, token: str) -> bool:
    ended = session.exec(
        update(AuthSession)
        .where(col(AuthSession.token_hash) == hash_token(token))
        .where(col(AuthSession.ended_at).is_(None))
        .values(ended_at=int(time.time()))
    )
    session.commit()
    return bool(ended.rowcount == 1)


@dataclass(frozen=True)
class Caller:
    """A signed-in caller and its standing now."""

    address: str
    session_expires_at: int
    standing: Standing


async def _token(  # no I/O: async, so no thread hop (FastAPI runs a plain def in the pool)
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    cookie: Annotated[str | None, Depends(cookie_scheme)],
) -> str | None:
    if credentials is not None and credentials.scheme.lower() == "bearer":
        return credentials.credentials
    return cookie


TokenDep = Annotated[str | None, Depends(_token)]


async def optional_caller(
    request: Request, token: TokenDep, session: SessionDep, settings: SettingsDep
) -> Caller | None:
    """The signed-in caller, or None for an anonymous request; an unknown, ended or
    expired token is refused (401) rather than treated as anonymous. (Async: an anonymous
    request costs no thread hop; a token is looked up without blocking the event loop:
    api/session_read.py.)"""
    if token is None:
        return None
    chain_id = _chain_id(settings)
    params = _session_params(chain_id, token)
    reads: SessionReads = request.app.state.session_reads
    read = note()
    if read is not None and read.may_confirm_later and _writes_nothing(request):
        served = _on_known_standing(read, reads, params, chain_id)
        if served is not None:
            return _noted(served, read)
    refused = read.refused if read is not None else None  # served again: why it was dropped
    if refused is not None and not isinstance(refused, StandingMoved):
        raise refused  # the session query's own answer: 401, or 503
    address, expires_at, at = _valid_session(await reads.row(session, params))
    _SESSIONS.put(params["token_hash"], (address, expires_at))
    known = _standing_kept(address, at) if at is not None else None
    if known is None:  # the index moved (or holds nothing yet): replay the standing
        known = await run_in_threadpool(_standing_at, session, chain_id, address, at)
    return _noted(Caller(address, expires_at, known), read)


def _writes_nothing(request: Request) -> bool:
    """Whether the operation being served writes nothing: a GET or HEAD (the portal's pages
    too), or a POST the access table marks ``reads``."""
    if request.method in ("GET", "HEAD"):
        return True
    route = request.scope.get("route")
    reads_only: frozenset[tuple[str, str]] = request.app.state.reads_only
    return (request.method, getattr(route, "path", "")) in reads_only


def _on_known_standing(
    read: ReadNote, reads: SessionReads, params: dict[str, Any], chain_id: int
) -> Caller | None:
    """The caller as this process last confirmed it, to be confirmed again before its
    answer leaves (:class:`SessionCheck`); None when this process knows nothing usable of
    the session."""
    known = _SESSIONS.get(params["token_hash"])
    if known is None or known[1] <= int(time.time()):
        return None
    address, expires_at = known
    latest = _STANDINGS.get(address)
    if latest is None:
        return None
    cursor, standing_then = latest
    read.confirming = SessionCheck(reads, params, chain_id, address, cursor, standing_then)
    return Caller(address, expires_at, standing_then)


class SessionCheck:
    """Confirms a request served on the standing this process knew: the session is live
    and the index where the standing was read (or, if it moved, the standing replayed is
    the same). api/audit.py holds the answer until then.

    A privileged answer is confirmed inside its audit entry's append, which it waits for
    anyway: the appender checks :data:`SESSION_HOLDS` in its transaction (a
    :class:`~api.audit.Guard`), so the session costs no read of its own. Any other answer is
    confirmed by the session query once it is ready, as the request would have read it
    first. Nothing runs beside the request: a read started beside it only contends with it
    for the interpreter (measured no faster one request at a time on SQLite, and slower
    under load)."""

    def __init__(
        self,
        reads: SessionReads,
        params: dict[str, Any],
        chain_id: int,
        address: str,
        cursor: tuple[int, str],
        served_on: Standing,
    ) -> None:
        self._reads, self._params, self._chain_id = reads, params, chain_id
        self._address, self._cursor, self._served_on = address, cursor, served_on

    def guard(self) -> Guard:
        return Guard(
            self._reads.holds_sql,
            {
                **self._params,
                "now": int(time.time()),
                "block_number": self._cursor[0],
                "block_hash": self._cursor[1],
            },
        )

    async def outcome(self) -> Exception | None:
        """None when the session is live now and the caller's standing is the one the
        request was served on; else why not: :class:`StandingMoved`, or what the session
        query raised (401 for a session ended or expired, 503 for a database that failed),
        which the request served again raises in turn (:func:`optional_caller`)."""
        try:
            _, _, at = _valid_session(await self._reads.row_apart(self._params))
            if at is not None and (
                at == self._cursor or await run_in_threadpool(self._replayed_is_same, at)
            ):
                return None
            return StandingMoved()
        except Exception as exc:
            return exc

    def _replayed_is_same(self, at: tuple[int, str]) -> bool:
        """The index moved: replay the standing (kept for the requests after) and compare."""
        with self._reads.session() as session:
            return _standing_at(session, self._chain_id, self._address, at) == self._served_on


class StandingMoved(Exception):
    """The caller's standing is not the one its request was served on."""


def _noted(caller: Caller, read: ReadNote | None) -> Caller:
    if read is not None:  # for the audit trail, should the read be a privileged one
        read.caller = caller.address
        roles = [f"{r}@{z}" for r, z in sorted(caller.standing.roles)]
        read.roles = ",".join([*roles, *(["committee"] if caller.standing.committee else [])])
    return caller


K = TypeVar("K")
V = TypeVar("V")


class Lru(Generic[K, V]):
    """A bounded map that forgets the entry used least recently; shared by the threads of
    one process."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            kept = self._entries.get(key)
            if kept is not None:
                self._entries.move_to_end(key)
            return kept

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


# Sessions this process has read live: token hash → (address, expiry). Only ever a guess to
# be confirmed: an entry says nothing about whether the session has ended since.
_SESSIONS: Lru[str, tuple[str, int]] = Lru()
# Standings replayed from the index: address → (the cursor it was read at, the standing).
_STANDINGS: Lru[str, tuple[tuple[int, str], Standing]] = Lru()


def _standing_kept(address: str, cursor: tuple[int, str]) -> Standing | None:
    """The standing kept for ``address`` if it was read at ``cursor``."""
    kept = _STANDINGS.get(address)
    return kept[1] if kept is not None and kept[0] == cursor else None


# Built once: a statement object keeps its compiled form and cache key, so each request only
# binds the token's hash and the chain id. Each request sends it through api/session_read.py
# (on PostgreSQL from the event loop, as the engine's dialect renders it).
SESSION_AND_CURSOR = (
    select(
        col(AuthSession.address),
        col(AuthSession.expires_at),
        col(AuthSession.ended_at),
        col(ChainCursor.block_number),
        col(ChainCursor.block_hash),
    )
    .select_from(AuthSession)
    .outerjoin(ChainCursor, col(ChainCursor.chain_id) == bindparam("chain_id"))
    .where(col(AuthSession.token_hash) == bindparam("token_hash"))
)


# What a live session is, as :func:`_valid_session` reads it, in SQL for the audit appender:
# not ended, not expired, and the index at the cursor a standing was read at. A count: 1 when
# the session holds, else 0.
SESSION_HOLDS = (
    select(func.count())
    .select_from(AuthSession)
    .join(ChainCursor, col(ChainCursor.chain_id) == bindparam("chain_id"))
    .where(col(AuthSession.token_hash) == bindparam("token_hash"))
    .where(col(AuthSession.ended_at).is_(None))
    .where(col(AuthSession.expires_at) > bindparam("now"))
    .where(col(ChainCursor.block_number) == bindparam("block_number"))
    .where(col(ChainCursor.block_hash) == bindparam("block_hash"))
)


def caller_of(token: str, session: Session, settings: FtzSettings) -> Caller:
    """The session's caller and its standing now, blocking (the login answers with it)."""
    chain_id = _chain_id(settings)
    params = _session_params(chain_id, token)
    row = session.connection().execute(SESSION_AND_CURSOR, params)
    address, expires_at, at = _valid_session(row.first())
    _SESSIONS.put(params["token_hash"], (address, expires_at))
    return Caller(address, expires_at, _standing_at(session, chain_id, address, at))


def _chain_id(settings: FtzSettings) -> int:
    if settings.chain_id is None:
        raise ConfigError("set FTZ_CHAIN_ID: roles are read from that chain's index")
    return settings.chain_id


def _session_params(chain_id: int, token: str) -> dict[str, Any]:
    return {"chain_id": chain_id, "token_hash": hash_token(token)}


def _valid_session(row: Any) -> tuple[str, int, tuple[int, str] | None]:
    """A row of :data:`SESSION_AND_CURSOR` as (address, expiry, cursor): 401 unless it is a
    live session. The cursor is None while nothing is indexed."""
    if row is None or row[2] is not None or row[1] <= int(time.time()):
        raise Unauthenticated("the session is unknown, has ended or has expired: sign in again")
    at = (int(row[3]), str(row[4])) if row[3] is not None else None
    return str(row[0]), int(row[1]), at


def _standing_at(
    session: Session, chain_id: int, address: str, at: tuple[int, str] | None
) -> Standing:
    """The standing replayed from the index, kept under the cursor read before it (so never
    older than that cursor) for the requests after it; with nothing indexed yet, nothing is
    kept."""
    replayed = standing(session, chain_id, address)
    if at is not None:
        _STANDINGS.put(address, (at, replayed))
    return replayed


async def signed_in(caller: Annotated[Caller | None, Depends(optional_caller)]) -> Caller:
    """The signed-in caller; 401 for an anonymous request."""
    if caller is None:
        raise Unauthenticated(
            "sign in first: POST /v1/auth/nonce, then POST /v1/auth/login with the signed "
            "message; send the token as 'Authorization: Bearer …'"
        )
    return caller


OptionalCallerDep = Annotated[Caller | None, Depends(optional_caller)]
CallerDep = Annotated[Caller, Depends(signed_in)]
