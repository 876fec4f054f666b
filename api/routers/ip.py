"""IP proof-of-existence: is this work registered, when, where and by whom."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, File, Path, UploadFile
from sqlmodel import Session, col, select

from api.deps import SessionDep, SettingsDep
from api.errors import ApiError, ErrorResponse
from api.schemas import IpHistoryOut, IpRegistrationOut, IpVerificationOut
from ftzchain.domain import ZONE_NAMES, WorkType
from indexer.models import IpEventRow, IpRegistrationRow

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


def _normalise(sha256: str) -> str:
    return "0x" + sha256.lower().removeprefix("0x")


def _work_type(value: int) -> str:
    try:
        return WorkType(value).name.lower()
    except ValueError:
        return str(value)


def find_registration(
    session: Session, content_hash: str, chain_id: int | None
) -> IpRegistrationOut | None:
    query = select(IpRegistrationRow).where(IpRegistrationRow.content_hash == content_hash)
    if chain_id is not None:
        query = query.where(IpRegistrationRow.chain_id == chain_id)
    query = query.order_by(col(IpRegistrationRow.block_number), col(IpRegistrationRow.log_index))
    row = session.exec(query).first()
    if row is None:
        return None
    events = session.exec(
        select(IpEventRow)
        .where(IpEventRow.chain_id == row.chain_id)
        .where(IpEventRow.content_hash == content_hash)
        .order_by(col(IpEventRow.block_number), col(IpEventRow.log_index))
    ).all()
    current_owner, frozen = row.owner, False
    for event in events:
        if event.event == "IpTransferred" and event.counterparty:
            current_owner = event.counterparty
        elif event.event in ("IpFrozen", "IpUnfrozen"):
            frozen = event.event == "IpFrozen"
    return IpRegistrationOut(
        content_hash=row.content_hash,
        zone=row.zone,
        zone_name=ZONE_NAMES.get(row.zone),
        owner=row.owner,
        current_owner=current_owner,
        frozen=frozen,
        history=[
            IpHistoryOut(
                event=e.event, at=e.block_time, block_number=e.block_number, tx_hash=e.tx_hash
            )
            for e in events
        ],
        work_type=_work_type(row.work_type),
        registered_at=row.block_time,
        block_number=row.block_number,
        tx_hash=row.tx_hash,
        chain_id=row.chain_id,
        contract=row.contract,
    )


@router.get(
    "/{sha256}",
    response_model=IpRegistrationOut,
    responses={404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)
def get_registration(
    sha256: Sha256Path, session: SessionDep, settings: SettingsDep
) -> IpRegistrationOut:
    """The registration of a work by its SHA-256; 404 when no zone registered it."""
    content_hash = _normalise(sha256)
    found = find_registration(session, content_hash, settings.chain_id)
    if found is None:
        raise ApiError(
            404,
            "ip_not_registered",
            f"no registration of {content_hash} has been indexed",
            {"content_hash": content_hash},
        )
    return found


@router.post(
    "/verify",
    response_model=IpVerificationOut,
    responses={422: {"model": ErrorResponse}},
)
async def verify_upload(
    file: Annotated[UploadFile, File(description="The work itself; only its hash is kept")],
    session: SessionDep,
    settings: SettingsDep,
) -> IpVerificationOut:
    """Hash the uploaded work (SHA-256) and say whether, when and by whom it was registered."""
    digest = hashlib.sha256()
    while chunk := await file.read(1 << 20):
        digest.update(chunk)
    content_hash = "0x" + digest.hexdigest()
    record = find_registration(session, content_hash, settings.chain_id)
    return IpVerificationOut(
        content_hash=content_hash, registered=record is not None, record=record
    )
