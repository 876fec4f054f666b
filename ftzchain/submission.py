"""Enterprise-signed submissions: what a zone node accepts to relay, and how it checks them.

A submission is one EIP-712 message an enterprise signed, in the JSON an EIP-712 library
produces (``bytes32`` and addresses as ``0x`` hex, integers as numbers), plus its signature:

- ``ip-batch``: ``IpBatch`` for ``IpRegistry.registerSigned``;
- ``trace-batch``: ``TraceBatch`` for ``Traceability.recordEvents``, with the EPCIS 2.0
  document its events come from (the zone recomputes the events and refuses a mismatch);
- ``ip-transfer``, ``ip-licence``: ``IpTransfer`` / ``IpLicence`` signed by the work's owner;
- ``invoice-issue``, ``invoice-action`` (void, credit note, paid), ``invoice-goods``: the
  seller's ``InvoiceIssue`` / ``InvoiceAction`` / ``InvoiceGoods``.

Messages that carry a nonce (TraceBatch per enterprise in Traceability; IpTransfer and
IpLicence per owner in the registry) are recorded in nonce order: their "lane".

Its id is the EIP-712 digest: the same signed message posted twice is one submission. Nothing
here talks to a database; :func:`check_on_chain` asks the chain what the chain can answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import coincurve
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ftzchain.boundedjson import loads_bounded
from ftzchain.eip712 import (
    DOMAINS,
    IpItem,
    ip_batch_digest,
    struct_hash,
    typed_data_types,
    typed_digest,
    word_address,
    word_array,
    word_uint,
)
from ftzchain.enums import InvoiceStatus
from ftzchain.epcis.document import MAX_DEPTH
from ftzchain.errors import AlreadyRecorded, Forbidden, InvalidInput
from ftzchain.invoice.contract import InvoiceRegistryContract
from ftzchain.ip import IpRegistryContract
from ftzchain.trace import TraceabilityContract, TraceItem, trace_batch_digest

MAX_ITEMS = 500  # records per signed batch (gas: ~30k per work, ~14k per event)
# A signature must stay valid this long after it is queued: the relay needs the time.
DEADLINE_MARGIN = 120
KINDS = (
    "ip-batch",
    "trace-batch",
    "ip-transfer",
    "ip-licence",
    "invoice-issue",
    "invoice-action",
    "invoice-goods",
)
_HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0
CONTRACT_OF_KIND = {
    "ip-batch": "IpRegistry",
    "trace-batch": "Traceability",
    "ip-transfer": "IpRegistry",
    "ip-licence": "IpRegistry",
    "invoice-issue": "InvoiceRegistry",
    "invoice-action": "InvoiceRegistry",
    "invoice-goods": "InvoiceRegistry",
}
PRIMARY_TYPE = {
    "ip-batch": "IpBatch",
    "trace-batch": "TraceBatch",
    "ip-transfer": "IpTransfer",
    "ip-licence": "IpLicence",
    "invoice-issue": "InvoiceIssue",
    "invoice-action": "InvoiceAction",
    "invoice-goods": "InvoiceGoods",
}
# Nonce lanes: which contract's nonces a kind uses (recorded in nonce order per signer).
LANE_OF_KIND = {"trace-batch": "trace", "ip-transfer": "ip", "ip-licence": "ip"}
# Kinds that act on an invoice: sent only once the invoice is issued on chain.
AFTER_ISSUE = ("invoice-action", "invoice-goods")

Hex32 = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$", examples=["0x" + "ab" * 32])]
Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$")]
Uint8 = Annotated[int, Field(ge=0, le=255)]
Uint16 = Annotated[int, Field(ge=0, le=65_535)]
Uint64 = Annotated[int, Field(ge=0, le=2**64 - 1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class IpItemMessage(_Strict):
    contentHash: Hex32  # noqa: N815 (EIP-712 field names)
    workType: Uint8  # noqa: N815
    titleHash: Hex32  # noqa: N815


class IpBatchMessage(_Strict):
    owner: Address
    zoneId: Hex32  # noqa: N815
    items: list[IpItemMessage] = Field(min_length=1, max_length=MAX_ITEMS)
    deadline: Uint64


class TraceItemMessage(_Strict):
    eventId: Hex32  # noqa: N815
    eventType: Uint8  # noqa: N815
    action: Uint8
    bizStep: Uint16  # noqa: N815
    disposition: Uint16
    eventTime: Uint64  # noqa: N815
    whereHash: Hex32  # noqa: N815
    inputs: list[Hex32] = Field(max_length=1000)
    outputs: list[Hex32] = Field(max_length=1000)


class TraceBatchMessage(_Strict):
    enterprise: Address
    zoneId: Hex32  # noqa: N815
    events: list[TraceItemMessage] = Field(min_length=1, max_length=MAX_ITEMS)
    nonce: Annotated[int, Field(ge=0, le=2**63 - 1)]
    deadline: Uint64


class IpTransferMessage(_Strict):
    contentHash: Hex32  # noqa: N815
    newOwner: Address  # noqa: N815
    newZoneId: Hex32  # noqa: N815
    nonce: Annotated[int, Field(ge=0, le=2**63 - 1)]
    deadline: Uint64


class IpLicenceMessage(_Strict):
    contentHash: Hex32  # noqa: N815
    licensee: Address
    scopeHash: Hex32  # noqa: N815
    validFrom: Uint64  # noqa: N815
    validUntil: Uint64  # noqa: N815
    nonce: Annotated[int, Field(ge=0, le=2**63 - 1)]
    deadline: Uint64


class InvoiceIssueMessage(_Strict):
    seller: Address
    zoneId: Hex32  # noqa: N815
    sellerFingerprint: Hex32  # noqa: N815
    numberFingerprint: Hex32  # noqa: N815
    nearFingerprints: list[Hex32] = Field(max_length=7)  # noqa: N815
    deadline: Uint64


class InvoiceActionMessage(_Strict):
    invoiceId: Hex32  # noqa: N815
    action: Annotated[int, Field(ge=1, le=3, description="1 void, 2 credit note, 3 paid")]
    reasonHash: Hex32  # noqa: N815
    deadline: Uint64


class InvoiceGoodsMessage(_Strict):
    invoiceId: Hex32  # noqa: N815
    consignmentId: Hex32  # noqa: N815
    deadline: Uint64


_SIGNATURE = Field(pattern=r"^0x[0-9a-fA-F]{130}$", description="65-byte r ‖ s ‖ v, hex")


class IpBatchSubmission(_Strict):
    kind: Literal["ip-batch"]
    message: IpBatchMessage
    signature: Annotated[str, _SIGNATURE]


class TraceBatchSubmission(_Strict):
    kind: Literal["trace-batch"]
    message: TraceBatchMessage
    signature: Annotated[str, _SIGNATURE]
    document: dict[str, Any] = Field(
        description="The EPCIS 2.0 JSON document the events were computed from"
    )

    @field_validator("document", mode="before")
    @classmethod
    def _object(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            raise ValueError("document must be an EPCIS 2.0 JSON object")
        return value


class IpTransferSubmission(_Strict):
    kind: Literal["ip-transfer"]
    message: IpTransferMessage
    signature: Annotated[str, _SIGNATURE]


class IpLicenceSubmission(_Strict):
    kind: Literal["ip-licence"]
    message: IpLicenceMessage
    signature: Annotated[str, _SIGNATURE]


class InvoiceIssueSubmission(_Strict):
    kind: Literal["invoice-issue"]
    message: InvoiceIssueMessage
    signature: Annotated[str, _SIGNATURE]


class InvoiceActionSubmission(_Strict):
    kind: Literal["invoice-action"]
    message: InvoiceActionMessage
    signature: Annotated[str, _SIGNATURE]


class InvoiceGoodsSubmission(_Strict):
    kind: Literal["invoice-goods"]
    message: InvoiceGoodsMessage
    signature: Annotated[str, _SIGNATURE]


SubmissionBody = (
    IpBatchSubmission
    | TraceBatchSubmission
    | IpTransferSubmission
    | IpLicenceSubmission
    | InvoiceIssueSubmission
    | InvoiceActionSubmission
    | InvoiceGoodsSubmission
)
SUBMISSION_MODELS: tuple[type[SubmissionBody], ...] = (
    IpBatchSubmission,
    TraceBatchSubmission,
    IpTransferSubmission,
    IpLicenceSubmission,
    InvoiceIssueSubmission,
    InvoiceActionSubmission,
    InvoiceGoodsSubmission,
)
_MODELS: dict[str, type[SubmissionBody]] = {
    "ip-batch": IpBatchSubmission,
    "trace-batch": TraceBatchSubmission,
    "ip-transfer": IpTransferSubmission,
    "ip-licence": IpLicenceSubmission,
    "invoice-issue": InvoiceIssueSubmission,
    "invoice-action": InvoiceActionSubmission,
    "invoice-goods": InvoiceGoodsSubmission,
}


def _b32(text: str) -> bytes:
    return bytes.fromhex(text[2:])


def trace_item_from_message(m: dict[str, Any]) -> TraceItem:
    """The inverse of :func:`trace_item_message` (for JSON this zone wrote itself)."""
    return TraceItem(
        event_id=_b32(m["eventId"]),
        event_type=int(m["eventType"]),
        action=int(m["action"]),
        biz_step=int(m["bizStep"]),
        disposition=int(m["disposition"]),
        event_time=int(m["eventTime"]),
        where_hash=_b32(m["whereHash"]),
        inputs=tuple(_b32(i) for i in m["inputs"]),
        outputs=tuple(_b32(o) for o in m["outputs"]),
    )


def trace_item_message(item: TraceItem) -> dict[str, Any]:
    """One ``TraceItem`` as EIP-712 message JSON."""
    return {
        "eventId": "0x" + item.event_id.hex(),
        "eventType": item.event_type,
        "action": item.action,
        "bizStep": item.biz_step,
        "disposition": item.disposition,
        "eventTime": item.event_time,
        "whereHash": "0x" + item.where_hash.hex(),
        "inputs": ["0x" + i.hex() for i in item.inputs],
        "outputs": ["0x" + o.hex() for o in item.outputs],
    }


@dataclass(frozen=True)
class Submission:
    """A parsed, signature-checked submission, ready to queue or to send."""

    kind: str
    signer: str  # checksummed enterprise address the signature recovers to
    zone_id: bytes | None  # the zone the message names (None: the signer's zone counts)
    deadline: int
    lane_nonce: int | None  # the message's nonce: a lane's messages are recorded in order
    record_ids: tuple[bytes, ...]  # content hashes, event ids or the invoice id, in order
    digest: bytes
    call: tuple[str, str, tuple[Any, ...]]  # (contract name, function, arguments)
    source: str  # the JSON text as received (the zone keeps the EPCIS document as sent)

    @property
    def id(self) -> str:
        return "0x" + self.digest.hex()

    @property
    def lane(self) -> str | None:
        return LANE_OF_KIND.get(self.kind)


def typed_data(
    kind: str, message: dict[str, Any], chain_id: int, contract_address: str
) -> dict[str, Any]:
    """The full EIP-712 typed data of a submission: what ``eth_signTypedData_v4`` and
    ethers' ``signTypedData`` sign (``types`` without ``EIP712Domain`` for ethers)."""
    primary = PRIMARY_TYPE[kind]
    name, version = DOMAINS[CONTRACT_OF_KIND[kind]]
    return {
        "types": typed_data_types(primary),
        "primaryType": primary,
        "domain": {
            "name": name,
            "version": version,
            "chainId": chain_id,
            "verifyingContract": to_checksum_address(contract_address),
        },
        "message": message,
    }


def _field(errors: list[Any]) -> str:
    first = errors[0]
    loc = ".".join(str(p) for p in first.get("loc", ()))
    return f"{loc}: {first.get('msg')}" if loc else str(first.get("msg"))


def read_submission(raw: bytes | str, max_bytes: int) -> SubmissionBody:
    """JSON text → a validated submission body, within the size and depth limits."""
    return parse_body(
        loads_bounded(
            raw, max_bytes=max_bytes, max_depth=MAX_DEPTH, what="the submission", fail=InvalidInput
        )
    )


def parse_body(data: Any) -> SubmissionBody:
    """Validate the JSON shape; :class:`InvalidInput` names the first bad field."""
    if not isinstance(data, dict):
        raise InvalidInput("a submission is a JSON object with kind, message and signature")
    kind = data.get("kind")
    if kind not in KINDS:
        raise InvalidInput(f"kind: must be one of {', '.join(KINDS)}, not {kind!r}")
    model = _MODELS[str(kind)]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(f"invalid {kind} submission: {_field(exc.errors())}") from None


def recover(digest: bytes, signature_hex: str) -> str:
    """The address a 65-byte signature over ``digest`` recovers to."""
    raw = bytes.fromhex(signature_hex[2:])
    v = raw[64] - 27 if raw[64] >= 27 else raw[64]
    if v not in (0, 1):
        raise InvalidInput("signature: v must be 27 or 28 (or 0 or 1)")
    if int.from_bytes(raw[32:64], "big") > _HALF_N:
        # The contracts (OpenZeppelin ECDSA) refuse the malleable high-s form.
        raise InvalidInput("signature: s is in the upper half of the curve order (malleable)")
    try:
        key = coincurve.PublicKey.from_signature_and_message(
            raw[:64] + bytes([v]), digest, hasher=None
        )
    except ValueError as exc:
        raise InvalidInput(f"signature: not a valid secp256k1 signature ({exc})") from None
    return to_checksum_address(keccak(key.format(compressed=False)[1:])[-20:])


Recompute = Callable[[dict[str, Any]], list[TraceItem]]


def build(
    body: SubmissionBody,
    chain_id: int,
    addresses: dict[str, str],
    recompute: Recompute | None,
    source: str,
) -> Submission:
    """Check a submission's signature and content (no chain access): the signer must be the
    message's enterprise (:class:`Forbidden` otherwise); a trace batch's events must equal
    ``recompute(document)``, the items this zone computes from the EPCIS document with the
    consortium key (pass None only for a submission this zone validated already, when it is
    read back from the outbox)."""
    contracts = {k: str(to_checksum_address(v)) for k, v in addresses.items()}
    claimed, zone, lane, ids, digest, call = _parts(body, chain_id, contracts, recompute)
    recovered = recover(digest, body.signature)
    if claimed is not None and recovered != claimed:
        raise Forbidden(f"the signature recovers to {recovered}, not to the enterprise {claimed}")
    contract, function, args = call
    return Submission(
        kind=body.kind,
        signer=recovered,
        zone_id=zone,
        deadline=body.message.deadline,
        lane_nonce=lane,
        record_ids=ids,
        digest=digest,
        call=(contract, function, (*args, bytes.fromhex(body.signature[2:]))),
        source=source,
    )


_Parts = tuple[
    str | None, bytes | None, int | None, tuple[bytes, ...], bytes, tuple[str, str, tuple[Any, ...]]
]


def _parts(
    body: SubmissionBody,
    chain_id: int,
    contracts: dict[str, str],
    recompute: Recompute | None,
) -> _Parts:
    """(the signer the message names, its zone, its lane nonce, record ids, EIP-712 digest,
    the call) of one submission."""
    if isinstance(body, IpBatchSubmission):
        m = body.message
        items = [IpItem(_b32(i.contentHash), i.workType, _b32(i.titleHash)) for i in m.items]
        owner = to_checksum_address(m.owner)
        zone = _b32(m.zoneId)
        digest = ip_batch_digest(owner, zone, items, m.deadline, chain_id, contracts["IpRegistry"])
        args: tuple[Any, ...] = (owner, zone, m.deadline, [i.as_tuple() for i in items])
        ids = tuple(i.content_hash for i in items)
        return owner, zone, None, ids, digest, ("IpRegistry", "registerSigned", args)
    if isinstance(body, TraceBatchSubmission):
        t = body.message
        events = [trace_item_from_message(e.model_dump()) for e in t.events]
        if recompute is not None:
            _require_same_events(events, recompute(body.document))
        signer = to_checksum_address(t.enterprise)
        zone = _b32(t.zoneId)
        digest = trace_batch_digest(
            signer, zone, events, t.nonce, t.deadline, chain_id, contracts["Traceability"]
        )
        args = (signer, zone, t.nonce, t.deadline, [e.as_tuple() for e in events])
        ids = tuple(e.event_id for e in events)
        return signer, zone, t.nonce, ids, digest, ("Traceability", "recordEvents", args)
    if isinstance(body, IpTransferSubmission):
        x = body.message
        new_owner = to_checksum_address(x.newOwner)
        words = (_b32(x.contentHash), word_address(new_owner), _b32(x.newZoneId))
        digest = _typed(
            "IpRegistry", chain_id, contracts, "IpTransfer", *words, x.nonce, x.deadline
        )
        args = ((_b32(x.contentHash), new_owner, _b32(x.newZoneId), x.nonce, x.deadline),)
        ids = (_b32(x.contentHash),)
        return None, None, x.nonce, ids, digest, ("IpRegistry", "transfer", args)
    if isinstance(body, IpLicenceSubmission):
        lic = body.message
        licensee = to_checksum_address(lic.licensee)
        digest = _typed(
            "IpRegistry",
            chain_id,
            contracts,
            "IpLicence",
            _b32(lic.contentHash),
            word_address(licensee),
            _b32(lic.scopeHash),
            lic.validFrom,
            lic.validUntil,
            lic.nonce,
            lic.deadline,
        )
        args = (
            (
                _b32(lic.contentHash),
                licensee,
                _b32(lic.scopeHash),
                lic.validFrom,
                lic.validUntil,
                lic.nonce,
                lic.deadline,
            ),
        )
        ids = (_b32(lic.contentHash),)
        return None, None, lic.nonce, ids, digest, ("IpRegistry", "license", args)
    if isinstance(body, InvoiceIssueSubmission):
        inv = body.message
        seller = to_checksum_address(inv.seller)
        zone, near = _b32(inv.zoneId), [_b32(n) for n in inv.nearFingerprints]
        seller_fp, number_fp = _b32(inv.sellerFingerprint), _b32(inv.numberFingerprint)
        digest = _typed(
            "InvoiceRegistry",
            chain_id,
            contracts,
            "InvoiceIssue",
            word_address(seller),
            zone,
            seller_fp,
            number_fp,
            word_array(near),
            inv.deadline,
        )
        args = (seller, zone, seller_fp, number_fp, near, inv.deadline)
        ids = (keccak(seller_fp + number_fp),)
        return seller, zone, None, ids, digest, ("InvoiceRegistry", "issue", args)
    if isinstance(body, InvoiceActionSubmission):
        act = body.message
        invoice_id, reason = _b32(act.invoiceId), _b32(act.reasonHash)
        digest = _typed(
            "InvoiceRegistry",
            chain_id,
            contracts,
            "InvoiceAction",
            invoice_id,
            act.action,
            reason,
            act.deadline,
        )
        args = (invoice_id, act.action, reason, act.deadline)
        return None, None, None, (invoice_id,), digest, ("InvoiceRegistry", "act", args)
    goods = body.message
    invoice_id, consignment = _b32(goods.invoiceId), _b32(goods.consignmentId)
    digest = _typed(
        "InvoiceRegistry",
        chain_id,
        contracts,
        "InvoiceGoods",
        invoice_id,
        consignment,
        goods.deadline,
    )
    args = (invoice_id, consignment, goods.deadline)
    return None, None, None, (invoice_id,), digest, ("InvoiceRegistry", "linkGoods", args)


def _typed(
    contract: str, chain_id: int, contracts: dict[str, str], primary: str, *fields: bytes | int
) -> bytes:
    """The EIP-712 digest of ``primary`` with ``fields`` (ints become uint words)."""
    name, version = DOMAINS[contract]
    words = [word_uint(f) if isinstance(f, int) else f for f in fields]
    return typed_digest(name, version, chain_id, contracts[contract], struct_hash(primary, *words))


def _require_same_events(signed: list[TraceItem], recomputed: list[TraceItem]) -> None:
    if len(signed) != len(recomputed):
        raise InvalidInput(
            f"message.events: {len(signed)} signed, but the document holds {len(recomputed)} events"
        )
    for i, (a, b) in enumerate(zip(signed, recomputed, strict=True)):
        if a != b:
            differs = next(
                name
                for name, x, y in zip(
                    TraceItem.__dataclass_fields__, a.as_tuple(), b.as_tuple(), strict=True
                )
                if x != y
            )
            raise InvalidInput(
                f"message.events.{i}.{differs}: differs from the event recomputed from the "
                f"document (get the exact items from POST /v1/trace/items)"
            )


def require_fresh(sub: Submission, now: float | None = None) -> None:
    """The signature must still be valid when the relay sends it."""
    now = time.time() if now is None else now
    if sub.deadline < now + DEADLINE_MARGIN:
        raise InvalidInput(
            f"message.deadline: the signature expires at {sub.deadline} (unix time), less "
            f"than {DEADLINE_MARGIN} s from now; sign again with a later deadline"
        )


def require_zone(sub: Submission, zone_id: bytes, bound_zone: bytes) -> None:
    """The message names this zone (if it names one) and the signer is bound to it (per
    Governance)."""
    if sub.zone_id is not None and sub.zone_id != zone_id:
        raise Forbidden(
            f"message.zoneId: this node relays for zone {_code(zone_id)}, not {_code(sub.zone_id)}"
        )
    if bound_zone != zone_id:
        raise Forbidden(
            f"enterprise {sub.signer} is bound to zone {_code(bound_zone) or '(none)'}, "
            f"not {_code(zone_id)}: the committee binds enterprises to zones"
        )


def _code(zone: bytes) -> str:
    return zone.rstrip(b"\0").decode("ascii", "replace")


def require_recordable(
    sub: Submission,
    ip_registry: IpRegistryContract,
    traceability: TraceabilityContract,
    invoices: InvoiceRegistryContract,
    pending_issuer: str | None = None,
) -> None:
    """Refuse, by asking the chain, what it would refuse or holds already: an IP batch whose
    works are all registered; a used nonce; a transfer or licence not signed by the work's
    owner; an invoice issued already, or acted on (or linked) by anyone but its seller, or
    no longer issued. ``pending_issuer``: the signer of this invoice's issue if it is queued
    here (the action then waits for it)."""
    first = sub.record_ids[0]
    if sub.kind == "ip-batch":
        ids = ["0x" + i.hex() for i in sub.record_ids]
        if ip_registry.registered(ids) == set(ids):
            raise AlreadyRecorded(
                "every work of this batch is registered already", {"records": ids}
            )
    elif sub.kind == "trace-batch":
        _require_unused(sub, traceability.nonce(sub.signer))
    elif sub.kind in ("ip-transfer", "ip-licence"):
        record = ip_registry.record(first)
        if record is None:
            raise InvalidInput(f"message.contentHash: no work 0x{first.hex()} is registered")
        if record.owner != sub.signer:
            raise Forbidden(
                f"the signature recovers to {sub.signer}, but the work's owner is {record.owner}"
            )
        _require_unused(sub, ip_registry.nonce(sub.signer))
    elif sub.kind == "invoice-issue":
        if invoices.invoice(first) is not None:
            raise AlreadyRecorded(f"invoice 0x{first.hex()} is issued already")
        seller_fp = sub.call[2][2]
        bound = invoices.seller_of(seller_fp)
        if bound != sub.signer:
            raise Forbidden(
                f"message.sellerFingerprint: the seller is bound to {bound or 'no enterprise'}, "
                f"not {sub.signer}: a zone node binds a seller once (`ftz invoice bind-seller`)"
            )
    else:
        invoice = invoices.invoice(first)
        if invoice is None and pending_issuer is not None:
            # Its issue is queued at this zone: it is sent after it, if the seller signed it.
            if pending_issuer.lower() != sub.signer.lower():
                raise Forbidden(
                    f"the signature recovers to {sub.signer}, but the invoice's queued issue "
                    f"is signed by {pending_issuer}"
                )
            return
        if invoice is None:
            raise InvalidInput(f"message.invoiceId: no invoice 0x{first.hex()} is issued")
        if invoice.seller != sub.signer:
            raise Forbidden(
                f"the signature recovers to {sub.signer}, but the invoice's seller is "
                f"{invoice.seller}"
            )
        if sub.kind == "invoice-action" and invoice.status != InvoiceStatus.ISSUED:
            raise AlreadyRecorded(f"the invoice is {invoice.status.name.lower()} already")
        if sub.kind == "invoice-goods" and invoice.consignment_id is not None:
            raise AlreadyRecorded("the invoice is linked to its goods already")


def _require_unused(sub: Submission, expected: int) -> None:
    if sub.lane_nonce is not None and sub.lane_nonce < expected:
        raise AlreadyRecorded(
            f"message.nonce: nonce {sub.lane_nonce} of {sub.signer} is used already; the "
            f"chain expects {expected} next (sign the message again with it)",
            {"nonce": sub.lane_nonce, "expected": expected},
        )
