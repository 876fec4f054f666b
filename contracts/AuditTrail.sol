// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IAuditTrail} from "./IAuditTrail.sol";
import {IGovernance} from "./IGovernance.sol";
import {Roles} from "./Roles.sol";
import {ZoneGated} from "./ZoneGated.sol";

/// @title Commitments of each zone's audit trail of privileged reads
/// @notice See {IAuditTrail}.
contract AuditTrail is IAuditTrail, ZoneGated {
    struct Head {
        uint64 seq;
        bytes32 hash;
    }

    mapping(bytes32 zoneId => Head) private _heads;

    constructor(IGovernance governance_) ZoneGated(governance_) {}

    /// @inheritdoc IAuditTrail
    function commit(bytes32 zoneId, uint64 seq, bytes32 head) external {
        _requireZoneRole(Roles.ZONE_NODE, zoneId);
        if (head == bytes32(0)) revert AuditTrailZeroHead();
        Head storage latest = _heads[zoneId];
        if (seq <= latest.seq) revert AuditTrailNotNewer(zoneId, seq, latest.seq);
        latest.seq = seq;
        latest.hash = head;
        emit AuditHeadCommitted(zoneId, seq, head, msg.sender);
    }

    /// @inheritdoc IAuditTrail
    function headOf(bytes32 zoneId) external view returns (uint64 seq, bytes32 head) {
        Head storage latest = _heads[zoneId];
        return (latest.seq, latest.hash);
    }
}
