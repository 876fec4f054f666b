"""The InvoiceRegistry contract from Python: seller-signed issue, actions and goods links,
financier pledges."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from eth_utils.address import to_checksum_address

from ftzchain.abi import AbiCodec
from ftzchain.client import ChainClient, Receipt, TxSender
from ftzchain.eip712 import (
    INVOICE_DOMAIN_NAME,
    INVOICE_DOMAIN_VERSION,
    struct_hash,
    typed_digest,
    word_address,
    word_array,
    word_uint,
)
from ftzchain.enums import InvoiceAction, InvoiceStatus
from ftzchain.errors import InvalidInput
from ftzchain.invoice.model import InvoicePrints
from ftzchain.signing import Signer


@dataclass(frozen=True)
class OnChainInvoice:
    status: InvoiceStatus
    issued_at: int
    seller: str
    zone_id: bytes
    financier: str | None
    consignment_id: bytes | None


@dataclass(frozen=True)
class _Signed:
    deadline: int
    signature: bytes


def action_reason_hash(reason: str) -> bytes:
    """What goes on chain for a void's reason or a payment's reference: its SHA-256."""
    if not reason.strip():
        raise InvalidInput("a void, credit note or payment needs a reason or reference")
    return hashlib.sha256(reason.strip().encode()).digest()


class InvoiceRegistryContract:
    """Issue, void/credit/pay, link goods, pledge and release on one InvoiceRegistry."""

    def __init__(self, client: ChainClient, address: str, codec: AbiCodec) -> None:
        self.client = client
        self.address = address
        self.codec = codec

    def _digest(self, struct_hash: bytes) -> bytes:
        return typed_digest(
            INVOICE_DOMAIN_NAME,
            INVOICE_DOMAIN_VERSION,
            self.client.chain_id,
            to_checksum_address(self.address),
            struct_hash,
        )

    def _sign(self, seller: Signer, struct_hash: bytes, deadline: int) -> _Signed:
        return _Signed(deadline, seller.sign_digest_unsafe(self._digest(struct_hash)))

    def _deadline(self, deadline: int | None) -> int:
        return self.client.signature_deadline() if deadline is None else deadline

    def bind_seller(self, zone_node: TxSender, seller_fp: bytes, enterprise: str) -> Receipt:
        """Vouch that ``enterprise`` is the company with this USCC fingerprint (once each)."""
        return zone_node.transact(
            self.address, self.codec.encode_call("bindSeller", seller_fp, enterprise)
        )

    def seller_of(self, seller_fp: bytes) -> str | None:
        data = self.client.call(self.address, self.codec.encode_call("sellerOf", seller_fp))
        (bound,) = self.codec.decode_output("sellerOf", data)
        return None if int(bound, 16) == 0 else to_checksum_address(bound)

    def issue_call(
        self, seller: Signer, zone_id: bytes, prints: InvoicePrints, deadline: int | None = None
    ) -> bytes:
        """Calldata of ``issue``, signed by the seller (a zone node of its zone sends it)."""
        deadline = self._deadline(deadline)
        struct = struct_hash(
            "InvoiceIssue",
            word_address(seller.address),
            zone_id,
            prints.seller,
            prints.number,
            word_array(prints.near),
            word_uint(deadline),
        )
        signed = self._sign(seller, struct, deadline)
        return self.codec.encode_call(
            "issue",
            seller.address,
            zone_id,
            prints.seller,
            prints.number,
            list(prints.near),
            deadline,
            signed.signature,
        )

    def issue(
        self,
        zone_node: TxSender,
        seller: Signer,
        zone_id: bytes,
        prints: InvoicePrints,
        deadline: int | None = None,
    ) -> Receipt:
        return zone_node.transact(self.address, self.issue_call(seller, zone_id, prints, deadline))

    def act_call(
        self,
        seller: Signer,
        invoice_id: bytes,
        action: InvoiceAction,
        reason: str,
        deadline: int | None = None,
    ) -> bytes:
        """Calldata of a void, credit note or payment; only the SHA-256 of ``reason`` goes on
        chain."""
        deadline = self._deadline(deadline)
        reason_hash = action_reason_hash(reason)
        struct = struct_hash(
            "InvoiceAction", invoice_id, word_uint(int(action)), reason_hash, word_uint(deadline)
        )
        signed = self._sign(seller, struct, deadline)
        return self.codec.encode_call(
            "act", invoice_id, int(action), reason_hash, deadline, signed.signature
        )

    def act(
        self,
        zone_node: TxSender,
        seller: Signer,
        invoice_id: bytes,
        action: InvoiceAction,
        reason: str,
        deadline: int | None = None,
    ) -> Receipt:
        return zone_node.transact(
            self.address, self.act_call(seller, invoice_id, action, reason, deadline)
        )

    def link_goods_call(
        self,
        seller: Signer,
        invoice_id: bytes,
        consignment_id: bytes,
        deadline: int | None = None,
    ) -> bytes:
        deadline = self._deadline(deadline)
        struct = struct_hash("InvoiceGoods", invoice_id, consignment_id, word_uint(deadline))
        signed = self._sign(seller, struct, deadline)
        return self.codec.encode_call(
            "linkGoods", invoice_id, consignment_id, deadline, signed.signature
        )

    def link_goods(
        self,
        zone_node: TxSender,
        seller: Signer,
        invoice_id: bytes,
        consignment_id: bytes,
        deadline: int | None = None,
    ) -> Receipt:
        return zone_node.transact(
            self.address, self.link_goods_call(seller, invoice_id, consignment_id, deadline)
        )

    def pledge(
        self,
        financier: TxSender,
        fingerprints: list[bytes],
        zone_id: bytes,
        reference: str,
        require_goods: bool = False,
    ) -> Receipt:
        return financier.transact(
            self.address, self.pledge_call(fingerprints, zone_id, reference, require_goods)
        )

    def pledge_call(
        self, fingerprints: list[bytes], zone_id: bytes, reference: str, require_goods: bool
    ) -> bytes:
        """Calldata of a pledge (for a financier who signs elsewhere)."""
        ref = hashlib.sha256(reference.encode()).digest()
        return self.codec.encode_call("pledge", fingerprints, zone_id, ref, require_goods)

    def release(self, financier: TxSender, fingerprints: list[bytes], reference: str) -> Receipt:
        return financier.transact(self.address, self.release_call(fingerprints, reference))

    def release_call(self, fingerprints: list[bytes], reference: str) -> bytes:
        ref = hashlib.sha256(reference.encode()).digest()
        return self.codec.encode_call("release", fingerprints, ref)

    def pledged_by(self, fingerprint: bytes) -> bytes | None:
        """The invoice whose active pledge covers ``fingerprint``, if any."""
        data = self.client.call(self.address, self.codec.encode_call("pledgedBy", fingerprint))
        (holder,) = self.codec.decode_output("pledgedBy", data)
        return bytes(holder) if any(holder) else None

    def invoice(self, invoice_id: bytes) -> OnChainInvoice | None:
        data = self.client.call(self.address, self.codec.encode_call("invoice", invoice_id))
        status, issued, seller, zone, _fps, financier, consignment = self.codec.decode_output(
            "invoice", data
        )[0]
        if not status:
            return None
        zero = "0x" + "00" * 20
        return OnChainInvoice(
            InvoiceStatus(status),
            int(issued),
            to_checksum_address(seller),
            bytes(zone),
            None if financier.lower() == zero else to_checksum_address(financier),
            bytes(consignment) if any(consignment) else None,
        )
