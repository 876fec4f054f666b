"""``ftz``: the zone node's command line; assembles the command groups and runs them."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ftzchain.cli.anchor import anchor_app
from ftzchain.cli.audit import audit_app
from ftzchain.cli.common import err_console
from ftzchain.cli.deploy import deploy, gov_app
from ftzchain.cli.devnet import devnet_app
from ftzchain.cli.evidence import evidence_app
from ftzchain.cli.goods import custody_app, customs_app, origin_app
from ftzchain.cli.index import index_app
from ftzchain.cli.intake import relay, sign_app, submit
from ftzchain.cli.invoice import invoice_app
from ftzchain.cli.ip import ip_app
from ftzchain.cli.keys import keys_app
from ftzchain.cli.network import network_app
from ftzchain.cli.serve import serve
from ftzchain.cli.trace import trace_app
from ftzchain.errors import FtzError
from ftzchain.logs import LogFormat
from ftzchain.logs import configure as configure_logs

app = typer.Typer(
    help="FTZ Chain zone node: keys, local devnet, deployment, governance, IP records, "
    "EPCIS events, custody, customs, certificates of origin, e-invoices, court evidence, "
    "anchoring, "
    "indexer, verification API and intake relay. Settings come from FTZ_* variables (see README).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(keys_app, name="keys")
app.add_typer(devnet_app, name="devnet")
app.add_typer(network_app, name="network")
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
app.add_typer(audit_app, name="audit")
app.add_typer(sign_app, name="sign")
app.command("deploy")(deploy)
app.command("serve")(serve)
app.command("relay")(relay)
app.command("submit")(submit)


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
