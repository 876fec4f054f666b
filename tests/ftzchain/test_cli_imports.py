"""Starting `ftz` loads neither the API nor the SQL layer: commands that need them import them
when they run (the CLI is the composition root, not a reason for every command to load all)."""

from __future__ import annotations

import subprocess
import sys


def test_loading_the_cli_imports_no_sql_and_no_http() -> None:
    probe = (
        "import sys, ftzchain.cli.app; "
        "print(sorted(m for m in ('sqlmodel', 'sqlalchemy', 'fastapi', 'uvicorn', "
        "'indexer.models', 'api.queries.goods') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    assert loaded == "[]"
