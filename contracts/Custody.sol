// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IGovernance} from "./IGovernance.sol";
import {ICustody} from "./ICustody.sol";
import {ZoneGated} from "./ZoneGated.sol";
import {Roles} from "./Roles.sol";

/// @title FTZ Chain custody hand-overs between zones
/// @notice See {ICustody}.
contract Custody is ICustody, ZoneGated {

    mapping(bytes32 lotId => Lot) private _lots;
    mapping(bytes32 consignmentId => Consignment) private _consignments;

    constructor(IGovernance governance_) ZoneGated(governance_) {}

    /// @inheritdoc ICustody
    function takeCustody(bytes32 zoneId, bytes32[] calldata lots, bytes32 eventId) external {
        _requireZoneRole(Roles.ZONE_NODE, zoneId);
        uint256 count = lots.length;
        if (count == 0) revert CustodyEmptyLots();
        for (uint256 i = 0; i < count; ++i) {
            bytes32 id = lots[i];
            if (id == bytes32(0)) revert CustodyZeroId();
            Lot storage held = _lots[id];
            if (held.state != LotState.None) revert CustodyAlreadyHeld(id, held.zoneId);
            held.state = LotState.Held;
            held.zoneId = zoneId;
            emit CustodyTaken(id, zoneId, msg.sender, eventId);
        }
    }

    /// @inheritdoc ICustody
    function dispatch(
        bytes32 consignmentId,
        bytes32 fromZone,
        bytes32 toZone,
        bytes32[] calldata lots,
        bytes32 eventId
    ) external {
        _requireZoneRole(Roles.ZONE_NODE, fromZone);
        if (consignmentId == bytes32(0)) revert CustodyZeroId();
        if (fromZone == toZone) revert CustodySameZone(toZone);
        if (_GOVERNANCE.zoneStatus(toZone) != IGovernance.ZoneStatus.Active) {
            revert CustodyZoneNotActive(toZone);
        }
        // The state is an enum, not a time; slither flags the struct for its dispatchedAt field.
        // slither-disable-next-line timestamp
        if (_consignments[consignmentId].state != ConsignmentState.None) {
            revert CustodyConsignmentExists(consignmentId);
        }
        uint256 count = lots.length;
        if (count == 0) revert CustodyEmptyLots();
        for (uint256 i = 0; i < count; ++i) {
            Lot storage held = _lots[lots[i]];
            if (held.state == LotState.InTransit) {
                revert CustodyLotInTransit(lots[i], held.consignmentId);
            }
            if (held.state != LotState.Held || held.zoneId != fromZone) {
                revert CustodyNotCustodian(lots[i], held.zoneId, fromZone);
            }
            held.state = LotState.InTransit;
            held.consignmentId = consignmentId;
        }
        _consignments[consignmentId] = Consignment({
            state: ConsignmentState.InTransit,
            dispatchedAt: uint64(block.timestamp),
            receivedAt: 0,
            fromZone: fromZone,
            toZone: toZone,
            lotsHash: keccak256(abi.encodePacked(lots))
        });
        emit ConsignmentDispatched(consignmentId, fromZone, toZone, msg.sender, eventId, lots);
    }

    /// @inheritdoc ICustody
    function receiveConsignment(bytes32 consignmentId, bytes32[] calldata lots, bytes32 eventId)
        external
    {
        Consignment storage c = _consignments[consignmentId];
        if (c.state == ConsignmentState.None) revert CustodyUnknownConsignment(consignmentId);
        if (c.state == ConsignmentState.Received) revert CustodyAlreadyReceived(consignmentId);
        bytes32 toZone = c.toZone;
        _requireZoneRole(Roles.ZONE_NODE, toZone);
        if (keccak256(abi.encodePacked(lots)) != c.lotsHash) {
            revert CustodyLotsMismatch(consignmentId);
        }
        c.state = ConsignmentState.Received;
        c.receivedAt = uint64(block.timestamp);
        uint256 count = lots.length;
        for (uint256 i = 0; i < count; ++i) {
            Lot storage held = _lots[lots[i]];
            held.state = LotState.Held;
            held.zoneId = toZone;
            held.consignmentId = bytes32(0);
        }
        emit ConsignmentReceived(consignmentId, c.fromZone, toZone, msg.sender, eventId, lots);
    }

    /// @inheritdoc ICustody
    function lot(bytes32 lotId) external view returns (Lot memory) {
        return _lots[lotId];
    }

    /// @inheritdoc ICustody
    function consignment(bytes32 consignmentId) external view returns (Consignment memory) {
        return _consignments[consignmentId];
    }

}
