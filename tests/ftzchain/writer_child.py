"""A writer process for the crash test: drains the outbox until done (or SIGKILLed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ftzchain.abi import AbiCodec
from ftzchain.client import ChainClient, TxSender
from ftzchain.compile import load_build
from ftzchain.invoice.contract import InvoiceRegistryContract
from ftzchain.ip import IpRegistryContract
from ftzchain.reverts import RevertDecoder
from ftzchain.signing import LocalSigner
from ftzchain.trace import TraceabilityContract
from ftzchain.writer import Outbox, Writer


def main() -> int:
    config = json.loads(Path(sys.argv[1]).read_text())
    build = load_build(Path(config["build"]))
    client = ChainClient(config["rpc_url"], RevertDecoder(build.all_abi_entries()))
    registry = IpRegistryContract(client, config["registry"], AbiCodec(build.get("IpRegistry").abi))
    senders = [TxSender(client, LocalSigner.from_key(k)) for k in config["sender_keys"]]
    enterprise = LocalSigner.from_key(config["enterprise_key"])
    outbox = Outbox(Path(config["outbox"]))
    traceability = TraceabilityContract(
        client, config["traceability"], AbiCodec(build.get("Traceability").abi)
    )
    invoices = InvoiceRegistryContract(
        client, config["invoices"], AbiCodec(build.get("InvoiceRegistry").abi)
    )
    Writer(
        registry,
        senders,
        {enterprise.address: enterprise},
        outbox,
        traceability=traceability,
        invoices=invoices,
        batch_size=50,
        in_flight=4,
    ).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
