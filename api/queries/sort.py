"""How exported key events can be ordered (light enough for the CLI to import at start)."""

from __future__ import annotations

from typing import Literal

SortKey = Literal["time", "zone", "kind", "block"]
