// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title What every FTZ Chain contract gated by zone roles shares
/// @notice Roles are granted per zone by {IGovernance}; a role counts only while its zone is
/// active. A call that needs a role the caller does not hold in that zone reverts with
/// {ZoneRoleMissing}, whichever contract it reaches.
interface IZoneGated {
    /// @notice `caller` does not hold `role` (keccak256 of its name, e.g. "ZONE_NODE") in the
    /// active zone `zoneId`.
    error ZoneRoleMissing(bytes32 role, address caller, bytes32 zoneId);

    /// @notice The Governance contract whose role grants this contract obeys.
    function governance() external view returns (address);
}
