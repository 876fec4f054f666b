"""The steering committee's governance contract, from Python."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from ftzchain.abi import AbiCodec
from ftzchain.client import ChainClient, Receipt, TxSender
from ftzchain.domain import role_name, zone_code
from ftzchain.enums import GovernanceAction as Action
from ftzchain.enums import ZoneStatus
from ftzchain.errors import TransactionError

_ZERO32 = b"\0" * 32
_ZERO_ADDRESS = "0x" + "00" * 20
_PROPOSAL_CREATED = bytes(
    keccak(text="ProposalCreated(uint256,address,uint8,bytes32,address,bytes32,uint256,uint64)")
)


@dataclass(frozen=True)
class ProposalView:
    proposal_id: int
    action: Action
    role: bytes
    account: str
    zone_id: bytes
    value: int
    proposer: str
    created_at: int
    expires_at: int
    executed: bool
    approvals: int

    def describe(self) -> str:
        """One readable line of what the proposal does."""
        zone = zone_code(self.zone_id)
        match self.action:
            case Action.ADMIT_ZONE | Action.SUSPEND_ZONE | Action.REINSTATE_ZONE:
                return f"{self.action.name.lower()} {zone}"
            case Action.BIND_ENTERPRISE:
                return f"bind enterprise {self.account} to {zone}"
            case Action.UNBIND_ENTERPRISE:
                return f"unbind enterprise {self.account}"
            case Action.GRANT_ROLE:
                return f"grant {role_name(self.role)} to {self.account} in {zone}"
            case Action.REVOKE_ROLE:
                return f"revoke {role_name(self.role)} from {self.account}"
            case Action.ADD_MEMBER | Action.REMOVE_MEMBER:
                return f"{self.action.name.lower()} {self.account}"
            case _:
                return f"set threshold to {self.value}"


class GovernanceContract:
    """Reads and writes of one deployed Governance contract."""

    def __init__(self, client: ChainClient, address: str, codec: AbiCodec) -> None:
        self.client = client
        self.address = address
        self.codec = codec

    def _view(self, fn: str, *args: object) -> tuple[Any, ...]:
        data = self.client.call(self.address, self.codec.encode_call(fn, *args))
        return self.codec.decode_output(fn, data)

    # --- writes -------------------------------------------------------------------------

    def propose(
        self,
        sender: TxSender,
        action: Action,
        *,
        role: bytes = _ZERO32,
        account: str = _ZERO_ADDRESS,
        zone_id: bytes = _ZERO32,
        value: int = 0,
    ) -> int:
        """Create a proposal (the proposer's approval counts); returns its id."""
        data = self.codec.encode_call(
            "propose", int(action), role, to_checksum_address(account), zone_id, value
        )
        receipt = sender.transact(self.address, data)
        return _proposal_id(receipt, self.address)

    def approve(self, sender: TxSender, proposal_id: int) -> Receipt:
        return sender.transact(self.address, self.codec.encode_call("approve", proposal_id))

    def execute(self, sender: TxSender, proposal_id: int) -> Receipt:
        return sender.transact(self.address, self.codec.encode_call("execute", proposal_id))

    def decide(
        self,
        voters: list[TxSender],
        action: Action,
        *,
        role: bytes = _ZERO32,
        account: str = _ZERO_ADDRESS,
        zone_id: bytes = _ZERO32,
        value: int = 0,
    ) -> int:
        """Propose with the first voter, approve with the rest, execute: one committee decision."""
        proposal_id = self.propose(
            voters[0], action, role=role, account=account, zone_id=zone_id, value=value
        )
        for voter in voters[1:]:
            self.approve(voter, proposal_id)
        self.execute(voters[0], proposal_id)
        return proposal_id

    # --- reads --------------------------------------------------------------------------

    def proposal(self, proposal_id: int) -> ProposalView:
        (raw,) = self._view("proposal", proposal_id)
        action, role, account, zone, value, proposer, created, expires, executed = raw
        (approvals,) = self._view("approvals", proposal_id)
        return ProposalView(
            proposal_id=proposal_id,
            action=Action(action),
            role=bytes(role),
            account=to_checksum_address(account),
            zone_id=bytes(zone),
            value=int(value),
            proposer=to_checksum_address(proposer),
            created_at=int(created),
            expires_at=int(expires),
            executed=bool(executed),
            approvals=int(approvals),
        )

    def proposals(self) -> list[ProposalView]:
        (count,) = self._view("proposalCount")
        return [self.proposal(i) for i in range(1, int(count) + 1)]

    def members(self) -> list[str]:
        (members,) = self._view("members")
        return [to_checksum_address(m) for m in members]

    def threshold(self) -> int:
        (value,) = self._view("threshold")
        return int(value)

    def zone_status(self, zone_id: bytes) -> ZoneStatus:
        (value,) = self._view("zoneStatus", zone_id)
        return ZoneStatus(value)

    def enterprise_zone(self, enterprise: str) -> bytes:
        (value,) = self._view("enterpriseZone", to_checksum_address(enterprise))
        return bytes(value)

    def role_zone(self, role: bytes, account: str) -> bytes:
        (value,) = self._view("roleZone", role, to_checksum_address(account))
        return bytes(value)


def _proposal_id(receipt: Receipt, address: str) -> int:
    for entry in receipt.logs:
        topics = entry.get("topics") or []
        if (
            str(entry.get("address", "")).lower() == address.lower()
            and topics
            and bytes.fromhex(topics[0][2:]) == _PROPOSAL_CREATED
        ):
            return int(topics[1], 16)
    raise TransactionError(f"transaction {receipt.tx_hash} emitted no ProposalCreated")
