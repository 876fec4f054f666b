// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IZoneGated} from "./IZoneGated.sol";

/// @title FTZ Chain traceability: EPCIS 2.0 events
/// @notice Supply-chain events captured by an enterprise, signed by it once per batch (EIP-712)
/// and relayed by a zone node of its zone. Each event is identified by its CBV 2.0 Event Hash
/// ID (the SHA-256 digest of the `ni:///sha-256;…?ver=CBV2.0` name); the full EPCIS JSON stays
/// in the zone's own store. Identifiers (EPCs, lots) appear only as keyed fingerprints
/// (HMAC-SHA256 under the consortium key), enough to link events into a provenance graph
/// without exposing guessable serial numbers. The chain keeps no per-event storage: the logs are the record (an
/// indexer rebuilds everything from them) and a batch costs one signature check.
interface ITraceability is IZoneGated {
    /// @notice One event as the chain keeps it (EIP-712 type `TraceItem`).
    struct TraceItem {
        bytes32 eventId; // SHA-256 digest of the CBV 2.0 Event Hash ID
        uint8 eventType; // 1 object, 2 aggregation, 3 transformation, 4 transaction, 5 association
        uint8 action; // 0 none (transformation), 1 ADD, 2 OBSERVE, 3 DELETE
        uint16 bizStep; // CBV 2.0 business step code (ftzchain.trace.BIZ_STEPS), 0 other
        uint16 disposition; // CBV 2.0 disposition code (ftzchain.trace.DISPOSITIONS), 0 other
        uint64 eventTime; // unix seconds
        bytes32 whereHash; // keyed digest of its read point and business location
        bytes32[] inputs; // keyed fingerprints of what went in (consumed, packed, observed)
        bytes32[] outputs; // keyed fingerprints of what came out (produced, the container)
    }

    event TraceEventRecorded(
        bytes32 indexed eventId,
        bytes32 indexed zoneId,
        address indexed enterprise,
        uint8 eventType,
        uint8 action,
        uint16 bizStep,
        uint16 disposition,
        uint64 eventTime,
        bytes32 whereHash,
        address submitter,
        bytes32[] inputs,
        bytes32[] outputs
    );

    error TraceabilityExpiredSignature(uint64 deadline, uint256 nowTimestamp);
    error TraceabilityEnterpriseNotInZone(address enterprise, bytes32 boundZone, bytes32 zoneId);
    error TraceabilityInvalidSigner(address recovered, address expected);
    error TraceabilityZeroEventId(uint256 index);
    error TraceabilityUnknownEventType(uint256 index, uint8 eventType);
    error TraceabilityEmptyBatch();
    /// @notice The batch was signed with `nonce` but `enterprise`'s next batch must carry
    /// `expected`: a batch already recorded (a replay) or one signed out of order.
    error TraceabilityBadNonce(address enterprise, uint256 nonce, uint256 expected);

    /// @notice Record events captured by `enterprise` in `zoneId`, under ONE signature over the
    /// whole list (EIP-712 `TraceBatch(address enterprise,bytes32 zoneId,TraceItem[] events,
    /// uint256 nonce,uint64 deadline)`). The caller must be an active zone node of `zoneId`.
    /// `nonce` must be `nonces(enterprise)`: each signed batch is recorded once, in order.
    function recordEvents(
        address enterprise,
        bytes32 zoneId,
        uint256 nonce,
        uint64 deadline,
        TraceItem[] calldata events,
        bytes calldata signature
    ) external;

    /// @notice The nonce `enterprise`'s next batch must be signed with (0, 1, 2, …).
    function nonces(address enterprise) external view returns (uint256);

}
