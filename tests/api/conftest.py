"""The API served by uvicorn on a real indexed anvil chain, shared by every router's tests."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest

from ftzchain.compile import Build
from ftzchain.devnet import LocalNode
from ftzchain.devpg import PgServer
from ftzchain.enums import Rule
from ftzchain.fingerprints import certificate_key, consignment_key, declaration_key, lot_key
from ftzchain.invoice import Invoice, invoice_from_json, parse_invoice
from ftzchain.trace import TraceItem, trace_items
from tests.conftest import AH, DB_KINDS, ROOT, SH, TEST_CONSORTIUM_KEY, World, make_world
from tests.indexer.helpers import fresh_db, indexer_for, register_many
from tests.serving import serving


@dataclass
class Served:
    base: str
    registered: bytes
    zone_node: str
    owner: str
    world: World
    db_url: str
    pid: int  # the uvicorn server's process
    env: dict[str, str]  # the server's environment, for a second server with other settings


PARTS = "urn:epc:class:lgtin:4012345.000001.PARTS"
UNIT = "urn:epc:class:lgtin:4012345.000002.UNIT"
CERTIFICATE_DOCUMENT = b"Certificate of origin CO-API-1"


INVOICE_JSON = (ROOT / "tests" / "data" / "invoice-auto-parts.json").read_text()


def _invoice_json(**changes: object) -> dict[str, object]:
    data: dict[str, object] = json.loads(INVOICE_JSON)
    data.update(changes)
    return data


def _second_invoice() -> Invoice:
    return invoice_from_json(
        _invoice_json(number="SH-2026-00043", total_without_tax="500.00", total_with_tax="565.00")
    )


def _goods_flow(world: World) -> None:
    """Parts made into a unit in CN-SH, the unit sent to CN-AH (received), a declaration with
    the destination's inspection missing, a certificate of origin revoked."""
    key = world.ctx.consortium_key
    parts, unit = lot_key(PARTS, key), lot_key(UNIT, key)
    assemble = TraceItem(
        hashlib.sha256(b"api assemble").digest(), 3, 0, 3, 0, 1_700_000_000, b"\2" * 32,
        (parts,), (unit,),
    )  # fmt: skip
    trace = world.ctx.traceability
    trace.record(world.sh_node, trace.sign_batch(world.sh_enterprise, SH, [assemble]))
    csg = consignment_key("API-CSG-1", key)
    world.ctx.custody.take_custody(world.sh_node, SH, [parts, unit])
    world.ctx.custody.dispatch(world.sh_node, csg, SH, AH, [unit])
    world.ctx.custody.receive(world.ah_node, csg, [unit])
    decl = declaration_key("API-DEC-1", key)
    world.ctx.customs.file_declaration(world.sh_node, decl, csg, SH, AH, Rule.BOTH_ZONES)
    world.ctx.customs.inspect(world.customs, decl, SH, True)
    # Invoices: the sample is issued and pledged in CN-SH; a second one only issued.
    invoices = world.ctx.invoices
    sample = parse_invoice(INVOICE_JSON).prints(key)
    invoices.bind_seller(world.sh_node, sample.seller, world.sh_enterprise.address)
    invoices.issue(world.sh_node, world.sh_enterprise, SH, sample)
    invoices.pledge(world.bank_sh, sample.all, SH, "SH bank loan 1")
    invoices.issue(world.sh_node, world.sh_enterprise, SH, _second_invoice().prints(key))
    cert = certificate_key("CO-API-1", key)
    document = hashlib.sha256(CERTIFICATE_DOCUMENT).digest()
    world.ctx.origin_certificates.issue(world.issuer, cert, SH, parts, document)
    world.ctx.origin_certificates.revoke(world.issuer, cert, "wrong HS heading")


@pytest.fixture(scope="session")
def served(
    anvil: LocalNode, build: Build, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    state = tmp_path_factory.mktemp("api")
    world = make_world(anvil, state, build)
    (registered,) = register_many(world, 1, label="api")
    document = json.loads((ROOT / "tests" / "data" / "epcis-shipping.json").read_text())
    trace = world.ctx.traceability
    trace.record(
        world.sh_node,
        trace.sign_batch(world.sh_enterprise, SH, trace_items(document, world.ctx.consortium_key)),
    )
    _goods_flow(world)
    url = f"sqlite:///{state / 'api.db'}"
    indexer_for(world, fresh_db(url)).sync()
    env = {
        **os.environ,
        "FTZ_DATABASE_URL": url,
        "FTZ_CHAIN_ID": str(anvil.chain_id),
        "FTZ_RPC_URL": anvil.url,
        "FTZ_STATE_DIR": str(state),
        "FTZ_PUBLIC_URL": "https://sh.zone.example",
        "FTZ_CONSORTIUM_KEY": TEST_CONSORTIUM_KEY,
        "FTZ_ZONE": "CN-SH",  # a zone node: its intake answers too (tests/api/test_submissions.py)
        # Many tests share this server from one address and one caller each: the limits are
        # tested apart (tests/api/test_admission.py, tests/api/test_auth.py).
        "FTZ_RATE_LIMIT_PER_MINUTE": "0",
        "FTZ_LOOKUP_RATE_PER_MINUTE": "0",
    }
    with serving(env) as (base, proc):
        try:
            yield Served(
                base,
                registered,
                world.sh_node.address,
                world.sh_enterprise.address,
                world,
                url,
                proc.pid,
                env,
            )
        finally:
            world.ctx.close()


@pytest.fixture(params=DB_KINDS)
def served_on(request: pytest.FixtureRequest, served: Served) -> Iterator[Served]:
    """The served API on each kind of database: on SQLite the shared server; on PostgreSQL a
    second server over the same chain, indexed into a fresh database."""
    if request.param == "sqlite":
        yield served
        return
    pg: PgServer = request.getfixturevalue("pg_server")
    url = pg.create_database()
    indexer_for(served.world, fresh_db(url)).sync()
    env = {**served.env, "FTZ_DATABASE_URL": url}
    with serving(env) as (base, proc):
        yield replace(served, base=base, db_url=url, pid=proc.pid, env=env)
