// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IZoneGated} from "./IZoneGated.sol";

/// @title FTZ Chain intellectual-property registry
/// @notice First-to-file proof of existence: the SHA-256 of a work, signed by the owning
/// enterprise (EIP-712) and submitted by a zone node of the enterprise's zone. The work itself
/// never leaves its owner.
interface IIpRegistry is IZoneGated {
    /// @notice What the enterprise signs (EIP-712 type `IpRegistration`; `nonce` must be the
    /// owner's next).
    struct Registration {
        bytes32 contentHash; // SHA-256 of the work's bytes
        uint8 workType; // 0 unspecified, 1 patent, 2 trademark, 3 copyright, 4 design, 5 trade secret
        bytes32 titleHash; // SHA-256 of the title, or zero
        bytes32 zoneId; // the enterprise's zone
        address owner; // the enterprise's signer
        uint256 nonce; // the owner's next nonce (nonces(owner)); a replay reverts IpRegistryBadNonce
        uint64 deadline; // unix seconds; the signature is void after it
    }

    /// @notice One work in a batch the enterprise signs once (EIP-712 type `IpItem`).
    struct Item {
        bytes32 contentHash;
        uint8 workType;
        bytes32 titleHash;
    }

    /// @notice What the current owner signs to hand a work to another enterprise
    /// (EIP-712 type `IpTransfer`; `nonce` must be the owner's next).
    struct Transfer {
        bytes32 contentHash;
        address newOwner; // an enterprise bound to `newZoneId`
        bytes32 newZoneId;
        uint256 nonce; // the owner's next nonce (nonces(owner))
        uint64 deadline;
    }

    /// @notice What the owner signs to license a work (EIP-712 type `IpLicence`).
    struct Licence {
        bytes32 contentHash;
        address licensee;
        bytes32 scopeHash; // SHA-256 of the licence terms (field, territory, exclusivity)
        uint64 validFrom; // unix seconds
        uint64 validUntil; // unix seconds, after validFrom
        uint256 nonce; // the owner's next nonce (nonces(owner))
        uint64 deadline;
    }

    /// @notice A registered work as stored.
    struct Record {
        address owner;
        uint64 registeredAt;
        uint8 workType;
        bool frozen; // a court froze it during a dispute: no transfer, no new licence
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

    /// @notice A work in a signed batch was already registered to another owner; it was skipped.
    event IpRegistrationConflict(
        bytes32 indexed contentHash, address indexed owner, address indexed claimant, uint64 registeredAt
    );

    event IpTransferred(
        bytes32 indexed contentHash,
        address indexed from,
        address indexed to,
        bytes32 fromZoneId,
        bytes32 toZoneId,
        address submitter,
        uint256 nonce
    );

    event IpLicensed(
        bytes32 indexed contentHash,
        uint256 indexed licenceId,
        address indexed licensee,
        address owner,
        bytes32 scopeHash,
        uint64 validFrom,
        uint64 validUntil,
        address submitter,
        uint256 nonce
    );

    event IpFrozen(
        bytes32 indexed contentHash, bytes32 indexed caseId, address indexed court, bytes32 courtZoneId
    );

    event IpUnfrozen(
        bytes32 indexed contentHash, bytes32 indexed caseId, address indexed court, bytes32 courtZoneId
    );

    event IpRulingRecorded(
        bytes32 indexed contentHash,
        bytes32 indexed caseId,
        address indexed court,
        bytes32 courtZoneId,
        bytes32 judgmentHash
    );

    error IpRegistryZeroContentHash();
    error IpRegistryUnknownWorkType(uint8 workType);
    error IpRegistryExpiredSignature(uint64 deadline, uint256 nowTimestamp);
    error IpRegistryEnterpriseNotInZone(address owner, bytes32 boundZone, bytes32 zoneId);
    error IpRegistryInvalidSigner(address recovered, address expected);
    /// @notice A registration, transfer or licence carries `nonce` but the owner's next one is
    /// `expected`: a replay (nonce < expected) or signed ahead of its turn (nonce > expected).
    error IpRegistryBadNonce(address owner, uint256 nonce, uint256 expected);
    error IpRegistryAlreadyRegistered(bytes32 contentHash, address owner, uint64 registeredAt);
    error IpRegistryLengthMismatch(uint256 registrations, uint256 signatures);
    error IpRegistryNotRegistered(bytes32 contentHash);
    error IpRegistryFrozen(bytes32 contentHash);
    error IpRegistryNotFrozen(bytes32 contentHash);
    error IpRegistryNotCourt(address caller);
    error IpRegistrySameOwner(address owner);
    error IpRegistryInvalidPeriod(uint64 validFrom, uint64 validUntil);
    error IpRegistryZeroCaseId();
    error IpRegistryZeroLicensee();

    /// @notice Register one work. The caller must be an active zone node of `r.zoneId`.
    function register(Registration calldata r, bytes calldata signature) external;

    /// @notice Register many works in one transaction (all or nothing).
    function registerBatch(Registration[] calldata rs, bytes[] calldata signatures) external;

    /// @notice Register many works of one enterprise under ONE signature over the whole list
    /// (EIP-712 `IpBatch(address owner,bytes32 zoneId,IpItem[] items,uint64 deadline)`).
    /// Idempotent: a work already registered to `owner` is skipped, so a writer may resubmit a
    /// batch after a crash; a work registered to someone else is skipped with
    /// {IpRegistrationConflict}. No nonce: the deadline bounds the signature and first-to-file
    /// makes a replay register nothing. Records emit {IpRegistered} with `nonce` = 2**256-1.
    /// Returns how many works were newly registered.
    function registerSigned(
        address owner,
        bytes32 zoneId,
        uint64 deadline,
        Item[] calldata items,
        bytes calldata signature
    ) external returns (uint256 registered);

    /// @notice Hand a work to another enterprise, signed by the current owner. The caller must be
    /// an active zone node of the owner's zone; the work must not be frozen.
    function transfer(Transfer calldata t, bytes calldata signature) external;

    /// @notice License a work, signed by its owner and relayed by a zone node of the owner's zone.
    /// Returns the licence id (1, 2, … across the registry).
    function license(Licence calldata l, bytes calldata signature) external returns (uint256);

    /// @notice Freeze a work during a dispute (court role of an active zone).
    function freeze(bytes32 contentHash, bytes32 caseId) external;

    /// @notice Lift a freeze (court role).
    function unfreeze(bytes32 contentHash, bytes32 caseId) external;

    /// @notice Record the hash of a judgment about a work (court role); does not change the freeze.
    function recordRuling(bytes32 contentHash, bytes32 caseId, bytes32 judgmentHash) external;

    /// @notice How many licences the registry has recorded (the last licence id).
    function licenceCount() external view returns (uint256);

    /// @notice The record of `contentHash`; reverts {IpRegistryNotRegistered} when absent.
    function recordOf(bytes32 contentHash) external view returns (Record memory);

    function isRegistered(bytes32 contentHash) external view returns (bool);

    /// @notice The next nonce an enterprise must sign.
    function nonces(address owner) external view returns (uint256);

}
