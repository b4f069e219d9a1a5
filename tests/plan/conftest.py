"""Planner test helpers: small scenario files written on the fly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

ONE_POOL = """
name = "one pool"
horizon_days = 365
warmup_days = 60
[[pools]]
id = "acute"
beds = 200
[[pathways]]
id = "emergency"
arrivals_per_day = 40.0
stay = { distribution = "lognormal", mean_days = 4.5, sd_days = 3.0 }
route = ["acute"]
when_full = "refuse"        # or "wait", or "divert"
"""


@pytest.fixture
def write_scenario(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write TOML text to a file in the test's folder and return its path."""

    def write(text: str, name: str = "scenario.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def one_pool(write_scenario: Callable[[str, str], Path]) -> Path:
    """DESIGN.md's smallest scenario, as a file."""
    return write_scenario(ONE_POOL, "one-pool.toml")
