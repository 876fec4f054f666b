// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {ICustody} from "./ICustody.sol";
import {IGovernance} from "./IGovernance.sol";
import {IInvoiceRegistry} from "./IInvoiceRegistry.sol";
import {ZoneGated} from "./ZoneGated.sol";
import {Roles} from "./Roles.sol";

/// @title FTZ Chain electronic invoice registry
/// @notice See {IInvoiceRegistry}.
contract InvoiceRegistry is IInvoiceRegistry, ZoneGated, EIP712 {
    bytes32 private constant _ISSUE_TYPEHASH = keccak256(
        "InvoiceIssue(address seller,bytes32 zoneId,bytes32 sellerFingerprint,bytes32 numberFingerprint,bytes32[] nearFingerprints,uint64 deadline)"
    );
    bytes32 private constant _ACTION_TYPEHASH = keccak256(
        "InvoiceAction(bytes32 invoiceId,uint8 action,bytes32 reasonHash,uint64 deadline)"
    );
    bytes32 private constant _GOODS_TYPEHASH =
        keccak256("InvoiceGoods(bytes32 invoiceId,bytes32 consignmentId,uint64 deadline)");
    uint256 private constant _MAX_FINGERPRINTS = 8;

    ICustody private immutable _CUSTODY;

    mapping(bytes32 invoiceId => Invoice) private _invoices;
    mapping(bytes32 fingerprint => bytes32 invoiceId) private _pledged;
    mapping(bytes32 sellerFingerprint => address enterprise) private _sellers;
    mapping(address enterprise => bytes32 sellerFingerprint) private _sellerFingerprints;

    constructor(IGovernance governance_, ICustody custody_)
        EIP712("FTZ Chain Invoice Registry", "1")
        ZoneGated(governance_)
    {
        _CUSTODY = custody_;
    }

    /// @inheritdoc IInvoiceRegistry
    function bindSeller(bytes32 sellerFingerprint, address enterprise) external {
        bytes32 zoneId = _GOVERNANCE.enterpriseZone(enterprise);
        _requireZoneRole(Roles.ZONE_NODE, zoneId);
        if (zoneId == bytes32(0)) revert InvoiceSellerNotInZone(enterprise, zoneId, zoneId);
        if (sellerFingerprint == bytes32(0)) revert InvoiceBadFingerprints(0);
        address bound = _sellers[sellerFingerprint];
        if (bound != address(0)) revert InvoiceSellerAlreadyBound(sellerFingerprint, bound);
        if (_sellerFingerprints[enterprise] != bytes32(0)) {
            revert InvoiceSellerAlreadyBound(_sellerFingerprints[enterprise], enterprise);
        }
        _sellers[sellerFingerprint] = enterprise;
        _sellerFingerprints[enterprise] = sellerFingerprint;
        emit SellerBound(sellerFingerprint, enterprise, zoneId);
    }

    /// @inheritdoc IInvoiceRegistry
    function issue(
        address seller,
        bytes32 zoneId,
        bytes32 sellerFingerprint,
        bytes32 numberFingerprint,
        bytes32[] calldata nearFingerprints,
        uint64 deadline,
        bytes calldata signature
    ) external {
        _requireZoneRole(Roles.ZONE_NODE, zoneId);
        bytes32 boundZone = _GOVERNANCE.enterpriseZone(seller);
        if (boundZone != zoneId) revert InvoiceSellerNotInZone(seller, boundZone, zoneId);
        if (_sellers[sellerFingerprint] != seller) {
            revert InvoiceSellerNotBound(sellerFingerprint, seller);
        }
        uint256 near = nearFingerprints.length;
        if (near >= _MAX_FINGERPRINTS) revert InvoiceBadFingerprints(near + 1);
        _checkSignature(
            keccak256(
                abi.encode(
                    _ISSUE_TYPEHASH,
                    seller,
                    zoneId,
                    sellerFingerprint,
                    numberFingerprint,
                    keccak256(abi.encodePacked(nearFingerprints)),
                    deadline
                )
            ),
            deadline,
            signature,
            seller
        );
        bytes32 invoiceId = keccak256(abi.encodePacked(sellerFingerprint, numberFingerprint));
        bytes32[] memory fingerprints = new bytes32[](near + 1);
        fingerprints[0] = invoiceId;
        for (uint256 i = 0; i < near; ++i) {
            fingerprints[i + 1] = nearFingerprints[i];
        }
        Invoice storage inv = _invoices[invoiceId];
        if (inv.status != Status.None) revert InvoiceAlreadyIssued(invoiceId);
        inv.status = Status.Issued;
        inv.issuedAt = uint64(block.timestamp);
        inv.seller = seller;
        inv.zoneId = zoneId;
        inv.fingerprintsHash = keccak256(abi.encodePacked(fingerprints));
        emit InvoiceIssued(invoiceId, zoneId, seller, msg.sender, fingerprints);
    }

    /// @inheritdoc IInvoiceRegistry
    function act(
        bytes32 invoiceId,
        Action action,
        bytes32 reasonHash,
        uint64 deadline,
        bytes calldata signature
    ) external {
        Invoice storage inv = _existing(invoiceId);
        _requireZoneRole(Roles.ZONE_NODE, inv.zoneId);
        _checkSignature(
            keccak256(abi.encode(_ACTION_TYPEHASH, invoiceId, uint8(action), reasonHash, deadline)),
            deadline,
            signature,
            inv.seller
        );
        if (inv.status != Status.Issued) revert InvoiceNotOpen(invoiceId, inv.status);
        if (action == Action.Void) inv.status = Status.Voided;
        else if (action == Action.CreditNote) inv.status = Status.Credited;
        else if (action == Action.Paid) inv.status = Status.Paid;
        else revert InvoiceUnknownAction(uint8(action));
        emit InvoiceStatusChanged(invoiceId, uint8(action), inv.seller, reasonHash);
    }

    /// @inheritdoc IInvoiceRegistry
    function linkGoods(
        bytes32 invoiceId,
        bytes32 consignmentId,
        uint64 deadline,
        bytes calldata signature
    ) external {
        Invoice storage inv = _existing(invoiceId);
        _requireZoneRole(Roles.ZONE_NODE, inv.zoneId);
        _checkSignature(
            keccak256(abi.encode(_GOODS_TYPEHASH, invoiceId, consignmentId, deadline)),
            deadline,
            signature,
            inv.seller
        );
        if (_CUSTODY.consignment(consignmentId).state == ICustody.ConsignmentState.None) {
            revert InvoiceUnknownConsignment(consignmentId);
        }
        inv.consignmentId = consignmentId;
        emit InvoiceGoodsLinked(invoiceId, consignmentId, inv.seller);
    }

    /// @inheritdoc IInvoiceRegistry
    function pledge(
        bytes32[] calldata fingerprints,
        bytes32 zoneId,
        bytes32 pledgeRef,
        bool requireGoods
    ) external {
        _requireZoneRole(Roles.FINANCIER, zoneId);
        (bytes32 invoiceId, Invoice storage inv) = _matching(fingerprints);
        if (inv.status != Status.Issued) revert InvoiceNotOpen(invoiceId, inv.status);
        if (requireGoods && inv.consignmentId == bytes32(0)) revert InvoiceGoodsRequired(invoiceId);
        uint256 count = fingerprints.length;
        for (uint256 i = 0; i < count; ++i) {
            bytes32 holder = _pledged[fingerprints[i]];
            if (holder != bytes32(0)) revert InvoiceAlreadyPledged(invoiceId, fingerprints[i], holder);
            _pledged[fingerprints[i]] = invoiceId;
        }
        inv.financier = msg.sender;
        emit InvoicePledged(invoiceId, msg.sender, zoneId, pledgeRef, requireGoods);
    }

    /// @inheritdoc IInvoiceRegistry
    function release(bytes32[] calldata fingerprints, bytes32 pledgeRef) external {
        (bytes32 invoiceId, Invoice storage inv) = _matching(fingerprints);
        address financier = inv.financier;
        if (financier == address(0)) revert InvoiceNotPledged(invoiceId);
        if (financier != msg.sender) revert InvoiceNotPledgeHolder(msg.sender, financier);
        uint256 count = fingerprints.length;
        for (uint256 i = 0; i < count; ++i) {
            // Only the marks this pledge set (a shared fingerprint may belong to another).
            if (_pledged[fingerprints[i]] == invoiceId) delete _pledged[fingerprints[i]];
        }
        inv.financier = address(0);
        emit InvoiceReleased(invoiceId, msg.sender, pledgeRef);
    }

    /// @inheritdoc IInvoiceRegistry
    function invoice(bytes32 invoiceId) external view returns (Invoice memory) {
        return _invoices[invoiceId];
    }

    /// @inheritdoc IInvoiceRegistry
    function sellerOf(bytes32 sellerFingerprint) external view returns (address) {
        return _sellers[sellerFingerprint];
    }

    /// @inheritdoc IInvoiceRegistry
    function pledgedBy(bytes32 fingerprint) external view returns (bytes32) {
        return _pledged[fingerprint];
    }

    /// @notice The EIP-712 domain separator for this chain and contract.
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    function _existing(bytes32 invoiceId) private view returns (Invoice storage inv) {
        inv = _invoices[invoiceId];
        // The status is an enum, not a time; slither flags the struct for its issuedAt field.
        // slither-disable-next-line timestamp
        if (inv.status == Status.None) revert InvoiceUnknown(invoiceId);
    }

    function _matching(bytes32[] calldata fingerprints)
        private
        view
        returns (bytes32 invoiceId, Invoice storage inv)
    {
        if (fingerprints.length == 0) revert InvoiceBadFingerprints(0);
        invoiceId = fingerprints[0];
        inv = _existing(invoiceId);
        if (keccak256(abi.encodePacked(fingerprints)) != inv.fingerprintsHash) {
            revert InvoiceFingerprintsMismatch(invoiceId);
        }
    }

    function _checkSignature(
        bytes32 structHash,
        uint64 deadline,
        bytes calldata signature,
        address expected
    ) private view {
        // Signatures live minutes to hours; validators' timestamp leeway is seconds.
        // slither-disable-next-line timestamp
        if (block.timestamp > deadline) revert InvoiceExpiredSignature(deadline, block.timestamp);
        // The third value (the error's argument) adds nothing once `err` is checked.
        // slither-disable-next-line unused-return
        (address recovered, ECDSA.RecoverError err,) =
            ECDSA.tryRecover(_hashTypedDataV4(structHash), signature);
        if (err != ECDSA.RecoverError.NoError || recovered != expected) {
            if (recovered != address(0) && err == ECDSA.RecoverError.NoError) {
                revert InvoiceNotIssuer(recovered, expected);
            }
            revert InvoiceInvalidSigner(recovered, expected);
        }
    }
}
