"""Validation of incoming resources: the FHIR R4 models (fhir.resources), required codes and UK Core rules."""

from datetime import UTC, datetime
from typing import Any

import pytest
import record_builders as b
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.codeableconcept import CodeableConcept
from pydantic import ValidationError

from joinedup.errors import BadRequest, Invalid
from joinedup.fhir import validation
from joinedup.fhir.search_params import STORED_TYPES
from joinedup.fhir.validation import check_type, parse_json, validate_resource


@pytest.mark.parametrize("raw", [b"", b"{", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_what_is_not_a_json_object_is_a_bad_request(raw: bytes) -> None:
    with pytest.raises(BadRequest, match=r"JSON|empty|object"):
        parse_json(raw)


def test_the_resource_type_must_match_the_endpoint() -> None:
    with pytest.raises(BadRequest, match="'Patient' does not match the endpoint, which takes Observation"):
        check_type({"resourceType": "Patient"}, "Observation", STORED_TYPES)


def test_a_type_not_stored_here_is_named() -> None:
    with pytest.raises(BadRequest, match="'Medication' is not stored here"):
        check_type({"resourceType": "Medication"}, None, STORED_TYPES)


def test_unknown_elements_are_named_with_their_path() -> None:
    body = b.patient("9990000018")
    body["identifier"][0]["colour"] = "blue"
    with pytest.raises(Invalid, match=r"Patient\.identifier\[0\]\.colour: unknown element"):
        validate_resource(body)


def test_a_missing_required_element_is_named() -> None:
    body = b.observation("p1")
    del body["status"]
    with pytest.raises(Invalid, match=r"Observation\.status: is required"):
        validate_resource(body)


def test_a_code_outside_its_required_value_set_is_refused() -> None:
    with pytest.raises(Invalid, match=r"Patient\.gender: 'f' is not one of female, male, other, unknown"):
        validate_resource({**b.patient("9990000018"), "gender": "f"})


@pytest.mark.parametrize("number", ["9990000017", "123", "999 000 001 8", "99900000180"])
def test_an_invalid_nhs_number_is_refused(number: str) -> None:
    with pytest.raises(Invalid, match="not a valid NHS number"):
        validate_resource(b.patient(number))


def test_a_patient_needs_an_nhs_number() -> None:
    body = b.patient("9990000018")
    body["identifier"][0]["system"] = "https://example.org/mrn"
    with pytest.raises(Invalid, match="a patient needs an NHS number"):
        validate_resource(body)


def test_a_spaced_nhs_number_is_valid() -> None:
    validate_resource(b.patient("999 000 0018"))


def _library_verdict(body: dict[str, Any]) -> str:
    """What validating the whole body with the library alone says (the reference for remembered elements)."""
    model = get_fhir_model_class(str(body["resourceType"]))
    try:
        model.model_validate(body)
    except ValidationError as exc:
        return "; ".join(sorted(str(e["loc"]) + e["type"] for e in exc.errors()))
    return "valid"


def _verdict(body: dict[str, Any]) -> str:
    try:
        validate_resource(body)
    except Invalid as exc:
        return f"invalid: {exc.detail}"
    return "valid"


def _varied_bodies() -> list[dict[str, Any]]:
    obs = b.observation("p1")
    contained = {"resourceType": "Device", "id": "d1", "colour": "blue"}
    return [
        obs,
        {**obs, "category": [None]},
        {**obs, "category": obs["category"][0]},
        {**obs, "code": [obs["code"]]},
        {**obs, "code": {**obs["code"], "colour": "blue"}},
        {**obs, "valueQuantity": {"value": "seventy"}},
        {**obs, "valueQuantity": {"value": 70}, "valueString": "seventy"},
        {**obs, "subject": {"reference": 7}},
        {**obs, "contained": [contained]},
        {**obs, "effectivePeriod": {"start": datetime(2026, 1, 1, tzinfo=UTC)}},
        {**obs, "effectivePeriod": {"start": datetime(2026, 1, 1)}},
        b.patient("9990000018"),
        {**b.patient("9990000018"), "name": [{"given": ["Ann", None], "_given": [None, {"extension": []}]}]},
    ]


@pytest.mark.parametrize("index", range(13))
def test_remembered_elements_give_the_libraries_verdict(index: int) -> None:
    # Each body twice: the second validation meets its elements already remembered.
    body = _varied_bodies()[index]
    expected = _library_verdict(body)
    for _ in range(2):
        verdict = _verdict(body)
        assert verdict.startswith("invalid") == (expected != "valid"), (verdict, expected)


def test_an_element_once_valid_does_not_hide_a_new_problem_beside_it() -> None:
    body = b.observation("p1")
    validate_resource(body)
    body["valueQuantity"] = {**body["valueQuantity"], "colour": "blue"}
    with pytest.raises(Invalid, match=r"Observation\.valueQuantity\.colour: unknown element"):
        validate_resource(body)


def test_an_invalid_element_is_refused_every_time() -> None:
    body = {**b.observation("p1"), "code": {"coding": [{"system": "http://loinc.org", "colour": "blue"}]}}
    for _ in range(2):
        with pytest.raises(Invalid, match=r"Observation\.code\.coding\[0\]\.colour: unknown element"):
            validate_resource(body)


def test_a_repeated_element_is_validated_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validation, "_VALIDATED", {})
    calls: list[object] = []
    original = CodeableConcept.model_validate.__func__  # type: ignore[attr-defined]

    def counted(cls: type[CodeableConcept], value: object, *args: object, **kw: object) -> CodeableConcept:
        calls.append(value)
        return original(cls, value, *args, **kw)  # type: ignore[no-any-return]

    monkeypatch.setattr(CodeableConcept, "model_validate", classmethod(counted))
    body = b.observation("p1")
    validate_resource(body)
    first = len(calls)
    assert first >= 1
    validate_resource({**body, "valueQuantity": {**body["valueQuantity"], "value": 99}})
    assert len(calls) == first


def test_the_remembered_elements_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validation, "_VALIDATED", {})
    monkeypatch.setattr(validation, "_MAX_VALIDATED", 3)
    for value in range(10):
        body = b.observation("p1")
        validate_resource({**body, "valueQuantity": {**body["valueQuantity"], "value": value}})
        assert len(validation._VALIDATED) <= 3
