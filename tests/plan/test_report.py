"""The HTML report opens offline and carries its charts and assumptions."""

from __future__ import annotations

import pytest
from plotly.offline import get_plotlyjs

from joinedup.plan import report, runner
from joinedup.plan.compiled import compile_scenario
from joinedup.plan.loading import load_scenario

pytestmark = pytest.mark.xdist_group("plan-engine")


def test_report_is_self_contained_with_charts_and_assumptions() -> None:
    run = runner.run(
        compile_scenario(
            load_scenario("llr-stp-2016").model_copy(update={"horizon_days": 60, "warmup_days": 10})
        ),
        2,
        seed=1,
        workers=1,
    )
    html = report.render(run)
    assert html.startswith("<!DOCTYPE html>")
    assert get_plotlyjs() in html
    outside_plotly = html.replace(get_plotlyjs(), "")
    assert "<script src=" not in outside_plotly and "cdn.plot.ly" not in outside_plotly
    assert "Plotly.newPlot" in html
    assert 'id="occupancy-0"' in html and 'id="demand"' in html
    assert "Assumptions" in html and "seed 000" in html and "85+" in html


def test_comparison_report_shows_blocking_before_and_after() -> None:
    small = {"horizon_days": 30, "warmup_days": 5}
    a = runner.run(
        compile_scenario(load_scenario("llr-baseline-2016").model_copy(update=small)), 2, 1, workers=1
    )
    b = runner.run(compile_scenario(load_scenario("llr-stp-2016").model_copy(update=small)), 2, 1, workers=1)
    html = report.render_comparison(a, b)
    assert 'id="blocking"' in html and "blocked (A)" in html and "blocked (B)" in html
    assert "LLR STP 2016 against LLR baseline 2016" in html
