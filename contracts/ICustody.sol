// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IZoneGated} from "./IZoneGated.sol";

/// @title FTZ Chain custody: who holds a lot, and hand-overs between zones
/// @notice A lot (keyed fingerprint of its EPC class/lot id, as in {ITraceability}) is held by
/// one zone at a time. Its zone takes custody once (it was produced or entered there), then
/// hands it over two-sided: the holding zone's node dispatches a consignment of lots to another
/// zone, and the goods stay in transit until that zone's node records the receipt.
interface ICustody is IZoneGated {
    enum LotState {
        None,
        Held,
        InTransit
    }

    enum ConsignmentState {
        None,
        InTransit,
        Received
    }

    struct Lot {
        LotState state;
        bytes32 zoneId; // the custodian (Held) or the dispatching zone (InTransit)
        bytes32 consignmentId; // the consignment carrying it, while InTransit
    }

    struct Consignment {
        ConsignmentState state; // state and both times share one storage slot
        uint64 dispatchedAt;
        uint64 receivedAt;
        bytes32 fromZone;
        bytes32 toZone;
        bytes32 lotsHash; // keccak256(abi.encodePacked(lots))
    }

    /// @notice `eventId` names the EPCIS event (SHA-256 of its CBV 2.0 hash id) that
    /// documents the step, or zero.
    event CustodyTaken(
        bytes32 indexed lot, bytes32 indexed zoneId, address indexed submitter, bytes32 eventId
    );
    event ConsignmentDispatched(
        bytes32 indexed consignmentId,
        bytes32 indexed fromZone,
        bytes32 indexed toZone,
        address submitter,
        bytes32 eventId,
        bytes32[] lots
    );
    event ConsignmentReceived(
        bytes32 indexed consignmentId,
        bytes32 indexed fromZone,
        bytes32 indexed toZone,
        address submitter,
        bytes32 eventId,
        bytes32[] lots
    );

    error CustodyEmptyLots();
    error CustodyZeroId();
    error CustodyAlreadyHeld(bytes32 lot, bytes32 zoneId);
    error CustodyNotCustodian(bytes32 lot, bytes32 custodian, bytes32 zoneId);
    error CustodyLotInTransit(bytes32 lot, bytes32 consignmentId);
    error CustodySameZone(bytes32 zoneId);
    error CustodyZoneNotActive(bytes32 zoneId);
    error CustodyConsignmentExists(bytes32 consignmentId);
    error CustodyUnknownConsignment(bytes32 consignmentId);
    error CustodyAlreadyReceived(bytes32 consignmentId);
    error CustodyLotsMismatch(bytes32 consignmentId);

    /// @notice Zone `zoneId` takes first custody of lots no zone has held (produced there,
    /// or entered the network there). Caller: an active zone node of `zoneId`.
    function takeCustody(bytes32 zoneId, bytes32[] calldata lots, bytes32 eventId) external;

    /// @notice Hand lots held by `fromZone` to `toZone`. Caller: an active zone node of
    /// `fromZone`, which must hold every lot (none may be in transit).
    function dispatch(
        bytes32 consignmentId,
        bytes32 fromZone,
        bytes32 toZone,
        bytes32[] calldata lots,
        bytes32 eventId
    ) external;

    /// @notice Record the receipt of a consignment (the same lots it was dispatched with).
    /// Caller: an active zone node of the consignment's destination zone.
    function receiveConsignment(bytes32 consignmentId, bytes32[] calldata lots, bytes32 eventId)
        external;

    function lot(bytes32 lotId) external view returns (Lot memory);
    function consignment(bytes32 consignmentId) external view returns (Consignment memory);
}
