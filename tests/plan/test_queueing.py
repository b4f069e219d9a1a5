"""Erlang B and C against published values and their defining properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from joinedup.plan.queueing import (
    beds_for_blocking,
    erlang_b,
    erlang_c,
    mmc_mean_wait_days,
    mmc_wait_probability,
)


def erlang_b_by_factorials(servers: int, load: float) -> float:
    """Erlang's formula as printed, a^c/c! / Σ a^k/k!: only usable for small c; the reference here."""
    terms = [load**k / math.factorial(k) for k in range(servers + 1)]
    return terms[-1] / sum(terms)


# Erlang B tables (e.g. Cooper, Introduction to Queueing Theory, 1981, Table I): servers, erlangs, blocking.
PUBLISHED_B = [(1, 1.0, 0.5), (2, 1.0, 0.2), (5, 2.0, 0.03670), (10, 5.0, 0.01838), (20, 15.0, 0.04559)]


@pytest.mark.parametrize(("servers", "load", "blocking"), PUBLISHED_B)
def test_erlang_b_matches_published_table(servers: int, load: float, blocking: float) -> None:
    assert erlang_b(servers, load) == pytest.approx(blocking, abs=5e-5)


@pytest.mark.parametrize(("servers", "load"), [(3, 2.5), (12, 7.25), (40, 33.3)])
def test_erlang_b_recurrence_equals_the_factorial_formula(servers: int, load: float) -> None:
    assert erlang_b(servers, load) == pytest.approx(erlang_b_by_factorials(servers, load), rel=1e-12)


def test_erlang_b_is_stable_for_thousands_of_servers_and_fractional_loads() -> None:
    blocking = erlang_b(5000, 4987.3)
    assert 0.0 < blocking < 0.02
    assert erlang_b(20000, 100.5) == 0.0 or erlang_b(20000, 100.5) < 1e-300


def test_erlang_c_matches_known_values() -> None:
    assert erlang_c(1, 0.7) == pytest.approx(0.7)  # M/M/1: P(wait) = ρ
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(3, 3.0) == 1.0


def test_mmc_mean_wait_of_mm1_is_rho_over_mu_minus_lambda() -> None:
    assert mmc_mean_wait_days(1, 0.5, 1.0) == pytest.approx(0.5 / (1.0 - 0.5))
    assert mmc_wait_probability(1, 0.5, 1.0) == pytest.approx(0.5)
    assert math.isinf(mmc_mean_wait_days(2, 3.0, 1.0))


def test_beds_for_blocking_is_the_smallest_pool_meeting_the_target() -> None:
    sizing = beds_for_blocking(40.0, 4.5, 0.01)
    assert sizing.beds == 201
    assert sizing.blocking <= 0.01 < erlang_b(200, 180.0)
    assert beds_for_blocking(0.0, 4.5, 0.01).beds == 0


@pytest.mark.parametrize("bad", [(-1, 2.0), (2, -0.5), (2, float("nan"))])
def test_erlang_b_rejects_negative_servers_or_loads(bad: tuple[int, float]) -> None:
    with pytest.raises(ValueError):
        erlang_b(*bad)


@given(st.integers(min_value=0, max_value=400), st.floats(min_value=0.01, max_value=500.0))
def test_erlang_b_falls_as_servers_rise_and_stays_a_probability(servers: int, load: float) -> None:
    now, more = erlang_b(servers, load), erlang_b(servers + 1, load)
    assert 0.0 <= more <= now <= 1.0


@given(st.integers(min_value=1, max_value=300), st.floats(min_value=0.01, max_value=299.0))
def test_waiting_is_at_least_as_likely_as_loss(servers: int, load: float) -> None:
    assert erlang_b(servers, load) <= erlang_c(servers, load) + 1e-12 <= 1.0 + 1e-12
