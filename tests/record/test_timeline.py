"""The joined-up timeline and vital-sign series built from a patient's resources (pure)."""

import record_builders as b

from joinedup.record.charts import NORMAL_BANDS, vital_sign_figures
from joinedup.record.timeline import timeline, vital_sign_series


def encounter(start: str, end: str | None, klass: str, provider: str) -> dict:
    return {
        "resourceType": "Encounter",
        "status": "finished" if end else "in-progress",
        "class": {"code": klass},
        "subject": {"reference": "Patient/p"},
        "period": {"start": start, **({"end": end} if end else {})},
        "serviceProvider": {"reference": f"Organization/{provider}"},
    }


def test_episodes_and_encounters_of_every_provider_newest_first() -> None:
    resources = [
        encounter("2024-01-05T10:00:00Z", "2024-01-05T10:15:00Z", "AMB", "demo-practice-a"),
        encounter("2024-03-01T08:00:00Z", None, "IMP", "uhl"),
        {**b.episode("p", "lpt"), "type": [{"text": "Community nursing"}]},
        b.observation("p"),
    ]
    entries = timeline(resources)
    assert [(e.kind, e.provider_id) for e in entries] == [
        ("Episode of care", "lpt"),
        ("Hospital stay", "uhl"),
        ("Appointment", "demo-practice-a"),
    ]
    assert entries[1].end is None and entries[0].title == "Community nursing"


def test_vital_sign_series_are_oldest_first_and_leave_out_other_codes() -> None:
    observations = [
        b.observation("p", value=90, when="2024-05-02T10:00:00Z"),
        b.observation("p", value=70, when="2024-05-01T10:00:00Z"),
        b.observation("p", code="59408-5", value=95, unit="%"),
        b.observation("p", code="1234-5", value=1),
    ]
    series = vital_sign_series(observations)
    assert [s.sign.code for s in series] == ["8867-4", "59408-5"]
    assert series[0].values == [70.0, 90.0]
    assert series[0].times[0].startswith("2024-05-01T10:00:00")


def test_each_chart_shades_the_news2_no_score_band_and_says_what_it_shows() -> None:
    figures = vital_sign_figures(vital_sign_series([b.observation("p", value=72)]))
    assert figures[0]["id"] == "chart-8867-4"
    assert "latest 72 /min" in figures[0]["label"]
    shape = figures[0]["figure"]["layout"]["shapes"][0]
    assert (shape["y0"], shape["y1"]) == NORMAL_BANDS["8867-4"]
