"""Demand from population by age band, the seed's growth of the over-85s, and day profiles."""

from __future__ import annotations

from datetime import date

import pytest

from joinedup.plan import demand


def test_over_85s_grow_by_187_percent_from_2016_to_2038() -> None:
    llr = demand.load_population("llr")
    assert llr.people("85+", 2038) / llr.people("85+", 2016) == pytest.approx(2.87, rel=1e-9)


def test_every_band_cites_a_source_and_assumptions_say_so() -> None:
    llr = demand.load_population("llr")
    assert llr.band_ids == ("0-17", "18-64", "65-74", "75-84", "85+")
    assert all(band.source for band in llr.bands)
    assert "seed 002" in next(b for b in llr.bands if b.id == "85+").source


def test_arrivals_are_people_times_rate_per_1000_over_a_year() -> None:
    llr = demand.load_population("llr")
    by_band = demand.arrivals_by_age_band(llr, {"85+": 365.25}, 2016)
    assert by_band["85+"] == pytest.approx(llr.people("85+", 2016) / 1000.0)
    assert demand.arrivals_per_day(llr, {"85+": 365.25, "0-17": 0.0}, 2016) == pytest.approx(by_band["85+"])


def test_unknown_population_is_refused() -> None:
    with pytest.raises(KeyError):
        demand.load_population("atlantis")


def test_day_profile_keeps_the_yearly_mean_and_follows_weekdays() -> None:
    weekdays_only = [1, 1, 1, 1, 1, 0, 0]
    profile = demand.day_profile(date(2024, 4, 1), 364, weekdays_only, None)
    assert profile.mean() == pytest.approx(1.0)
    assert profile[0] == pytest.approx(1.4)  # 2024-04-01 is a Monday
    assert profile[5] == 0.0 and profile[6] == 0.0


def test_calibration_factor_scales_offered_load_to_the_target() -> None:
    assert demand.calibration_factor(920.0, 800.0) == pytest.approx(1.15)
