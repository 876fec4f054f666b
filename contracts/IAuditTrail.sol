// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IZoneGated} from "./IZoneGated.sol";

/// @title Commitments of each zone's audit trail of privileged reads
/// @notice A zone's API records every privileged read (who, in which role, read what, a digest
/// of the answer) in an append-only, hash-chained table off chain. At an interval the zone's
/// node (ZONE_NODE role in that zone) commits the trail's head here: its sequence number and
/// the hash of that entry, which covers every entry before it. A zone that later rewrites,
/// deletes or reorders a committed entry no longer matches its commitment (`ftz audit
/// verify`). Commitments of one zone move forward only.
interface IAuditTrail is IZoneGated {
    /// @notice `zoneId`'s audit trail had entry `seq` with hash `head` when committed.
    event AuditHeadCommitted(
        bytes32 indexed zoneId, uint64 indexed seq, bytes32 head, address committer
    );

    error AuditTrailNotNewer(bytes32 zoneId, uint64 seq, uint64 latestSeq);
    error AuditTrailZeroHead();

    /// @notice Commit entry `seq` of `zoneId`'s trail, whose hash is `head`; the caller must
    /// hold ZONE_NODE in `zoneId`, and `seq` must be above the last commitment's.
    function commit(bytes32 zoneId, uint64 seq, bytes32 head) external;

    /// @notice The last commitment of `zoneId` (zeros when none).
    function headOf(bytes32 zoneId) external view returns (uint64 seq, bytes32 head);
}
