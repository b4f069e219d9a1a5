"""Reading search parameter values out of resources (what the index tables are filled with)."""

import record_builders as b
from hypothesis import given
from hypothesis import strategies as st

from joinedup.fhir.datetimes import parse_range
from joinedup.fhir.search_params import Quantity, Ref, Token, fold, index_values, parse_reference, patient_of


def test_patient_values() -> None:
    body = {**b.patient("9990000018", family="Zoë", given="Ann"), "id": "p1"}
    values = index_values(body)
    assert values["identifier"] == [Token(b.NHS, "9990000018")]
    assert values["family"] == ["zoe"]
    assert set(values["name"]) == {"zoe", "ann"}
    assert values["gender"] == [Token(None, "female")]
    assert values["birthdate"] == [parse_range("1948-03-05")]
    assert values["general-practitioner"] == [Ref("Organization", "demo-practice-a")]
    assert "patient" not in values  # answered from the compartment column


def test_observation_values() -> None:
    values = index_values(b.observation("p1", value=98.5, unit="%", code="59408-5"))
    assert values["code"] == [Token(b.LOINC, "59408-5")]
    assert values["category"][0].code == "vital-signs"
    assert values["subject"] == [Ref("Patient", "p1")]
    assert values["date"] == [parse_range("2024-05-01T10:00:00Z")]
    assert values["value-quantity"] == [Quantity(98.5, b.UCUM, "%")]


def test_each_resource_knows_its_patient() -> None:
    assert patient_of({**b.patient("9990000018"), "id": "p1"}) == "p1"
    assert patient_of(b.observation("p1")) == "p1"
    assert patient_of(b.episode("p2", "uhl")) == "p2"
    assert patient_of({"resourceType": "Observation", "subject": {"reference": "Group/g"}}) is None


def test_references_in_their_forms() -> None:
    assert parse_reference("Patient/1") == Ref("Patient", "1")
    assert parse_reference("https://x.example/fhir/r4/Patient/1/_history/2") == Ref("Patient", "1")
    assert parse_reference("urn:uuid:0b1c") is None
    assert parse_reference("#contained") is None
    assert parse_reference("patient/1") is None


@given(st.text(min_size=1, max_size=30))
def test_folding_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)
