"""Response models (never the table models themselves)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class IpHistoryOut(BaseModel):
    event: str = Field(description="IpTransferred, IpLicensed, IpFrozen, IpRulingRecorded, …")
    at: datetime = Field(description="Block time (UTC)")
    block_number: int
    tx_hash: str


class IpRegistrationOut(BaseModel):
    """A registered work, as a verifier sees it."""

    registered: bool = Field(True, description="Always true here; see IpVerificationOut")
    content_hash: str = Field(description="SHA-256 of the work, 0x-hex")
    zone: str = Field(description="Code of the zone whose node submitted it, e.g. CN-SH")
    zone_name: str | None = Field(description="Readable zone name where known")
    owner: str = Field(description="Address of the enterprise that signed the registration")
    current_owner: str = Field(description="The owner after any transfers since")
    frozen: bool = Field(description="A court froze the work during a dispute")
    history: list[IpHistoryOut] = Field(
        default_factory=list,
        description="Later events (transfers, licences, court actions): kind and time only; "
        "parties and terms are for callers whose role allows them",
    )
    work_type: str
    registered_at: datetime = Field(description="Block time of the registration (UTC)")
    block_number: int
    tx_hash: str
    chain_id: int
    contract: str


class IpVerificationOut(BaseModel):
    """The answer to an uploaded file: registered or not, and if so, the record."""

    content_hash: str
    registered: bool
    record: IpRegistrationOut | None = None


class ChainStatus(BaseModel):
    chain_id: int
    indexed_block: int
    indexed_block_hash: str
    updated_at: datetime


class HealthOut(BaseModel):
    status: str
    database: str
    chains: list[ChainStatus]
