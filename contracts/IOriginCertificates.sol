// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IZoneGated} from "./IZoneGated.sol";

/// @title FTZ Chain certificates of origin
/// @notice An authorised issuer (ORIGIN_ISSUER role in its zone) issues a certificate for a lot
/// (keyed fingerprint, as in {ITraceability}); the chain keeps the SHA-256 of the certificate
/// document so any zone can check a copy it was shown (mutual recognition). An issuer of the
/// same zone may revoke it with a reason, or supersede it with a replacement; a revoked or
/// superseded certificate stays on record as such.
interface IOriginCertificates is IZoneGated {
    enum Status {
        None,
        Valid,
        Revoked,
        Superseded
    }

    struct Certificate {
        Status status; // status, issuer and issue time share one storage slot
        address issuer;
        uint64 issuedAt;
        bytes32 zoneId;
        bytes32 lot;
        bytes32 documentHash; // SHA-256 of the certificate document
        uint64 closedAt; // when revoked or superseded
        bytes32 replacedBy; // the superseding certificate
    }

    event CertificateIssued(
        bytes32 indexed certificateId,
        bytes32 indexed zoneId,
        address indexed issuer,
        bytes32 lot,
        bytes32 documentHash,
        bytes32 replaces
    );
    event CertificateRevoked(
        bytes32 indexed certificateId, bytes32 indexed zoneId, address indexed issuer, string reason
    );
    event CertificateSuperseded(
        bytes32 indexed certificateId, bytes32 indexed replacementId, address indexed issuer
    );

    error OriginZeroId();
    error OriginAlreadyIssued(bytes32 certificateId);
    error OriginUnknownCertificate(bytes32 certificateId);
    error OriginNotValid(bytes32 certificateId, Status status);
    error OriginEmptyReason();

    /// @notice Issue certificate `certificateId` for `lot`. Caller: an active ORIGIN_ISSUER of
    /// `zoneId`.
    function issue(bytes32 certificateId, bytes32 zoneId, bytes32 lot, bytes32 documentHash)
        external;

    /// @notice Revoke a valid certificate. Caller: an active ORIGIN_ISSUER of its zone.
    function revoke(bytes32 certificateId, string calldata reason) external;

    /// @notice Replace a valid certificate with a new one for the same zone. Caller: an active
    /// ORIGIN_ISSUER of its zone.
    function supersede(
        bytes32 certificateId,
        bytes32 replacementId,
        bytes32 lot,
        bytes32 documentHash
    ) external;

    function certificate(bytes32 certificateId) external view returns (Certificate memory);
}
