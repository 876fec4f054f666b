"""Customs declarations (一单两检) and certificates of origin, graded (api/access.py).

Numbers arrive as people print them (declaration number, certificate number); the chain and
the tables hold only their keyed fingerprints, computed here with the consortium key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.access import Subject, allowed, redact, require
from api.auth import Caller
from api.deps import ChainDep, KeyDep, SessionDep
from api.errors import ApiError, error_responses
from api.queries.goods import certificate_status, declaration_status
from api.schemas import WITHHELD, WithheldOut
from ftzchain.errors import Unauthenticated
from ftzchain.fingerprints import certificate_key, declaration_key

router = APIRouter(prefix="/v1", tags=["customs"])

Number = Annotated[str, Path(min_length=1, max_length=100, description="As printed")]
HASH_PATTERN = r"^(0x)?[0-9a-fA-F]{64}$"


class InspectionOut(BaseModel):
    zone: str
    passed: bool
    report_hash: str | None
    inspector: str
    at: datetime
    tx_hash: str


class DeclarationOut(BaseModel):
    """A declaration: whether it cleared for any signed-in caller; its route, rule and
    inspections for the customs and zone nodes of its origin and destination zones."""

    number: str
    declaration_id: str = Field(description="Keyed fingerprint of the number (on chain)")
    consignment_id: str | None
    origin_zone: str | None
    destination_zone: str | None
    rule: str | None = Field(description="both_zones (一单两检), origin_only or destination_only")
    status: str = Field(
        description="awaiting_inspection, inspection_failed, ready_for_clearance or cleared"
    )
    cleared: bool
    blocking: list[str] | None = Field(
        description="Why it is not cleared: missing or failed inspections"
    )
    inspections: list[InspectionOut] | None
    filed_at: datetime | None
    cleared_at: datetime | None
    document_hash: str | None
    withheld: list[WithheldOut] = WITHHELD


class CertificateOut(BaseModel):
    number: str
    certificate_id: str
    status: str = Field(description="valid, revoked or superseded")
    genuine: bool | None = Field(
        description="The document shown hashes to the one issued (null when none was given)"
    )
    zone: str
    issuer: str | None = Field(description="The issuing account (customs, issuers)")
    lot: str | None = Field(description="Keyed fingerprint of the batch it covers")
    issued_at: datetime
    closed_at: datetime | None = Field(description="When revoked or superseded")
    reason: str | None = Field(description="The revocation reason")
    replaced_by: str | None
    replaces: str | None
    tx_hash: str | None
    withheld: list[WithheldOut] = WITHHELD


def _id(make: Callable[[str, bytes], bytes], number: str, key: bytes) -> str:
    return "0x" + make(number, key).hex()


_DECLARATION = ("GET", "/v1/customs/declarations/{number}")
_CERTIFICATE = ("GET", "/v1/origin/certificates/{number}")


@router.get(
    "/customs/declarations/{number}",
    response_model=DeclarationOut,
    responses=error_responses(401, 403, 404, 422),
)
def get_declaration(
    session: SessionDep,
    chain_id: ChainDep,
    key: KeyDep,
    number: Number,
    caller: Annotated[Caller | None, Depends(allowed(*_DECLARATION))],
) -> DeclarationOut:
    """A declaration's status (signed-in callers: a number alone is guessable), and for the
    customs and zone nodes of its origin and destination zones, the inspections they
    recorded and whether the rule it names lets it clear (and if not, why)."""
    return graded_declaration(session, chain_id, key, number, caller)


def graded_declaration(
    session: Session, chain_id: int, key: bytes, number: str, caller: Caller | None
) -> DeclarationOut:
    """The declaration as this caller may see it; 404 when none has that number."""
    declaration = _id(declaration_key, number, key)  # a malformed number: 422 first
    require(*_DECLARATION, caller, Subject())  # signed in: a number alone is guessable
    found = declaration_status(session, chain_id, declaration)
    if found is None:
        raise ApiError(404, "unknown_declaration", f"no declaration {number!r} is on chain")
    answer = DeclarationOut(
        number=number,
        declaration_id=found.declaration,
        consignment_id=found.consignment,
        origin_zone=found.origin_zone,
        destination_zone=found.destination_zone,
        rule=found.rule,
        status=found.status,
        cleared=found.cleared is not None,
        blocking=found.blocking,
        inspections=[
            InspectionOut(
                zone=zone,
                passed=bool(r.passed),
                report_hash=r.document_hash,
                inspector=r.actor,
                at=r.block_time,
                tx_hash=r.tx_hash,
            )
            for zone, r in found.inspections.items()
        ],
        filed_at=found.filed.block_time,
        cleared_at=found.cleared.block_time if found.cleared else None,
        document_hash=found.document_hash,
    )
    subject = Subject(zones=frozenset({found.origin_zone, found.destination_zone}))
    return DeclarationOut.model_validate(
        redact(*_DECLARATION, answer.model_dump(), caller, subject)
    )


@router.get(
    "/origin/certificates/{number}",
    response_model=CertificateOut,
    responses=error_responses(401, 404, 422),
)
def get_certificate(
    session: SessionDep,
    chain_id: ChainDep,
    key: KeyDep,
    number: Number,
    caller: Annotated[Caller | None, Depends(allowed(*_CERTIFICATE))],
    document_sha256: Annotated[
        str | None,
        Query(pattern=HASH_PATTERN, description="SHA-256 of the certificate document shown"),
    ] = None,
) -> CertificateOut:
    """Verify a certificate of origin in any zone: whether it was revoked (with the reason)
    or superseded, and whether the document shown is the one issued; who issued it and for
    which batch, for customs and issuers. Anyone presenting the document issued
    (``document_sha256``) can verify it; a number alone needs a signed-in caller, and an
    anonymous caller with another document learns nothing more than with an unknown
    number."""
    return graded_certificate(session, chain_id, key, number, document_sha256, caller)


def graded_certificate(
    session: Session,
    chain_id: int,
    key: bytes,
    number: str,
    document_sha256: str | None,
    caller: Caller | None,
) -> CertificateOut:
    """The certificate as this caller may see it (see get_certificate for who may ask)."""
    certificate = _id(certificate_key, number, key)  # a malformed number: 422 first
    if caller is None and document_sha256 is None:
        raise Unauthenticated(
            "present the certificate's document (document_sha256) or sign in to look a "
            "certificate up by its number alone"
        )
    found = certificate_status(session, chain_id, certificate)
    genuine = None
    if found is not None and document_sha256 is not None:
        genuine = found.issued.document_hash == "0x" + document_sha256.lower().removeprefix("0x")
    if found is None or (caller is None and not genuine):
        raise ApiError(
            404,
            "unknown_certificate",
            f"no certificate {number!r} is on chain" + ("" if caller else " with that document"),
        )
    answer = CertificateOut(
        number=number,
        certificate_id=found.certificate,
        status=found.status,
        genuine=genuine,
        zone=str(found.issued.zone),
        issuer=found.issued.actor,
        lot=found.lot,
        issued_at=found.issued.block_time,
        closed_at=found.closed.block_time if found.closed else None,
        reason=found.closed.reason if found.closed else None,
        replaced_by=found.replaced_by,
        replaces=found.replaces,
        tx_hash=found.issued.tx_hash,
    )
    return CertificateOut.model_validate(
        redact(*_CERTIFICATE, answer.model_dump(), caller, Subject())
    )
