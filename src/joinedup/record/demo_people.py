"""Synthetic people for the demo: made-up names, LLR towns, ages like LLR's, 999 NHS numbers. Pure.

Nobody here is real. Ages follow the LLR population by age band that the planner uses
(`data/population/llr.toml`, ONS mid-2016 estimates as rounded there); the virtual-ward cohort is drawn
older (an assumption: virtual wards in LLR mostly care for frail older people, seed 002).
"""

from __future__ import annotations

import random
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources

from joinedup.record.nhs_number import generate_test_numbers

# The access demo's patient (`demo-patient` logs in as them): always the first demo patient.
FIRST_NHS_NUMBER = "9990000018"
# assumption: common given and family names in England (ONS baby names and surname frequencies, with the
# South Asian names common in Leicester); combined at random, so no real person is meant.
GIVEN = {
    "female": (
        "Margaret",
        "Patricia",
        "Susan",
        "Jean",
        "Sarah",
        "Emma",
        "Priya",
        "Anita",
        "Fatima",
        "Olivia",
        "Joan",
        "Hannah",
        "Kiran",
        "Sophie",
        "Dorothy",
        "Amira",
        "Janet",
        "Chloe",
        "Meera",
        "Eileen",
    ),
    "male": (
        "John",
        "David",
        "Michael",
        "Peter",
        "James",
        "Robert",
        "Raj",
        "Sanjay",
        "Mohammed",
        "Oliver",
        "George",
        "Harry",
        "Arjun",
        "Thomas",
        "Kenneth",
        "Imran",
        "Brian",
        "Daniel",
        "Vijay",
        "Stanley",
    ),
}
FAMILY = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Patel",
    "Mistry",
    "Khan",
    "Robinson",
    "Wright",
    "Thompson",
    "Walker",
    "Chauhan",
    "Parmar",
    "Clarke",
    "Hall",
    "Wood",
    "Begum",
    "Singh",
    "Kaur",
    "Green",
    "Hughes",
    "Lakhani",
    "Evans",
    "Turner",
    "Cooper",
    "Shah",
    "Ward",
)
# Towns of the demo practices' areas and their postcode districts (outward codes only: no full address).
TOWNS = (
    ("Loughborough", "LE11"),
    ("Shepshed", "LE12"),
    ("Coalville", "LE67"),
    ("Leicester", "LE4"),
    ("Leicester", "LE2"),
    ("Melton Mowbray", "LE13"),
    ("Oakham", "LE15"),
    ("Market Harborough", "LE16"),
    ("Hinckley", "LE10"),
    ("Lutterworth", "LE17"),
)


@dataclass(frozen=True)
class Person:
    nhs_number: str
    given: str
    family: str
    gender: str
    birth_date: date
    town: str
    postcode_district: str
    virtual_ward_cohort: bool

    def age_on(self, day: date) -> int:
        return (
            day.year
            - self.birth_date.year
            - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))
        )


def _age_bands() -> list[tuple[int, int, int]]:
    """(youngest, oldest, people) per band of the LLR population file."""
    text = resources.files("joinedup").joinpath("data/population/llr.toml").read_text()
    bands = []
    for band in tomllib.loads(text)["bands"]:
        low, _, high = str(band["id"]).replace("+", "-100").partition("-")
        bands.append((int(low), int(high), int(band["people"])))
    return bands


def _general_age(rng: random.Random, bands: list[tuple[int, int, int]]) -> int:
    low, high, _ = rng.choices(bands, weights=[b[2] for b in bands])[0]
    return rng.randint(low, min(high, 99))


def _cohort_age(rng: random.Random) -> int:
    return round(rng.triangular(65, 99, 84))


def demo_people(count: int, *, cohort: int, today: date, seed: int = 2016) -> list[Person]:
    """`count` people, the last `cohort` of them the older virtual-ward cohort; the same for the same seed."""
    rng = random.Random(seed)
    bands = _age_bands()
    numbers = [FIRST_NHS_NUMBER] + [
        n for n in generate_test_numbers(count + 1, seed) if n != FIRST_NHS_NUMBER
    ]
    people = []
    for index in range(count):
        in_cohort = index >= count - cohort or index == 0
        age = _cohort_age(rng) if in_cohort else _general_age(rng, bands)
        gender = rng.choice(("female", "male"))
        town, district = rng.choice(TOWNS)
        born = today - timedelta(days=365.25 * age + rng.randint(0, 364))
        people.append(
            Person(
                numbers[index],
                rng.choice(GIVEN[gender]),
                rng.choice(FAMILY),
                gender,
                born,
                town,
                district,
                in_cohort,
            )
        )
    return people
