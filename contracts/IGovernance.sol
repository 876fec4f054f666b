// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title FTZ Chain governance: the cross-zone steering committee (领导小组)
/// @notice The committee's members vote M-of-N on proposals that admit, suspend and reinstate
/// zones, bind enterprise signers to zones, grant and revoke roles, change the membership and
/// the threshold. Every permission the rest of the system checks is read from here.
interface IGovernance {
    /// @notice What a proposal does when executed.
    enum Action {
        AdmitZone, // zoneId
        SuspendZone, // zoneId
        ReinstateZone, // zoneId
        BindEnterprise, // account -> zoneId
        UnbindEnterprise, // account
        GrantRole, // role, account, zoneId
        RevokeRole, // role, account
        AddMember, // account
        RemoveMember, // account
        SetThreshold // value
    }

    enum ZoneStatus {
        None,
        Active,
        Suspended
    }

    /// @notice A proposal as stored. Fields unused by its action are zero.
    struct Proposal {
        Action action;
        bytes32 role;
        address account;
        bytes32 zoneId;
        uint256 value;
        address proposer;
        uint64 createdAt;
        uint64 expiresAt;
        bool executed;
    }

    event ProposalCreated(
        uint256 indexed proposalId,
        address indexed proposer,
        Action action,
        bytes32 role,
        address account,
        bytes32 zoneId,
        uint256 value,
        uint64 expiresAt
    );
    event ProposalApproved(uint256 indexed proposalId, address indexed member);
    event ProposalExecuted(uint256 indexed proposalId, address indexed executor);

    event ZoneAdmitted(bytes32 indexed zoneId);
    event ZoneSuspended(bytes32 indexed zoneId);
    event ZoneReinstated(bytes32 indexed zoneId);
    event EnterpriseBound(address indexed enterprise, bytes32 indexed zoneId);
    event EnterpriseUnbound(address indexed enterprise, bytes32 indexed zoneId);
    event RoleGranted(bytes32 indexed role, address indexed account, bytes32 indexed zoneId);
    event RoleRevoked(bytes32 indexed role, address indexed account, bytes32 indexed zoneId);
    event MemberAdded(address indexed member);
    event MemberRemoved(address indexed member);
    event ThresholdChanged(uint256 oldThreshold, uint256 newThreshold);

    error GovernanceNotMember(address caller);
    error GovernanceUnknownProposal(uint256 proposalId);
    error GovernanceProposalExpired(uint256 proposalId, uint64 expiresAt);
    error GovernanceProposalAlreadyExecuted(uint256 proposalId);
    error GovernanceAlreadyApproved(uint256 proposalId, address member);
    error GovernanceThresholdNotMet(uint256 proposalId, uint256 approvals, uint256 threshold);
    error GovernanceInvalidThreshold(uint256 threshold, uint256 memberCount);
    error GovernanceInvalidLifetime(uint64 lifetime);
    error GovernanceZeroAddress();
    error GovernanceZeroZoneId();
    error GovernanceUnknownRole(bytes32 role);
    error GovernanceUnknownZone(bytes32 zoneId);
    error GovernanceZoneAlreadyAdmitted(bytes32 zoneId);
    error GovernanceZoneNotActive(bytes32 zoneId);
    error GovernanceZoneNotSuspended(bytes32 zoneId);
    error GovernanceEnterpriseAlreadyBound(address enterprise, bytes32 zoneId);
    error GovernanceEnterpriseNotBound(address enterprise);
    error GovernanceRoleAlreadyGranted(bytes32 role, address account, bytes32 zoneId);
    error GovernanceRoleNotGranted(bytes32 role, address account);
    error GovernanceAlreadyMember(address account);
    error GovernanceMemberNotFound(address account);

    /// @notice Propose an action; the proposer's approval is counted at once.
    /// @return proposalId the new proposal's id (sequential, from 1)
    function propose(Action action, bytes32 role, address account, bytes32 zoneId, uint256 value)
        external
        returns (uint256 proposalId);

    /// @notice Approve a pending proposal as a committee member.
    function approve(uint256 proposalId) external;

    /// @notice Execute a proposal that current members approved at least `threshold()` times.
    function execute(uint256 proposalId) external;

    function proposal(uint256 proposalId) external view returns (Proposal memory);
    function proposalCount() external view returns (uint256);
    /// @notice Approvals of a proposal counted over the current members.
    function approvals(uint256 proposalId) external view returns (uint256);
    function hasApproved(uint256 proposalId, address member) external view returns (bool);
    function members() external view returns (address[] memory);
    function isMember(address account) external view returns (bool);
    function threshold() external view returns (uint256);
    function proposalLifetime() external view returns (uint64);

    function zoneStatus(bytes32 zoneId) external view returns (ZoneStatus);
    /// @notice The zone an enterprise signer is bound to (zero if none).
    function enterpriseZone(address enterprise) external view returns (bytes32);
    /// @notice The zone in which `account` holds `role` (zero if it does not hold it).
    function roleZone(bytes32 role, address account) external view returns (bytes32);
    /// @notice True when `account` holds `role` in `zoneId` and that zone is active.
    function isActiveRole(bytes32 role, address account, bytes32 zoneId) external view returns (bool);
}
