// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IGovernance} from "./IGovernance.sol";
import {IIpRegistry} from "./IIpRegistry.sol";
import {Roles} from "./Roles.sol";

/// @title FTZ Chain IP registry (first-to-file proof of existence)
/// @notice See {IIpRegistry}.
contract IpRegistry is IIpRegistry, EIP712, Nonces {
    bytes32 private constant _REGISTRATION_TYPEHASH = keccak256(
        "IpRegistration(bytes32 contentHash,uint8 workType,bytes32 titleHash,bytes32 zoneId,address owner,uint256 nonce,uint64 deadline)"
    );
    uint8 private constant _MAX_WORK_TYPE = 5;

    IGovernance private immutable _GOVERNANCE;

    /// @dev One slot per record: owner (160 bits) | registeredAt (64) | workType (8).
    mapping(bytes32 contentHash => Record) private _records;

    constructor(IGovernance governance_) EIP712("FTZ Chain IP Registry", "1") {
        _GOVERNANCE = governance_;
    }

    /// @inheritdoc IIpRegistry
    function register(Registration calldata r, bytes calldata signature) external {
        _register(r, signature);
    }

    /// @inheritdoc IIpRegistry
    function registerBatch(Registration[] calldata rs, bytes[] calldata signatures) external {
        if (rs.length != signatures.length) {
            revert IpRegistryLengthMismatch(rs.length, signatures.length);
        }
        for (uint256 i = 0; i < rs.length; ++i) {
            _register(rs[i], signatures[i]);
        }
    }

    /// @inheritdoc IIpRegistry
    function recordOf(bytes32 contentHash) external view returns (Record memory record) {
        record = _records[contentHash];
        // Compares the owner, not the time stored beside it (slither misreads the struct).
        // slither-disable-next-line timestamp
        if (record.owner == address(0)) revert IpRegistryNotRegistered(contentHash);
    }

    /// @inheritdoc IIpRegistry
    function isRegistered(bytes32 contentHash) external view returns (bool) {
        // slither-disable-next-line timestamp
        return _records[contentHash].owner != address(0);
    }

    /// @inheritdoc IIpRegistry
    function nonces(address owner) public view override(IIpRegistry, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    /// @inheritdoc IIpRegistry
    function governance() external view returns (address) {
        return address(_GOVERNANCE);
    }

    /// @notice The EIP-712 domain separator for this chain and contract.
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    function _register(Registration calldata r, bytes calldata signature) private {
        // Signatures live minutes to hours; validators' timestamp leeway is seconds.
        // slither-disable-next-line timestamp
        if (block.timestamp > r.deadline) {
            revert IpRegistryExpiredSignature(r.deadline, block.timestamp);
        }
        if (r.contentHash == bytes32(0)) revert IpRegistryZeroContentHash();
        if (r.workType > _MAX_WORK_TYPE) revert IpRegistryUnknownWorkType(r.workType);
        // Calls in registerBatch's loop go to our own Governance, which cannot revert on reads
        // or re-enter; a batch is all-or-nothing by design.
        // slither-disable-next-line calls-loop
        if (!_GOVERNANCE.isActiveRole(Roles.ZONE_NODE, msg.sender, r.zoneId)) {
            revert IpRegistryNotZoneNode(msg.sender, r.zoneId);
        }
        // slither-disable-next-line calls-loop
        bytes32 boundZone = _GOVERNANCE.enterpriseZone(r.owner);
        if (boundZone != r.zoneId) revert IpRegistryEnterpriseNotInZone(r.owner, boundZone, r.zoneId);

        uint256 nonce = _useNonce(r.owner);
        bytes32 structHash = keccak256(
            abi.encode(
                _REGISTRATION_TYPEHASH,
                r.contentHash,
                r.workType,
                r.titleHash,
                r.zoneId,
                r.owner,
                nonce,
                r.deadline
            )
        );
        // The third value (the error's argument) adds nothing once `err` is checked.
        // slither-disable-next-line unused-return
        (address recovered, ECDSA.RecoverError err,) =
            ECDSA.tryRecover(_hashTypedDataV4(structHash), signature);
        if (err != ECDSA.RecoverError.NoError || recovered != r.owner) {
            revert IpRegistryInvalidSigner(recovered, r.owner);
        }

        Record storage existing = _records[r.contentHash];
        if (existing.owner != address(0)) {
            revert IpRegistryAlreadyRegistered(r.contentHash, existing.owner, existing.registeredAt);
        }
        uint64 registeredAt = uint64(block.timestamp);
        _records[r.contentHash] =
            Record({owner: r.owner, registeredAt: registeredAt, workType: r.workType});
        emit IpRegistered(
            r.contentHash, r.zoneId, r.owner, r.workType, r.titleHash, msg.sender, nonce, registeredAt
        );
    }
}
