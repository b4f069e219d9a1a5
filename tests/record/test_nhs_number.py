"""NHS number checks against the NHS Data Dictionary's Modulus 11 algorithm."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from joinedup.record import nhs_number
from joinedup.record.nhs_number import (
    TEST_RANGE_CAPACITY,
    format_,
    generate_test_numbers,
    is_valid,
    normalise,
)


def data_dictionary_check_digit(first_nine: str) -> int | None:
    """Written from the NHS Data Dictionary text, independently of the code under test."""
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9434765919", True),  # the Data Dictionary's worked example
        ("943 476 5919", True),
        ("4010232137", True),
        ("401 023 2137", True),
        ("9434765918", False),  # wrong check digit
        ("9434765910", False),
        ("943-476-5919", False),  # only spaces may separate the groups
        (" 9434765919", False),
        ("9434765919 ", False),
        ("9434765919\n", False),
        ("943 4765919", False),
        ("943  476 5919", False),
        ("94 3476 5919", False),
        ("94347659190", False),
        ("943476591", False),
        ("", False),
        ("943476591X", False),
        ("٩٤٣٤٧٦٥٩١٩", False),  # Arabic-Indic digits are not NHS number digits
    ],
)
def test_is_valid_matches_published_examples_and_format_rules(text: str, expected: bool) -> None:
    assert is_valid(text) is expected


@pytest.mark.parametrize("last_digit", range(10))
def test_number_whose_check_digit_would_be_10_is_never_valid(last_digit: int) -> None:
    assert data_dictionary_check_digit("999000000") is None
    assert not is_valid(f"999000000{last_digit}")


def test_non_string_input_is_not_valid() -> None:
    assert not is_valid(9434765919)  # type: ignore[arg-type]
    assert not is_valid(None)  # type: ignore[arg-type]


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.integers(0, 9))
def test_is_valid_agrees_with_the_data_dictionary_algorithm(first_nine: str, last: int) -> None:
    expected = data_dictionary_check_digit(first_nine) == last
    assert is_valid(f"{first_nine}{last}") is expected
    spaced = f"{first_nine[:3]} {first_nine[3:6]} {first_nine[6:]}{last}"
    assert is_valid(spaced) is expected


def test_normalise_returns_the_ten_digits() -> None:
    assert normalise("943 476 5919") == "9434765919"
    assert normalise("9434765919") == "9434765919"


def test_normalise_names_a_failed_check_digit() -> None:
    with pytest.raises(ValueError, match="Modulus 11"):
        normalise("9434765918")


@pytest.mark.parametrize("text", ["943-476-5919", "12345", "", "abcdefghij"])
def test_normalise_names_the_accepted_forms(text: str) -> None:
    with pytest.raises(ValueError, match="10 digits"):
        normalise(text)


def test_format_spaces_3_3_4() -> None:
    assert format_("9434765919") == "943 476 5919"
    assert format_("943 476 5919") == "943 476 5919"


def test_format_rejects_an_invalid_number() -> None:
    with pytest.raises(ValueError):
        format_("9434765918")


def test_generated_numbers_are_valid_distinct_and_in_the_999_test_range() -> None:
    numbers = generate_test_numbers(2000, seed=7)
    assert len(numbers) == 2000
    assert len(set(numbers)) == 2000
    assert all(is_valid(number) and number.startswith("999") for number in numbers)


def test_same_seed_gives_same_numbers_and_another_seed_others() -> None:
    assert generate_test_numbers(50, seed=1) == generate_test_numbers(50, seed=1)
    assert generate_test_numbers(50, seed=1) != generate_test_numbers(50, seed=2)


def test_generating_zero_numbers_gives_none() -> None:
    assert generate_test_numbers(0, seed=1) == []


@pytest.mark.parametrize("count", [-1, TEST_RANGE_CAPACITY + 1])
def test_generating_an_impossible_count_is_refused(count: int) -> None:
    with pytest.raises(ValueError, match="count"):
        generate_test_numbers(count, seed=1)


def test_test_range_capacity_is_the_number_of_valid_999_numbers() -> None:
    # Count six-digit suffixes by weighted sum modulo 11; a remainder of 1 gives check digit 10.
    ways = [0] * 11
    ways[(9 * 10 + 9 * 9 + 9 * 8) % 11] = 1
    for weight in (7, 6, 5, 4, 3, 2):
        ways = [sum(ways[(r - digit * weight) % 11] for digit in range(10)) for r in range(11)]
    assert sum(ways) == 1_000_000
    assert sum(ways) - ways[1] == TEST_RANGE_CAPACITY


def test_a_large_batch_is_distinct_and_valid() -> None:
    numbers = generate_test_numbers(20_000, seed=3)
    assert len(set(numbers)) == 20_000
    assert all(nhs_number.is_valid(number) for number in numbers)


@given(st.sampled_from(generate_test_numbers(500, seed=11)), st.integers(0, 9), st.integers(1, 9))
def test_a_single_mistyped_digit_is_always_caught(number: str, position: int, shift: int) -> None:
    mistyped = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1 :]
    assert not is_valid(mistyped)


@given(st.sampled_from(generate_test_numbers(500, seed=12)), st.integers(0, 9), st.integers(0, 9))
def test_two_swapped_digits_are_always_caught(number: str, first: int, second: int) -> None:
    digits = list(number)
    digits[first], digits[second] = digits[second], digits[first]
    swapped = "".join(digits)
    assert is_valid(swapped) is (swapped == number)
