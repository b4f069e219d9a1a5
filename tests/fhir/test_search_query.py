"""Parsing FHIR search query strings (FHIR R4 §3.1.1): what is understood, and what is refused by name."""

import pytest

from joinedup.errors import BadRequest
from joinedup.fhir.search_query import (
    DEFAULT_COUNT,
    MAX_COUNT,
    DateValue,
    QuantityValue,
    RefValue,
    TokenValue,
    named_patients,
    parse_search,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "https://fhir.nhs.uk/Id/nhs-number|9990000018",
            TokenValue("https://fhir.nhs.uk/Id/nhs-number", "9990000018"),
        ),
        ("9990000018", TokenValue(None, "9990000018")),
        ("|9990000018", TokenValue(None, "9990000018", no_system=True)),
        ("https://fhir.nhs.uk/Id/nhs-number|", TokenValue("https://fhir.nhs.uk/Id/nhs-number", None)),
    ],
)
def test_token_forms(raw: str, expected: TokenValue) -> None:
    request = parse_search("Patient", [("identifier", raw)])
    assert request.criteria[0].values == (expected,)


@pytest.mark.parametrize(
    ("raw", "prefix"),
    [
        ("2024-01-01", "eq"),
        ("ge2024", "ge"),
        ("lt2024-05", "lt"),
        ("gt2024-05-01T10:00:00Z", "gt"),
        ("le2024", "le"),
        ("ne2024", "ne"),
    ],
)
def test_date_prefixes(raw: str, prefix: str) -> None:
    value = parse_search("Observation", [("date", raw)]).criteria[0].values[0]
    assert isinstance(value, DateValue) and value.prefix == prefix


def test_comma_means_or_and_repeating_means_and() -> None:
    request = parse_search("Observation", [("code", "8867-4,9279-1"), ("date", "ge2024"), ("date", "lt2025")])
    assert len(request.criteria[0].values) == 2
    assert [c.name for c in request.criteria] == ["code", "date", "date"]


def test_a_bare_patient_id_is_a_patient_reference() -> None:
    value = parse_search("Observation", [("patient", "abc")]).criteria[0].values[0]
    assert value == RefValue("Patient", "abc")


def test_quantity_keeps_its_precision_and_unit() -> None:
    value = (
        parse_search("Observation", [("value-quantity", "gt100.5|http://unitsofmeasure.org|mm[Hg]")])
        .criteria[0]
        .values[0]
    )
    assert value == QuantityValue("gt", 100.5, 0.05, "http://unitsofmeasure.org", "mm[Hg]")


def test_count_offset_sort_include_and_summary() -> None:
    request = parse_search(
        "Observation",
        [
            ("_count", "5"),
            ("_offset", "10"),
            ("_sort", "-date"),
            ("_include", "Observation:patient"),
            ("_summary", "count"),
        ],
    )
    assert (request.count, request.offset, request.summary_count) == (5, 10, True)
    assert request.sort[0].name == "date" and request.sort[0].descending
    assert request.includes[0].param == "patient"


@pytest.mark.parametrize(
    ("pairs", "wanted"),
    [
        ([], False),
        ([("_total", "none")], False),
        ([("_total", "accurate")], True),
        ([("_total", "estimate")], True),
        ([("_summary", "count")], True),
        ([("_count", "0")], True),
    ],
)
def test_every_match_is_counted_only_when_asked(pairs: list[tuple[str, str]], wanted: bool) -> None:
    assert parse_search("Observation", pairs).wants_total is wanted


def test_count_is_clamped_to_the_maximum() -> None:
    assert parse_search("Patient", [("_count", "999999")]).count == MAX_COUNT
    assert parse_search("Patient", []).count == DEFAULT_COUNT


@pytest.mark.parametrize(
    ("pairs", "named"),
    [
        ([("foo", "1")], "foo"),
        ([("_sort", "gender")], "gender"),
        ([("_include", "Observation:code")], "Observation:code"),
        ([("_summary", "true")], "_summary"),
        ([("_total", "yes")], "_total"),
        ([("date", "2024-13-01")], "date"),
        ([("subject.name", "x")], "subject.name"),
        ([("code:exact", "x")], ":exact"),
        ([("_count", "-1")], "_count"),
        ([("patient", "Organization/x")], "Patient"),
    ],
)
def test_what_cannot_be_answered_is_refused_naming_it(pairs: list[tuple[str, str]], named: str) -> None:
    resource = "Patient" if pairs[0][0] in ("foo",) else "Observation"
    with pytest.raises(BadRequest, match=named.replace("[", r"\[")):
        parse_search(resource, pairs)


def test_lenient_handling_ignores_unknown_parameters() -> None:
    request = parse_search("Patient", [("foo", "1"), ("gender", "male")], strict=False)
    assert request.ignored == ("foo",) and len(request.criteria) == 1


def test_searches_that_name_patients_say_which() -> None:
    assert named_patients(parse_search("Observation", [("patient", "a,b")])) == {"a", "b"}
    assert named_patients(parse_search("Observation", [("subject", "Patient/a")])) == {"a"}
    assert named_patients(parse_search("Patient", [("_id", "a")])) == {"a"}
    assert named_patients(parse_search("Observation", [("code", "8867-4")])) is None
