// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title Role identifiers shared by every FTZ Chain contract
/// @dev keccak256 of the role's name, as OpenZeppelin's AccessControl does.
library Roles {
    bytes32 internal constant ZONE_NODE = keccak256("ZONE_NODE");
    bytes32 internal constant CUSTOMS = keccak256("CUSTOMS");
    bytes32 internal constant COURT = keccak256("COURT");
    bytes32 internal constant FINANCIER = keccak256("FINANCIER");
    bytes32 internal constant AUDITOR = keccak256("AUDITOR");
    bytes32 internal constant ORIGIN_ISSUER = keccak256("ORIGIN_ISSUER");
    /// @dev The zone's block-sealing key: granting it (in an active zone) makes the zones'
    /// node agents vote it into the consensus validator set; revoking it or suspending the
    /// zone votes it out. No contract checks it.
    bytes32 internal constant VALIDATOR = keccak256("VALIDATOR");

    function isKnown(bytes32 role) internal pure returns (bool) {
        return role == ZONE_NODE || role == CUSTOMS || role == COURT || role == FINANCIER
            || role == AUDITOR || role == ORIGIN_ISSUER || role == VALIDATOR;
    }
}
