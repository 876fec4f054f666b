"""``ftz ip``: IP proof-of-existence records (register, verify, transfer, licence, court)."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Annotated

import typer

from ftzchain.cli.common import SenderOpt, console, licence_period
from ftzchain.cli.common import address as _address
from ftzchain.cli.common import context_and_sender as _context_and_sender
from ftzchain.cli.common import load_settings as _settings
from ftzchain.cli.common import password as _password
from ftzchain.cli.common import sender_name as _sender_name
from ftzchain.context import FtzContext
from ftzchain.domain import WorkType, parse_hash32, sha256_file, zone_code, zone_id
from ftzchain.errors import ConfigError, InvalidInput

ip_app = typer.Typer(help="IP proof-of-existence records.", no_args_is_help=True)


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
    start, end = licence_period(valid_from, valid_until)
    ctx, zone_node = _context_and_sender(sender)
    signer = ctx.signer(owner, _password(ctx.settings))
    lic, signature = ctx.ip_registry.sign_licence(
        signer, content_hash, _address(licensee), sha256_file(terms), start, end
    )
    receipt = ctx.ip_registry.license(ctx.sender(zone_node), lic, signature)
    licence_id = int(receipt.logs[0]["topics"][2], 16)
    console.print(f"licence {licence_id} of 0x{content_hash.hex()}: tx {receipt.tx_hash}")


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
