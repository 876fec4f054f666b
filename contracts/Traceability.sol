// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IGovernance} from "./IGovernance.sol";
import {ITraceability} from "./ITraceability.sol";
import {ZoneGated} from "./ZoneGated.sol";
import {Roles} from "./Roles.sol";

/// @title FTZ Chain traceability (EPCIS 2.0 events)
/// @notice See {ITraceability}.
contract Traceability is ITraceability, ZoneGated, EIP712 {
    bytes32 private constant _ITEM_TYPEHASH = keccak256(
        "TraceItem(bytes32 eventId,uint8 eventType,uint8 action,uint16 bizStep,uint16 disposition,uint64 eventTime,bytes32 whereHash,bytes32[] inputs,bytes32[] outputs)"
    );
    bytes32 private constant _BATCH_TYPEHASH = keccak256(
        "TraceBatch(address enterprise,bytes32 zoneId,TraceItem[] events,uint256 nonce,uint64 deadline)TraceItem(bytes32 eventId,uint8 eventType,uint8 action,uint16 bizStep,uint16 disposition,uint64 eventTime,bytes32 whereHash,bytes32[] inputs,bytes32[] outputs)"
    );
    uint8 private constant _MAX_EVENT_TYPE = 5;

    mapping(address enterprise => uint256 nextNonce) private _nonces;

    constructor(IGovernance governance_) EIP712("FTZ Chain Traceability", "1") ZoneGated(governance_) {}

    /// @inheritdoc ITraceability
    function recordEvents(
        address enterprise,
        bytes32 zoneId,
        uint256 nonce,
        uint64 deadline,
        TraceItem[] calldata events,
        bytes calldata signature
    ) external {
        // Signatures live minutes to hours; validators' timestamp leeway is seconds.
        // slither-disable-next-line timestamp
        if (block.timestamp > deadline) {
            revert TraceabilityExpiredSignature(deadline, block.timestamp);
        }
        uint256 expected = _nonces[enterprise];
        if (nonce != expected) revert TraceabilityBadNonce(enterprise, nonce, expected);
        if (events.length == 0) revert TraceabilityEmptyBatch();
        _requireZoneRole(Roles.ZONE_NODE, zoneId);
        bytes32 boundZone = _GOVERNANCE.enterpriseZone(enterprise);
        if (boundZone != zoneId) {
            revert TraceabilityEnterpriseNotInZone(enterprise, boundZone, zoneId);
        }
        bytes32 digest =
            _hashTypedDataV4(_batchStructHash(enterprise, zoneId, nonce, deadline, events));
        // The third value (the error's argument) adds nothing once `err` is checked.
        // slither-disable-next-line unused-return
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
        if (err != ECDSA.RecoverError.NoError || recovered != enterprise) {
            revert TraceabilityInvalidSigner(recovered, enterprise);
        }
        // The nonce is used up before the events: a replay of this batch now fails above.
        _nonces[enterprise] = expected + 1;
        _emitEvents(enterprise, zoneId, events);
    }

    /// @inheritdoc ITraceability
    function nonces(address enterprise) external view returns (uint256) {
        return _nonces[enterprise];
    }

    /// @notice The EIP-712 domain separator for this chain and contract.
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    function _batchStructHash(
        address enterprise,
        bytes32 zoneId,
        uint256 nonce,
        uint64 deadline,
        TraceItem[] calldata events
    ) private pure returns (bytes32) {
        uint256 count = events.length;
        bytes32[] memory hashes = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) {
            hashes[i] = _itemHash(events[i]);
        }
        return keccak256(
            abi.encode(
                _BATCH_TYPEHASH, enterprise, zoneId, keccak256(abi.encodePacked(hashes)), nonce, deadline
            )
        );
    }

    function _itemHash(TraceItem calldata e) private pure returns (bytes32) {
        return keccak256(
            abi.encode(
                _ITEM_TYPEHASH,
                e.eventId,
                e.eventType,
                e.action,
                e.bizStep,
                e.disposition,
                e.eventTime,
                e.whereHash,
                keccak256(abi.encodePacked(e.inputs)),
                keccak256(abi.encodePacked(e.outputs))
            )
        );
    }

    function _emitEvents(address enterprise, bytes32 zoneId, TraceItem[] calldata events) private {
        uint256 count = events.length;
        for (uint256 i = 0; i < count; ++i) {
            TraceItem calldata e = events[i];
            if (e.eventId == bytes32(0)) revert TraceabilityZeroEventId(i);
            if (e.eventType == 0 || e.eventType > _MAX_EVENT_TYPE) {
                revert TraceabilityUnknownEventType(i, e.eventType);
            }
            emit TraceEventRecorded(
                e.eventId,
                zoneId,
                enterprise,
                e.eventType,
                e.action,
                e.bizStep,
                e.disposition,
                e.eventTime,
                e.whereHash,
                msg.sender,
                e.inputs,
                e.outputs
            );
        }
    }
}
