"""``ftz``: the zone node's command line."""

from __future__ import annotations

import calendar
import hashlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from sqlmodel import Session

from api.goods import SortKey
from ftzchain import devnet as devnet_mod
from ftzchain.cli_common import SenderOpt, console, err_console, load_json_object
from ftzchain.cli_common import address as _address
from ftzchain.cli_common import context_and_sender as _context_and_sender
from ftzchain.cli_common import load_settings as _settings
from ftzchain.cli_common import password as _password
from ftzchain.cli_common import sender_name as _sender_name
from ftzchain.cli_evidence import anchor_app, evidence_app
from ftzchain.cli_goods import custody_app, customs_app, origin_app
from ftzchain.cli_invoice import invoice_app
from ftzchain.context import FtzContext
from ftzchain.deploy import DEFAULT_PROPOSAL_LIFETIME
from ftzchain.deploy import deploy as deploy_contracts
from ftzchain.domain import WorkType, parse_hash32, role_id, sha256_file, zone_code, zone_id
from ftzchain.errors import ConfigError, FtzError, InvalidInput
from ftzchain.governance import Action
from ftzchain.logs import LogFormat, active_format
from ftzchain.logs import configure as configure_logs
from ftzchain.settings import FtzSettings

if TYPE_CHECKING:
    from indexer.runner import Progress as IndexProgress

app = typer.Typer(
    help="FTZ Chain zone node: keys, local devnet, deployment, governance, IP records, "
    "EPCIS events, custody, customs, certificates of origin, e-invoices, court evidence, "
    "anchoring, "
    "indexer and verification API. Settings come from FTZ_* variables (see README).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
keys_app = typer.Typer(
    help="Encrypted keystores (Web3 Secret Storage, scrypt).", no_args_is_help=True
)
devnet_app = typer.Typer(
    help="A local anvil chain (London rules) for development.", no_args_is_help=True
)
gov_app = typer.Typer(
    help="Steering-committee proposals: propose, approve, execute, list.", no_args_is_help=True
)
ip_app = typer.Typer(help="IP proof-of-existence records.", no_args_is_help=True)
index_app = typer.Typer(help="Mirror chain events into SQL.")
trace_app = typer.Typer(
    help="EPCIS 2.0 supply-chain events: hash ids, recording, a batch's timeline and export.",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")
app.add_typer(devnet_app, name="devnet")
app.add_typer(gov_app, name="gov")
app.add_typer(ip_app, name="ip")
app.add_typer(index_app, name="index")
app.add_typer(trace_app, name="trace")
app.add_typer(custody_app, name="custody")
app.add_typer(customs_app, name="customs")
app.add_typer(origin_app, name="origin")
app.add_typer(invoice_app, name="invoice")
app.add_typer(evidence_app, name="evidence")
app.add_typer(anchor_app, name="anchor")


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug detail.")] = False,
    log_format: Annotated[
        LogFormat,
        typer.Option(
            envvar="FTZ_LOG_FORMAT",
            help="Logs on stderr: 'rich' (readable) or 'json' (one object per line, for a "
            "log collector; `ftz index` then logs its progress instead of drawing a bar).",
        ),
    ] = "rich",
) -> None:
    configure_logs(log_format, verbose, err_console)


# --- keys -----------------------------------------------------------------------------


@keys_app.command("new")
def keys_new(
    name: Annotated[str, typer.Argument(help="Name of the new key (file NAME.json).")],
    private_key: Annotated[
        str | None,
        typer.Option("--import-key", help="Import this hex private key instead of generating."),
    ] = None,
) -> None:
    """Create (or import) a key and store it encrypted in the keystore folder."""
    settings = _settings()
    ctx = FtzContext(settings)
    raw = bytes.fromhex(private_key.removeprefix("0x")) if private_key else None
    entry = ctx.keystore.create(name, _password(settings, confirm=True), raw)
    console.print(f"{entry.name}  {entry.address}  {entry.path}")


@keys_app.command("list")
def keys_list() -> None:
    """List the keystores: name and address (no password needed)."""
    settings = _settings()
    entries = FtzContext(settings).keystore.list()
    if not entries:
        err_console.print(
            f"no keys in {settings.keystore_dir}: create one with `ftz keys new NAME`"
        )
        return
    for entry in entries:
        console.print(f"{entry.name}\t{entry.address}")


# --- devnet ---------------------------------------------------------------------------


def _devnet_file(settings: FtzSettings) -> Path:
    return settings.state_dir / "devnet.json"


@devnet_app.command("up")
def devnet_up(
    port: Annotated[int | None, typer.Option(help="RPC port (default FTZ_DEVNET_PORT).")] = None,
    block_time: Annotated[
        float | None, typer.Option(help="Seconds per block (default: a block per transaction).")
    ] = None,
) -> None:
    """Start anvil in the background (London hardfork, funded dev accounts)."""
    settings = _settings()
    state = _devnet_file(settings)
    if state.exists():
        info = json.loads(state.read_text())
        try:
            os.kill(int(info["pid"]), 0)
            console.print(f"devnet already running: {info['url']} (pid {info['pid']})")
            return
        except ProcessLookupError:
            state.unlink()
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    node = devnet_mod.start_node(
        "anvil",
        settings.project_root,
        port=port or settings.devnet_port,
        chain_id=settings.devnet_chain_id,
        block_time=block_time,
        log_file=settings.state_dir / "anvil.log",
        die_with_parent=False,
    )
    state.write_text(json.dumps({"pid": node.process.pid, "url": node.url}))
    console.print(f"devnet up: {node.url} (chain {node.chain_id}, pid {node.process.pid})")


@devnet_app.command("down")
def devnet_down() -> None:
    """Stop the devnet started by `ftz devnet up`."""
    state = _devnet_file(_settings())
    if not state.exists():
        console.print("no devnet running")
        return
    info = json.loads(state.read_text())
    stopped = devnet_mod.stop_pid(int(info["pid"]))
    state.unlink()
    console.print("devnet stopped" if stopped else "devnet was not running")


@devnet_app.command("status")
def devnet_status() -> None:
    """Say whether the devnet runs and at which block."""
    settings = _settings()
    state = _devnet_file(settings)
    if not state.exists():
        console.print("no devnet running (start one with `ftz devnet up`)")
        raise typer.Exit(1)
    info = json.loads(state.read_text())
    from ftzchain.rpc import JsonRpc

    with JsonRpc(info["url"], timeout=5) as rpc:
        block = int(rpc.call("eth_blockNumber"), 16)
    console.print(f"devnet {info['url']} pid {info['pid']} at block {block}")


# --- deploy ---------------------------------------------------------------------------


@app.command()
def deploy(
    member: Annotated[
        list[str] | None,
        typer.Option("--member", "-m", help="Committee member address (repeat; default: sender)."),
    ] = None,
    threshold: Annotated[int, typer.Option(help="Approvals needed (M of N).")] = 1,
    lifetime: Annotated[
        int, typer.Option(help="Seconds a proposal stays open.")
    ] = DEFAULT_PROPOSAL_LIFETIME,
    force: Annotated[bool, typer.Option(help="Deploy anew even if this build is live.")] = False,
    sender: SenderOpt = None,
) -> None:
    """Compile and deploy Governance, IpRegistry and Traceability; reuse a live deployment
    of the same build."""
    ctx, signer = _context_and_sender(sender)
    members = [_address(m) for m in member] if member else [signer.address]
    deployment, deployed = deploy_contracts(
        ctx.client,
        ctx.sender(signer),
        ctx.build,
        ctx.settings.deployments_dir,
        members,
        threshold,
        lifetime,
        force=force,
    )
    verb = "deployed" if deployed else "already deployed (same build, same chain)"
    console.print(f"chain {deployment.chain_id}: {verb}")
    for name, c in deployment.contracts.items():
        console.print(f"  {name:<11} {c.address}  block {c.block_number}")


# --- governance -----------------------------------------------------------------------

ACTION_NAMES = {a.name.lower().replace("_", "-"): a for a in Action}


@gov_app.command("propose")
def gov_propose(
    action: Annotated[str, typer.Argument(help="One of: " + ", ".join(ACTION_NAMES))],
    zone: Annotated[str | None, typer.Option(help="Zone code, e.g. CN-SH.")] = None,
    account: Annotated[
        str | None, typer.Option(help="Enterprise, role holder or member address.")
    ] = None,
    role: Annotated[
        str | None, typer.Option(help="zone_node, customs, court, financier, auditor.")
    ] = None,
    value: Annotated[int, typer.Option(help="New threshold (set-threshold).")] = 0,
    sender: SenderOpt = None,
) -> None:
    """Propose a committee decision; your approval counts at once."""
    kind = ACTION_NAMES.get(action.lower())
    if kind is None:
        raise InvalidInput(f"unknown action {action!r}: one of {', '.join(ACTION_NAMES)}")
    ctx, signer = _context_and_sender(sender)
    proposal_id = ctx.governance.propose(
        ctx.sender(signer),
        kind,
        role=role_id(role) if role else b"\0" * 32,
        account=_address(account) if account else "0x" + "00" * 20,
        zone_id=zone_id(zone) if zone else b"\0" * 32,
        value=value,
    )
    console.print(f"proposal {proposal_id}: {ctx.governance.proposal(proposal_id).describe()}")


@gov_app.command("approve")
def gov_approve(proposal_id: int, sender: SenderOpt = None) -> None:
    """Approve a proposal as a committee member."""
    ctx, signer = _context_and_sender(sender)
    ctx.governance.approve(ctx.sender(signer), proposal_id)
    p = ctx.governance.proposal(proposal_id)
    console.print(f"proposal {proposal_id}: {p.approvals}/{ctx.governance.threshold()} approvals")


@gov_app.command("execute")
def gov_execute(proposal_id: int, sender: SenderOpt = None) -> None:
    """Execute a proposal that reached the threshold."""
    ctx, signer = _context_and_sender(sender)
    ctx.governance.execute(ctx.sender(signer), proposal_id)
    console.print(
        f"proposal {proposal_id} executed: {ctx.governance.proposal(proposal_id).describe()}"
    )


@gov_app.command("list")
def gov_list() -> None:
    """List proposals with their approvals and state."""
    ctx = FtzContext(_settings())
    gov = ctx.governance
    threshold = gov.threshold()
    table = Table("id", "action", "approvals", "state", "expires (UTC)")
    now = time.time()
    for p in gov.proposals():
        state = "executed" if p.executed else ("expired" if now > p.expires_at else "open")
        expires = time.strftime("%Y-%m-%d %H:%M", time.gmtime(p.expires_at))
        table.add_row(
            str(p.proposal_id), p.describe(), f"{p.approvals}/{threshold}", state, expires
        )
    console.print(table)


# --- ip -------------------------------------------------------------------------------


@ip_app.command("register")
def ip_register(
    file: Annotated[Path, typer.Argument(help="The work; only its SHA-256 goes on chain.")],
    enterprise: Annotated[str, typer.Option(help="Keystore name of the owning enterprise's key.")],
    zone: Annotated[
        str | None, typer.Option(help="Zone code (default: the enterprise's bound zone).")
    ] = None,
    work_type: Annotated[
        str, typer.Option(help="patent, trademark, copyright, design, trade_secret or unspecified.")
    ] = "unspecified",
    title: Annotated[
        str | None, typer.Option(help="Title; only its SHA-256 goes on chain.")
    ] = None,
    sender: SenderOpt = None,
) -> None:
    """Sign a registration as the enterprise (EIP-712) and submit it as the zone node."""
    try:
        kind = WorkType[work_type.upper()]
    except KeyError as exc:
        raise InvalidInput(f"unknown work type {work_type!r}") from exc
    content_hash = sha256_file(file)
    settings = _settings()
    ctx = FtzContext(settings)
    password = _password(settings)
    owner = ctx.signer(enterprise, password)
    zone_node = ctx.signer(_sender_name(settings, sender), password)
    zid = zone_id(zone) if zone else ctx.governance.enterprise_zone(owner.address)
    if not any(zid):
        raise ConfigError(f"enterprise {owner.address} is bound to no zone: pass --zone or bind it")
    title_hash = hashlib.sha256(title.encode()).digest() if title else b"\0" * 32
    signed = ctx.ip_registry.sign(
        owner, content_hash, zid, work_type=int(kind), title_hash=title_hash
    )
    receipt = ctx.ip_registry.register(ctx.sender(zone_node), signed)
    console.print(
        f"registered 0x{content_hash.hex()} for {owner.address} in {zone_code(zid)}: "
        f"tx {receipt.tx_hash} block {receipt.block_number}"
    )


@ip_app.command("verify")
def ip_verify(
    file: Annotated[Path, typer.Argument(help="The work to check (hashed locally).")],
) -> None:
    """Say whether a work is registered on chain, when and by whom (asks the node directly)."""
    content_hash = sha256_file(file)
    ctx = FtzContext(_settings())
    record = ctx.ip_registry.record(content_hash)
    if record is None:
        console.print(f"0x{content_hash.hex()}: NOT registered")
        raise typer.Exit(1)
    when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(record.registered_at))
    console.print(
        f"0x{content_hash.hex()}: registered {when} by {record.owner} "
        f"({WorkType(record.work_type).name.lower()})"
    )


@ip_app.command("register-many")
def ip_register_many(
    files: Annotated[list[Path], typer.Argument(help="The works; only their SHA-256 go on chain.")],
    enterprise: Annotated[str, typer.Option(help="Keystore name of the owning enterprise's key.")],
    sender: Annotated[
        list[str] | None,
        typer.Option(
            "--sender", "-s", help="Zone-node key(s) that submit; repeat for parallel keys."
        ),
    ] = None,
    work_type: Annotated[str, typer.Option(help="Work type of every file.")] = "unspecified",
    batch: Annotated[int, typer.Option(min=1, max=500, help="Works per transaction.")] = 100,
) -> None:
    """Register many works through the crash-safe writer: queued in the outbox
    ($FTZ_STATE_DIR/outbox.db), signed once per batch by the enterprise, submitted in
    pipelined transactions. Run it again after a crash: nothing is registered twice."""
    from ftzchain.writer import Outbox, QueuedRecord, Writer

    try:
        kind = WorkType[work_type.upper()]
    except KeyError as exc:
        raise InvalidInput(f"unknown work type {work_type!r}") from exc
    settings = _settings()
    ctx = FtzContext(settings)
    password = _password(settings)
    owner = ctx.signer(enterprise, password)
    names = sender or [_sender_name(settings, None)]
    senders = [ctx.sender(ctx.signer(name, password)) for name in names]
    zid = ctx.governance.enterprise_zone(owner.address)
    if not any(zid):
        raise ConfigError(f"enterprise {owner.address} is bound to no zone: bind it first")
    outbox = Outbox(settings.state_dir / "outbox.db")
    added = outbox.enqueue(
        QueuedRecord(sha256_file(f), owner.address, zid, int(kind)) for f in files
    )
    console.print(f"queued {added} new works ({len(files) - added} were queued before)")
    writer = Writer(ctx.ip_registry, senders, {owner.address: owner}, outbox, batch_size=batch)
    with console.status("writing") as status:
        stats = writer.run(on_progress=lambda c: status.update(f"writing: {c}"))
    console.print(
        f"{stats.records} works confirmed in {stats.transactions} transactions "
        f"({stats.seconds:.1f} s); outbox {outbox.counts()}"
    )
    outbox.close()


@ip_app.command("show")
def ip_show(
    sha256: Annotated[str, typer.Argument(help="SHA-256 of the work (64 hex digits).")],
) -> None:
    """Show the on-chain record of a content hash."""
    content_hash = parse_hash32(sha256)
    record = FtzContext(_settings()).ip_registry.record(content_hash)
    if record is None:
        console.print(f"0x{content_hash.hex()}: NOT registered")
        raise typer.Exit(1)
    console.print(
        json.dumps(
            {
                "content_hash": "0x" + content_hash.hex(),
                "owner": record.owner,
                "registered_at": record.registered_at,
                "work_type": WorkType(record.work_type).name.lower(),
                "frozen": record.frozen,
            },
            indent=2,
        )
    )


@ip_app.command("transfer")
def ip_transfer(
    sha256: Annotated[str, typer.Argument(help="SHA-256 of the registered work.")],
    owner: Annotated[str, typer.Option(help="Keystore name of the current owner's key.")],
    to: Annotated[str, typer.Option(help="Address of the new owner (an enterprise).")],
    sender: SenderOpt = None,
) -> None:
    """Hand a work to another enterprise: signed by the owner, submitted by the zone node."""
    content_hash = parse_hash32(sha256)
    new_owner = _address(to)
    ctx, zone_node = _context_and_sender(sender)
    signer = ctx.signer(owner, _password(ctx.settings))
    new_zone = ctx.governance.enterprise_zone(new_owner)
    if not any(new_zone):
        raise ConfigError(f"{new_owner} is bound to no zone: the committee must bind it first")
    t, signature = ctx.ip_registry.sign_transfer(signer, content_hash, new_owner, new_zone)
    receipt = ctx.ip_registry.transfer(ctx.sender(zone_node), t, signature)
    console.print(
        f"transferred 0x{content_hash.hex()} to {new_owner} ({zone_code(new_zone)}): "
        f"tx {receipt.tx_hash}"
    )


@ip_app.command("license")
def ip_license(
    sha256: Annotated[str, typer.Argument(help="SHA-256 of the registered work.")],
    owner: Annotated[str, typer.Option(help="Keystore name of the owner's key.")],
    licensee: Annotated[str, typer.Option(help="Address of the licensee.")],
    terms: Annotated[
        Path, typer.Option(help="File with the licence terms; only its SHA-256 goes on chain.")
    ],
    valid_from: Annotated[str, typer.Option(help="First day, YYYY-MM-DD (UTC).")],
    valid_until: Annotated[str, typer.Option(help="Last day, YYYY-MM-DD (UTC), inclusive.")],
    sender: SenderOpt = None,
) -> None:
    """License a work: signed by the owner, submitted by the owner's zone node."""
    content_hash = parse_hash32(sha256)
    start, end = _day(valid_from), _day(valid_until) + 86_399
    ctx, zone_node = _context_and_sender(sender)
    signer = ctx.signer(owner, _password(ctx.settings))
    lic, signature = ctx.ip_registry.sign_licence(
        signer, content_hash, _address(licensee), sha256_file(terms), start, end
    )
    receipt = ctx.ip_registry.license(ctx.sender(zone_node), lic, signature)
    licence_id = int(receipt.logs[0]["topics"][2], 16)
    console.print(f"licence {licence_id} of 0x{content_hash.hex()}: tx {receipt.tx_hash}")


def _day(text: str) -> int:
    try:
        return calendar.timegm(time.strptime(text, "%Y-%m-%d"))
    except ValueError:
        raise InvalidInput(f"not a date: {text!r} (expected YYYY-MM-DD)") from None


CaseArg = Annotated[str, typer.Option("--case", help="Case number, e.g. '(2026) Hu 73 Min Chu 1'.")]


def _case_id(case: str) -> bytes:
    raw = case.encode()
    if not raw or len(raw) > 32:
        raise InvalidInput("a case number is 1 to 32 bytes; longer ones: pass their SHA-256")
    return raw.ljust(32, b"\0")


@ip_app.command("freeze")
def ip_freeze(
    sha256: Annotated[str, typer.Argument(help="SHA-256 of the registered work.")],
    case: CaseArg,
    sender: SenderOpt = None,
) -> None:
    """Court: freeze a work during a dispute (no transfer, no new licence)."""
    ctx, court = _context_and_sender(sender)
    receipt = ctx.ip_registry.freeze(ctx.sender(court), parse_hash32(sha256), _case_id(case))
    console.print(f"frozen: tx {receipt.tx_hash}")


@ip_app.command("unfreeze")
def ip_unfreeze(
    sha256: Annotated[str, typer.Argument(help="SHA-256 of the registered work.")],
    case: CaseArg,
    sender: SenderOpt = None,
) -> None:
    """Court: lift a freeze."""
    ctx, court = _context_and_sender(sender)
    receipt = ctx.ip_registry.unfreeze(ctx.sender(court), parse_hash32(sha256), _case_id(case))
    console.print(f"unfrozen: tx {receipt.tx_hash}")


@ip_app.command("ruling")
def ip_ruling(
    sha256: Annotated[str, typer.Argument(help="SHA-256 of the registered work.")],
    case: CaseArg,
    judgment: Annotated[Path, typer.Option(help="The judgment; only its SHA-256 goes on chain.")],
    sender: SenderOpt = None,
) -> None:
    """Court: record the hash of a judgment about a work."""
    ctx, court = _context_and_sender(sender)
    receipt = ctx.ip_registry.record_ruling(
        ctx.sender(court), parse_hash32(sha256), _case_id(case), sha256_file(judgment)
    )
    console.print(f"ruling recorded: tx {receipt.tx_hash}")


# --- trace ----------------------------------------------------------------------------


def _epcis(file: Path) -> dict[str, object]:
    return load_json_object(file, "an EPCIS 2.0 JSON document")


@trace_app.command("hash")
def trace_hash(
    file: Annotated[Path, typer.Argument(help="EPCIS 2.0 JSON document.")],
) -> None:
    """Print the CBV 2.0 Event Hash ID of every event (reference implementation)."""
    from ftzchain.trace import event_hash_ids

    for hash_id in event_hash_ids(_epcis(file)):
        typer.echo(hash_id)


@trace_app.command("record")
def trace_record(
    file: Annotated[Path, typer.Argument(help="EPCIS 2.0 JSON document; stays off chain.")],
    enterprise: Annotated[str, typer.Option(help="Keystore name of the capturing enterprise.")],
    sender: SenderOpt = None,
) -> None:
    """Record the document's events: signed once by the enterprise, relayed by the zone node."""
    from ftzchain.trace import trace_items

    ctx, zone_node = _context_and_sender(sender)
    items = trace_items(_epcis(file), ctx.consortium_key)
    owner = ctx.signer(enterprise, _password(ctx.settings))
    zid = ctx.governance.enterprise_zone(owner.address)
    if not any(zid):
        raise ConfigError(f"enterprise {owner.address} is bound to no zone: bind it first")
    batch = ctx.traceability.sign_batch(owner, zid, items)
    receipt = ctx.traceability.record(ctx.sender(zone_node), batch)
    for item in items:
        console.print(item.hash_id)
    console.print(
        f"recorded {len(items)} events in {zone_code(zid)}: tx {receipt.tx_hash} "
        f"block {receipt.block_number}"
    )


def _goods_session() -> tuple[Session, int, bytes]:
    from indexer.db import make_engine

    settings = _settings()
    ctx = FtzContext(settings)
    chain_id = settings.chain_id or ctx.client.chain_id
    return Session(make_engine(settings.database_url)), chain_id, ctx.consortium_key


@trace_app.command("timeline")
def trace_timeline(
    lot: Annotated[str, typer.Argument(help="Lot, class or EPC id.")],
) -> None:
    """Everything that happened to one batch, oldest first (from the indexed SQL)."""
    from api.goods import timeline
    from ftzchain.trace import fingerprint

    session, chain_id, key = _goods_session()
    with session:
        found = timeline(session, chain_id, "0x" + fingerprint(lot, key).hex())
    if not found:
        console.print(f"nothing about {lot!r} is indexed (run `ftz index`, check the id)")
        raise typer.Exit(1)
    table = Table("time (UTC)", "what", "zone", "to", "detail", "block")
    for e in found:
        table.add_row(
            e.time.strftime("%Y-%m-%d %H:%M:%S"),
            e.kind,
            e.zone or "",
            e.other_zone or "",
            e.detail or "",
            str(e.block_number),
        )
    console.print(table)


@trace_app.command("export")
def trace_export(
    lot: Annotated[str, typer.Argument(help="Lot, class or EPC id.")],
    out: Annotated[Path, typer.Option(help="File to write (.csv or .json).")],
    sort: Annotated[SortKey, typer.Option(help="time, zone, kind or block.")] = "time",
    descending: Annotated[bool, typer.Option(help="Newest (or last) first.")] = False,
) -> None:
    """Write every key event of a batch's upstream graph (EPCIS events, custody, customs and
    origin steps of every batch it came from) as CSV or JSON."""
    import csv
    from dataclasses import asdict

    from api.goods import sort_events, upstream_key_events
    from ftzchain.trace import fingerprint

    if out.suffix not in (".csv", ".json"):
        raise InvalidInput(f"{out} must end in .csv or .json")
    session, chain_id, key = _goods_session()
    with session:
        found, lots = upstream_key_events(
            session, chain_id, "0x" + fingerprint(lot, key).hex(), limit=100_000
        )
    if not found:
        console.print(f"nothing about {lot!r} is indexed (run `ftz index`, check the id)")
        raise typer.Exit(1)
    rows = [{**asdict(e), "time": e.time.isoformat()} for e in sort_events(found, sort, descending)]
    if out.suffix == ".json":
        out.write_text(json.dumps({"identifier": lot, "batches_reached": lots, "events": rows}))
    else:
        with out.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    console.print(f"wrote {len(rows)} events from {lots} batches to {out}")


# --- index & serve --------------------------------------------------------------------


@index_app.callback(invoke_without_command=True)
def index(
    typer_ctx: typer.Context,
    from_block: Annotated[
        int | None, typer.Option(help="Start here (default: deployment block or cursor).")
    ] = None,
    to_block: Annotated[int | None, typer.Option(help="Stop after this block.")] = None,
    follow: Annotated[
        bool, typer.Option(help="Keep following the head after catching up.")
    ] = False,
    reset: Annotated[
        bool, typer.Option(help="Forget this chain's rows and index again from the start.")
    ] = False,
    metrics_port: Annotated[
        int | None, typer.Option(help="Serve Prometheus metrics on this port (/metrics).")
    ] = None,
) -> None:
    """Index chain events into SQL up to the head (and keep following with --follow)."""
    if typer_ctx.invoked_subcommand is not None:
        return
    from indexer.service import build_indexer

    settings = _settings()
    ctx = FtzContext(settings)
    indexer = build_indexer(ctx)
    if from_block is not None:
        indexer.start_block = from_block
    cursor = indexer.reset() if reset else indexer.cursor()
    if from_block is not None and cursor.block_number != from_block - 1:
        raise ConfigError(
            f"the index of chain {cursor.chain_id} already runs to block {cursor.block_number}: "
            "add --reset to index again from --from-block"
        )
    if metrics_port is not None:
        indexer.metrics.serve(metrics_port)
    target = indexer.target() if to_block is None else to_block
    with _index_progress(target - cursor.block_number, cursor.block_number) as show:
        cursor = indexer.sync(to_block=to_block, on_progress=show)
    console.print(f"indexed chain {cursor.chain_id} up to block {cursor.block_number}")
    if follow and to_block is None:
        logging.getLogger(__name__).info("following the head every %.1fs", settings.poll_interval)
        indexer.follow(settings.poll_interval)


@contextmanager
def _index_progress(blocks: int, base: int) -> Iterator[Callable[[IndexProgress], None]]:
    """A progress bar with events/s on a terminal; with JSON logs, a progress record every
    2 s (fields ``block``, ``target``, ``events``, ``events_per_s``)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    started = time.monotonic()

    def rate(p: IndexProgress) -> float:
        return p.events / max(time.monotonic() - started, 1e-6)

    if active_format() == "json":
        log = logging.getLogger("ftzchain.index")
        last = [started]

        def record(p: IndexProgress) -> None:
            now = time.monotonic()
            if now - last[0] >= 2.0 or p.block >= p.target:
                last[0] = now
                log.info(
                    "indexed block %d of %d",
                    p.block,
                    p.target,
                    extra={
                        "block": p.block,
                        "target": p.target,
                        "events": p.events,
                        "events_per_s": round(rate(p)),
                    },
                )

        yield record
        return
    with Progress(
        TextColumn("indexing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("blocks", total=max(blocks, 0), rate="")

        def show(p: IndexProgress) -> None:
            bar.update(
                task,
                completed=p.block - base,
                total=max(p.target - base, 1),
                rate=f"{p.events} events, {rate(p):,.0f}/s",
            )

        yield show


@index_app.command("status")
def index_status() -> None:
    """Show the indexed block per chain and how far behind the node it is."""
    from indexer.db import make_engine
    from indexer.sink import SqlSink

    settings = _settings()
    ctx = FtzContext(settings)
    cursor = SqlSink(make_engine(settings.database_url)).read_cursor(ctx.client.chain_id)
    if cursor is None:
        console.print(f"chain {ctx.client.chain_id} not indexed yet: run `ftz index`")
        raise typer.Exit(1)
    head = ctx.client.block_number()
    console.print(
        f"chain {cursor.chain_id}: indexed block {cursor.block_number} ({cursor.block_hash}), "
        f"head {head}, lag {head - cursor.block_number}"
    )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default FTZ_API_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default FTZ_API_PORT).")] = None,
) -> None:
    """Serve the verification API and portal with uvicorn."""
    import uvicorn

    from api.app import create_app
    from indexer.db import migrate

    settings = _settings()
    migrate(settings.database_url)
    uvicorn.run(
        create_app(settings),
        host=host or settings.api_host,
        port=port or settings.api_port,
        log_level="info",
    )


def main() -> None:
    """Entry point: user errors become one line on stderr and a non-zero exit."""
    try:
        app()
    except FtzError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
