"""NHS numbers: Modulus 11 validation, normalising, display format and synthetic test numbers.

The check digit follows the NHS Data Dictionary, "NHS NUMBER" attribute: weights 10 to 2 on the first
nine digits, 11 minus the remainder of the weighted sum divided by 11, 11 becomes 0, and 10 means the
number is invalid. The arithmetic is done by the `nhs-number` package; which text we accept is ours.
"""

import itertools
import random
import re
from collections.abc import Iterator

from nhs_number.validate import calculate_checksum

# Ten ASCII digits, or 3-3-4 groups separated by single spaces; nothing else (no dashes, no padding).
_ACCEPTED_FORM = re.compile(r"[0-9]{10}|[0-9]{3} [0-9]{3} [0-9]{4}", re.ASCII)

TEST_RANGE_PREFIX = "999"
"""NHS numbers starting 999 are never issued to real people (synthetic and test patients)."""

TEST_RANGE_CAPACITY = 909_091
"""How many valid numbers exist from 999 000 0000 to 999 999 9999 (the rest have check digit 10)."""


def is_valid(text: str) -> bool:
    """True when `text` is ten digits (optionally 3-3-4 spaced) whose last digit is the Modulus 11 check."""
    if not isinstance(text, str) or _ACCEPTED_FORM.fullmatch(text) is None:
        return False
    digits = text.replace(" ", "")
    return calculate_checksum(digits[:9]) == int(digits[9])


def normalise(text: str) -> str:
    """The ten digits of a valid NHS number, for storage and comparison; ValueError when invalid."""
    if not isinstance(text, str) or _ACCEPTED_FORM.fullmatch(text) is None:
        raise ValueError(
            f"NHS number {text!r} must be 10 digits, written either together or as 3-3-4 groups "
            "separated by single spaces"
        )
    if not is_valid(text):
        raise ValueError(f"NHS number {text!r} fails the Modulus 11 check digit test")
    return text.replace(" ", "")


def checked(text: str) -> str:
    """The ten digits of a valid NHS number, or ValueError in the words input schemas show to callers."""
    if not is_valid(text):
        raise ValueError(f"{text!r} is not a valid NHS number (10 digits with a Modulus 11 check digit)")
    return normalise(text)


def format_(number: str) -> str:
    """The 3-3-4 spaced form that NHS screens and letters show (e.g. '943 476 5919')."""
    digits = normalise(number)
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def generate_test_numbers(count: int, seed: int) -> list[str]:
    """`count` distinct valid NHS numbers in the never-issued 999 range, the same list for the same seed.

    Drawn at random without replacement; asking for the whole range takes a few seconds.
    """
    if count < 0:
        raise ValueError(f"count must be 0 or more, not {count}")
    if count > TEST_RANGE_CAPACITY:
        raise ValueError(
            f"count {count} is more than the {TEST_RANGE_CAPACITY} valid NHS numbers in the 999 range"
        )
    candidates = (_with_check_digit(suffix) for suffix in _shuffled_suffixes(random.Random(seed)))
    return list(itertools.islice((number for number in candidates if number is not None), count))


def _shuffled_suffixes(rng: random.Random) -> Iterator[int]:
    """0 to 999,999 in a random order, drawn lazily (a Fisher-Yates shuffle that stores only swaps)."""
    size = 1_000_000
    swapped: dict[int, int] = {}
    for position in range(size):
        chosen = rng.randrange(position, size)
        yield swapped.get(chosen, chosen)
        swapped[chosen] = swapped.get(position, position)
        swapped.pop(position, None)


def _with_check_digit(suffix: int) -> str | None:
    """The full number for 999 followed by the six-digit `suffix`, or None when no check digit fits."""
    first_nine = f"{TEST_RANGE_PREFIX}{suffix:06d}"
    check = calculate_checksum(first_nine)
    if check is None or check == 10:
        return None
    return f"{first_nine}{check}"
