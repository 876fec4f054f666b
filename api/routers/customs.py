"""Customs declarations (一单两检) and certificates of origin: status any zone can check.

Numbers arrive as people print them (declaration number, certificate number); the chain and
the tables hold only their keyed fingerprints, computed here with the consortium key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from api.deps import ChainDep, KeyDep, SessionDep
from api.errors import ApiError, error_responses
from api.queries.goods import certificate_status, declaration_status
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
    number: str
    declaration_id: str = Field(description="Keyed fingerprint of the number (on chain)")
    consignment_id: str
    origin_zone: str
    destination_zone: str
    rule: str = Field(description="both_zones (一单两检), origin_only or destination_only")
    status: str = Field(
        description="awaiting_inspection, inspection_failed, ready_for_clearance or cleared"
    )
    cleared: bool
    blocking: list[str] = Field(description="Why it is not cleared: missing or failed inspections")
    inspections: list[InspectionOut]
    filed_at: datetime
    cleared_at: datetime | None
    document_hash: str | None


class CertificateOut(BaseModel):
    number: str
    certificate_id: str
    status: str = Field(description="valid, revoked or superseded")
    genuine: bool | None = Field(
        description="The document shown hashes to the one issued (null when none was given)"
    )
    zone: str
    issuer: str
    lot: str | None = Field(description="Keyed fingerprint of the batch it covers")
    issued_at: datetime
    closed_at: datetime | None = Field(description="When revoked or superseded")
    reason: str | None = Field(description="The revocation reason")
    replaced_by: str | None
    replaces: str | None
    tx_hash: str


def _id(make: Callable[[str, bytes], bytes], number: str, key: bytes) -> str:
    return "0x" + make(number, key).hex()


@router.get(
    "/customs/declarations/{number}",
    response_model=DeclarationOut,
    responses=error_responses(404, 422),
)
def get_declaration(
    session: SessionDep, chain_id: ChainDep, key: KeyDep, number: Number
) -> DeclarationOut:
    """A declaration's status: the inspections recorded by the origin and destination zones'
    customs, and whether the rule it names lets it clear (and if not, why)."""
    found = declaration_status(session, chain_id, _id(declaration_key, number, key))
    if found is None:
        raise ApiError(404, "unknown_declaration", f"no declaration {number!r} is on chain")
    return DeclarationOut(
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


@router.get(
    "/origin/certificates/{number}",
    response_model=CertificateOut,
    responses=error_responses(404, 422),
)
def get_certificate(
    session: SessionDep,
    chain_id: ChainDep,
    key: KeyDep,
    number: Number,
    document_sha256: Annotated[
        str | None,
        Query(pattern=HASH_PATTERN, description="SHA-256 of the certificate document shown"),
    ] = None,
) -> CertificateOut:
    """Verify a certificate of origin in any zone: issued by whom, for which batch, whether
    it was revoked (with the reason) or superseded, and whether the document shown is the one
    issued."""
    found = certificate_status(session, chain_id, _id(certificate_key, number, key))
    if found is None:
        raise ApiError(404, "unknown_certificate", f"no certificate {number!r} is on chain")
    genuine = None
    if document_sha256 is not None:
        genuine = found.issued.document_hash == "0x" + document_sha256.lower().removeprefix("0x")
    return CertificateOut(
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
