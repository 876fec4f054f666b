// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title FTZ Chain intellectual-property registry
/// @notice First-to-file proof of existence: the SHA-256 of a work, signed by the owning
/// enterprise (EIP-712) and submitted by a zone node of the enterprise's zone. The work itself
/// never leaves its owner.
interface IIpRegistry {
    /// @notice What the enterprise signs (EIP-712 type `IpRegistration`, nonce taken on chain).
    struct Registration {
        bytes32 contentHash; // SHA-256 of the work's bytes
        uint8 workType; // 0 unspecified, 1 patent, 2 trademark, 3 copyright, 4 design, 5 trade secret
        bytes32 titleHash; // SHA-256 of the title, or zero
        bytes32 zoneId; // the enterprise's zone
        address owner; // the enterprise's signer
        uint64 deadline; // unix seconds; the signature is void after it
    }

    /// @notice A registered work as stored.
    struct Record {
        address owner;
        uint64 registeredAt;
        uint8 workType;
    }

    event IpRegistered(
        bytes32 indexed contentHash,
        bytes32 indexed zoneId,
        address indexed owner,
        uint8 workType,
        bytes32 titleHash,
        address submitter,
        uint256 nonce,
        uint64 registeredAt
    );

    error IpRegistryZeroContentHash();
    error IpRegistryUnknownWorkType(uint8 workType);
    error IpRegistryExpiredSignature(uint64 deadline, uint256 nowTimestamp);
    error IpRegistryNotZoneNode(address caller, bytes32 zoneId);
    error IpRegistryEnterpriseNotInZone(address owner, bytes32 boundZone, bytes32 zoneId);
    error IpRegistryInvalidSigner(address recovered, address expected);
    error IpRegistryAlreadyRegistered(bytes32 contentHash, address owner, uint64 registeredAt);
    error IpRegistryLengthMismatch(uint256 registrations, uint256 signatures);
    error IpRegistryNotRegistered(bytes32 contentHash);

    /// @notice Register one work. The caller must be an active zone node of `r.zoneId`.
    function register(Registration calldata r, bytes calldata signature) external;

    /// @notice Register many works in one transaction (all or nothing).
    function registerBatch(Registration[] calldata rs, bytes[] calldata signatures) external;

    /// @notice The record of `contentHash`; reverts {IpRegistryNotRegistered} when absent.
    function recordOf(bytes32 contentHash) external view returns (Record memory);

    function isRegistered(bytes32 contentHash) external view returns (bool);

    /// @notice The next nonce an enterprise must sign.
    function nonces(address owner) external view returns (uint256);

    function governance() external view returns (address);
}
