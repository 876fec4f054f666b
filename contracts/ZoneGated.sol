// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IGovernance} from "./IGovernance.sol";
import {IZoneGated} from "./IZoneGated.sol";

/// @title The one "caller holds role R in active zone Z" check, for every FTZ Chain contract
/// @notice See {IZoneGated}.
abstract contract ZoneGated is IZoneGated {
    IGovernance internal immutable _GOVERNANCE;

    constructor(IGovernance governance_) {
        _GOVERNANCE = governance_;
    }

    /// @inheritdoc IZoneGated
    function governance() external view returns (address) {
        return address(_GOVERNANCE);
    }

    function _requireZoneRole(bytes32 role, bytes32 zoneId) internal view {
        // Our own Governance: a view that cannot revert or re-enter, also inside batch loops.
        // slither-disable-next-line calls-loop
        if (!_GOVERNANCE.isActiveRole(role, msg.sender, zoneId)) {
            revert ZoneRoleMissing(role, msg.sender, zoneId);
        }
    }
}
