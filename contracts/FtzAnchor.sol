// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title External anchor of FTZ Chain block hashes
/// @notice Deployed on an independent chain. Anyone may commit a block hash of a chain: an
/// anchor only proves that the hash existed by the time of the block that carries it, so the
/// submitter needs no permission. Anchors of one chain must move forward.
contract FtzAnchor {
    struct Latest {
        uint256 blockNumber;
        bytes32 blockHash;
    }

    mapping(uint256 chainId => Latest) private _latest;

    event Anchored(
        uint256 indexed chainId, uint256 indexed blockNumber, bytes32 blockHash, address submitter
    );

    error FtzAnchorNotNewer(uint256 chainId, uint256 blockNumber, uint256 latestBlockNumber);
    error FtzAnchorZeroHash();

    /// @notice Commit `blockHash`, the hash of block `blockNumber` of chain `chainId`.
    function anchor(uint256 chainId, uint256 blockNumber, bytes32 blockHash) external {
        if (blockHash == bytes32(0)) revert FtzAnchorZeroHash();
        Latest storage latest = _latest[chainId];
        if (latest.blockHash != bytes32(0) && blockNumber <= latest.blockNumber) {
            revert FtzAnchorNotNewer(chainId, blockNumber, latest.blockNumber);
        }
        latest.blockNumber = blockNumber;
        latest.blockHash = blockHash;
        emit Anchored(chainId, blockNumber, blockHash, msg.sender);
    }

    /// @notice The last anchor of `chainId` (zeros when none).
    function latestOf(uint256 chainId) external view returns (uint256 blockNumber, bytes32 blockHash) {
        Latest storage latest = _latest[chainId];
        return (latest.blockNumber, latest.blockHash);
    }
}
