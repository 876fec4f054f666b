"""Response models (never the table models themselves)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class WithheldOut(BaseModel):
    field: str = Field(description="A field of this answer set to null for this caller")
    visible_to: str = Field(description="Who may see it (docs/access.md)")


WITHHELD: Any = Field(  # shared by every graded answer
    default_factory=list,
    description="Fields this caller may not see (they are null here), and who may",
)


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
    owner: str | None = Field(
        description="Address of the enterprise that signed the registration (owner, court)"
    )
    current_owner: str | None = Field(
        description="The owner after any transfers since (owner, court)"
    )
    frozen: bool = Field(description="A court froze the work during a dispute")
    history: list[IpHistoryOut] | None = Field(
        default_factory=list,
        description="Later events (transfers, licences, court actions): kind and time "
        "(owner, court)",
    )
    work_type: str
    registered_at: datetime = Field(description="Block time of the registration (UTC)")
    block_number: int
    tx_hash: str
    chain_id: int
    contract: str
    withheld: list[WithheldOut] = WITHHELD


class IpVerificationOut(BaseModel):
    """The answer to an uploaded file: registered or not and when, and the record for those
    who may see it."""

    content_hash: str
    registered: bool
    registered_at: datetime | None = Field(
        None, description="Block time of the registration (UTC), when registered"
    )
    record: IpRegistrationOut | None = None
    withheld: list[WithheldOut] = WITHHELD


class ChainStatus(BaseModel):
    chain_id: int
    indexed_block: int
    indexed_block_hash: str
    updated_at: datetime


class HealthOut(BaseModel):
    status: str
    database: str
    chains: list[ChainStatus]
