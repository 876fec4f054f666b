// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IGovernance} from "./IGovernance.sol";
import {IIpRegistry} from "./IIpRegistry.sol";
import {ZoneGated} from "./ZoneGated.sol";
import {Roles} from "./Roles.sol";

/// @title FTZ Chain IP registry (first-to-file proof of existence)
/// @notice See {IIpRegistry}.
contract IpRegistry is IIpRegistry, ZoneGated, EIP712, Nonces {
    bytes32 private constant _REGISTRATION_TYPEHASH = keccak256(
        "IpRegistration(bytes32 contentHash,uint8 workType,bytes32 titleHash,bytes32 zoneId,address owner,uint256 nonce,uint64 deadline)"
    );
    bytes32 private constant _TRANSFER_TYPEHASH = keccak256(
        "IpTransfer(bytes32 contentHash,address newOwner,bytes32 newZoneId,uint256 nonce,uint64 deadline)"
    );
    bytes32 private constant _LICENCE_TYPEHASH = keccak256(
        "IpLicence(bytes32 contentHash,address licensee,bytes32 scopeHash,uint64 validFrom,uint64 validUntil,uint256 nonce,uint64 deadline)"
    );
    bytes32 private constant _ITEM_TYPEHASH =
        keccak256("IpItem(bytes32 contentHash,uint8 workType,bytes32 titleHash)");
    bytes32 private constant _BATCH_TYPEHASH = keccak256(
        "IpBatch(address owner,bytes32 zoneId,IpItem[] items,uint64 deadline)IpItem(bytes32 contentHash,uint8 workType,bytes32 titleHash)"
    );
    uint256 private constant _BATCH_NONCE = type(uint256).max;
    uint8 private constant _MAX_WORK_TYPE = 5;

    /// @dev One slot per record: owner (160 bits) | registeredAt (64) | workType (8) | frozen (8).
    mapping(bytes32 contentHash => Record) private _records;
    uint256 private _licenceCount;

    constructor(IGovernance governance_) EIP712("FTZ Chain IP Registry", "1") ZoneGated(governance_) {}

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
    function registerSigned(
        address owner,
        bytes32 zoneId,
        uint64 deadline,
        Item[] calldata items,
        bytes calldata signature
    ) external returns (uint256 registered) {
        _requireFresh(deadline);
        _requireZoneRole(Roles.ZONE_NODE, zoneId);
        bytes32 boundZone = _GOVERNANCE.enterpriseZone(owner);
        if (boundZone != zoneId) revert IpRegistryEnterpriseNotInZone(owner, boundZone, zoneId);
        _requireSigner(owner, _batchStructHash(owner, zoneId, deadline, items), signature);
        registered = _registerItems(owner, zoneId, items);
    }

    function _batchStructHash(address owner, bytes32 zoneId, uint64 deadline, Item[] calldata items)
        private
        pure
        returns (bytes32)
    {
        uint256 count = items.length;
        bytes32[] memory itemHashes = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) {
            Item calldata item = items[i];
            itemHashes[i] =
                keccak256(abi.encode(_ITEM_TYPEHASH, item.contentHash, item.workType, item.titleHash));
        }
        return keccak256(
            abi.encode(_BATCH_TYPEHASH, owner, zoneId, keccak256(abi.encodePacked(itemHashes)), deadline)
        );
    }

    function _registerItems(address owner, bytes32 zoneId, Item[] calldata items)
        private
        returns (uint256 registered)
    {
        uint64 registeredAt = uint64(block.timestamp);
        uint256 count = items.length;
        for (uint256 i = 0; i < count; ++i) {
            Item calldata item = items[i];
            bytes32 contentHash = item.contentHash;
            if (contentHash == bytes32(0)) revert IpRegistryZeroContentHash();
            if (item.workType > _MAX_WORK_TYPE) revert IpRegistryUnknownWorkType(item.workType);
            Record storage existing = _records[contentHash];
            address holder = existing.owner;
            if (holder != address(0)) {
                if (holder != owner) {
                    emit IpRegistrationConflict(contentHash, holder, owner, existing.registeredAt);
                }
                continue; // already registered: resubmitting a batch is harmless
            }
            _records[contentHash] = Record({
                owner: owner, registeredAt: registeredAt, workType: item.workType, frozen: false
            });
            emit IpRegistered(
                contentHash,
                zoneId,
                owner,
                item.workType,
                item.titleHash,
                msg.sender,
                _BATCH_NONCE,
                registeredAt
            );
            ++registered;
        }
    }

    /// @inheritdoc IIpRegistry
    function transfer(Transfer calldata t, bytes calldata signature) external {
        _requireFresh(t.deadline);
        Record storage record = _existing(t.contentHash);
        address from = record.owner;
        if (record.frozen) revert IpRegistryFrozen(t.contentHash);
        if (t.newOwner == from) revert IpRegistrySameOwner(from);
        bytes32 fromZone = _GOVERNANCE.enterpriseZone(from);
        _requireZoneRole(Roles.ZONE_NODE, fromZone);
        bytes32 toZone = _GOVERNANCE.enterpriseZone(t.newOwner);
        if (toZone != t.newZoneId || toZone == bytes32(0)) {
            revert IpRegistryEnterpriseNotInZone(t.newOwner, toZone, t.newZoneId);
        }
        uint256 nonce = _useNonceOf(from, t.nonce);
        _requireSigner(
            from,
            keccak256(
                abi.encode(
                    _TRANSFER_TYPEHASH, t.contentHash, t.newOwner, t.newZoneId, nonce, t.deadline
                )
            ),
            signature
        );
        record.owner = t.newOwner;
        emit IpTransferred(t.contentHash, from, t.newOwner, fromZone, toZone, msg.sender, nonce);
    }

    /// @inheritdoc IIpRegistry
    function license(Licence calldata l, bytes calldata signature) external returns (uint256 licenceId) {
        _requireFresh(l.deadline);
        Record storage record = _existing(l.contentHash);
        address owner = record.owner;
        if (record.frozen) revert IpRegistryFrozen(l.contentHash);
        // Periods are whole days to years; timestamps are compared to each other, not to now.
        // slither-disable-next-line timestamp
        if (l.validUntil <= l.validFrom) revert IpRegistryInvalidPeriod(l.validFrom, l.validUntil);
        if (l.licensee == address(0)) revert IpRegistryZeroLicensee();
        _requireZoneRole(Roles.ZONE_NODE, _GOVERNANCE.enterpriseZone(owner));
        uint256 nonce = _useNonceOf(owner, l.nonce);
        _requireSigner(
            owner,
            keccak256(
                abi.encode(
                    _LICENCE_TYPEHASH,
                    l.contentHash,
                    l.licensee,
                    l.scopeHash,
                    l.validFrom,
                    l.validUntil,
                    nonce,
                    l.deadline
                )
            ),
            signature
        );
        licenceId = ++_licenceCount;
        emit IpLicensed(
            l.contentHash,
            licenceId,
            l.licensee,
            owner,
            l.scopeHash,
            l.validFrom,
            l.validUntil,
            msg.sender,
            nonce
        );
    }

    /// @inheritdoc IIpRegistry
    function freeze(bytes32 contentHash, bytes32 caseId) external {
        bytes32 courtZone = _requireCourt(caseId);
        Record storage record = _existing(contentHash);
        if (record.frozen) revert IpRegistryFrozen(contentHash);
        record.frozen = true;
        emit IpFrozen(contentHash, caseId, msg.sender, courtZone);
    }

    /// @inheritdoc IIpRegistry
    function unfreeze(bytes32 contentHash, bytes32 caseId) external {
        bytes32 courtZone = _requireCourt(caseId);
        Record storage record = _existing(contentHash);
        if (!record.frozen) revert IpRegistryNotFrozen(contentHash);
        record.frozen = false;
        emit IpUnfrozen(contentHash, caseId, msg.sender, courtZone);
    }

    /// @inheritdoc IIpRegistry
    function recordRuling(bytes32 contentHash, bytes32 caseId, bytes32 judgmentHash) external {
        bytes32 courtZone = _requireCourt(caseId);
        _existing(contentHash);
        emit IpRulingRecorded(contentHash, caseId, msg.sender, courtZone, judgmentHash);
    }

    /// @inheritdoc IIpRegistry
    function licenceCount() external view returns (uint256) {
        return _licenceCount;
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

    /// @dev Use `owner`'s next nonce, which the signed message must carry.
    function _useNonceOf(address owner, uint256 nonce) private returns (uint256) {
        uint256 expected = _useNonce(owner);
        if (nonce != expected) revert IpRegistryBadNonce(owner, nonce, expected);
        return nonce;
    }

    /// @inheritdoc IIpRegistry
    function nonces(address owner) public view override(IIpRegistry, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    /// @notice The EIP-712 domain separator for this chain and contract.
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    function _register(Registration calldata r, bytes calldata signature) private {
        _requireFresh(r.deadline);
        if (r.contentHash == bytes32(0)) revert IpRegistryZeroContentHash();
        if (r.workType > _MAX_WORK_TYPE) revert IpRegistryUnknownWorkType(r.workType);
        _requireZoneRole(Roles.ZONE_NODE, r.zoneId);
        // Calls in registerBatch's loop go to our own Governance, which cannot revert on reads
        // or re-enter; a batch is all-or-nothing by design.
        // slither-disable-next-line calls-loop
        bytes32 boundZone = _GOVERNANCE.enterpriseZone(r.owner);
        if (boundZone != r.zoneId) revert IpRegistryEnterpriseNotInZone(r.owner, boundZone, r.zoneId);

        uint256 nonce = _useNonceOf(r.owner, r.nonce);
        _requireSigner(
            r.owner,
            keccak256(
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
            ),
            signature
        );

        Record storage existing = _records[r.contentHash];
        if (existing.owner != address(0)) {
            revert IpRegistryAlreadyRegistered(r.contentHash, existing.owner, existing.registeredAt);
        }
        uint64 registeredAt = uint64(block.timestamp);
        _records[r.contentHash] = Record({
            owner: r.owner, registeredAt: registeredAt, workType: r.workType, frozen: false
        });
        emit IpRegistered(
            r.contentHash, r.zoneId, r.owner, r.workType, r.titleHash, msg.sender, nonce, registeredAt
        );
    }

    function _requireFresh(uint64 deadline) private view {
        // Signatures live minutes to hours; validators' timestamp leeway is seconds.
        // slither-disable-next-line timestamp
        if (block.timestamp > deadline) revert IpRegistryExpiredSignature(deadline, block.timestamp);
    }

    function _requireCourt(bytes32 caseId) private view returns (bytes32 courtZone) {
        courtZone = _GOVERNANCE.roleZone(Roles.COURT, msg.sender);
        if (courtZone == bytes32(0) || !_GOVERNANCE.isActiveRole(Roles.COURT, msg.sender, courtZone)) {
            revert IpRegistryNotCourt(msg.sender);
        }
        if (caseId == bytes32(0)) revert IpRegistryZeroCaseId();
    }

    function _existing(bytes32 contentHash) private view returns (Record storage record) {
        record = _records[contentHash];
        // Compares the owner, not the time stored beside it.
        // slither-disable-next-line timestamp
        if (record.owner == address(0)) revert IpRegistryNotRegistered(contentHash);
    }

    function _requireSigner(address expected, bytes32 structHash, bytes calldata signature)
        private
        view
    {
        // The third value (the error's argument) adds nothing once `err` is checked.
        // slither-disable-next-line unused-return
        (address recovered, ECDSA.RecoverError err,) =
            ECDSA.tryRecover(_hashTypedDataV4(structHash), signature);
        if (err != ECDSA.RecoverError.NoError || recovered != expected) {
            revert IpRegistryInvalidSigner(recovered, expected);
        }
    }
}
