// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IZoneGated} from "./IZoneGated.sol";

/// @title FTZ Chain electronic invoices: verifiable anywhere, never financed twice
/// @notice Nothing readable goes on chain. An invoice is known by keyed fingerprints
/// (HMAC-SHA256 under the consortium key) of its normalised fields. Its id is
/// keccak256(sellerFingerprint, numberFingerprint): the seller fingerprint (of the seller's
/// USCC) is bound once to the enterprise's key by a zone node of its zone, which vouches for
/// it, so nobody can issue invoices in another company's name. The other fingerprints, over
/// other field combinations, catch near-duplicates. The seller enterprise signs the issue and
/// every later change (EIP-712) and its zone node relays them. A financier pledges an invoice and releases it later; a pledge is refused while any
/// fingerprint of the invoice is pledged anywhere in the network, when the invoice is voided,
/// credited or paid, and, when the financier asks for it, unless goods are linked: a
/// consignment on the {ICustody} contract billed by the invoice.
interface IInvoiceRegistry is IZoneGated {
    enum Status {
        None,
        Issued,
        Voided,
        Credited, // a credit note cancelled it
        Paid
    }

    /// @notice What the seller does to an issued invoice (EIP-712 `InvoiceAction`).
    enum Action {
        None,
        Void,
        CreditNote,
        Paid
    }

    struct Invoice {
        Status status;
        uint64 issuedAt;
        address seller;
        bytes32 zoneId;
        bytes32 fingerprintsHash; // keccak256(abi.encodePacked(fingerprints))
        address financier; // the holder of the active pledge, or zero
        bytes32 consignmentId; // the goods it bills, or zero
    }

    event SellerBound(
        bytes32 indexed sellerFingerprint, address indexed enterprise, bytes32 indexed zoneId
    );
    event InvoiceIssued(
        bytes32 indexed invoiceId,
        bytes32 indexed zoneId,
        address indexed seller,
        address submitter,
        bytes32[] fingerprints
    );
    event InvoiceStatusChanged(
        bytes32 indexed invoiceId, uint8 indexed action, address indexed seller, bytes32 reasonHash
    );
    event InvoiceGoodsLinked(
        bytes32 indexed invoiceId, bytes32 indexed consignmentId, address indexed seller
    );
    event InvoicePledged(
        bytes32 indexed invoiceId,
        address indexed financier,
        bytes32 indexed zoneId,
        bytes32 pledgeRef,
        bool goodsRequired
    );
    event InvoiceReleased(bytes32 indexed invoiceId, address indexed financier, bytes32 pledgeRef);

    error InvoiceSellerNotInZone(address seller, bytes32 boundZone, bytes32 zoneId);
    error InvoiceInvalidSigner(address recovered, address expected);
    error InvoiceExpiredSignature(uint64 deadline, uint256 nowTimestamp);
    error InvoiceBadFingerprints(uint256 count);
    error InvoiceAlreadyIssued(bytes32 invoiceId);
    error InvoiceUnknown(bytes32 invoiceId);
    error InvoiceNotIssuer(address signer, address seller);
    error InvoiceNotOpen(bytes32 invoiceId, Status status);
    error InvoiceUnknownAction(uint8 action);
    error InvoiceAlreadyPledged(bytes32 invoiceId, bytes32 fingerprint, bytes32 pledgedInvoiceId);
    error InvoiceNotPledged(bytes32 invoiceId);
    error InvoiceNotPledgeHolder(address caller, address financier);
    error InvoiceGoodsRequired(bytes32 invoiceId);
    error InvoiceUnknownConsignment(bytes32 consignmentId);
    error InvoiceFingerprintsMismatch(bytes32 invoiceId);
    error InvoiceSellerAlreadyBound(bytes32 sellerFingerprint, address enterprise);
    error InvoiceSellerNotBound(bytes32 sellerFingerprint, address seller);

    /// @notice Bind the fingerprint of a seller's USCC to its enterprise key, once for each.
    /// Caller: an active zone node of the zone the enterprise is bound to.
    function bindSeller(bytes32 sellerFingerprint, address enterprise) external;

    /// @notice Issue an invoice with id keccak256(sellerFingerprint, numberFingerprint) and
    /// up to 7 near-duplicate fingerprints. The seller fingerprint must be bound to `seller`.
    /// Signed by the seller (EIP-712 `InvoiceIssue(address seller,bytes32 zoneId,bytes32
    /// sellerFingerprint,bytes32 numberFingerprint,bytes32[] nearFingerprints,uint64
    /// deadline)`), relayed by an active zone node of the seller's zone. The invoice's
    /// fingerprints, as pledges name them, are its id followed by the near ones.
    function issue(
        address seller,
        bytes32 zoneId,
        bytes32 sellerFingerprint,
        bytes32 numberFingerprint,
        bytes32[] calldata nearFingerprints,
        uint64 deadline,
        bytes calldata signature
    ) external;

    /// @notice Void, credit or mark paid, signed by the seller who issued it (EIP-712
    /// `InvoiceAction(bytes32 invoiceId,uint8 action,bytes32 reasonHash,uint64 deadline)`);
    /// relayed by a zone node of the invoice's zone. Only an issued invoice changes.
    function act(
        bytes32 invoiceId,
        Action action,
        bytes32 reasonHash,
        uint64 deadline,
        bytes calldata signature
    ) external;

    /// @notice Link the consignment (see {ICustody}) whose goods the invoice bills, signed by
    /// the seller (EIP-712 `InvoiceGoods(bytes32 invoiceId,bytes32 consignmentId,uint64
    /// deadline)`). The consignment must have been dispatched.
    function linkGoods(
        bytes32 invoiceId,
        bytes32 consignmentId,
        uint64 deadline,
        bytes calldata signature
    ) external;

    /// @notice Pledge an issued invoice, naming its fingerprints as issued (the chain keeps
    /// their hash). Caller: an active FINANCIER of `zoneId`.
    function pledge(
        bytes32[] calldata fingerprints,
        bytes32 zoneId,
        bytes32 pledgeRef,
        bool requireGoods
    ) external;

    /// @notice Release a pledge. Caller: the financier that holds it.
    function release(bytes32[] calldata fingerprints, bytes32 pledgeRef) external;

    function invoice(bytes32 invoiceId) external view returns (Invoice memory);
    /// @notice The enterprise a seller fingerprint is bound to, or zero.
    function sellerOf(bytes32 sellerFingerprint) external view returns (address);
    /// @notice The invoice whose active pledge covers `fingerprint`, or zero.
    function pledgedBy(bytes32 fingerprint) external view returns (bytes32);
}
