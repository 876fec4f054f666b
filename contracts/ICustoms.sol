// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IZoneGated} from "./IZoneGated.sol";

/// @title FTZ Chain customs: one declaration, two inspections (一单两检)
/// @notice A declaration is filed once for a consignment dispatched on {ICustody}, by a zone
/// node of its origin zone, for the route the consignment takes. The customs of the origin zone and of the destination zone each record
/// one inspection result against it. Clearance is recorded only when the rule the declaration
/// names is met. Every step is an event; documents stay off chain (only their hashes here).
interface ICustoms is IZoneGated {
    enum Rule {
        None,
        BothZones, // 一单两检: origin and destination customs must both pass it
        OriginOnly, // mutual recognition: the origin zone's inspection suffices
        DestinationOnly
    }

    enum Result {
        None,
        Passed,
        Failed
    }

    struct Declaration {
        bytes32 consignmentId;
        bytes32 originZone;
        bytes32 destinationZone;
        Rule rule;
        Result originResult;
        Result destinationResult;
        bool cleared;
        uint64 filedAt;
        bytes32 documentHash;
    }

    event DeclarationFiled(
        bytes32 indexed declarationId,
        bytes32 indexed consignmentId,
        bytes32 indexed originZone,
        bytes32 destinationZone,
        uint8 rule,
        bytes32 documentHash,
        address submitter
    );
    event InspectionRecorded(
        bytes32 indexed declarationId,
        bytes32 indexed zoneId,
        address indexed inspector,
        bool passed,
        bytes32 reportHash
    );
    event DeclarationCleared(
        bytes32 indexed declarationId, bytes32 indexed zoneId, address indexed officer
    );

    error CustomsZeroId();
    error CustomsUnknownRule(uint8 rule);
    error CustomsSameZone(bytes32 zoneId);
    error CustomsDeclarationExists(bytes32 declarationId);
    error CustomsUnknownDeclaration(bytes32 declarationId);
    error CustomsZoneNotParty(bytes32 declarationId, bytes32 zoneId);
    error CustomsAlreadyInspected(bytes32 declarationId, bytes32 zoneId);
    error CustomsAlreadyCleared(bytes32 declarationId);
    error CustomsInspectionMissing(bytes32 declarationId, bytes32 zoneId);
    error CustomsInspectionFailed(bytes32 declarationId, bytes32 zoneId);
    error CustomsUnknownConsignment(bytes32 consignmentId);
    error CustomsRouteMismatch(bytes32 consignmentId, bytes32 fromZone, bytes32 toZone);

    /// @notice File a declaration for a dispatched consignment going from `originZone` to
    /// `destinationZone`. Caller: an active zone node of `originZone`.
    function fileDeclaration(
        bytes32 declarationId,
        bytes32 consignmentId,
        bytes32 originZone,
        bytes32 destinationZone,
        Rule rule,
        bytes32 documentHash
    ) external;

    /// @notice Record zone `zoneId`'s inspection result, once per zone. Caller: an active
    /// CUSTOMS officer of `zoneId`, which must be the declaration's origin or destination.
    function recordInspection(bytes32 declarationId, bytes32 zoneId, bool passed, bytes32 reportHash)
        external;

    /// @notice Clear the declaration. Caller: an active CUSTOMS officer of the origin or the
    /// destination zone. Reverts unless every inspection the rule names was recorded as passed.
    function clear(bytes32 declarationId, bytes32 zoneId) external;

    function declaration(bytes32 declarationId) external view returns (Declaration memory);
    function custody() external view returns (address);
}
