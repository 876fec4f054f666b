"""The IP registry from Python: sign a registration as the enterprise, submit as the zone node."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address

from ftzchain.abi import AbiCodec
from ftzchain.client import ChainClient, Receipt, TxSender
from ftzchain.eip712 import (
    IpItem,
    IpLicence,
    IpRegistration,
    IpTransfer,
    ip_batch_digest,
    ip_licence_digest,
    ip_registration_digest,
    ip_transfer_digest,
)
from ftzchain.errors import NotFound
from ftzchain.signing import Signer


@dataclass(frozen=True)
class IpRecord:
    content_hash: bytes
    owner: str
    registered_at: int
    work_type: int
    frozen: bool


@dataclass(frozen=True)
class SignedBatch:
    """Works of one enterprise under one EIP-712 ``IpBatch`` signature."""

    owner: str
    zone_id: bytes
    items: list[IpItem]
    deadline: int
    signature: bytes

    def call_args(self) -> tuple[str, bytes, int, list[tuple[bytes, int, bytes]], bytes]:
        return (
            self.owner,
            self.zone_id,
            self.deadline,
            [i.as_tuple() for i in self.items],
            self.signature,
        )


@dataclass(frozen=True)
class SignedRegistration:
    registration: IpRegistration
    signature: bytes


class IpRegistryContract:
    """Reads and writes of one deployed IpRegistry."""

    def __init__(self, client: ChainClient, address: str, codec: AbiCodec) -> None:
        self.client = client
        self.address = address
        self.codec = codec

    def nonce(self, owner: str) -> int:
        data = self.client.call(
            self.address, self.codec.encode_call("nonces", to_checksum_address(owner))
        )
        return int(self.codec.decode_output("nonces", data)[0])

    def registered(self, ids: list[str]) -> set[str]:
        """Which record ids (0x content hashes) are registered, in JSON-RPC batches of 500."""
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            calls: list[tuple[str, list[Any]]] = []
            for record_id in chunk:
                data = self.codec.encode_call("isRegistered", bytes.fromhex(record_id[2:]))
                calls.append(
                    ("eth_call", [{"to": self.address, "data": "0x" + data.hex()}, "latest"])
                )
            replies = self.client.rpc.batch(calls)
            found.update(i for i, r in zip(chunk, replies, strict=True) if int(r, 16) == 1)
        return found

    def record(self, content_hash: bytes) -> IpRecord | None:
        """The on-chain record, or None when the hash is not registered."""
        try:
            data = self.client.call(self.address, self.codec.encode_call("recordOf", content_hash))
        except NotFound:
            return None
        owner, registered_at, work_type, frozen = self.codec.decode_output("recordOf", data)[0]
        return IpRecord(
            content_hash, to_checksum_address(owner), registered_at, work_type, bool(frozen)
        )

    def sign(
        self,
        enterprise: Signer,
        content_hash: bytes,
        zone_id: bytes,
        *,
        work_type: int = 0,
        title_hash: bytes = b"\0" * 32,
        nonce: int | None = None,
        deadline: int | None = None,
        chain_id: int | None = None,
    ) -> SignedRegistration:
        """The enterprise's EIP-712 signature over one registration.

        ``nonce`` defaults to the enterprise's next on-chain nonce; ``chain_id`` to the
        connected chain's (overridable only to test cross-chain replay).
        """
        reg = IpRegistration(
            content_hash=content_hash,
            work_type=work_type,
            title_hash=title_hash,
            zone_id=zone_id,
            owner=enterprise.address,
            nonce=self.nonce(enterprise.address) if nonce is None else nonce,
            deadline=self.client.signature_deadline() if deadline is None else deadline,
        )
        digest = ip_registration_digest(
            reg, chain_id or self.client.chain_id, to_checksum_address(self.address)
        )
        return SignedRegistration(reg, enterprise.sign_digest_unsafe(digest))

    def register(self, zone_node: TxSender, signed: SignedRegistration) -> Receipt:
        data = self.codec.encode_call("register", signed.registration.as_tuple(), signed.signature)
        return zone_node.transact(self.address, data)

    def register_batch(self, zone_node: TxSender, batch: list[SignedRegistration]) -> Receipt:
        data = self.codec.encode_call(
            "registerBatch",
            [s.registration.as_tuple() for s in batch],
            [s.signature for s in batch],
        )
        return zone_node.transact(self.address, data)

    def sign_batch(
        self,
        enterprise: Signer,
        zone_id: bytes,
        items: list[IpItem],
        *,
        deadline: int | None = None,
    ) -> SignedBatch:
        """One enterprise signature over many works (no nonce: see ``registerSigned``)."""
        deadline = self.client.signature_deadline() if deadline is None else deadline
        digest = ip_batch_digest(
            enterprise.address,
            zone_id,
            items,
            deadline,
            self.client.chain_id,
            to_checksum_address(self.address),
        )
        return SignedBatch(
            enterprise.address, zone_id, items, deadline, enterprise.sign_digest_unsafe(digest)
        )

    def register_signed(self, zone_node: TxSender, batch: SignedBatch) -> Receipt:
        """Submit a signed batch; works already registered to the owner are skipped."""
        return zone_node.transact(
            self.address, self.codec.encode_call("registerSigned", *batch.call_args())
        )

    def sign_transfer(
        self,
        owner: Signer,
        content_hash: bytes,
        new_owner: str,
        new_zone_id: bytes,
        *,
        nonce: int | None = None,
        deadline: int | None = None,
    ) -> tuple[IpTransfer, bytes]:
        """The current owner's EIP-712 signature handing ``content_hash`` to ``new_owner``."""
        t = IpTransfer(
            content_hash=content_hash,
            new_owner=to_checksum_address(new_owner),
            new_zone_id=new_zone_id,
            nonce=self.nonce(owner.address) if nonce is None else nonce,
            deadline=self.client.signature_deadline() if deadline is None else deadline,
        )
        digest = ip_transfer_digest(t, self.client.chain_id, to_checksum_address(self.address))
        return t, owner.sign_digest_unsafe(digest)

    def transfer(self, zone_node: TxSender, t: IpTransfer, signature: bytes) -> Receipt:
        return zone_node.transact(
            self.address, self.codec.encode_call("transfer", t.as_tuple(), signature)
        )

    def sign_licence(
        self,
        owner: Signer,
        content_hash: bytes,
        licensee: str,
        scope_hash: bytes,
        valid_from: int,
        valid_until: int,
        *,
        deadline: int | None = None,
    ) -> tuple[IpLicence, bytes]:
        """The owner's EIP-712 signature licensing ``content_hash`` to ``licensee``."""
        lic = IpLicence(
            content_hash=content_hash,
            licensee=to_checksum_address(licensee),
            scope_hash=scope_hash,
            valid_from=valid_from,
            valid_until=valid_until,
            nonce=self.nonce(owner.address),
            deadline=self.client.signature_deadline() if deadline is None else deadline,
        )
        digest = ip_licence_digest(lic, self.client.chain_id, to_checksum_address(self.address))
        return lic, owner.sign_digest_unsafe(digest)

    def license(self, zone_node: TxSender, lic: IpLicence, signature: bytes) -> Receipt:
        return zone_node.transact(
            self.address, self.codec.encode_call("license", lic.as_tuple(), signature)
        )

    def freeze(self, court: TxSender, content_hash: bytes, case_id: bytes) -> Receipt:
        return court.transact(self.address, self.codec.encode_call("freeze", content_hash, case_id))

    def unfreeze(self, court: TxSender, content_hash: bytes, case_id: bytes) -> Receipt:
        return court.transact(
            self.address, self.codec.encode_call("unfreeze", content_hash, case_id)
        )

    def record_ruling(
        self, court: TxSender, content_hash: bytes, case_id: bytes, judgment_hash: bytes
    ) -> Receipt:
        return court.transact(
            self.address,
            self.codec.encode_call("recordRuling", content_hash, case_id, judgment_hash),
        )
