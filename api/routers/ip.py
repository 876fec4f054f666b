"""IP proof-of-existence: is this work registered, when, where and by whom."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.concurrency import run_in_threadpool

from api.access import Subject, allowed, redact
from api.auth import Caller
from api.body import sha256_of_upload
from api.deps import SessionDep, SettingsDep
from api.errors import ApiError, error_responses
from api.queries.ip import IpRecord, find_registration, normalise_hash
from api.schemas import IpRegistrationOut, IpVerificationOut

router = APIRouter(prefix="/v1/ip", tags=["ip"])

HASH_PATTERN = r"^(0x)?[0-9a-fA-F]{64}$"
Sha256Path = Annotated[
    str,
    Path(
        pattern=HASH_PATTERN,
        description="SHA-256 of the work: 64 hex digits, with or without 0x",
        examples=["0x2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"],
    ),
]


_GET = ("GET", "/v1/ip/{sha256}")
_VERIFY = ("POST", "/v1/ip/verify")


def ip_subject(record: IpRecord) -> Subject:
    """Whose registration it is: its first and its current owner."""
    return Subject(owners=frozenset({record.owner.lower(), record.current_owner.lower()}))


def graded_record(record: IpRecord, caller: Caller | None) -> IpRegistrationOut:
    """The registration as this caller may see it (api/access.py)."""
    answer = redact(*_GET, asdict(record), caller, ip_subject(record))
    return IpRegistrationOut.model_validate(answer)


@router.get(
    "/{sha256}",
    response_model=IpRegistrationOut,
    responses=error_responses(401, 404, 422),
)
def get_registration(
    sha256: Sha256Path,
    session: SessionDep,
    settings: SettingsDep,
    caller: Annotated[Caller | None, Depends(allowed(*_GET))],
) -> IpRegistrationOut:
    """The registration of a work by its SHA-256; 404 when no zone registered it. Its
    parties and history are for the owner and courts (see ``withheld``)."""
    content_hash = normalise_hash(sha256)
    record = find_registration(session, content_hash, settings.chain_id)
    if record is None:
        raise ApiError(
            404,
            "ip_not_registered",
            f"no registration of {content_hash} has been indexed",
            {"content_hash": content_hash},
        )
    return graded_record(record, caller)


@router.post(
    "/verify",
    response_model=IpVerificationOut,
    responses=error_responses(401, 413, 415, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The work itself (only its hash is kept), as the part `file` of a "
            "multipart/form-data body or as a raw application/octet-stream body; hashed as it "
            "streams in, never stored. At most FTZ_MAX_UPLOAD_BYTES.",
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                },
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def verify_upload(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    caller: Annotated[Caller | None, Depends(allowed(*_VERIFY))],
) -> IpVerificationOut:
    """Hash the uploaded work (SHA-256) and say whether and when it was registered; the full
    record (parties, history) is for the owner and courts."""
    digest = await sha256_of_upload(request, "file", settings.max_upload_bytes)
    content_hash = "0x" + digest.hex()
    record = await run_in_threadpool(find_registration, session, content_hash, settings.chain_id)
    answer: dict[str, object] = {"content_hash": content_hash, "registered": record is not None}
    if record is None:
        return IpVerificationOut.model_validate({**answer, "record": None, "withheld": []})
    answer["registered_at"] = record.registered_at
    answer["record"] = graded_record(record, caller)
    return IpVerificationOut.model_validate(redact(*_VERIFY, answer, caller, ip_subject(record)))
