"""OPEL-style levels from occupancy."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from joinedup.capacity.opel import PoolLoad, combined_level, level_for_occupancy


@pytest.mark.parametrize(
    ("occupancy", "level"),
    [(0.0, 1), (0.8499, 1), (0.85, 2), (0.9199, 2), (0.92, 3), (0.9699, 3), (0.97, 4), (1.1, 4)],
)
def test_level_bands_start_at_their_threshold(occupancy: float, level: int) -> None:
    assert level_for_occupancy(occupancy) == level


@pytest.mark.parametrize("bad", [-0.01, float("nan")])
def test_level_rejects_negative_or_nan_occupancy(bad: float) -> None:
    with pytest.raises(ValueError, match="occupancy"):
        level_for_occupancy(bad)


def test_combined_level_weights_by_beds() -> None:
    # 95 of 100 acute (level 3) with 10 of 100 maternity: pooled 52.5% is level 1.
    assert combined_level([PoolLoad(100, 95), PoolLoad(100, 10)]) == 1
    assert combined_level([PoolLoad(1000, 980), PoolLoad(10, 0)]) == 4


def test_combined_level_without_beds_is_unknown() -> None:
    assert combined_level([]) is None
    assert combined_level([PoolLoad(0, 0)]) is None


@given(st.floats(0, 2), st.floats(0, 2))
def test_level_never_falls_as_occupancy_rises(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert level_for_occupancy(low) <= level_for_occupancy(high)
