"""The demo's synthetic people: 999 NHS numbers, ages like LLR's, an older virtual-ward cohort."""

from datetime import date
from statistics import median

from hypothesis import given, settings
from hypothesis import strategies as st

from joinedup.record.demo_people import FIRST_NHS_NUMBER, demo_people
from joinedup.record.nhs_number import is_valid

TODAY = date(2026, 1, 1)


def test_numbers_are_valid_distinct_never_issued_and_the_first_is_the_access_demo_patient() -> None:
    people = demo_people(300, cohort=100, today=TODAY)
    numbers = [p.nhs_number for p in people]
    assert numbers[0] == FIRST_NHS_NUMBER
    assert len(set(numbers)) == 300
    assert all(is_valid(n) and n.startswith("999") for n in numbers)


def test_the_virtual_ward_cohort_is_older_than_the_population() -> None:
    people = demo_people(300, cohort=100, today=TODAY)
    cohort = [p.age_on(TODAY) for p in people if p.virtual_ward_cohort]
    others = [p.age_on(TODAY) for p in people if not p.virtual_ward_cohort]
    assert min(cohort) >= 65 and median(cohort) >= 78
    assert median(others) < 50
    # LLR has about 22% under 18 (ONS mid-2016, as data/population/llr.toml rounds it)
    assert 0.12 < sum(a < 18 for a in others) / len(others) < 0.32


def test_the_same_seed_gives_the_same_people() -> None:
    assert demo_people(20, cohort=5, today=TODAY) == demo_people(20, cohort=5, today=TODAY)


@settings(max_examples=20)
@given(st.integers(min_value=1, max_value=60), st.integers(min_value=0, max_value=60))
def test_everyone_is_born_before_today(count: int, cohort: int) -> None:
    people = demo_people(count, cohort=min(cohort, count), today=TODAY)
    assert len(people) == count and all(p.birth_date < TODAY for p in people)
