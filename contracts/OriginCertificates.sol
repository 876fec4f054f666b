// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IGovernance} from "./IGovernance.sol";
import {IOriginCertificates} from "./IOriginCertificates.sol";
import {ZoneGated} from "./ZoneGated.sol";
import {Roles} from "./Roles.sol";

/// @title FTZ Chain certificates of origin
/// @notice See {IOriginCertificates}.
contract OriginCertificates is IOriginCertificates, ZoneGated {

    mapping(bytes32 certificateId => Certificate) private _certificates;

    constructor(IGovernance governance_) ZoneGated(governance_) {}

    /// @inheritdoc IOriginCertificates
    function issue(bytes32 certificateId, bytes32 zoneId, bytes32 lot, bytes32 documentHash)
        external
    {
        _requireZoneRole(Roles.ORIGIN_ISSUER, zoneId);
        _issue(certificateId, zoneId, lot, documentHash, bytes32(0));
    }

    /// @inheritdoc IOriginCertificates
    function revoke(bytes32 certificateId, string calldata reason) external {
        if (bytes(reason).length == 0) revert OriginEmptyReason();
        Certificate storage c = _valid(certificateId);
        c.status = Status.Revoked;
        c.closedAt = uint64(block.timestamp);
        emit CertificateRevoked(certificateId, c.zoneId, msg.sender, reason);
    }

    /// @inheritdoc IOriginCertificates
    function supersede(
        bytes32 certificateId,
        bytes32 replacementId,
        bytes32 lot,
        bytes32 documentHash
    ) external {
        Certificate storage c = _valid(certificateId);
        c.status = Status.Superseded;
        c.closedAt = uint64(block.timestamp);
        c.replacedBy = replacementId;
        emit CertificateSuperseded(certificateId, replacementId, msg.sender);
        _issue(replacementId, c.zoneId, lot, documentHash, certificateId);
    }

    /// @inheritdoc IOriginCertificates
    function certificate(bytes32 certificateId) external view returns (Certificate memory) {
        return _certificates[certificateId];
    }

    function _issue(
        bytes32 certificateId,
        bytes32 zoneId,
        bytes32 lot,
        bytes32 documentHash,
        bytes32 replaces
    ) private {
        if (certificateId == bytes32(0) || lot == bytes32(0) || documentHash == bytes32(0)) {
            revert OriginZeroId();
        }
        // The status is an enum, not a time; slither flags the struct for its issuedAt field.
        // slither-disable-next-line timestamp
        if (_certificates[certificateId].status != Status.None) {
            revert OriginAlreadyIssued(certificateId);
        }
        _certificates[certificateId] = Certificate({
            status: Status.Valid,
            issuer: msg.sender,
            issuedAt: uint64(block.timestamp),
            zoneId: zoneId,
            lot: lot,
            documentHash: documentHash,
            closedAt: 0,
            replacedBy: bytes32(0)
        });
        emit CertificateIssued(certificateId, zoneId, msg.sender, lot, documentHash, replaces);
    }

    /// @dev The certificate must exist and be valid, and the caller an issuer of its zone.
    function _valid(bytes32 certificateId) private view returns (Certificate storage c) {
        c = _certificates[certificateId];
        if (c.status == Status.None) revert OriginUnknownCertificate(certificateId);
        _requireZoneRole(Roles.ORIGIN_ISSUER, c.zoneId);
        if (c.status != Status.Valid) revert OriginNotValid(certificateId, c.status);
    }

}
