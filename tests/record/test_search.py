"""FHIR search over the index tables, on SQLite and PostgreSQL: each parameter, prefix, sort and page."""

import pytest
import record_builders as b
from sqlalchemy.orm import Session

from joinedup.fhir.search_query import parse_search
from joinedup.record import service


@pytest.fixture
def people(db: Session) -> dict[str, str]:
    """Three patients of practice A and their readings (heart rate and SpO2 over three days)."""
    specs = {
        "ann": dict(family="Smith", given="Ann", birth_date="1948-03-05", gender="female"),
        "bob": dict(family="Smyth", given="Bob", birth_date="1960-11-20", gender="male"),
        "zoe": dict(family="Ödegård", given="Zoë", birth_date="1985-01-01", gender="female"),
    }
    ids = {}
    for i, (key, spec) in enumerate(specs.items()):
        ids[key] = service.create(
            db, actor=b.actor("gp_a"), body=b.patient(b.NUMBERS[i], **spec)
        ).version.resource_id
    readings = []
    for day, (pulse, spo2) in enumerate([(70, 97), (88, 94), (120, 89)], start=1):
        when = f"2024-05-0{day}T10:00:00Z"
        readings.append(b.observation(ids["ann"], value=pulse, when=when))
        readings.append(b.observation(ids["ann"], code="59408-5", value=spo2, unit="%", when=when))
    readings.append(b.observation(ids["bob"], value=60, when="2023-12-31T23:59:59Z"))
    service.create_many(db, actor=b.actor("gp_a"), bodies=readings)
    return ids


def find(db: Session, resource_type: str, *pairs: tuple[str, str]) -> list[str]:
    result = service.search(db, actor=b.actor("gp_a"), request=parse_search(resource_type, list(pairs)))
    return [v.resource_id for v in result.versions]


def values(db: Session, *pairs: tuple[str, str]) -> list[float]:
    result = service.search(db, actor=b.actor("gp_a"), request=parse_search("Observation", list(pairs)))
    return [v.body["valueQuantity"]["value"] for v in result.versions if v.body]


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ((("identifier", f"{b.NHS}|{b.NUMBERS[1]}"),), ["bob"]),
        ((("identifier", b.NUMBERS[0]),), ["ann"]),
        ((("identifier", f"https://example.org|{b.NUMBERS[0]}"),), []),
        ((("name", "sm"),), ["ann", "bob"]),
        ((("name", "zoe"),), ["zoe"]),
        ((("family", "odegard"),), ["zoe"]),
        ((("given", "BOB"),), ["bob"]),
        ((("family:contains", "yt"),), ["bob"]),
        ((("birthdate", "1948-03-05"),), ["ann"]),
        ((("birthdate", "ge1960"),), ["bob", "zoe"]),
        ((("birthdate", "lt1960-11-20"),), ["ann"]),
        ((("birthdate", "le1960-11-20"),), ["ann", "bob"]),
        ((("birthdate", "gt1960-11"),), ["zoe"]),
        ((("gender", "female"),), ["ann", "zoe"]),
        ((("gender:not", "female"),), ["bob"]),
        ((("general-practitioner", "Organization/demo-practice-a"), ("gender", "male")), ["bob"]),
        ((("general-practitioner", "demo-practice-b"),), []),
        ((("family", "smith,smyth"),), ["ann", "bob"]),
    ],
)
def test_patient_search_parameters(
    db: Session, people: dict[str, str], pairs: tuple, expected: list[str]
) -> None:
    names = {v: k for k, v in people.items()}
    assert sorted(names[i] for i in find(db, "Patient", *pairs)) == expected


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ((("code", f"{b.LOINC}|8867-4"), ("_sort", "date")), [70, 88, 120]),
        ((("code", "59408-5"), ("_sort", "-date")), [89, 94, 97]),
        ((("category", "vital-signs"), ("date", "2024-05-02"), ("_sort", "-value")), None),
        ((("code", "8867-4"), ("date", "gt2024-05-01"), ("_sort", "date")), [88, 120]),
        ((("code", "8867-4"), ("date", "ge2024-05-02"), ("date", "lt2024-05-03"), ("_sort", "date")), [88]),
        ((("code", "8867-4"), ("date", "le2024-05-02"), ("_sort", "date")), [70, 88]),
        ((("code", "8867-4"), ("date", "lt2024-05-01"), ("_sort", "date")), []),
        ((("code", "8867-4"), ("value-quantity", "gt80"), ("_sort", "date")), [88, 120]),
        (
            (("code", "59408-5"), ("value-quantity", "le94|http://unitsofmeasure.org|%"), ("_sort", "date")),
            [94, 89],
        ),
    ],
)
def test_observation_search_parameters(
    db: Session, people: dict[str, str], pairs: tuple, expected: list[float] | None
) -> None:
    patient = ("patient", people["ann"])
    if expected is None:
        with pytest.raises(Exception, match="cannot sort"):
            values(db, patient, *pairs)
        return
    assert values(db, patient, *pairs) == expected


def test_subject_and_patient_find_the_same_readings(db: Session, people: dict[str, str]) -> None:
    by_patient = find(db, "Observation", ("patient", people["ann"]))
    assert len(by_patient) == 6
    assert sorted(find(db, "Observation", ("subject", f"Patient/{people['ann']}"))) == sorted(by_patient)


def test_a_year_boundary_reading_falls_in_its_own_year(db: Session, people: dict[str, str]) -> None:
    assert len(find(db, "Observation", ("patient", people["bob"]), ("date", "2023"))) == 1
    assert find(db, "Observation", ("patient", people["bob"]), ("date", "ge2024-01-01")) == []


def test_latest_first_with_a_count_and_next_pages(db: Session, people: dict[str, str]) -> None:
    base = (("patient", people["ann"]), ("_sort", "-date"), ("_count", "4"))
    request = parse_search("Observation", list(base))
    first = service.search(db, actor=b.actor("gp_a"), request=request)
    assert len(first.versions) == 4 and first.has_more
    assert not first.is_total_exact  # not asked for, and the page does not reach the end
    rest = service.search(
        db, actor=b.actor("gp_a"), request=parse_search("Observation", [*base, ("_offset", "4")])
    )
    assert (rest.total, rest.is_total_exact, rest.has_more) == (6, True, False)  # the last page shows it
    seen = [v.resource_id for v in first.versions + rest.versions]
    assert len(set(seen)) == 6
    dates = [v.body["effectiveDateTime"] for v in first.versions + rest.versions if v.body]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize("asked", ["accurate", "estimate"])
def test_total_accurate_counts_every_match(db: Session, people: dict[str, str], asked: str) -> None:
    pairs = [("patient", people["ann"]), ("_sort", "-date"), ("_count", "4"), ("_total", asked)]
    result = service.search(db, actor=b.actor("gp_a"), request=parse_search("Observation", pairs))
    assert (result.total, result.is_total_exact, len(result.versions), result.has_more) == (6, True, 4, True)


@pytest.mark.parametrize(
    ("count", "offset", "expected"),
    [
        ("6", "0", (6, True, 6, False)),  # a full page that is also the last: nothing follows
        ("7", "0", (6, True, 6, False)),
        ("5", "0", (6, False, 5, True)),
        ("5", "5", (6, True, 1, False)),
        ("5", "10", (0, False, 0, False)),  # past the end: the total is not known from the page
    ],
)
def test_next_page_exactly_when_more_matches_follow(
    db: Session, people: dict[str, str], count: str, offset: str, expected: tuple[int, bool, int, bool]
) -> None:
    for sort in ([("_sort", "-date")], [("_sort", "date")], []):
        pairs = [("patient", people["ann"]), *sort, ("_count", count), ("_offset", offset)]
        result = service.search(db, actor=b.actor("gp_a"), request=parse_search("Observation", pairs))
        got = (result.total, result.is_total_exact, len(result.versions), result.has_more)
        assert got == expected, sort


def test_summary_count_gives_the_total_only(db: Session, people: dict[str, str]) -> None:
    request = parse_search("Observation", [("patient", people["ann"]), ("_summary", "count")])
    result = service.search(db, actor=b.actor("gp_a"), request=request)
    assert (result.total, result.versions) == (6, [])


def test_last_updated_and_id(db: Session, people: dict[str, str]) -> None:
    assert sorted(find(db, "Patient", ("_lastUpdated", "ge2000-01-01"))) == sorted(people.values())
    assert find(db, "Patient", ("_lastUpdated", "lt2000-01-01")) == []
    assert find(db, "Patient", ("_id", people["bob"])) == [people["bob"]]


def test_include_adds_the_patient_and_the_practice(db: Session, people: dict[str, str]) -> None:
    request = parse_search("Observation", [("patient", people["ann"]), ("_include", "Observation:patient")])
    result = service.search(db, actor=b.actor("gp_a"), request=request)
    assert [v.resource_id for v in result.included] == [people["ann"]]
    request = parse_search("Patient", [("_id", people["ann"]), ("_include", "Patient:general-practitioner")])
    result = service.search(db, actor=b.actor("gp_a"), request=request)
    assert result.registry_refs == [("Organization", "demo-practice-a")]


def test_deleted_resources_are_not_found(db: Session, people: dict[str, str]) -> None:
    target = find(db, "Observation", ("patient", people["bob"]))[0]
    service.delete(db, actor=b.actor("gp_a"), resource_type="Observation", resource_id=target)
    assert find(db, "Observation", ("patient", people["bob"])) == []
