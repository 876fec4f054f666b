"""Wires settings → build → checked client → deployment → contract wrappers, lazily."""

from __future__ import annotations

from functools import cached_property

from ftzchain.abi import AbiCodec
from ftzchain.artifacts import Abis, load_abis
from ftzchain.audit import AuditTrailContract
from ftzchain.client import ChainClient, TxSender
from ftzchain.compile import Build, compile_contracts
from ftzchain.custody import CustodyContract, CustomsContract, OriginCertificatesContract
from ftzchain.deploy import Deployment, current_deployment
from ftzchain.errors import ConfigError, NotDeployed
from ftzchain.evidence.export import AnchorSource
from ftzchain.fingerprints import parse_consortium_key
from ftzchain.governance import GovernanceContract
from ftzchain.invoice import InvoiceRegistryContract
from ftzchain.ip import IpRegistryContract
from ftzchain.reverts import RevertDecoder
from ftzchain.settings import FtzSettings
from ftzchain.signing import Keystore, LocalSigner, Signer
from ftzchain.trace import TraceabilityContract


class FtzContext:
    """Everything a command needs, built on first use from one settings object."""

    def __init__(self, settings: FtzSettings) -> None:
        self.settings = settings

    @cached_property
    def build(self) -> Build:
        """A fresh compile: only deployment needs it (everything else reads :attr:`abis`)."""
        return compile_contracts(self.settings.project_root, self.settings.build_dir)

    @cached_property
    def abis(self) -> Abis:
        """The published ABIs (contracts/abi/): reading and calling need no compiler."""
        return load_abis(self.settings.project_root)

    @cached_property
    def client(self) -> ChainClient:
        return ChainClient(
            self.settings.rpc_url,
            RevertDecoder(self.abis.all_entries()),
            expected_chain_id=self.settings.chain_id,
            tx_timeout=self.settings.tx_timeout,
            rpc_timeout=self.settings.rpc_timeout,
            fallback_urls=self.settings.rpc_fallback_urls,
        )

    @cached_property
    def deployment(self) -> Deployment:
        return current_deployment(self.client, self.settings.deployments_dir)

    @cached_property
    def governance(self) -> GovernanceContract:
        return GovernanceContract(
            self.client,
            self.deployment.address("Governance"),
            AbiCodec(self.abis.get("Governance")),
        )

    @cached_property
    def ip_registry(self) -> IpRegistryContract:
        return IpRegistryContract(
            self.client,
            self.deployment.address("IpRegistry"),
            AbiCodec(self.abis.get("IpRegistry")),
        )

    @cached_property
    def traceability(self) -> TraceabilityContract:
        return TraceabilityContract(
            self.client,
            self.deployment.address("Traceability"),
            AbiCodec(self.abis.get("Traceability")),
        )

    @cached_property
    def custody(self) -> CustodyContract:
        return CustodyContract(
            self.client, self.deployment.address("Custody"), AbiCodec(self.abis.get("Custody"))
        )

    @cached_property
    def customs(self) -> CustomsContract:
        return CustomsContract(
            self.client, self.deployment.address("Customs"), AbiCodec(self.abis.get("Customs"))
        )

    @cached_property
    def origin_certificates(self) -> OriginCertificatesContract:
        return OriginCertificatesContract(
            self.client,
            self.deployment.address("OriginCertificates"),
            AbiCodec(self.abis.get("OriginCertificates")),
        )

    @cached_property
    def invoices(self) -> InvoiceRegistryContract:
        return InvoiceRegistryContract(
            self.client,
            self.deployment.address("InvoiceRegistry"),
            AbiCodec(self.abis.get("InvoiceRegistry")),
        )

    def submission_codec(self, contract: str) -> AbiCodec:
        """The codec of the contract an enterprise-signed submission calls (its
        ``Submission.call`` names it: IpRegistry, Traceability or InvoiceRegistry)."""
        if contract == "Traceability":
            return self.traceability.codec
        if contract == "InvoiceRegistry":
            return self.invoices.codec
        return self.ip_registry.codec

    @cached_property
    def audit_trail(self) -> AuditTrailContract:
        return AuditTrailContract(
            self.client,
            self.deployment.address("AuditTrail"),
            AbiCodec(self.abis.get("AuditTrail")),
        )

    @property
    def consortium_key(self) -> bytes:
        """The consortium key (FTZ_CONSORTIUM_KEY, hex), for keyed fingerprints."""
        return parse_consortium_key(self.settings.consortium_key)

    @cached_property
    def anchor_client(self) -> ChainClient:
        """The independent chain anchors go to (FTZ_ANCHOR_RPC_URL)."""
        if not self.settings.anchor_rpc_url:
            raise ConfigError("no anchor chain configured: set FTZ_ANCHOR_RPC_URL")
        return ChainClient(
            self.settings.anchor_rpc_url,
            RevertDecoder(self.abis.all_entries()),
            expected_chain_id=self.settings.anchor_chain_id,
            tx_timeout=self.settings.tx_timeout,
        )

    @cached_property
    def anchor_deployment(self) -> Deployment:
        return current_deployment(
            self.anchor_client, self.settings.anchor_manifests_dir, "ftz anchor deploy"
        )

    @cached_property
    def anchor_source(self) -> AnchorSource | None:
        """Where this chain's anchors are, or None when anchoring is not set up."""
        if not self.settings.anchor_rpc_url:
            return None
        try:
            contract = self.anchor_deployment.address("FtzAnchor")
        except NotDeployed:
            return None
        return AnchorSource(self.anchor_client.rpc, contract, self.anchor_client.chain_id)

    @cached_property
    def keystore(self) -> Keystore:
        return Keystore(self.settings.keystore_dir, self.settings.keystore_scrypt_n)

    def signer(self, name: str, password: str) -> LocalSigner:
        return self.keystore.load(name, password)

    def sender(self, signer: Signer) -> TxSender:
        return TxSender(self.client, signer)

    def sender_on(self, client: ChainClient, signer: Signer) -> TxSender:
        """A sender on another chain (the anchor chain)."""
        return TxSender(client, signer)

    def close(self) -> None:
        for name in ("client", "anchor_client"):
            if name in self.__dict__:
                self.__dict__[name].close()
