"""OPEL-style pressure levels from bed occupancy, per site and for the whole system.

The NHS England Operational Pressures Escalation Levels framework 2024/26 scores each provider 1 (steady)
to 4 (extreme pressure) from several parameters and aggregates an ICS-level score. joinedup has bed
occupancy for every pool, so it uses that one parameter. The thresholds below are an assumption, chosen
around the 92% occupancy that NHS planning guidance treats as the safe ceiling for general and acute beds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# (lowest occupancy fraction, level): assumption, see module docstring.
THRESHOLDS: tuple[tuple[float, int], ...] = ((0.97, 4), (0.92, 3), (0.85, 2), (0.0, 1))
LABELS = {
    1: "OPEL 1: steady",
    2: "OPEL 2: moderate pressure",
    3: "OPEL 3: severe pressure",
    4: "OPEL 4: extreme pressure",
}


@dataclass(frozen=True)
class PoolLoad:
    """Beds and occupied beds of one pool (or a group of pools)."""

    beds: int
    occupied: int

    @property
    def occupancy(self) -> float | None:
        return None if self.beds <= 0 else self.occupied / self.beds


def level_for_occupancy(occupancy: float) -> int:
    """The OPEL level (1-4) of an occupancy fraction (occupied / beds; may exceed 1 with escalation beds)."""
    if occupancy != occupancy or occupancy < 0:  # NaN or negative
        raise ValueError(f"occupancy must be a fraction >= 0, not {occupancy!r}")
    for lowest, level in THRESHOLDS:
        if occupancy >= lowest:
            return level
    return 1


def combined_level(loads: Sequence[PoolLoad]) -> int | None:
    """The level of several pools together: pooled occupancy (bed-weighted), None when no beds at all."""
    beds = sum(load.beds for load in loads)
    if beds <= 0:
        return None
    return level_for_occupancy(sum(load.occupied for load in loads) / beds)
