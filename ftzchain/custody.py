"""Custody, customs declarations and certificates of origin from Python.

Numbers people type (consignment, declaration and certificate numbers, lot ids) go on chain
only as keyed fingerprints (HMAC-SHA256 under the consortium key, see
:mod:`ftzchain.fingerprints`), each in its own namespace, so an outsider cannot test
guessed numbers against the chain. Lots use the bare fingerprint, the same one the EPCIS
events carry, so custody joins the provenance graph.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils.address import to_checksum_address

from ftzchain.abi import AbiCodec
from ftzchain.client import ChainClient, Receipt, TxSender
from ftzchain.enums import CertificateStatus, LotState, Result, Rule
from ftzchain.errors import InvalidInput

_ZERO = bytes(32)


def document_hash(path: Path) -> bytes:
    """SHA-256 of a document file (a declaration, an inspection report, a certificate)."""
    try:
        return hashlib.sha256(path.read_bytes()).digest()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None


@dataclass(frozen=True)
class LotCustody:
    state: LotState
    zone_id: bytes
    consignment_id: bytes


@dataclass(frozen=True)
class Declaration:
    consignment_id: bytes
    origin_zone: bytes
    destination_zone: bytes
    rule: Rule
    origin_result: Result
    destination_result: Result
    cleared: bool
    filed_at: int
    document_hash: bytes


@dataclass(frozen=True)
class Certificate:
    status: CertificateStatus
    zone_id: bytes
    issuer: str
    issued_at: int
    closed_at: int
    lot: bytes
    document_hash: bytes
    replaced_by: bytes


class _Contract:
    def __init__(self, client: ChainClient, address: str, codec: AbiCodec) -> None:
        self.client = client
        self.address = address
        self.codec = codec

    def _send(self, sender: TxSender, fn: str, *args: object) -> Receipt:
        return sender.transact(self.address, self.codec.encode_call(fn, *args))

    def _view(self, fn: str, *args: object) -> tuple[Any, ...]:
        data = self.client.call(self.address, self.codec.encode_call(fn, *args))
        return tuple(self.codec.decode_output(fn, data)[0])


class CustodyContract(_Contract):
    """Custody of lots and two-sided hand-overs between zones (``Custody``)."""

    def take_custody(
        self, zone_node: TxSender, zone_id: bytes, lots: list[bytes], event_id: bytes = _ZERO
    ) -> Receipt:
        return self._send(zone_node, "takeCustody", zone_id, lots, event_id)

    def dispatch(
        self,
        zone_node: TxSender,
        consignment_id: bytes,
        from_zone: bytes,
        to_zone: bytes,
        lots: list[bytes],
        event_id: bytes = _ZERO,
    ) -> Receipt:
        return self._send(zone_node, "dispatch", consignment_id, from_zone, to_zone, lots, event_id)

    def receive(
        self, zone_node: TxSender, consignment_id: bytes, lots: list[bytes], event_id: bytes = _ZERO
    ) -> Receipt:
        return self._send(zone_node, "receiveConsignment", consignment_id, lots, event_id)

    def lot(self, lot_id: bytes) -> LotCustody:
        state, zone, consignment = self._view("lot", lot_id)
        return LotCustody(LotState(state), bytes(zone), bytes(consignment))


class CustomsContract(_Contract):
    """One declaration, two inspections, clearance by rule (``Customs``)."""

    def file_declaration(
        self,
        zone_node: TxSender,
        declaration_id: bytes,
        consignment_id: bytes,
        origin_zone: bytes,
        destination_zone: bytes,
        rule: Rule,
        document: bytes = _ZERO,
    ) -> Receipt:
        return self._send(
            zone_node,
            "fileDeclaration",
            declaration_id,
            consignment_id,
            origin_zone,
            destination_zone,
            int(rule),
            document,
        )

    def inspect(
        self,
        officer: TxSender,
        declaration_id: bytes,
        zone_id: bytes,
        passed: bool,
        report: bytes = _ZERO,
    ) -> Receipt:
        return self._send(officer, "recordInspection", declaration_id, zone_id, passed, report)

    def clear(self, officer: TxSender, declaration_id: bytes, zone_id: bytes) -> Receipt:
        return self._send(officer, "clear", declaration_id, zone_id)

    def declaration(self, declaration_id: bytes) -> Declaration | None:
        c, o, d, rule, o_res, d_res, cleared, filed, doc = self._view("declaration", declaration_id)
        if not filed:
            return None
        return Declaration(
            bytes(c),
            bytes(o),
            bytes(d),
            Rule(rule),
            Result(o_res),
            Result(d_res),
            bool(cleared),
            int(filed),
            bytes(doc),
        )


class OriginCertificatesContract(_Contract):
    """Certificates of origin: issue, revoke with a reason, supersede (``OriginCertificates``)."""

    def issue(
        self, issuer: TxSender, certificate_id: bytes, zone_id: bytes, lot: bytes, document: bytes
    ) -> Receipt:
        return self._send(issuer, "issue", certificate_id, zone_id, lot, document)

    def revoke(self, issuer: TxSender, certificate_id: bytes, reason: str) -> Receipt:
        if not reason.strip():
            raise InvalidInput("a revocation needs a reason")
        return self._send(issuer, "revoke", certificate_id, reason.strip())

    def supersede(
        self,
        issuer: TxSender,
        certificate_id: bytes,
        replacement_id: bytes,
        lot: bytes,
        document: bytes,
    ) -> Receipt:
        return self._send(issuer, "supersede", certificate_id, replacement_id, lot, document)

    def certificate(self, certificate_id: bytes) -> Certificate | None:
        status, issuer, issued, zone, lot, doc, closed, replaced = self._view(
            "certificate", certificate_id
        )
        if not status:
            return None
        return Certificate(
            CertificateStatus(status),
            bytes(zone),
            to_checksum_address(str(issuer)),
            int(issued),
            int(closed),
            bytes(lot),
            bytes(doc),
            bytes(replaced),
        )
