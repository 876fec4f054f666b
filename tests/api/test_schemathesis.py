"""Schemathesis against the served API: generated requests for every operation, checked for
server errors, statuses the OpenAPI document does not list, and answers that do not match
their declared schema. Bounded: a fixed number of examples per operation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.api.conftest import Served

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "response_schema_conformance",
        "content_type_conformance",
    ]
)


def test_schemathesis_finds_no_failure(served: Served, tmp_path: Path) -> None:
    done = subprocess.run(
        [
            SCHEMATHESIS,
            "run",
            f"{served.base}/openapi.json",
            "--checks",
            CHECKS,
            "--phases",
            # (the coverage phase of schemathesis 4.x crashes inside hypothesis on this
            # Python: "AST constructor recursion depth mismatch"; examples and fuzzing run)
            "examples,fuzzing",
            "--max-examples",
            "25",
            "--workers",
            "2",
            "--seed",
            "20261201",
            "--suppress-health-check",
            "all",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    report = done.stdout[-12000:] + done.stderr[-4000:]
    assert done.returncode == 0, report
    assert "Tested: 17" in done.stdout or "Tested:" in done.stdout, report
