"""JSON log lines carry the message and the fields passed with ``extra=``."""

from __future__ import annotations

import io
import json
import logging

from ftzchain.logs import JsonLines


def _line(record: logging.LogRecord) -> dict[str, object]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonLines())
    handler.emit(record)
    (line,) = out.getvalue().splitlines()
    parsed: dict[str, object] = json.loads(line)
    return parsed


def test_a_record_becomes_one_json_object_with_its_extra_fields() -> None:
    logger = logging.getLogger("indexer.runner")
    record = logger.makeRecord(
        "indexer.runner",
        logging.WARNING,
        __file__,
        1,
        "reorg of depth %d at block %d",
        (3, 120),
        None,
        extra={"event": "reorg", "depth": 3, "block": 120},
    )
    entry = _line(record)
    assert entry["message"] == "reorg of depth 3 at block 120"
    assert entry["level"] == "warning" and entry["logger"] == "indexer.runner"
    assert (entry["event"], entry["depth"], entry["block"]) == ("reorg", 3, 120)
    assert str(entry["time"]).endswith("+00:00")
    assert "args" not in entry and "msg" not in entry


def test_an_exception_is_kept_in_the_line() -> None:
    try:
        raise ValueError("bad range")
    except ValueError:
        import sys

        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    entry = _line(record)
    assert "ValueError: bad range" in str(entry["exception"])
