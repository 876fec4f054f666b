"""Graded access (数据分级访问): who may call each endpoint and see each field of its answer.

This is the one table. Every operation of the API has a row (a test fails for an operation
without one); docs/access.md is rendered from it (a test keeps the two equal). A row names:

- ``call``: who may call the operation at all. Anyone else gets 401 when anonymous and 403
  when signed in;
- ``fields``: top-level fields of the answer with their own audience. The answer of a caller
  outside a field's audience carries the field as null and names it under ``withheld``, with
  who may see it. Fields not listed are visible to whoever may call;
- ``by_id``: a look-up by a guessable id (a number, an EPC). Each signed-in caller gets
  ``FTZ_LOOKUP_RATE_PER_MINUTE`` of these a minute, by its address (429 past it), besides the
  per-client limit every look-up has (api/admission.py);
- ``reads``: a POST that writes nothing (a verification). Like every GET, it may be served
  on the standing the process knows, its answer held until the session is confirmed
  (api/auth.py); an operation that writes reads the caller's session first.

Audiences are read against the caller's standing now (api/auth.py: the indexed Governance
events) and the record's subject: its owner enterprises and the zones it concerns.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import BaseModel, Field

from api.admission import TokenBuckets
from api.audit import mark_privileged
from api.auth import Caller, optional_caller
from api.deps import SettingsDep
from ftzchain.errors import Forbidden, RateLimited, Unauthenticated


@dataclass(frozen=True)
class Subject:
    """What an answer is about, for access: whose record it is and which zones it concerns."""

    owners: frozenset[str] = frozenset()  # lowercase enterprise addresses
    zones: frozenset[str] = frozenset()  # zone codes


@dataclass(frozen=True)
class Audience:
    """Who may see: anyone, or signed-in callers matching one of the clauses."""

    label: str
    anyone: bool = False
    signed_in: bool = False  # any signed-in caller
    owner: bool = False  # an owner enterprise of the record
    committee: bool = False
    roles: frozenset[str] = frozenset()  # these roles, in any zone
    roles_in_zone: frozenset[str] = frozenset()  # these roles, in one of the record's zones
    zone_enterprise: bool = False  # an enterprise bound to this API's zone (FTZ_ZONE)
    zone_roles: frozenset[str] = frozenset()  # these roles in this API's zone

    def admits(self, caller: Caller | None, subject: Subject, zone: str | None = None) -> bool:
        if self.anyone:
            return True
        if caller is None:
            return False
        standing = caller.standing
        return (
            self.signed_in
            or (self.owner and standing.address in subject.owners)
            or (self.committee and standing.committee)
            or any(role in self.roles for role, _ in standing.roles)
            or any(r in self.roles_in_zone and z in subject.zones for r, z in standing.roles)
            or (self.zone_enterprise and zone is not None and zone in standing.enterprise_zones)
            or any(r in self.zone_roles and z == zone for r, z in standing.roles)
        )


ANYONE = Audience("anyone", anyone=True)
SIGNED_IN = Audience("any signed-in caller", signed_in=True)
OWNER_OR_COURT = Audience(
    "the owner enterprise; a court (COURT role)", owner=True, roles=frozenset({"COURT"})
)
TRADE_ZONES = Audience(
    "customs or the zone node of the origin or destination zone",
    roles_in_zone=frozenset({"CUSTOMS", "ZONE_NODE"}),
)
CUSTOMS_OR_ISSUER = Audience(
    "customs (CUSTOMS role); certificate issuers (ORIGIN_ISSUER role)",
    roles=frozenset({"CUSTOMS", "ORIGIN_ISSUER"}),
)
TRADE_PARTIES = Audience(
    "an enterprise whose records they are; customs or the zone node of a zone they concern",
    owner=True,
    roles_in_zone=frozenset({"CUSTOMS", "ZONE_NODE"}),
)
FINANCIERS = Audience("a financier (FINANCIER role)", roles=frozenset({"FINANCIER"}))
SELLER_OR_FINANCIER = Audience(
    "the seller enterprise; a financier (FINANCIER role)",
    owner=True,
    roles=frozenset({"FINANCIER"}),
)
AUDITORS = Audience(
    "an auditor (AUDITOR role); the steering committee",
    committee=True,
    roles=frozenset({"AUDITOR"}),
)
ZONE_CLIENTS = Audience(
    "an enterprise bound to this zone; this zone's node (ZONE_NODE role)",
    zone_enterprise=True,
    zone_roles=frozenset({"ZONE_NODE"}),
)


@dataclass(frozen=True)
class Access:
    call: Audience
    fields: Mapping[str, Audience] = field(default_factory=dict)
    note: str = ""
    by_id: bool = False
    reads: bool = False


_IP_PARTIES = {"owner": OWNER_OR_COURT, "current_owner": OWNER_OR_COURT, "history": OWNER_OR_COURT}

TABLE: dict[tuple[str, str], Access] = {
    ("GET", "/healthz"): Access(ANYONE, note="liveness and how far each chain is indexed"),
    ("POST", "/v1/auth/nonce"): Access(ANYONE, note="starts a sign-in"),
    ("POST", "/v1/auth/login"): Access(ANYONE, note="the signed message is the credential"),
    ("POST", "/v1/auth/logout"): Access(SIGNED_IN),
    ("GET", "/v1/auth/me"): Access(SIGNED_IN, note="the caller's own standing"),
    ("GET", "/v1/ip/{sha256}"): Access(
        ANYONE,
        _IP_PARTIES,
        note="presenting the work's hash verifies it: registered, when, where, frozen or not",
    ),
    ("POST", "/v1/ip/verify"): Access(
        ANYONE,
        {"record": OWNER_OR_COURT},
        note="registered or not and when: see `registered`",
        reads=True,
    ),
    ("GET", "/v1/evidence/{sha256}"): Access(
        OWNER_OR_COURT, note="the bundle names the owner and carries its signature"
    ),
    ("GET", "/v1/evidence/{sha256}/certificate"): Access(OWNER_OR_COURT),
    ("GET", "/v1/evidence/{sha256}/certificate.pdf"): Access(OWNER_OR_COURT),
    ("POST", "/v1/trace/verify"): Access(
        ANYONE,
        {name: TRADE_PARTIES for name in ("events[].zone", "events[].enterprise")}
        | {"events[].conflicts": TRADE_PARTIES},
        note="whoever presents the EPCIS document learns whether and when each event is on chain",
        reads=True,
    ),
    **{
        ("GET", f"/v1/trace/{name}"): Access(
            TRADE_PARTIES,
            note="an id alone is guessable: for the parties of the goods it reaches (anyone "
            "signed in, when nothing is on chain)",
            by_id=True,
        )
        for name in ("upstream", "downstream", "timeline", "custody", "export")
    },
    ("GET", "/v1/customs/declarations/{number}"): Access(
        SIGNED_IN,
        {
            name: TRADE_ZONES
            for name in (
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
        },
        note="a number alone is guessable: signed-in callers see whether it cleared",
        by_id=True,
    ),
    ("GET", "/v1/origin/certificates/{number}"): Access(
        ANYONE,
        {name: CUSTOMS_OR_ISSUER for name in ("issuer", "lot", "tx_hash")},
        note="anonymous callers must present the document issued (document_sha256); "
        "a number alone needs a signed-in caller",
        by_id=True,
    ),
    ("POST", "/v1/invoices/verify"): Access(
        ANYONE,
        {name: SELLER_OR_FINANCIER for name in ("status", "refusal", "matched")},
        note="whoever presents the invoice learns whether it is on chain and financeable; "
        "its pledge state is for financiers and its seller",
        reads=True,
    ),
    ("POST", "/v1/invoices/pledge-request"): Access(
        FINANCIERS, note="prepares the financier's call (the chain checks its role again)"
    ),
    ("POST", "/v1/invoices/release-request"): Access(
        FINANCIERS, note="prepares the financier's call (the chain checks its role again)"
    ),
    ("GET", "/v1/audit/entries"): Access(AUDITORS, note="the trail of privileged reads"),
    ("GET", "/v1/audit/mine"): Access(
        SIGNED_IN, note="who looked at the caller's own records (entries naming it an owner)"
    ),
    ("GET", "/v1/chain"): Access(ANYONE, note="chain id and contract addresses"),
    ("POST", "/v1/submissions"): Access(
        ANYONE, note="the enterprise's signature is the credential; checked before queueing"
    ),
    ("GET", "/v1/submissions/{submission_id}"): Access(
        ANYONE, note="the id is the digest the enterprise signed: unguessable"
    ),
    ("GET", "/v1/nonces/{address}"): Access(ANYONE, note="the contracts' nonces are public"),
    ("POST", "/v1/trace/items"): Access(
        ZONE_CLIENTS, note="applies the consortium key: keyed fingerprints for this zone's clients"
    ),
    ("POST", "/v1/ip/items"): Access(ZONE_CLIENTS, note="applies the consortium key"),
    ("POST", "/v1/invoices/items"): Access(ZONE_CLIENTS, note="applies the consortium key"),
    ("POST", "/v1/invoices/goods-items"): Access(ZONE_CLIENTS, note="applies the consortium key"),
}


def reads_only() -> frozenset[tuple[str, str]]:
    """The POSTs that write nothing (marked ``reads``); every GET writes nothing too."""
    return frozenset(k for k, access in TABLE.items() if access.reads)


class Withheld(BaseModel):
    field: str
    visible_to: str = Field(description="Who may see this field")


def allowed(method: str, path: str) -> Callable[..., Awaitable[Caller | None]]:
    """A dependency enforcing the row's ``call`` audience where it does not depend on the
    record, and its per-caller limit when it is a look-up by id; returns the caller (None
    when anonymous). Audiences that do depend on the record (an owner, a role in the record's
    zones) are checked by :func:`require` once the record is read."""
    access = TABLE[(method, path)]

    async def gate(  # no I/O of its own: async, so no thread hop
        request: Request,
        caller: Annotated[Caller | None, Depends(optional_caller)],
        settings: SettingsDep,
    ) -> Caller | None:
        if not (access.call.owner or access.call.roles_in_zone):
            _check(access.call, caller, Subject(), settings.zone)
        if access.by_id:
            _limit_lookup(request, caller)
        return caller

    return gate


async def lookup_caller(
    request: Request, caller: Annotated[Caller | None, Depends(optional_caller)]
) -> Caller | None:
    """The caller of a portal page that looks a record up by id: its per-caller limit is
    applied (the page itself says when the caller may not see the record)."""
    _limit_lookup(request, caller)
    return caller


LookupCallerDep = Annotated[Caller | None, Depends(lookup_caller)]


def _limit_lookup(request: Request, caller: Caller | None) -> None:
    if caller is None:  # anonymous: the per-client limit of api/admission.py
        return
    buckets: TokenBuckets = request.app.state.lookup_buckets
    wait = buckets.take(caller.address)
    if wait > 0:
        raise RateLimited(
            "too many look-ups by id from this caller; present the document itself to verify "
            "it, or retry later",
            wait,
        )


def require(
    method: str, path: str, caller: Caller | None, subject: Subject, zone: str | None = None
) -> None:
    """Refuse the call unless the row's ``call`` audience admits the caller for ``subject``."""
    _check(TABLE[(method, path)].call, caller, subject, zone)


def require_party(
    method: str, path: str, caller: Caller | None, subject: Subject, zone: str | None = None
) -> None:
    """A look-up by a guessable id: a signed-in caller and, when something was found, one
    the row admits for what was found."""
    if caller is None:
        raise Unauthenticated("sign in first: a look-up by an id alone needs a signed-in caller")
    if subject.owners or subject.zones:
        require(method, path, caller, subject, zone)


def _check(audience: Audience, caller: Caller | None, subject: Subject, zone: str | None) -> None:
    if audience.admits(caller, subject, zone):
        if caller is not None and not audience.anyone:
            mark_privileged(subject.owners)  # a read the caller's standing opened
        return
    if caller is None:
        raise Unauthenticated(f"sign in first: this is for {audience.label}")
    raise Forbidden(f"this is for {audience.label}")


def redact(
    method: str,
    path: str,
    answer: dict[str, Any],
    caller: Caller | None,
    subject: Subject,
) -> dict[str, Any]:
    """The answer with each field the caller may not see set to null and listed under
    ``withheld``."""
    withheld = []
    for name, audience in TABLE[(method, path)].fields.items():
        if audience.admits(caller, subject):
            if caller is not None:
                mark_privileged(subject.owners)
            continue
        items, _, key = name.partition("[].")
        if key:  # a field of each item of a list
            for item in answer.get(items) or []:
                item[key] = None
        elif name in answer:
            answer[name] = None
        withheld.append(Withheld(field=name, visible_to=audience.label).model_dump())
    answer["withheld"] = withheld
    return answer


def table_markdown() -> str:
    """docs/access.md's table: every operation, who may call it, and its graded fields."""
    lines = [
        "| operation | who may call | fields with their own audience | by id | note |",
        "|---|---|---|---|---|",
    ]
    for (method, path), access in TABLE.items():
        fields = "; ".join(f"`{f}`: {a.label}" for f, a in access.fields.items()) or "—"
        by_id = "yes" if access.by_id else "—"
        lines.append(
            f"| `{method} {path}` | {access.call.label} | {fields} | {by_id} "
            f"| {access.note or '—'} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # python -m api.access: the table docs/access.md holds
    import sys

    sys.stdout.write(table_markdown())
