"""``ftz evidence``: court bundles, offline verification, certificates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ftzchain.cli.common import (
    console,
    load_json_object,
    load_settings,
)
from ftzchain.context import FtzContext
from ftzchain.domain import parse_hash32
from ftzchain.errors import InvalidInput, NotDeployed
from ftzchain.evidence.verify import Verdict, verify_file

evidence_app = typer.Typer(
    help="Court evidence: export a self-contained bundle, verify one offline, print a certificate.",
    no_args_is_help=True,
)


def _load_json(path: Path) -> dict[str, Any]:
    return load_json_object(path, "an evidence bundle from `ftz evidence export`")


def export_bundle(ctx: FtzContext, content_hash: bytes, tx_hash: str | None) -> dict[str, Any]:
    """The bundle of ``content_hash``; the transaction is looked up in the indexed DB."""
    from sqlmodel import Session

    from api.queries.ip import registration_tx
    from ftzchain.evidence.service import ip_bundle
    from indexer.db import make_engine

    if tx_hash is None:
        engine = make_engine(ctx.settings.database_url)
        try:
            with Session(engine) as session:
                tx_hash = registration_tx(session, ctx.client.chain_id, content_hash)
        finally:
            engine.dispose()
        if tx_hash is None:
            raise NotDeployed(
                f"0x{content_hash.hex()} is not in the indexed database: run `ftz index` "
                "(or pass --tx with the registering transaction)"
            )
    return ip_bundle(ctx, content_hash, tx_hash)


@evidence_app.command("export")
def evidence_export(
    sha256: Annotated[str, typer.Argument(help="SHA-256 of the registered work (64 hex digits).")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the bundle here (default: stdout).")
    ] = None,
    tx: Annotated[
        str | None,
        typer.Option(help="The registering transaction (default: looked up in the indexed DB)."),
    ] = None,
) -> None:
    """Export the evidence bundle of a registration: record, signatures, transaction, receipt,
    Merkle-Patricia proofs, block header, seals and the covering external anchor if any."""
    content_hash = parse_hash32(sha256)
    ctx = FtzContext(load_settings())
    try:
        bundle = export_bundle(ctx, content_hash, tx)
    finally:
        ctx.close()
    text = json.dumps(bundle, indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    anchored = "anchored" if bundle["anchor"] else "not yet anchored"
    console.print(f"wrote {out} (block {int(bundle['block']['header']['number'], 16)}, {anchored})")


@evidence_app.command("verify")
def evidence_verify(
    bundle: Annotated[Path, typer.Argument(help="Bundle JSON from `ftz evidence export`.")],
    validators: Annotated[
        Path | None,
        typer.Option(
            help="JSON list of validator addresses the court trusts (overrides the bundle's)."
        ),
    ] = None,
    against: Annotated[
        str | None,
        typer.Option(
            help="Also compare the block hash with this node's (JSON-RPC URL; uses the network)."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print only the machine verdict.")
    ] = False,
) -> None:
    """Verify a bundle offline and name the first link that fails (exit 1 when one does)."""
    if not bundle.exists():
        raise InvalidInput(f"no such file: {bundle}")
    trusted = None
    if validators is not None:
        trusted = [str(v) for v in json.loads(validators.read_text(encoding="utf-8"))]
    verdict = verify_file(str(bundle), trusted)
    if verdict.ok and against:
        _compare_with_node(verdict, _load_json(bundle), against)
    if as_json:
        typer.echo(json.dumps(verdict.as_json(), indent=2))
    else:
        typer.echo(verdict.human())
        typer.echo(json.dumps(verdict.as_json()))
    raise typer.Exit(0 if verdict.ok else 1)


def _compare_with_node(verdict: Verdict, bundle: dict[str, Any], url: str) -> None:
    from ftzchain.rpc import JsonRpc

    number = bundle["block"]["header"]["number"]
    with JsonRpc(url) as rpc:
        chain_id = int(rpc.call("eth_chainId"), 16)
        block = rpc.call("eth_getBlockByNumber", [number, False])
    if chain_id != bundle["chain"]["chainId"] or block is None:
        verdict.ok, verdict.failed_link = False, "node"
        verdict.reason = f"{url} is not a node of chain {bundle['chain']['chainId']} at that height"
    elif block["hash"].lower() != bundle["block"]["hash"].lower():
        verdict.ok, verdict.failed_link = False, "node"
        verdict.reason = f"{url} has block {block['hash']} at height {int(number, 16)}"
    else:
        verdict.checked.append(f"node: {url} reports the same block hash at that height")


@evidence_app.command("certificate")
def evidence_certificate(
    bundle: Annotated[Path, typer.Argument(help="Bundle JSON from `ftz evidence export`.")],
    html: Annotated[Path | None, typer.Option(help="Write the printable HTML page here.")] = None,
    pdf: Annotated[Path | None, typer.Option(help="Write the PDF here.")] = None,
    bundle_url: Annotated[
        str | None,
        typer.Option(help="Address printed and QR-coded (default: this API's evidence URL)."),
    ] = None,
) -> None:
    """Print a certificate (HTML and/or PDF) of a bundle; refuses a bundle that does not verify."""
    from ftzchain.evidence.certificate import Certificate

    if html is None and pdf is None:
        raise InvalidInput("nothing to write: pass --html FILE and/or --pdf FILE")
    data = _load_json(bundle)
    url = bundle_url or (
        f"{load_settings().api_base_url}/v1/evidence/{data.get('record', {}).get('contentHash')}"
    )
    cert = Certificate.from_bundle(data, url)
    if html is not None:
        html.write_text(cert.html(), encoding="utf-8")
        console.print(f"wrote {html}")
    if pdf is not None:
        pdf.write_bytes(cert.pdf())
        console.print(f"wrote {pdf}")
