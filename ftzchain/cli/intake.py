"""``ftz relay``, ``ftz sign`` and ``ftz submit``: the enterprise signs, the zone relays.

``ftz sign`` runs on the enterprise's machine with the enterprise's key: it signs in to a
zone's API as the enterprise (Sign-In with Ethereum) and asks it for the typed data of its
records (the zone holds the consortium key the keyed
fingerprints need), checks what it can without that key (its own address, the event hash ids
and every unkeyed field, recomputed here), signs, and writes a submission file. ``ftz submit``
posts such a file to a zone; ``ftz relay`` runs on the zone node and sends what its intake
queued, with the zone node's own keys only.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from ftzchain.cli.common import console, context_and_sender, load_settings, password, sender_name
from ftzchain.errors import ConfigError, InvalidInput, NodeUnavailable

sign_app = typer.Typer(
    help="Sign records as the enterprise, into a submission file for `ftz submit`.",
    no_args_is_help=True,
)

ZoneOpt = Annotated[
    str,
    typer.Option(
        "--zone-api",
        envvar="FTZ_ZONE_API",
        help="Base URL of the zone's intake API, e.g. https://zone.example:8000 "
        "(default: FTZ_ZONE_API).",
    ),
]
EnterpriseOpt = Annotated[
    str, typer.Option("--enterprise", "-e", help="Keystore name of the enterprise's key.")
]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Where to write the submission.")]


def _http(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    import urllib3

    try:
        reply = urllib3.request(
            method,
            url,
            body=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json", **(headers or {})},
            timeout=urllib3.Timeout(connect=10, read=120),
            retries=False,
        )
    except urllib3.exceptions.HTTPError as exc:
        raise NodeUnavailable(f"the zone API at {url} did not answer: {exc}") from None
    try:
        answer = json.loads(reply.data or b"null")
    except ValueError:
        answer = reply.data.decode("utf-8", "replace")
    return reply.status, answer


def _ok(status: int, answer: Any, what: str) -> dict[str, Any]:
    if status >= 400:
        error = answer.get("error", {}) if isinstance(answer, dict) else {}
        message = error.get("message") or str(answer)
        raise InvalidInput(f"{what}: the zone answered {status}: {message}")
    if not isinstance(answer, dict):
        raise InvalidInput(f"{what}: the zone answered with no JSON object")
    return answer


def _signer(name: str) -> Any:
    return context_and_sender(name)[1]


def sign_in(zone_api: str, key: Any) -> dict[str, str]:
    """Sign in to the zone's API with Sign-In with Ethereum (EIP-4361) as ``key``; returns the
    session's Authorization header."""
    from datetime import UTC, datetime

    from ftzchain.siwe import SiweMessage

    base = zone_api.rstrip("/")
    nonce = _ok(*_http("POST", f"{base}/v1/auth/nonce"), "sign-in")
    message = SiweMessage(
        domain=nonce["domain"],
        address=key.address,
        statement=nonce["statement"],
        uri=nonce["uri"],
        version="1",
        chain_id=int(nonce["chain_id"]),
        nonce=nonce["nonce"],
        issued_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    )
    signature = "0x" + key.sign_text(message.text()).hex()
    session = _ok(
        *_http(
            "POST", f"{base}/v1/auth/login", {"message": message.text(), "signature": signature}
        ),
        "sign-in",
    )
    return {"Authorization": f"Bearer {session['token']}"}


def _zone_typed_data(
    zone_api: str,
    key: Any,
    path: str,
    request: dict[str, Any],
    primary: str,
    owner_field: str | None,
) -> dict[str, Any]:
    """Ask the zone (signed in as the enterprise) for the typed data of a record it keys;
    returns its answer once the typed data is a ``primary`` naming the enterprise."""
    url = f"{zone_api.rstrip('/')}{path}"
    answer = _ok(*_http("POST", url, request, sign_in(zone_api, key)), "items")
    _check_typed_data(answer["typedData"], primary, key.address, owner_field)
    return answer


def _check_typed_data(
    typed: dict[str, Any], primary: str, signer: str, owner_field: str | None
) -> None:
    from eth_utils.address import to_checksum_address

    from ftzchain.eip712 import typed_data_types

    if typed.get("primaryType") != primary or typed.get("types") != typed_data_types(primary):
        raise InvalidInput(f"the zone's typed data is not a {primary}: refusing to sign it")
    message = typed.get("message") or {}
    if owner_field is not None and to_checksum_address(str(message.get(owner_field))) != signer:
        raise InvalidInput(f"the zone's typed data names {message.get(owner_field)}, not {signer}")


def _sign_and_write(out: Path, key: Any, kind: str, typed: dict[str, Any], **extra: Any) -> None:
    """Sign ``typed`` with the enterprise's key; write the submission ``ftz submit`` posts."""
    signature = "0x" + key.sign_typed_data(typed).hex()
    submission = {"kind": kind, "message": typed["message"], "signature": signature, **extra}
    out.write_text(json.dumps(submission, indent=1) + "\n")
    console.print(f"wrote {out}: post it with `ftz submit {out}`")


@sign_app.command("trace")
def sign_trace(
    document: Annotated[Path, typer.Argument(help="An EPCIS 2.0 JSON document.")],
    enterprise: EnterpriseOpt,
    zone_api: ZoneOpt,
    out: OutOpt,
    nonce: Annotated[
        int | None, typer.Option(min=0, help="TraceBatch nonce (default: the zone's next).")
    ] = None,
) -> None:
    """Sign the events of an EPCIS document as a TraceBatch. The event hash ids and every
    unkeyed field the zone returns are recomputed here and must match."""
    from ftzchain.epcis.document import parse_epcis_json
    from ftzchain.submission import trace_item_message
    from ftzchain.trace import trace_items

    doc = parse_epcis_json(document.read_bytes())
    key = _signer(enterprise)
    request: dict[str, Any] = {
        "enterprise": key.address,
        "document": json.loads(document.read_text()),
    }
    if nonce is not None:
        request["nonce"] = nonce
    answer = _zone_typed_data(zone_api, key, "/v1/trace/items", request, "TraceBatch", "enterprise")
    typed = answer["typedData"]
    # Without the consortium key the keyed fields (where, inputs, outputs) cannot be checked;
    # everything else must be what this document says.
    mine = [trace_item_message(i) for i in trace_items(doc, b"\0" * 32)]
    theirs = typed["message"]["events"]
    unkeyed = ("eventId", "eventType", "action", "bizStep", "disposition", "eventTime")
    if len(mine) != len(theirs) or any(
        a[f] != b.get(f) for a, b in zip(mine, theirs, strict=False) for f in unkeyed
    ):
        raise InvalidInput("the zone's events differ from this document's: refusing to sign")
    _sign_and_write(out, key, "trace-batch", typed, document=request["document"])


@sign_app.command("ip")
def sign_ip(
    files: Annotated[list[Path], typer.Argument(help="The works; only their SHA-256 leave.")],
    enterprise: EnterpriseOpt,
    zone_api: ZoneOpt,
    out: OutOpt,
) -> None:
    """Sign an IpBatch registering these works for the enterprise."""
    from ftzchain.domain import sha256_file

    key = _signer(enterprise)
    items = [{"contentHash": "0x" + sha256_file(f).hex(), "workType": 0} for f in files]
    request = {"owner": key.address, "items": items}
    answer = _zone_typed_data(zone_api, key, "/v1/ip/items", request, "IpBatch", "owner")
    typed = answer["typedData"]
    if [i["contentHash"] for i in typed["message"]["items"]] != [i["contentHash"] for i in items]:
        raise InvalidInput("the zone's items differ from these works: refusing to sign")
    _sign_and_write(out, key, "ip-batch", typed)


def _sign_here(zone_api: str, key: Any, kind: str, message: dict[str, Any], out: Path) -> None:
    """Sign a message that needs no consortium key, built here: the zone only says which
    chain and contract it is for (``GET /v1/chain``, public)."""
    from ftzchain.submission import CONTRACT_OF_KIND, typed_data

    chain = _ok(*_http("GET", f"{zone_api.rstrip('/')}/v1/chain"), "chain")
    contract = chain["contracts"].get(CONTRACT_OF_KIND[kind])
    if contract is None:
        raise ConfigError(f"the zone at {zone_api} has no {CONTRACT_OF_KIND[kind]} deployed")
    _sign_and_write(out, key, kind, typed_data(kind, message, int(chain["chainId"]), contract))


def _registry_nonce(zone_api: str, address: str) -> int:
    """The owner's next IP registry nonce, counting what the zone has queued."""
    answer = _ok(*_http("GET", f"{zone_api.rstrip('/')}/v1/nonces/{address}"), "nonces")
    return int(answer["ipRegistry"])


def _deadline(ttl: int) -> int:
    return int(time.time()) + ttl


WorkArg = Annotated[str, typer.Argument(help="SHA-256 of the registered work.")]
RegistryNonceOpt = Annotated[
    int | None, typer.Option(min=0, help="Registry nonce (default: the zone's next).")
]
TtlOpt = Annotated[
    int, typer.Option("--valid-for", min=60, help="Seconds the signature stays valid.")
]


@sign_app.command("ip-transfer")
def sign_ip_transfer(
    sha256: WorkArg,
    enterprise: EnterpriseOpt,
    zone_api: ZoneOpt,
    out: OutOpt,
    to: Annotated[str, typer.Option(help="Address of the new owner (an enterprise).")],
    to_zone: Annotated[str, typer.Option(help="The zone the new owner is bound to, e.g. CN-JS.")],
    nonce: RegistryNonceOpt = None,
    valid_for: TtlOpt = 3600,
) -> None:
    """Sign an IpTransfer handing the enterprise's work to another enterprise."""
    from ftzchain.cli.common import address
    from ftzchain.domain import parse_hash32, zone_id

    key = _signer(enterprise)
    message = {
        "contentHash": "0x" + parse_hash32(sha256).hex(),
        "newOwner": address(to),
        "newZoneId": "0x" + zone_id(to_zone).hex(),
        "nonce": _registry_nonce(zone_api, key.address) if nonce is None else nonce,
        "deadline": _deadline(valid_for),
    }
    _sign_here(zone_api, key, "ip-transfer", message, out)


@sign_app.command("ip-licence")
def sign_ip_licence(
    sha256: WorkArg,
    enterprise: EnterpriseOpt,
    zone_api: ZoneOpt,
    out: OutOpt,
    licensee: Annotated[str, typer.Option(help="Address of the licensee.")],
    terms: Annotated[
        Path, typer.Option(help="File with the licence terms; only its SHA-256 leaves.")
    ],
    valid_from: Annotated[str, typer.Option(help="First day, YYYY-MM-DD (UTC).")],
    valid_until: Annotated[str, typer.Option(help="Last day, YYYY-MM-DD (UTC), inclusive.")],
    nonce: RegistryNonceOpt = None,
    valid_for: TtlOpt = 3600,
) -> None:
    """Sign an IpLicence of the enterprise's work."""
    from ftzchain.cli.common import address, licence_period
    from ftzchain.domain import parse_hash32, sha256_file

    key = _signer(enterprise)
    start, end = licence_period(valid_from, valid_until)
    message = {
        "contentHash": "0x" + parse_hash32(sha256).hex(),
        "licensee": address(licensee),
        "scopeHash": "0x" + sha256_file(terms).hex(),
        "validFrom": start,
        "validUntil": end,
        "nonce": _registry_nonce(zone_api, key.address) if nonce is None else nonce,
        "deadline": _deadline(valid_for),
    }
    _sign_here(zone_api, key, "ip-licence", message, out)


@sign_app.command("invoice")
def sign_invoice(
    file: Annotated[Path, typer.Argument(help="The invoice: JSON or UBL 2.1 XML.")],
    enterprise: EnterpriseOpt,
    zone_api: ZoneOpt,
    out: OutOpt,
) -> None:
    """Sign the issue of an invoice as its seller. The zone keys its fingerprints; its
    number, parties and amounts leave this machine only to the zone, never to the chain."""
    from ftzchain.invoice.read import parse_invoice

    try:
        invoice = parse_invoice(file.read_bytes())
    except OSError as exc:
        raise InvalidInput(f"cannot read {file}: {exc.strerror}") from None
    key = _signer(enterprise)
    request = {"seller": key.address, "invoice": invoice.as_json()}
    answer = _zone_typed_data(
        zone_api, key, "/v1/invoices/items", request, "InvoiceIssue", "seller"
    )
    typed = answer["typedData"]
    console.print(f"invoice id {answer['invoiceId']} (for `ftz sign invoice-action`)")
    _sign_and_write(out, key, "invoice-issue", typed)


def _action_names() -> dict[str, int]:
    from ftzchain.enums import InvoiceAction

    return {
        a.name.lower().replace("_", "-"): int(a) for a in InvoiceAction if a != InvoiceAction.NONE
    }


@sign_app.command("invoice-action")
def sign_invoice_action(
    invoice_id: Annotated[
        str, typer.Argument(help="The invoice id (printed by `ftz sign invoice`).")
    ],
    enterprise: EnterpriseOpt,
    zone_api: ZoneOpt,
    out: OutOpt,
    action: Annotated[str, typer.Option(help="void, credit-note or paid.")],
    reason: Annotated[
        str, typer.Option(help="Why, or the payment reference; only its SHA-256 leaves.")
    ],
    valid_for: TtlOpt = 3600,
) -> None:
    """Sign a void, credit note or payment of an invoice, as its seller."""
    from ftzchain.domain import parse_hash32
    from ftzchain.invoice.contract import action_reason_hash

    actions = _action_names()
    if action not in actions:
        raise InvalidInput(f"--action {action!r}: use one of {', '.join(actions)}")
    message = {
        "invoiceId": "0x" + parse_hash32(invoice_id).hex(),
        "action": actions[action],
        "reasonHash": "0x" + action_reason_hash(reason).hex(),
        "deadline": _deadline(valid_for),
    }
    _sign_here(zone_api, _signer(enterprise), "invoice-action", message, out)


@sign_app.command("invoice-goods")
def sign_invoice_goods(
    invoice_id: Annotated[
        str, typer.Argument(help="The invoice id (printed by `ftz sign invoice`).")
    ],
    enterprise: EnterpriseOpt,
    zone_api: ZoneOpt,
    out: OutOpt,
    consignment: Annotated[str, typer.Option(help="Consignment number of the goods billed.")],
) -> None:
    """Sign the link from an invoice to the consignment it bills, as its seller (the zone
    keys the consignment's id)."""
    from ftzchain.domain import parse_hash32

    key = _signer(enterprise)
    request = {"invoiceId": "0x" + parse_hash32(invoice_id).hex(), "consignment": consignment}
    answer = _zone_typed_data(
        zone_api, key, "/v1/invoices/goods-items", request, "InvoiceGoods", None
    )
    typed = answer["typedData"]
    if typed["message"].get("invoiceId") != request["invoiceId"]:
        raise InvalidInput("the zone's typed data is for another invoice: refusing to sign")
    _sign_and_write(out, key, "invoice-goods", typed)


def submit(
    file: Annotated[Path, typer.Argument(help="A submission file from `ftz sign`.")],
    zone_api: ZoneOpt,
    wait: Annotated[
        float, typer.Option(min=0, help="Seconds to wait for confirmation (0: do not wait).")
    ] = 0,
) -> None:
    """Post a signed submission to a zone's intake API; print its id and state."""
    body = json.loads(file.read_text())
    base = zone_api.rstrip("/")
    answer = _ok(*_http("POST", f"{base}/v1/submissions", body), "submit")
    console.print(f"submission {answer['id']}: {answer['state']}")
    deadline = time.monotonic() + wait
    while wait and answer["state"] in ("queued", "sent") and time.monotonic() < deadline:
        time.sleep(0.5)
        answer = _ok(*_http("GET", f"{base}/v1/submissions/{answer['id']}"), "status")
    if wait:
        console.print_json(data=answer)
        if answer["state"] == "failed":
            raise InvalidInput(f"the submission failed on chain: {answer['error']}")
        if answer["state"] != "confirmed":
            raise ConfigError(f"not confirmed within {wait:g} s; ask again later")


def relay(
    sender: Annotated[
        list[str] | None,
        typer.Option(
            "--sender",
            "-s",
            help="Zone-node key(s) that send (default: FTZ_SENDER); repeat for parallel keys.",
        ),
    ] = None,
    once: Annotated[
        bool, typer.Option(help="Send what is queued now and exit, instead of following.")
    ] = False,
    in_flight: Annotated[
        int,
        typer.Option(
            min=1,
            help="Transactions sent and not yet mined, at most, over all keys. With blocks "
            "every second this bounds throughput: 32 trace batches of 100 events is 3,200 "
            "events a block. Keep it at most 16 per key on geth (its pool's slots per account).",
        ),
    ] = 32,
) -> None:
    """Send what this zone's intake API queued ($FTZ_STATE_DIR/outbox.db) with the zone
    node's keys, until stopped (SIGTERM or Ctrl-C). Safe to stop and start at any moment:
    nothing is recorded twice."""
    from ftzchain.context import FtzContext
    from ftzchain.writer import Outbox, Writer

    settings = load_settings()
    ctx = FtzContext(settings)
    secret = password(settings)
    names = sender or [sender_name(settings, None)]
    senders = [ctx.sender(ctx.signer(name, secret)) for name in names]
    outbox = Outbox(settings.outbox_path)
    stopping: list[bool] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    writer = Writer(
        ctx.ip_registry,
        senders,
        {},
        outbox,
        traceability=ctx.traceability,
        invoices=ctx.invoices,
        in_flight=in_flight,
    )
    console.print(f"relaying from {settings.outbox_path} with {len(senders)} key(s)")
    last = [0.0]

    def progress(counts: dict[str, int]) -> None:
        if time.monotonic() - last[0] > 5:
            last[0] = time.monotonic()
            console.print(f"outbox: {counts}")

    try:
        stats = writer.run(on_progress=progress, stop=lambda: bool(stopping), follow=not once)
    except KeyboardInterrupt:
        stats = None
    finally:
        outbox.close()
        ctx.close()
    if stats is not None:
        console.print(f"{stats.records} records confirmed in {stats.transactions} transactions")
