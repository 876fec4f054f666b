"""The zone node's intake: enterprise-signed records in, queued for the relay, tracked out.

Zone systems post messages their enterprises signed (EIP-712); the zone checks everything it
can before queueing (shape, signature, zone binding, deadline, not on chain already, for
EPCIS the events recomputed from the document) and answers 202 with the submission's id, the
digest that was signed. ``ftz relay`` sends what is queued. The ``/items`` endpoints turn
an EPCIS document, a list of works or an invoice into the exact typed data to sign, so that
no client needs this project's code (the zone holds the consortium key the fingerprints
need); they apply that key, so they answer only signed-in enterprises bound to this zone and
the zone's own node (api/access.py).
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal, TypeVar

from eth_utils.address import to_checksum_address
from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from api.access import allowed
from api.body import JSON_TYPES, json_body, parse_json, read_body, require_content_type
from api.deps import SessionDep, SettingsDep, get_context
from api.errors import ApiError, error_responses
from api.intake_cache import RecentItems
from api.queries.trace import recorded_ids
from ftzchain.context import FtzContext
from ftzchain.domain import zone_id
from ftzchain.eip712 import DOMAINS
from ftzchain.epcis.document import MAX_DOCUMENT_BYTES
from ftzchain.errors import AlreadyRecorded, ConfigError, InvalidInput
from ftzchain.fingerprints import consignment_key, parse_consortium_key
from ftzchain.invoice import invoice_from_json
from ftzchain.settings import FtzSettings
from ftzchain.submission import (
    AFTER_ISSUE,
    CONTRACT_OF_KIND,
    MAX_ITEMS,
    SUBMISSION_MODELS,
    Submission,
    build,
    read_submission,
    require_fresh,
    require_recordable,
    require_zone,
    trace_item_message,
    typed_data,
)
from ftzchain.writer import LaneTaken, Outbox, SubmissionStatus, prepare_call

router = APIRouter(tags=["intake"])

SIGNATURE_TTL = 3600  # default deadline of the typed data handed out: one hour


class SubmissionOut(BaseModel):
    id: str = Field(description="The EIP-712 digest the enterprise signed (0x hex)")
    kind: str = Field(
        description="ip-batch, trace-batch, ip-transfer, ip-licence, invoice-issue, "
        "invoice-action or invoice-goods"
    )
    enterprise: str
    nonce: int | None = Field(None, description="The message's nonce (nonce-ordered kinds)")
    records: int = Field(description="Works or events in the submission")
    state: Literal["queued", "sent", "confirmed", "failed"]
    tx_hash: str | None = Field(None, description="sent and confirmed: the transaction")
    block_number: int | None = Field(None, description="confirmed: the block")
    log_index: int | None = Field(None, description="confirmed: the first record's log")
    error: str | None = Field(None, description="failed: the contract's decoded error")
    received_at: float = Field(description="Unix time the zone first accepted it")


class TypedDataOut(BaseModel):
    kind: str
    typedData: dict[str, Any] = Field(  # noqa: N815
        description="EIP-712 typed data (types, primaryType, domain, message) to sign with "
        "eth_signTypedData_v4 or ethers' signTypedData (drop EIP712Domain from types there)",
    )
    hashIds: list[str] | None = Field(  # noqa: N815
        None, description="trace batches: each event's CBV 2.0 Event Hash ID"
    )
    invoiceId: str | None = Field(None, description="invoice-issue: the invoice's id")  # noqa: N815


class TraceItemsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")
    document: dict[str, Any] = Field(description="An EPCIS 2.0 JSON document")
    nonce: int | None = Field(
        None, ge=0, description="Default: the next one after the chain's and this zone's queue"
    )
    deadline: int | None = Field(None, ge=0, description="Unix time; default in one hour")


class WorkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contentHash: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$", description="SHA-256 of the work")  # noqa: N815
    workType: int = Field(0, ge=0, le=255)  # noqa: N815
    titleHash: str = Field("0x" + "00" * 32, pattern=r"^0x[0-9a-fA-F]{64}$")  # noqa: N815


class IpItemsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    owner: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")
    items: list[WorkIn] = Field(min_length=1, max_length=MAX_ITEMS)
    deadline: int | None = Field(None, ge=0, description="Unix time; default in one hour")


class DomainOut(BaseModel):
    name: str
    version: str
    chainId: int  # noqa: N815
    verifyingContract: str  # noqa: N815


class ChainOut(BaseModel):
    chainId: int  # noqa: N815
    zone: str = Field(description="The zone this node relays for")
    zoneId: str = Field(description="Its bytes32 id (ASCII code, zero-padded), 0x hex")  # noqa: N815
    contracts: dict[str, str] = Field(description="Contract name → address")
    domains: dict[str, DomainOut] = Field(
        description="EIP-712 domain of each contract that verifies enterprise signatures"
    )


def _out(status: SubmissionStatus) -> SubmissionOut:
    return SubmissionOut(
        id=status.id,
        kind=status.kind,
        enterprise=status.signer,
        nonce=status.nonce,
        records=status.records,
        state=status.state,
        tx_hash=status.tx_hash,
        block_number=status.block_number,
        log_index=status.log_index,
        error=status.error,
        received_at=status.received_at,
    )


def _outbox(request: Request) -> Outbox:
    outbox: Outbox | None = getattr(request.app.state, "outbox", None)
    if outbox is None:
        settings: FtzSettings = request.app.state.settings
        outbox = Outbox(settings.outbox_path)
        request.app.state.outbox = outbox
    return outbox


def _node_zone(settings: FtzSettings) -> bytes:
    if not settings.zone:
        raise ConfigError("set FTZ_ZONE to the zone this node relays for")
    return zone_id(settings.zone)


def _addresses(ctx: FtzContext) -> dict[str, str]:
    return {
        "IpRegistry": ctx.ip_registry.address,
        "Traceability": ctx.traceability.address,
        "InvoiceRegistry": ctx.invoices.address,
    }


def _next_nonce(ctx: FtzContext, outbox: Outbox, lane: str, address: str) -> int:
    """The nonce a new message of ``address`` in ``lane`` must carry: the chain's next, or
    the one after what this zone has queued."""
    queued = outbox.lane_queued(lane, address)
    contract = ctx.traceability if lane == "trace" else ctx.ip_registry
    return max(contract.nonce(address), -1 if queued is None else queued + 1)


def _typed_out(
    ctx: FtzContext, kind: str, message: dict[str, Any], deadline: int | None, **extra: Any
) -> TypedDataOut:
    """The typed data of ``kind`` for ``message`` (its deadline defaulting to an hour)."""
    message["deadline"] = deadline or int(time.time()) + SIGNATURE_TTL
    contract = _addresses(ctx)[CONTRACT_OF_KIND[kind]]
    return TypedDataOut(
        kind=kind, typedData=typed_data(kind, message, ctx.client.chain_id, contract), **extra
    )


def _recent_items(request: Request) -> RecentItems:
    cache: RecentItems | None = getattr(request.app.state, "recent_items", None)
    if cache is None:
        settings: FtzSettings = request.app.state.settings
        cache = RecentItems(settings.state_dir / "intake-items.db")
        request.app.state.recent_items = cache
    return cache


def _accept(
    ctx: FtzContext,
    outbox: Outbox,
    recent: RecentItems,
    session: Session,
    settings: FtzSettings,
    raw: bytes,
) -> tuple[SubmissionStatus, bool]:
    body = read_submission(raw, settings.intake_max_bytes)
    key = parse_consortium_key(settings.consortium_key)
    sub = build(
        body,
        ctx.client.chain_id,
        _addresses(ctx),
        lambda document: recent(document, key),
        raw.decode("utf-8"),
    )
    known = outbox.submission(sub.id)
    if known is not None:
        return known, False  # the same signed message again: the same submission
    require_fresh(sub)
    node_zone = _node_zone(settings)
    require_zone(sub, node_zone, ctx.governance.enterprise_zone(sub.signer))
    pending = outbox.pending_issue(sub.record_ids[0]) if sub.kind in AFTER_ISSUE else None
    require_recordable(sub, ctx.ip_registry, ctx.traceability, ctx.invoices, pending)
    if sub.kind == "trace-batch":
        _require_new_events(session, settings.chain_id, sub)
    try:
        outbox.submit(sub, prepare_call(sub, ctx.submission_codec(sub.call[0])))
    except LaneTaken as exc:
        raise ApiError(
            409,
            "nonce_taken",
            f"message.nonce: {exc}; sign this batch with the next free nonce",
            {"nonce": exc.nonce, "submission": exc.holder},
        ) from None
    status = outbox.submission(sub.id)
    assert status is not None
    return status, True


def _require_new_events(session: Session, chain_id: int | None, sub: Submission) -> None:
    ids = ["0x" + i.hex() for i in sub.record_ids]
    if len(set(ids)) != len(ids):
        raise InvalidInput("message.events: the same event id appears twice in the batch")
    found = recorded_ids(session, chain_id, ids)
    if found:
        raise AlreadyRecorded(
            f"{len(found)} of the batch's events are recorded on chain already (first "
            f"record stands); leave them out and sign again",
            {"events": found[:100]},
        )


def _chain(ctx: FtzContext, settings: FtzSettings) -> ChainOut:
    zone = _node_zone(settings)
    contracts = {name: ctx.deployment.address(name) for name in sorted(ctx.deployment.contracts)}
    return ChainOut(
        chainId=ctx.client.chain_id,
        zone=str(settings.zone).upper(),
        zoneId="0x" + zone.hex(),
        contracts=contracts,
        domains={
            name: DomainOut(
                name=domain,
                version=version,
                chainId=ctx.client.chain_id,
                verifyingContract=contracts[name],
            )
            for name, (domain, version) in DOMAINS.items()
        },
    )


@router.get("/v1/chain", response_model=ChainOut, responses=error_responses(503))
async def chain(request: Request, settings: SettingsDep) -> ChainOut:
    """What a client needs to sign for this zone: the chain id, this zone's id, the contract
    addresses and each EIP-712 domain."""
    return await run_in_threadpool(_chain, get_context(request), settings)


_SUBMISSION_BODY = {
    "requestBody": {
        "required": True,
        "description": "An enterprise-signed message: {kind, message, signature} and, for "
        "trace-batch, the EPCIS 2.0 document the events were computed from. The message is "
        "the EIP-712 message as signed (see POST /v1/trace/items and POST /v1/ip/items).",
        "content": {
            "application/json": {
                "schema": {"oneOf": [m.model_json_schema() for m in SUBMISSION_MODELS]}
            }
        },
    }
}


@router.post(
    "/v1/submissions",
    status_code=202,
    response_model=SubmissionOut,
    responses=error_responses(403, 409, 413, 415, 422, 503),
    openapi_extra=_SUBMISSION_BODY,
)
async def submit(
    request: Request, response: Response, session: SessionDep, settings: SettingsDep
) -> SubmissionOut:
    """Queue an enterprise-signed record for this zone's relay. 202 with the submission; the
    same signed message again answers 200 with the same submission (recorded once). 403: the
    signature is not the enterprise's, or the enterprise is not bound to this zone; 409:
    already on chain, or the nonce is taken; 422: malformed, names the field (also an
    expired or soon expiring deadline)."""
    require_content_type(request, JSON_TYPES)
    raw = await read_body(request, settings.intake_max_bytes)
    ctx = get_context(request)
    status, new = await run_in_threadpool(
        _accept, ctx, _outbox(request), _recent_items(request), session, settings, raw
    )
    if not new:
        response.status_code = 200
    response.headers["Location"] = f"/v1/submissions/{status.id}"
    return _out(status)


@router.get(
    "/v1/submissions/{submission_id}",
    response_model=SubmissionOut,
    responses=error_responses(404, 422, 503),
)
async def submission_status(
    request: Request,
    submission_id: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$")],
) -> SubmissionOut:
    """Where a submission is: queued, sent (tx hash), confirmed (block, tx, log index) or
    failed (the contract's decoded error)."""
    status = await run_in_threadpool(_outbox(request).submission, submission_id)
    if status is None:
        raise ApiError(404, "not_found", f"no submission {submission_id} at this zone")
    return _out(status)


_M = TypeVar("_M", bound=BaseModel)


def _trace_typed_data(
    ctx: FtzContext, outbox: Outbox, recent: RecentItems, settings: FtzSettings, raw: bytes
) -> TypedDataOut:
    request = parse_json(TraceItemsIn, raw, MAX_DOCUMENT_BYTES + 4096)
    items = recent(request.document, parse_consortium_key(settings.consortium_key))
    if not items:
        raise InvalidInput("document: holds no events")
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"document: {len(items)} events; sign at most {MAX_ITEMS} per batch")
    nonce = request.nonce
    if nonce is None:
        nonce = _next_nonce(ctx, outbox, "trace", request.enterprise)
    message = {
        "enterprise": request.enterprise,
        "zoneId": "0x" + _node_zone(settings).hex(),
        "events": [trace_item_message(i) for i in items],
        "nonce": nonce,
    }
    return _typed_out(
        ctx, "trace-batch", message, request.deadline, hashIds=[i.hash_id for i in items]
    )


@router.post(
    "/v1/trace/items",
    response_model=TypedDataOut,
    responses=error_responses(401, 403, 413, 415, 422, 503),
    dependencies=[Depends(allowed("POST", "/v1/trace/items"))],
    tags=["trace"],
    openapi_extra=json_body(TraceItemsIn, "The enterprise and its EPCIS 2.0 document"),
)
async def trace_typed_items(request: Request, settings: SettingsDep) -> TypedDataOut:
    """The exact TraceItems of an EPCIS 2.0 document, as EIP-712 ``TraceBatch`` typed data
    for the enterprise to sign; then post {kind: "trace-batch", message, signature,
    document} to /v1/submissions. Event ids are the digests of the CBV 2.0 Event Hash IDs;
    identifiers and locations are keyed with the consortium key."""
    require_content_type(request, JSON_TYPES)
    raw = await read_body(request, MAX_DOCUMENT_BYTES + 4096)
    ctx = get_context(request)
    return await run_in_threadpool(
        _trace_typed_data, ctx, _outbox(request), _recent_items(request), settings, raw
    )


def _ip_typed_data(ctx: FtzContext, settings: FtzSettings, raw: bytes) -> TypedDataOut:
    request = parse_json(IpItemsIn, raw, 1024 * 1024)
    message = {
        "owner": request.owner,
        "zoneId": "0x" + _node_zone(settings).hex(),
        "items": [w.model_dump() for w in request.items],
    }
    return _typed_out(ctx, "ip-batch", message, request.deadline)


@router.post(
    "/v1/ip/items",
    response_model=TypedDataOut,
    responses=error_responses(401, 403, 413, 415, 422, 503),
    dependencies=[Depends(allowed("POST", "/v1/ip/items"))],
    tags=["ip"],
    openapi_extra=json_body(IpItemsIn, "The owner and its works (SHA-256 content hashes)"),
)
async def ip_typed_items(request: Request, settings: SettingsDep) -> TypedDataOut:
    """EIP-712 ``IpBatch`` typed data registering the posted works for their owner in this
    zone; sign it and post {kind: "ip-batch", message, signature} to /v1/submissions."""
    require_content_type(request, JSON_TYPES)
    raw = await read_body(request, 1024 * 1024)
    ctx = get_context(request)
    return await run_in_threadpool(_ip_typed_data, ctx, settings, raw)


class NoncesOut(BaseModel):
    address: str
    traceability: int = Field(description="The next TraceBatch nonce, after this zone's queue")
    ipRegistry: int = Field(  # noqa: N815
        description="The next IpRegistration/IpTransfer/IpLicence nonce, after this zone's queue"
    )


def _nonces(ctx: FtzContext, outbox: Outbox, address: str) -> NoncesOut:
    checksummed = to_checksum_address(address)
    return NoncesOut(
        address=checksummed,
        traceability=_next_nonce(ctx, outbox, "trace", checksummed),
        ipRegistry=_next_nonce(ctx, outbox, "ip", checksummed),
    )


@router.get("/v1/nonces/{address}", response_model=NoncesOut, responses=error_responses(422, 503))
async def nonces(
    request: Request, address: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$")]
) -> NoncesOut:
    """The nonces a new message of ``address`` must carry: on chain, or after what this
    zone has queued for it."""
    return await run_in_threadpool(_nonces, get_context(request), _outbox(request), address)


class InvoiceItemsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seller: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")
    invoice: dict[str, Any] = Field(
        description="The invoice as JSON (see POST /v1/invoices/verify)"
    )
    deadline: int | None = Field(None, ge=0, description="Unix time; default in one hour")


class InvoiceGoodsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invoiceId: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$")  # noqa: N815
    consignment: str = Field(min_length=1, max_length=128, description="The consignment number")
    deadline: int | None = Field(None, ge=0, description="Unix time; default in one hour")


def _invoice_typed_data(ctx: FtzContext, settings: FtzSettings, raw: bytes) -> TypedDataOut:
    request = parse_json(InvoiceItemsIn, raw, 256 * 1024)
    prints = invoice_from_json(request.invoice).prints(
        parse_consortium_key(settings.consortium_key)
    )
    message = {
        "seller": request.seller,
        "zoneId": "0x" + _node_zone(settings).hex(),
        "sellerFingerprint": "0x" + prints.seller.hex(),
        "numberFingerprint": "0x" + prints.number.hex(),
        "nearFingerprints": ["0x" + n.hex() for n in prints.near],
    }
    return _typed_out(
        ctx, "invoice-issue", message, request.deadline, invoiceId="0x" + prints.invoice_id.hex()
    )


@router.post(
    "/v1/invoices/items",
    response_model=TypedDataOut,
    responses=error_responses(401, 403, 413, 415, 422, 503),
    dependencies=[Depends(allowed("POST", "/v1/invoices/items"))],
    tags=["invoices"],
    openapi_extra=json_body(InvoiceItemsIn, "The seller's address and the invoice (JSON)"),
)
async def invoice_typed_items(request: Request, settings: SettingsDep) -> TypedDataOut:
    """EIP-712 ``InvoiceIssue`` typed data of an invoice (its fingerprints keyed by this
    zone), for the seller to sign and post as {kind: "invoice-issue", message, signature}.
    Voids, credit notes and payments (``InvoiceAction``) need no zone: the guide says how
    to build them from the ``invoiceId`` answered here."""
    require_content_type(request, JSON_TYPES)
    raw = await read_body(request, 256 * 1024)
    return await run_in_threadpool(_invoice_typed_data, get_context(request), settings, raw)


def _goods_typed_data(ctx: FtzContext, settings: FtzSettings, raw: bytes) -> TypedDataOut:
    request = parse_json(InvoiceGoodsIn, raw, 16 * 1024)
    consignment = consignment_key(
        request.consignment, parse_consortium_key(settings.consortium_key)
    )
    message = {"invoiceId": request.invoiceId, "consignmentId": "0x" + consignment.hex()}
    return _typed_out(ctx, "invoice-goods", message, request.deadline)


@router.post(
    "/v1/invoices/goods-items",
    response_model=TypedDataOut,
    responses=error_responses(401, 403, 413, 415, 422, 503),
    dependencies=[Depends(allowed("POST", "/v1/invoices/goods-items"))],
    tags=["invoices"],
    openapi_extra=json_body(InvoiceGoodsIn, "The invoice id and the consignment number"),
)
async def invoice_goods_items(request: Request, settings: SettingsDep) -> TypedDataOut:
    """EIP-712 ``InvoiceGoods`` typed data linking an invoice to the consignment it bills
    (the consignment's id is keyed by this zone), for the seller to sign."""
    require_content_type(request, JSON_TYPES)
    raw = await read_body(request, 16 * 1024)
    return await run_in_threadpool(_goods_typed_data, get_context(request), settings, raw)
