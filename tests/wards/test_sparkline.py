"""The board's NEWS2 trend line."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from joinedup.wards.sparkline import HEIGHT, WIDTH, sparkline_points


def test_fewer_than_two_points_draw_nothing() -> None:
    assert sparkline_points([]) == "" and sparkline_points([3]) == ""


def test_higher_news2_is_drawn_higher() -> None:
    points = [tuple(map(float, p.split(","))) for p in sparkline_points([0, 5, 10]).split()]
    assert [x for x, _ in points] == [0.0, WIDTH / 2, WIDTH]
    assert points[0][1] > points[1][1] > points[2][1]


@given(st.lists(st.integers(min_value=0, max_value=20), min_size=2, max_size=30))
def test_every_point_lies_inside_the_box(values: list[int]) -> None:
    for point in sparkline_points(values).split():
        x, y = map(float, point.split(","))
        assert 0 <= x <= WIDTH and 0 <= y <= HEIGHT
