// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IGovernance} from "./IGovernance.sol";
import {Roles} from "./Roles.sol";

/// @title FTZ Chain governance
/// @notice M-of-N steering committee. See {IGovernance}.
/// @dev Approvals are recounted over the current members at execution, so a member removed
/// after approving no longer counts. Membership is small (tens), so the loops are bounded.
contract Governance is IGovernance {
    uint64 private immutable _PROPOSAL_LIFETIME;

    address[] private _members;
    mapping(address account => bool) private _isMember;
    uint256 private _threshold;

    uint256 private _proposalCount;
    mapping(uint256 proposalId => Proposal) private _proposals;
    mapping(uint256 proposalId => mapping(address member => bool)) private _approved;

    mapping(bytes32 zoneId => ZoneStatus) private _zones;
    mapping(address enterprise => bytes32 zoneId) private _enterpriseZones;
    mapping(bytes32 role => mapping(address account => bytes32 zoneId)) private _roleZones;

    modifier onlyMember() {
        if (!_isMember[msg.sender]) revert GovernanceNotMember(msg.sender);
        _;
    }

    /// @param initialMembers the founding committee
    /// @param initialThreshold approvals needed to execute a proposal (1..members)
    /// @param lifetime seconds a proposal stays open
    constructor(address[] memory initialMembers, uint256 initialThreshold, uint64 lifetime) {
        if (lifetime == 0) revert GovernanceInvalidLifetime(lifetime);
        _PROPOSAL_LIFETIME = lifetime;
        for (uint256 i = 0; i < initialMembers.length; ++i) {
            _addMember(initialMembers[i]);
        }
        _setThreshold(initialThreshold);
    }

    /// @inheritdoc IGovernance
    function propose(Action action, bytes32 role, address account, bytes32 zoneId, uint256 value)
        external
        onlyMember
        returns (uint256 proposalId)
    {
        proposalId = ++_proposalCount;
        // Timestamps fit in 64 bits for the next 500 billion years.
        uint64 expiresAt = uint64(block.timestamp) + _PROPOSAL_LIFETIME;
        _proposals[proposalId] = Proposal({
            action: action,
            role: role,
            account: account,
            zoneId: zoneId,
            value: value,
            proposer: msg.sender,
            createdAt: uint64(block.timestamp),
            expiresAt: expiresAt,
            executed: false
        });
        emit ProposalCreated(proposalId, msg.sender, action, role, account, zoneId, value, expiresAt);
        _approved[proposalId][msg.sender] = true;
        emit ProposalApproved(proposalId, msg.sender);
    }

    /// @inheritdoc IGovernance
    function approve(uint256 proposalId) external onlyMember {
        _requireOpen(proposalId);
        if (_approved[proposalId][msg.sender]) {
            revert GovernanceAlreadyApproved(proposalId, msg.sender);
        }
        _approved[proposalId][msg.sender] = true;
        emit ProposalApproved(proposalId, msg.sender);
    }

    /// @inheritdoc IGovernance
    function execute(uint256 proposalId) external onlyMember {
        Proposal storage p = _requireOpen(proposalId);
        uint256 count = approvals(proposalId);
        if (count < _threshold) revert GovernanceThresholdNotMet(proposalId, count, _threshold);
        p.executed = true;
        emit ProposalExecuted(proposalId, msg.sender);
        _apply(p);
    }

    /// @inheritdoc IGovernance
    function proposal(uint256 proposalId) external view returns (Proposal memory) {
        if (proposalId == 0 || proposalId > _proposalCount) {
            revert GovernanceUnknownProposal(proposalId);
        }
        return _proposals[proposalId];
    }

    /// @inheritdoc IGovernance
    function proposalCount() external view returns (uint256) {
        return _proposalCount;
    }

    /// @inheritdoc IGovernance
    function hasApproved(uint256 proposalId, address member) external view returns (bool) {
        return _approved[proposalId][member];
    }

    /// @inheritdoc IGovernance
    function members() external view returns (address[] memory) {
        return _members;
    }

    /// @inheritdoc IGovernance
    function isMember(address account) external view returns (bool) {
        return _isMember[account];
    }

    /// @inheritdoc IGovernance
    function threshold() external view returns (uint256) {
        return _threshold;
    }

    /// @inheritdoc IGovernance
    function proposalLifetime() external view returns (uint64) {
        return _PROPOSAL_LIFETIME;
    }

    /// @inheritdoc IGovernance
    function zoneStatus(bytes32 zoneId) external view returns (ZoneStatus) {
        return _zones[zoneId];
    }

    /// @inheritdoc IGovernance
    function enterpriseZone(address enterprise) external view returns (bytes32) {
        return _enterpriseZones[enterprise];
    }

    /// @inheritdoc IGovernance
    function roleZone(bytes32 role, address account) external view returns (bytes32) {
        return _roleZones[role][account];
    }

    /// @inheritdoc IGovernance
    function isActiveRole(bytes32 role, address account, bytes32 zoneId)
        external
        view
        returns (bool)
    {
        return zoneId != bytes32(0) && _roleZones[role][account] == zoneId
            && _zones[zoneId] == ZoneStatus.Active;
    }

    /// @inheritdoc IGovernance
    function approvals(uint256 proposalId) public view returns (uint256 count) {
        uint256 n = _members.length;
        for (uint256 i = 0; i < n; ++i) {
            if (_approved[proposalId][_members[i]]) ++count;
        }
    }

    function _requireOpen(uint256 proposalId) private view returns (Proposal storage p) {
        if (proposalId == 0 || proposalId > _proposalCount) {
            revert GovernanceUnknownProposal(proposalId);
        }
        p = _proposals[proposalId];
        if (p.executed) revert GovernanceProposalAlreadyExecuted(proposalId);
        // Proposals live for days; a validator's few seconds of timestamp leeway cannot matter.
        // slither-disable-next-line timestamp
        if (block.timestamp > p.expiresAt) revert GovernanceProposalExpired(proposalId, p.expiresAt);
    }

    function _apply(Proposal storage p) private {
        Action action = p.action;
        if (action == Action.AdmitZone) {
            _admitZone(p.zoneId);
        } else if (action == Action.SuspendZone) {
            if (_zones[p.zoneId] != ZoneStatus.Active) revert GovernanceZoneNotActive(p.zoneId);
            _zones[p.zoneId] = ZoneStatus.Suspended;
            emit ZoneSuspended(p.zoneId);
        } else if (action == Action.ReinstateZone) {
            if (_zones[p.zoneId] != ZoneStatus.Suspended) {
                revert GovernanceZoneNotSuspended(p.zoneId);
            }
            _zones[p.zoneId] = ZoneStatus.Active;
            emit ZoneReinstated(p.zoneId);
        } else if (action == Action.BindEnterprise) {
            _bindEnterprise(p.account, p.zoneId);
        } else if (action == Action.UnbindEnterprise) {
            bytes32 zoneId = _enterpriseZones[p.account];
            if (zoneId == bytes32(0)) revert GovernanceEnterpriseNotBound(p.account);
            delete _enterpriseZones[p.account];
            emit EnterpriseUnbound(p.account, zoneId);
        } else if (action == Action.GrantRole) {
            _grantRole(p.role, p.account, p.zoneId);
        } else if (action == Action.RevokeRole) {
            bytes32 zoneId = _roleZones[p.role][p.account];
            if (zoneId == bytes32(0)) revert GovernanceRoleNotGranted(p.role, p.account);
            delete _roleZones[p.role][p.account];
            emit RoleRevoked(p.role, p.account, zoneId);
        } else if (action == Action.AddMember) {
            _addMember(p.account);
        } else if (action == Action.RemoveMember) {
            _removeMember(p.account);
        } else {
            _setThreshold(p.value);
        }
    }

    function _admitZone(bytes32 zoneId) private {
        if (zoneId == bytes32(0)) revert GovernanceZeroZoneId();
        if (_zones[zoneId] != ZoneStatus.None) revert GovernanceZoneAlreadyAdmitted(zoneId);
        _zones[zoneId] = ZoneStatus.Active;
        emit ZoneAdmitted(zoneId);
    }

    function _bindEnterprise(address enterprise, bytes32 zoneId) private {
        if (enterprise == address(0)) revert GovernanceZeroAddress();
        if (_zones[zoneId] == ZoneStatus.None) revert GovernanceUnknownZone(zoneId);
        bytes32 current = _enterpriseZones[enterprise];
        if (current != bytes32(0)) revert GovernanceEnterpriseAlreadyBound(enterprise, current);
        _enterpriseZones[enterprise] = zoneId;
        emit EnterpriseBound(enterprise, zoneId);
    }

    function _grantRole(bytes32 role, address account, bytes32 zoneId) private {
        if (!Roles.isKnown(role)) revert GovernanceUnknownRole(role);
        if (account == address(0)) revert GovernanceZeroAddress();
        if (_zones[zoneId] == ZoneStatus.None) revert GovernanceUnknownZone(zoneId);
        bytes32 current = _roleZones[role][account];
        if (current != bytes32(0)) revert GovernanceRoleAlreadyGranted(role, account, current);
        _roleZones[role][account] = zoneId;
        emit RoleGranted(role, account, zoneId);
    }

    function _addMember(address account) private {
        if (account == address(0)) revert GovernanceZeroAddress();
        if (_isMember[account]) revert GovernanceAlreadyMember(account);
        _isMember[account] = true;
        _members.push(account);
        emit MemberAdded(account);
    }

    function _removeMember(address account) private {
        if (!_isMember[account]) revert GovernanceMemberNotFound(account);
        uint256 n = _members.length;
        if (_threshold > n - 1) revert GovernanceInvalidThreshold(_threshold, n - 1);
        for (uint256 i = 0; i < n; ++i) {
            if (_members[i] == account) {
                _members[i] = _members[n - 1];
                _members.pop();
                break;
            }
        }
        _isMember[account] = false;
        emit MemberRemoved(account);
    }

    function _setThreshold(uint256 newThreshold) private {
        if (newThreshold == 0 || newThreshold > _members.length) {
            revert GovernanceInvalidThreshold(newThreshold, _members.length);
        }
        uint256 old = _threshold;
        if (old == newThreshold) return;
        _threshold = newThreshold;
        emit ThresholdChanged(old, newThreshold);
    }
}
