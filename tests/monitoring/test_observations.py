"""Reading a device's FHIR Observation: what is accepted and the words used to refuse the rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from wards_world import acvpu, observation

from joinedup.monitoring.observations import ReadingRefused, read_observation

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
NUMBER = "9434765919"


def test_a_vital_sign_is_read_with_its_code_value_unit_time_device_and_patient() -> None:
    reading = read_observation(observation(NUMBER, "pulse", 72, at=NOW - timedelta(minutes=5)), now=NOW)
    assert (reading.code, reading.value, reading.unit) == ("8867-4", 72.0, "/min")
    assert reading.effective_at == NOW - timedelta(minutes=5) and reading.nhs_number == NUMBER
    assert reading.device.endswith("|kit-1")


def test_acvpu_is_read_as_its_letter() -> None:
    reading = read_observation(acvpu(NUMBER, "c", at=NOW), now=NOW)
    assert reading.is_consciousness and reading.value_text == "C" and reading.value is None


def test_a_device_clock_a_little_ahead_is_taken_but_a_reading_from_the_future_is_not() -> None:
    read_observation(observation(NUMBER, "pulse", 70, at=NOW + timedelta(minutes=4)), now=NOW)
    with pytest.raises(ReadingRefused, match="in the future"):
        read_observation(observation(NUMBER, "pulse", 70, at=NOW + timedelta(minutes=6)), now=NOW)


def _without(path: tuple[str, ...]) -> dict:
    body = observation(NUMBER, "pulse", 70, at=NOW)
    target = body
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return body


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (_without(("device",)), "must name the device"),
        (_without(("subject",)), "must name the patient"),
        (_without(("effectiveDateTime",)), "must say when"),
        (_without(("valueQuantity",)), "UCUM unit"),
        (_without(("valueQuantity", "code")), None),
        (
            {**observation(NUMBER, "pulse", 70, at=NOW), "effectiveDateTime": "2024-05-01T11:00:00"},
            "time zone",
        ),
        ({**observation(NUMBER, "pulse", 70, at=NOW), "effectiveDateTime": "2024-05-01"}, "time zone"),
        (
            {**observation(NUMBER, "pulse", 70, at=NOW), "code": {"coding": [{"system": "x", "code": "1"}]}},
            "LOINC",
        ),
        (
            {
                **observation(NUMBER, "pulse", 70, at=NOW),
                "subject": {
                    "identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "1234567890"}
                },
            },
            "not a valid NHS number",
        ),
        (
            {**observation(NUMBER, "pulse", 70, at=NOW), "valueQuantity": {"value": "70", "code": "/min"}},
            "not a number",
        ),
        ({**acvpu(NUMBER, "A", at=NOW), "valueString": "X"}, "one of A, C, V, P, U"),
    ],
)
def test_what_cannot_be_used_is_refused_saying_why(body: dict, words: str | None) -> None:
    if words is None:  # the display unit is enough when the UCUM code is left out
        assert read_observation(body, now=NOW).unit == "/min"
        return
    with pytest.raises(ReadingRefused, match=words):
        read_observation(body, now=NOW)
