// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ITraceability} from "../ITraceability.sol";

/// @title Benchmark baseline only: the naive design that stores every event as a struct
/// @notice `scripts/bench gas` measures it beside {Traceability} to show what log-only events
/// save. Never deployed on a network: it checks no permission and no signature.
contract NaiveTraceStore {
    mapping(bytes32 eventId => ITraceability.TraceItem) public events;

    event Stored(bytes32 indexed eventId);

    function store(ITraceability.TraceItem calldata e) external {
        events[e.eventId] = e;
        emit Stored(e.eventId);
    }
}
