// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ICustody} from "./ICustody.sol";
import {IGovernance} from "./IGovernance.sol";
import {ICustoms} from "./ICustoms.sol";
import {ZoneGated} from "./ZoneGated.sol";
import {Roles} from "./Roles.sol";

/// @title FTZ Chain customs declarations and inspections
/// @notice See {ICustoms}.
contract Customs is ICustoms, ZoneGated {
    ICustody private immutable _CUSTODY;

    mapping(bytes32 declarationId => Declaration) private _declarations;

    constructor(IGovernance governance_, ICustody custody_)
        ZoneGated(governance_)
    {
        _CUSTODY = custody_;
    }

    /// @inheritdoc ICustoms
    function fileDeclaration(
        bytes32 declarationId,
        bytes32 consignmentId,
        bytes32 originZone,
        bytes32 destinationZone,
        Rule rule,
        bytes32 documentHash
    ) external {
        _requireZoneRole(Roles.ZONE_NODE, originZone);
        if (declarationId == bytes32(0) || consignmentId == bytes32(0)) revert CustomsZeroId();
        if (rule == Rule.None) revert CustomsUnknownRule(uint8(rule));
        if (originZone == destinationZone) revert CustomsSameZone(originZone);
        // filedAt serves as "exists" (a block time is never 0); no time is compared.
        // slither-disable-next-line timestamp
        if (_declarations[declarationId].filedAt != 0) {
            revert CustomsDeclarationExists(declarationId);
        }
        ICustody.Consignment memory shipped = _CUSTODY.consignment(consignmentId);
        if (shipped.state == ICustody.ConsignmentState.None) {
            revert CustomsUnknownConsignment(consignmentId);
        }
        if (shipped.fromZone != originZone || shipped.toZone != destinationZone) {
            revert CustomsRouteMismatch(consignmentId, shipped.fromZone, shipped.toZone);
        }
        _declarations[declarationId] = Declaration({
            consignmentId: consignmentId,
            originZone: originZone,
            destinationZone: destinationZone,
            rule: rule,
            originResult: Result.None,
            destinationResult: Result.None,
            cleared: false,
            filedAt: uint64(block.timestamp),
            documentHash: documentHash
        });
        emit DeclarationFiled(
            declarationId,
            consignmentId,
            originZone,
            destinationZone,
            uint8(rule),
            documentHash,
            msg.sender
        );
    }

    /// @inheritdoc ICustoms
    function recordInspection(bytes32 declarationId, bytes32 zoneId, bool passed, bytes32 reportHash)
        external
    {
        Declaration storage d = _existing(declarationId);
        _requireZoneRole(Roles.CUSTOMS, zoneId);
        if (d.cleared) revert CustomsAlreadyCleared(declarationId);
        Result result = passed ? Result.Passed : Result.Failed;
        if (zoneId == d.originZone) {
            if (d.originResult != Result.None) revert CustomsAlreadyInspected(declarationId, zoneId);
            d.originResult = result;
        } else if (zoneId == d.destinationZone) {
            if (d.destinationResult != Result.None) {
                revert CustomsAlreadyInspected(declarationId, zoneId);
            }
            d.destinationResult = result;
        } else {
            revert CustomsZoneNotParty(declarationId, zoneId);
        }
        emit InspectionRecorded(declarationId, zoneId, msg.sender, passed, reportHash);
    }

    /// @inheritdoc ICustoms
    function clear(bytes32 declarationId, bytes32 zoneId) external {
        Declaration storage d = _existing(declarationId);
        _requireZoneRole(Roles.CUSTOMS, zoneId);
        if (zoneId != d.originZone && zoneId != d.destinationZone) {
            revert CustomsZoneNotParty(declarationId, zoneId);
        }
        if (d.cleared) revert CustomsAlreadyCleared(declarationId);
        if (d.rule != Rule.DestinationOnly) _require(declarationId, d.originZone, d.originResult);
        if (d.rule != Rule.OriginOnly) {
            _require(declarationId, d.destinationZone, d.destinationResult);
        }
        d.cleared = true;
        emit DeclarationCleared(declarationId, zoneId, msg.sender);
    }

    /// @inheritdoc ICustoms
    function declaration(bytes32 declarationId) external view returns (Declaration memory) {
        return _declarations[declarationId];
    }

    /// @inheritdoc ICustoms
    function custody() external view returns (address) {
        return address(_CUSTODY);
    }

    function _existing(bytes32 declarationId) private view returns (Declaration storage d) {
        d = _declarations[declarationId];
        if (d.filedAt == 0) revert CustomsUnknownDeclaration(declarationId);
    }

    function _require(bytes32 declarationId, bytes32 zoneId, Result result) private pure {
        if (result == Result.None) revert CustomsInspectionMissing(declarationId, zoneId);
        if (result == Result.Failed) revert CustomsInspectionFailed(declarationId, zoneId);
    }
}
