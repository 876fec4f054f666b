"""The access table, from outside: every operation, as every kind of caller, over HTTP.

The expectations below are written out by hand per operation (who gets which status, who
sees which graded fields), not derived from api/access.py: the test checks the server
against what the issue asks, and an operation added to the API without a row in both
fails it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from api.access import TABLE, table_markdown
from ftzchain.domain import role_id, zone_id
from ftzchain.enums import GovernanceAction as Action
from ftzchain.sandbox import epcis_document
from ftzchain.signing import LocalSigner, Signer
from tests.api.conftest import PARTS, UNIT, Served, _invoice_json
from tests.api.signin import bearer
from tests.conftest import ROOT
from tests.indexer.helpers import fresh_db, indexer_for

KINDS = (
    "anonymous",
    "owner",  # the enterprise whose records they are (bound to CN-SH)
    "other enterprise",  # bound to CN-AH
    "customs of the zone",  # CUSTOMS in CN-SH
    "customs of another zone",  # CUSTOMS in CN-AH
    "financier",  # FINANCIER in CN-SH
    "court",  # COURT in CN-AH
    "auditor",  # AUDITOR in CN-SH
    "revoked",  # held FINANCIER in CN-SH, revoked
    "committee",  # a steering committee member
    "zone node",  # ZONE_NODE of CN-SH, the zone this API serves
)
SIGNED_IN = frozenset(KINDS) - {"anonymous"}
EVERYONE = frozenset(KINDS)
OWNER_AND_COURT = frozenset({"owner", "court"})
ZONE_CLIENTS = frozenset({"owner", "zone node"})
# API-DEC-1 goes from CN-SH to CN-AH: both zones' customs, and CN-SH's node.
TRADE_ZONES = frozenset({"customs of the zone", "customs of another zone", "zone node"})
CUSTOMS = frozenset({"customs of the zone", "customs of another zone"})
FINANCIER = frozenset({"financier"})
MADE_IN_SH = frozenset({"owner", "customs of the zone", "zone node"})
SH_TO_AH = MADE_IN_SH | {"customs of another zone"}
NEVER_NULL = {"owner", "current_owner", "history", "record", "origin_zone", "inspections"}
NEVER_NULL |= {"status", "matched", "events[].zone", "events[].enterprise"}
DECLARATION_DETAIL = (
    "consignment_id",
    "origin_zone",
    "destination_zone",
    "rule",
    "blocking",
    "inspections",
    "filed_at",
    "cleared_at",
    "document_hash",
)


@dataclass(frozen=True)
class Case:
    """One operation: a request, who may call it (others: 401 anonymous, 403 signed in), and
    for graded fields, who sees each."""

    method: str
    path: str  # as the table names it
    url: str  # the request, with its parameters filled in
    callers: frozenset[str]
    ok: int = 200
    body: Any = None
    files: dict[str, tuple[str, bytes]] | None = None
    fields: tuple[tuple[str, frozenset[str]], ...] = ()


@pytest.fixture(scope="module")
def sessions(served: Served) -> Iterator[dict[str, dict[str, str]]]:
    world = served.world
    auditor, revoked = LocalSigner.generate(), LocalSigner.generate()
    grants = [(Action.GRANT_ROLE, "AUDITOR", auditor), (Action.GRANT_ROLE, "FINANCIER", revoked)]
    for action, role, key in [*grants, (Action.REVOKE_ROLE, "FINANCIER", revoked)]:
        world.ctx.governance.decide(
            world.committee[:2],
            action,
            role=role_id(role),
            account=key.address,
            zone_id=zone_id("CN-SH"),
        )
    indexer_for(world, fresh_db(served.db_url)).sync()
    keys: dict[str, Signer] = {
        "owner": world.sh_enterprise,
        "other enterprise": world.ah_enterprise,
        "customs of the zone": world.customs.signer,
        "customs of another zone": world.customs_ah.signer,
        "financier": world.bank_sh.signer,
        "court": world.court.signer,
        "auditor": auditor,
        "revoked": revoked,
        "committee": world.committee[0].signer,
        "zone node": world.sh_node.signer,
    }
    yield {kind: bearer(served.base, key) for kind, key in keys.items()} | {"anonymous": {}}


def _cases(served: Served) -> list[Case]:
    work = "0x" + served.registered.hex()
    owner = served.world.sh_enterprise.address
    parties = (
        ("owner", OWNER_AND_COURT),
        ("current_owner", OWNER_AND_COURT),
        ("history", OWNER_AND_COURT),
    )
    document = epcis_document("access table", 1)
    invoice = _invoice_json(number="SH-2026-ACCESS")
    return [
        Case("GET", "/healthz", "/healthz", EVERYONE),
        Case("POST", "/v1/auth/nonce", "/v1/auth/nonce", EVERYONE, ok=201),
        Case("GET", "/v1/auth/me", "/v1/auth/me", SIGNED_IN),
        Case("GET", "/v1/ip/{sha256}", f"/v1/ip/{work}", EVERYONE, fields=parties),
        Case(
            "POST",
            "/v1/ip/verify",
            "/v1/ip/verify",
            EVERYONE,
            files={"file": ("work.txt", b"api 0")},
            fields=(("record", OWNER_AND_COURT),),
        ),
        Case("GET", "/v1/evidence/{sha256}", f"/v1/evidence/{work}", OWNER_AND_COURT),
        Case(
            "GET",
            "/v1/evidence/{sha256}/certificate",
            f"/v1/evidence/{work}/certificate",
            OWNER_AND_COURT,
        ),
        Case(
            "GET",
            "/v1/evidence/{sha256}/certificate.pdf",
            f"/v1/evidence/{work}/certificate.pdf",
            OWNER_AND_COURT,
        ),
        Case(
            "POST",
            "/v1/trace/items",
            "/v1/trace/items",
            ZONE_CLIENTS,
            body={"enterprise": owner, "document": document},
        ),
        Case(
            "POST",
            "/v1/ip/items",
            "/v1/ip/items",
            ZONE_CLIENTS,
            body={"owner": owner, "items": [{"contentHash": "0x" + "ab" * 32}]},
        ),
        Case(
            "POST",
            "/v1/invoices/items",
            "/v1/invoices/items",
            ZONE_CLIENTS,
            body={"seller": owner, "invoice": invoice},
        ),
        Case(
            "POST",
            "/v1/invoices/goods-items",
            "/v1/invoices/goods-items",
            ZONE_CLIENTS,
            body={"invoiceId": "0x" + "cd" * 32, "consignment": "CSG-ACCESS-1"},
        ),
        Case("GET", "/v1/audit/entries", "/v1/audit/entries", frozenset({"auditor", "committee"})),
        Case("GET", "/v1/audit/mine", "/v1/audit/mine", SIGNED_IN),
        Case("GET", "/v1/chain", "/v1/chain", EVERYONE),
        Case("GET", "/v1/nonces/{address}", f"/v1/nonces/{owner}", EVERYONE),
        Case(
            "GET",
            "/v1/submissions/{submission_id}",
            "/v1/submissions/0x" + "00" * 32,
            EVERYONE,
            ok=404,
        ),
        # The parts were made into the unit in CN-SH by the owner; the unit went to CN-AH.
        Case("GET", "/v1/trace/upstream", f"/v1/trace/upstream?id={UNIT}", MADE_IN_SH),
        Case("GET", "/v1/trace/downstream", f"/v1/trace/downstream?id={PARTS}", MADE_IN_SH),
        Case("GET", "/v1/trace/timeline", f"/v1/trace/timeline?id={UNIT}", SH_TO_AH),
        Case("GET", "/v1/trace/custody", f"/v1/trace/custody?id={UNIT}", SH_TO_AH),
        Case("GET", "/v1/trace/export", f"/v1/trace/export?id={UNIT}", SH_TO_AH),
        Case(
            "GET",
            "/v1/trace/timeline",
            "/v1/trace/timeline?id=urn:epc:nothing",
            SIGNED_IN,
            ok=404,  # nothing on chain: no party to keep it from, but no anonymous look-ups
        ),
        Case(
            "POST",
            "/v1/trace/verify",
            "/v1/trace/verify",
            EVERYONE,
            body=json.loads((ROOT / "tests" / "data" / "epcis-shipping.json").read_text()),
            fields=tuple(
                (f"events[].{name}", MADE_IN_SH) for name in ("zone", "enterprise", "conflicts")
            ),
        ),
        Case(
            "GET",
            "/v1/customs/declarations/{number}",
            "/v1/customs/declarations/API-DEC-1",  # CN-SH → CN-AH
            SIGNED_IN,
            fields=tuple((name, TRADE_ZONES) for name in DECLARATION_DETAIL),
        ),
        Case(
            "GET",
            "/v1/origin/certificates/{number}",
            "/v1/origin/certificates/CO-API-1",  # a number alone, no document
            SIGNED_IN,
            fields=tuple((name, CUSTOMS) for name in ("issuer", "lot", "tx_hash")),
        ),
        Case(
            "POST",
            "/v1/invoices/verify",
            "/v1/invoices/verify",
            EVERYONE,
            body=invoice,  # not on chain: no seller to be the owner
            fields=tuple((name, FINANCIER) for name in ("status", "refusal", "matched")),
        ),
        Case(
            "POST",
            "/v1/invoices/pledge-request",
            "/v1/invoices/pledge-request?zone=CN-SH&reference=access",
            FINANCIER,
            body=invoice,
        ),
        Case(
            "POST",
            "/v1/invoices/release-request",
            "/v1/invoices/release-request?reference=access",
            FINANCIER,
            ok=409,  # not pledged
            body=invoice,
        ),
    ]


# Operations the matrix does not call, each with where it is tested instead.
ELSEWHERE = {
    ("POST", "/v1/auth/login"): "tests/api/test_auth.py (every refusal reason)",
    ("POST", "/v1/auth/logout"): "tests/api/test_auth.py (the token is refused after)",
    ("POST", "/v1/submissions"): "tests/api/test_submissions.py (the signature is the credential)",
}


def test_every_operation_has_a_row_and_a_case(served: Served) -> None:
    spec = httpx.get(f"{served.base}/openapi.json").json()
    operations = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    assert operations == set(TABLE), "api/access.py must have one row per operation"
    covered = {(c.method, c.path) for c in _cases(served)} | set(ELSEWHERE)
    assert covered == operations, "each operation needs a case here (or a line in ELSEWHERE)"


def test_every_operation_for_every_kind_of_caller(
    served: Served, sessions: dict[str, dict[str, str]]
) -> None:
    seen: list[str] = []
    with httpx.Client(base_url=served.base, timeout=60) as client:
        for case in _cases(served):
            for kind in KINDS:
                response = client.request(
                    case.method,
                    case.url,
                    headers=sessions[kind],
                    json=case.body,
                    files=case.files,
                )
                where = f"{case.method} {case.url} as {kind}"
                expected = (
                    case.ok if kind in case.callers else (401 if kind == "anonymous" else 403)
                )
                assert response.status_code == expected, f"{where}: {response.text[:300]}"
                if expected != case.ok or not case.fields:
                    continue
                body = response.json()
                withheld = {w["field"] for w in body["withheld"]}
                for name, audience in case.fields:
                    hidden = name in withheld
                    assert hidden == (kind not in audience), f"{where}: {name} hidden={hidden}"
                    items, _, key = name.partition("[].")
                    values = [e[key] for e in body[items]] if key else [body[name]]
                    assert not hidden or values == [None] * len(values), f"{where}: {name} sent"
                    assert name not in NEVER_NULL or hidden or None not in values, where
                seen.append(where)
    graded = [c for c in _cases(served) if c.fields]
    assert len(seen) == sum(len(c.callers) for c in graded) and len(graded) == 6


def test_docs_render_the_table() -> None:
    doc = (ROOT / "docs" / "access.md").read_text()
    begin, end = "<!-- access table: begin -->\n", "<!-- access table: end -->"
    rendered = doc[doc.index(begin) + len(begin) : doc.index(end)]
    assert rendered == table_markdown(), "regenerate: python -m api.access > table"
    assert json.dumps(sorted(KINDS))  # the caller kinds the docs list are the ones tested
    for kind in KINDS:
        assert f"- {kind}" in doc
