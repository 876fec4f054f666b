"""``ftz index``: mirror chain events into SQL, and the index's status."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from ftzchain.cli.common import console, err_console
from ftzchain.cli.common import load_settings as _settings
from ftzchain.context import FtzContext
from ftzchain.errors import ConfigError
from ftzchain.logs import active_format

if TYPE_CHECKING:
    from indexer.runner import Progress as IndexProgress

index_app = typer.Typer(help="Mirror chain events into SQL.")


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


@index_app.command("digest")
def index_digest(
    block: Annotated[
        int | None, typer.Option(min=0, help="Digest rows up to this block (default: indexed).")
    ] = None,
) -> None:
    """Print a digest of every row indexed up to a block. Zones that indexed the same chain
    print the same digest for the same block, whichever database they use."""
    from indexer.db import make_engine
    from indexer.digest import table_digest
    from indexer.sink import SqlSink

    settings = _settings()
    ctx = FtzContext(settings)
    engine = make_engine(settings.database_url)
    cursor = SqlSink(engine).read_cursor(ctx.client.chain_id)
    if cursor is None:
        console.print(f"chain {ctx.client.chain_id} not indexed yet: run `ftz index`")
        raise typer.Exit(1)
    upto = cursor.block_number if block is None else block
    if upto > cursor.block_number:
        raise ConfigError(
            f"block {upto} is not indexed yet (indexed up to {cursor.block_number}): "
            "run `ftz index` first"
        )
    found = table_digest(engine, cursor.chain_id, upto)
    console.print(f"chain {found.chain_id} block {found.block}: {found.rows} rows {found.digest}")
