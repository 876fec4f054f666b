"""Sign-In with Ethereum against the served API (uvicorn, over HTTP): nonce, login, the
caller's standing read from the index on every request, logout; and the refusals."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import Session

from api.audit import head
from api.auth import end_session
from ftzchain.domain import role_id, zone_id
from ftzchain.enums import GovernanceAction as Action
from ftzchain.signing import LocalSigner
from indexer.db import make_engine
from tests.api.conftest import INVOICE_JSON, Served
from tests.api.signin import bearer, login, siwe_message
from tests.conftest import DB_KINDS
from tests.indexer.helpers import fresh_db, indexer_for
from tests.serving import serving


def _refusal(response: httpx.Response) -> tuple[int, str, str | None]:
    error = response.json()["error"]
    return response.status_code, error["code"], (error.get("detail") or {}).get("reason")


def test_nonce_names_what_the_message_must_carry(served: Served) -> None:
    with httpx.Client(base_url=served.base) as client:
        first, second = (client.post("/v1/auth/nonce").json() for _ in range(2))
    assert first["nonce"] != second["nonce"] and len(first["nonce"]) >= 8
    assert first["domain"] == "sh.zone.example"  # FTZ_PUBLIC_URL's authority
    assert first["uri"] == "https://sh.zone.example/v1/auth/login"
    assert first["chain_id"] == served.world.node.chain_id


def test_sign_in_shows_the_standing_and_a_revocation_counts_once_indexed(
    served_on: Served,
) -> None:
    """On SQLite and PostgreSQL (where the session is read from the event loop)."""
    served = served_on
    world = served.world
    auditor = LocalSigner.generate()
    governance = world.ctx.governance
    governance.decide(
        world.committee[:2],
        Action.GRANT_ROLE,
        role=role_id("AUDITOR"),
        account=auditor.address,
        zone_id=zone_id("CN-SH"),
    )
    indexer = indexer_for(world, fresh_db(served.db_url))
    indexer.sync()
    with httpx.Client(base_url=served.base) as client:
        assert _refusal(client.get("/v1/auth/me"))[:2] == (401, "unauthenticated")
        signed = login(client, auditor)
        assert signed.status_code == 200, signed.text
        body = signed.json()
        assert body["caller"]["roles"] == [{"role": "AUDITOR", "zone": "CN-SH"}]
        assert "httponly" in signed.headers["set-cookie"].lower()
        assert "samesite=strict" in signed.headers["set-cookie"].lower()
        token = body["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=served.base) as machine:  # a script: bearer, no cookie
        me = machine.get("/v1/auth/me", headers=bearer).json()
        assert me["caller"]["address"] == auditor.address.lower()
        governance.decide(
            world.committee[:2],
            Action.REVOKE_ROLE,
            role=role_id("AUDITOR"),
            account=auditor.address,
            zone_id=zone_id("CN-SH"),
        )
        # Not indexed yet: the index still says AUDITOR.
        assert machine.get("/v1/auth/me", headers=bearer).json()["caller"]["roles"]
        indexer.sync()
        assert machine.get("/v1/auth/me", headers=bearer).json()["caller"]["roles"] == []
        assert machine.post("/v1/auth/logout", headers=bearer).status_code == 204
        assert _refusal(machine.get("/v1/auth/me", headers=bearer))[:2] == (
            401,
            "unauthenticated",
        )


def test_an_answer_served_before_its_session_is_read_leaves_only_once_confirmed(
    served_on: Served,
) -> None:
    """A verification or a GET from a session the process has read before is served on the
    standing the process knows, and confirmed before it leaves: a privileged answer inside
    its audit entry's append, any other by the session read (api/auth.py). The caller gets
    what the database says by the time the answer leaves, and each answer sent is recorded
    once: the index moving on (standing unchanged) changes nothing; after a revocation is
    indexed the pledge state is withheld (the body posted again intact) and the answer first
    computed for a financier leaves no entry; a session ended elsewhere (another process's
    logout) gets 401, on a privileged read and on any other."""
    served = served_on
    world = served.world
    financier, bystander = LocalSigner.generate(), LocalSigner.generate()

    def decide(action: Action, account: str, role: str = "FINANCIER") -> None:
        world.ctx.governance.decide(
            world.committee[:2],
            action,
            role=role_id(role),
            account=account,
            zone_id=zone_id("CN-SH"),
        )

    decide(Action.GRANT_ROLE, financier.address)
    indexer = indexer_for(world, fresh_db(served.db_url))
    indexer.sync()
    signed = bearer(served.base, financier)
    owner = bearer(served.base, world.sh_enterprise)
    engine = make_engine(served.db_url)

    def entries() -> int:
        with engine.connect() as db:
            top = head(db)
        return top[0] if top else 0

    def ended(headers: dict[str, str]) -> None:
        with Session(engine) as db:
            assert end_session(db, headers["Authorization"].removeprefix("Bearer "))

    try:
        with httpx.Client(base_url=served.base) as client:

            def verify() -> list[str]:
                headers = {**signed, "content-type": "application/json"}
                answer = client.post("/v1/invoices/verify", content=INVOICE_JSON, headers=headers)
                assert answer.status_code == 200, answer.text
                return sorted(w["field"] for w in answer.json()["withheld"])

            before = entries()
            assert [verify() for _ in range(3)] == [[]] * 3  # read first, then known
            assert entries() == before + 3
            decide(Action.GRANT_ROLE, bystander.address, "AUDITOR")  # the index moves on
            indexer.sync()
            assert verify() == []
            assert entries() == before + 4
            decide(Action.REVOKE_ROLE, financier.address)
            indexer.sync()
            assert verify() == ["matched", "refusal", "status"]
            assert entries() == before + 4  # nothing privileged left, so nothing recorded
            assert client.get("/v1/auth/me", headers=signed).status_code == 200
            ended(signed)
            assert _refusal(client.get("/v1/auth/me", headers=signed))[:2] == (
                401,
                "unauthenticated",
            )
            work = f"/v1/ip/0x{served.registered.hex()}"
            for _ in range(2):
                shown = client.get(work, headers=owner)
                assert shown.status_code == 200 and shown.json()["owner"], shown.text
            assert entries() == before + 6
            ended(owner)
            assert _refusal(client.get(work, headers=owner))[:2] == (401, "unauthenticated")
            assert entries() == before + 6
    finally:
        engine.dispose()


def test_an_enterprise_sees_its_binding_and_the_cookie_signs_the_portal_in(served: Served) -> None:
    enterprise = served.world.sh_enterprise
    with httpx.Client(base_url=served.base) as client:
        signed = login(client, enterprise)
    assert signed.status_code == 200, signed.text
    cookie = signed.headers["set-cookie"]
    name, token = cookie.split(";")[0].split("=", 1)
    assert (name, token) == ("ftz_session", signed.json()["token"])
    assert "secure" in cookie.lower()  # the API's public URL is https
    with httpx.Client(base_url=served.base, cookies={"ftz_session": token}) as portal:
        me = portal.get("/v1/auth/me").json()
    assert me["caller"]["enterprise_zones"] == ["CN-SH"] and me["caller"]["roles"] == []


def test_bad_sign_ins_are_refused_with_the_reason(served: Served) -> None:
    key = LocalSigner.generate()
    with httpx.Client(base_url=served.base) as client:
        nonce = client.post("/v1/auth/nonce").json()
        message = siwe_message(nonce, key)
        signature = "0x" + key.sign_text(message.text()).hex()
        first = client.post(
            "/v1/auth/login", json={"message": message.text(), "signature": signature}
        )
        assert first.status_code == 200, first.text
        replay = client.post(
            "/v1/auth/login", json={"message": message.text(), "signature": signature}
        )
        assert _refusal(replay) == (401, "sign_in_refused", "nonce")
        never = siwe_message({**nonce, "nonce": "notHandedOut1"}, key)
        forged = client.post(
            "/v1/auth/login",
            json={"message": never.text(), "signature": "0x" + key.sign_text(never.text()).hex()},
        )
        assert _refusal(forged) == (401, "sign_in_refused", "nonce")
        past = (datetime.now(UTC) - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
        for changes, reason in (
            ({"domain": "evil.example"}, "domain"),
            ({"uri": "https://evil.example/v1/auth/login"}, "uri"),
            ({"chain_id": 1}, "chain"),
            ({"expiration_time": past}, "expired"),
            ({"issued_at": past}, "time"),
        ):
            assert _refusal(login(client, key, **changes)) == (401, "sign_in_refused", reason)
        other = LocalSigner.generate()
        nonce = client.post("/v1/auth/nonce").json()
        theirs = siwe_message(nonce, key)
        wrong = client.post(
            "/v1/auth/login",
            json={
                "message": theirs.text(),
                "signature": "0x" + other.sign_text(theirs.text()).hex(),
            },
        )
        assert _refusal(wrong) == (401, "sign_in_refused", "signature")
        garbage = client.post(
            "/v1/auth/login", json={"message": "hello", "signature": "0x" + "00" * 65}
        )
        assert _refusal(garbage) == (401, "sign_in_refused", "malformed")
        assert _refusal(
            client.get("/v1/auth/me", headers={"Authorization": "Bearer not-a-session"})
        )[:2] == (401, "unauthenticated")


def test_openapi_declares_the_session_schemes(served: Served) -> None:
    spec = httpx.get(f"{served.base}/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["session"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["session"]["description"],
    }
    assert schemes["sessionCookie"]["in"] == "cookie"
    assert schemes["sessionCookie"]["name"] == "ftz_session"
    me = spec["paths"]["/v1/auth/me"]["get"]
    assert {"session": []} in me["security"] and {"sessionCookie": []} in me["security"]
    assert "security" not in spec["paths"]["/v1/auth/nonce"]["post"]


def test_look_ups_by_id_are_limited_per_caller_however_many_sessions(served: Served) -> None:
    """FTZ_LOOKUP_RATE_PER_MINUTE counts a caller's look-ups by a guessable id by its address:
    a second session does not reset it, another caller has its own, and presenting the
    document (the invoice) is not a look-up by id."""
    env = {**served.env, "FTZ_LOOKUP_RATE_PER_MINUTE": "1"}  # a bucket of 10, one back a minute
    world = served.world
    with serving(env) as (base, _proc), httpx.Client(base_url=base) as client:
        first, second = bearer(base, world.customs.signer), bearer(base, world.customs.signer)
        number = "/v1/customs/declarations/API-DEC-1"
        statuses = [
            client.get(number, headers=first if i % 2 else second).status_code for i in range(10)
        ]
        assert statuses == [200] * 10
        limited = client.get(number, headers=second)
        assert _refusal(limited)[:2] == (429, "rate_limited")
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.json()["error"]["detail"]["retry_after_s"] >= 1
        timeline = client.get("/v1/trace/timeline", params={"id": "x"}, headers=first)
        assert timeline.status_code == 429  # the same bucket for every look-up by id
        other = bearer(base, world.customs_ah.signer)
        assert client.get(number, headers=other).status_code == 200
        invoice = client.post(
            "/v1/invoices/verify",
            content=INVOICE_JSON,
            headers={**first, "content-type": "application/json"},
        )
        assert invoice.status_code == 200, invoice.text


def test_a_database_outage_gives_503_and_the_api_recovers_with_the_database(
    served: Served,
) -> None:
    """PostgreSQL stopped under a running API: the session read (from the event loop), the
    engine's reads and /healthz answer 503, never 500 and never a hang. Started again: the
    same session, a privileged read (its audit entry appended) and an anonymous read
    answer 200 again within seconds, with no restart of the API."""
    from ftzchain.devpg import start_pg

    if "postgresql" not in DB_KINDS:
        pytest.skip("FTZ_TEST_DBS leaves PostgreSQL out")
    pg = start_pg()
    try:
        url = pg.create_database()
        indexer_for(served.world, fresh_db(url)).sync()
        env = {**served.env, "FTZ_DATABASE_URL": url, "FTZ_DB_POOL_TIMEOUT": "1"}
        declaration = "/v1/customs/declarations/API-DEC-1"
        ip = f"/v1/ip/0x{served.registered.hex()}"
        with serving(env) as (base, _proc), httpx.Client(base_url=base, timeout=30) as client:
            signed = bearer(base, served.world.customs.signer)
            assert client.get("/v1/auth/me", headers=signed).status_code == 200
            pg.pause()
            me = client.get("/v1/auth/me", headers=signed)  # its kept connection is gone
            assert _refusal(me)[:2] == (503, "database_unavailable"), me.text
            assert me.headers["retry-after"] == "5"
            again = client.get("/v1/auth/me", headers=signed)  # none can be opened
            assert again.status_code == 503 and again.json()["error"]["code"] in (
                "busy",
                "database_unavailable",
            ), again.text
            assert _refusal(client.get(ip))[:2] == (503, "database_unavailable")
            assert _refusal(client.get("/healthz"))[:2] == (503, "database_unavailable")
            assert client.get(declaration, headers=signed).status_code == 503
            pg.resume()
            deadline = time.monotonic() + 30
            statuses: list[int] = []
            while time.monotonic() < deadline:  # a stale kept connection may fail once more
                statuses = [
                    client.get("/v1/auth/me", headers=signed).status_code,
                    client.get(declaration, headers=signed).status_code,
                    client.get(ip).status_code,
                ]
                if statuses == [200, 200, 200]:
                    break
                time.sleep(0.05)  # a poll interval, not a synchronisation: the loop checks
            assert statuses == [200, 200, 200]
    finally:
        pg.stop()  # again, if the test failed before it stopped the server (a no-op otherwise)
