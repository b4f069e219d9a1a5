"""A NEWS2 trend as a tiny inline SVG line, drawn on the server so the board needs no chart library."""

from __future__ import annotations

from collections.abc import Sequence

WIDTH, HEIGHT, TOP = 96, 24, 10
"""Drawn on a fixed NEWS2 scale of 0-10 (higher values sit on the top edge), so trends compare across rows."""


def sparkline_points(values: Sequence[int], width: int = WIDTH, height: int = HEIGHT) -> str:
    """The `points` of an SVG polyline for `values` (empty for fewer than two values)."""
    if len(values) < 2:
        return ""
    step = width / (len(values) - 1)
    return " ".join(
        f"{i * step:.1f},{height - min(max(v, 0), TOP) / TOP * (height - 2) - 1:.1f}"
        for i, v in enumerate(values)
    )
