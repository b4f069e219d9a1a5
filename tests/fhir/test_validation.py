"""Validation of incoming resources: the FHIR R4 models (fhir.resources), required codes and UK Core rules."""

import pytest
import record_builders as b

from joinedup.errors import BadRequest, Invalid
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
