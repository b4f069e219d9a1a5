"""Redaction: each kind of personal data taken out, place names and ordinary dates kept, measured on the
labelled stories, and property tests over generated identifiers."""

from __future__ import annotations

import importlib.util
import itertools
import string
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from joinedup.voice.redaction import REPLACEMENTS, find_personal_data, redact

BENCH = Path(__file__).resolve().parents[2] / "bench" / "redaction.py"
KEEP = [
    "Leicester Royal Infirmary",
    "Rutland Memorial Hospital",
    "Rutland Memorial",
    "Fielding Palmer",
    "St Mary's Birth Centre",
    "Oakham",
    "Lutterworth",
    "Melton Mowbray",
    "Leicester",
    "Glenfield",
]


def _bench() -> object:
    spec = importlib.util.spec_from_file_location("redaction_bench", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("text", "gone", "kind"),
    [
        ("My NHS number is 943 476 5919.", "943 476 5919", "nhs_number"),
        ("NHS no 9434765919 please", "9434765919", "nhs_number"),
        ("my number is 943 476 5918 (I may have mistyped it)", "943 476 5918", "nhs_number"),
        ("Ring me on 0116 496 0321 after six.", "496 0321", "phone_number"),
        ("Mobile 07700 900123", "900123", "phone_number"),
        ("call +44 7700 900123 any time", "900123", "phone_number"),
        ("Email me at jo.bloggs@example.co.uk thanks", "jo.bloggs@example.co.uk", "email"),
        ("We live at LE15 6NT now", "LE15 6NT", "postcode"),
        ("postcode le1 5ww", "le1 5ww", "postcode"),
        ("I was born on 3 March 1948 in Oakham.", "3 March 1948", "date_of_birth"),
        ("DOB: 02/07/1944", "02/07/1944", "date_of_birth"),
        ("Her date of birth is 12.05.1949 and she is frail.", "12.05.1949", "date_of_birth"),
        ("Write to 12 Church Lane, Oakham.", "12 Church Lane", "address"),
        ("Dr Patel was lovely.", "Patel", "name"),
        ("My son Jake waited 14 weeks.", "Jake", "name"),
        ("my daughter grace had her tonsils out", "grace", "name"),
        ("Thank you to Sarah and Priya on ward 7.", "Priya", "name"),
        ("Margaret Wilson was kept in the corridor.", "Margaret Wilson", "name"),
    ],
)
def test_personal_data_is_replaced_by_its_label(text: str, gone: str, kind: str) -> None:
    result = redact(text, keep=KEEP)
    assert gone not in result.text
    assert REPLACEMENTS[kind] in result.text
    assert result.counts.get(kind, 0) >= 1


@pytest.mark.parametrize(
    "text",
    [
        "I went to the Leicester Royal Infirmary on 3 March 2023 and waited four hours.",
        "Rutland Memorial Hospital in Oakham must keep its beds.",
        "The birth centre at St Mary's in Melton Mowbray is wonderful.",
        "Fielding Palmer in Lutterworth has the best physios.",
        "Parking at Glenfield cost me £9.80 for 2 hours on ward 22.",
        "I rang 111 at 3am and waited 45 minutes; my complaint reference is 4471.",
        "Grace and hope are what the staff showed us in May.",
    ],
)
def test_ordinary_words_places_and_event_dates_are_kept(text: str) -> None:
    assert redact(text, keep=KEEP).text == text


def test_findings_point_into_the_original_text_without_overlapping() -> None:
    text = "Mrs Kaur, 07700 900461, jo@example.org, LE15 6NT, NHS 943 476 5919"
    findings = find_personal_data(text)
    assert [f.kind for f in findings] == ["name", "phone_number", "email", "postcode", "nhs_number"]
    assert all(a.end <= b.start for a, b in itertools.pairwise(findings))
    assert text[findings[-1].start : findings[-1].end] == "943 476 5919"


def test_script_in_a_story_is_left_as_text_for_the_page_to_escape() -> None:
    text = "<script>alert('x')</script> the ward was clean"
    assert redact(text).text == text


def _nhs_number(nine: str) -> str | None:
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    return None if check == 10 else nine + str(0 if check == 11 else check)


@settings(max_examples=60, deadline=None)
@given(
    nine=st.text(alphabet=string.digits, min_size=9, max_size=9),
    spaced=st.booleans(),
    before=st.sampled_from(["My NHS number is", "Number:", "it's", "ref"]),
)
def test_every_valid_nhs_number_is_removed(nine: str, spaced: bool, before: str) -> None:
    number = _nhs_number(nine)
    if number is None:
        return
    shown = f"{number[:3]} {number[3:6]} {number[6:]}" if spaced else number
    result = redact(f"{before} {shown}. The ward was busy.")
    assert shown not in result.text
    assert number not in result.text.replace(" ", "")


@settings(max_examples=60, deadline=None)
@given(
    local=st.from_regex(r"[a-z][a-z0-9._]{0,15}[a-z0-9]", fullmatch=True),
    domain=st.from_regex(r"[a-z]{2,12}", fullmatch=True),
    tld=st.sampled_from(["com", "co.uk", "org", "nhs.net"]),
)
def test_every_email_address_is_removed(local: str, domain: str, tld: str) -> None:
    address = f"{local}@{domain}.{tld}"
    assert address not in redact(f"Please write to {address} about my mum.").text


@settings(max_examples=60, deadline=None)
@given(digits=st.text(alphabet=string.digits, min_size=9, max_size=9), style=st.sampled_from(["07", "+44 7"]))
def test_every_uk_mobile_number_is_removed(digits: str, style: str) -> None:
    number = f"{style}{digits[:3]} {digits[3:]}"
    result = redact(f"Text me on {number} tonight.")
    assert digits[3:] not in result.text


def test_labelled_stories_identifiers_are_all_caught() -> None:
    bench = _bench()
    stories = bench.load_stories()  # type: ignore[attr-defined]
    counts = bench.score(stories, KEEP)  # type: ignore[attr-defined]
    for kind in ("nhs_number", "phone_number", "email", "postcode", "date_of_birth"):
        assert counts[kind]["caught"] == counts[kind]["labelled"], kind


def test_held_out_stories_keep_recall_and_precision_at_or_above_ninety_percent() -> None:
    bench = _bench()
    stories = [s for s in bench.load_stories() if s.section == "test"]  # type: ignore[attr-defined]
    counts = bench.score(stories, KEEP)  # type: ignore[attr-defined]
    caught = sum(c["caught"] for c in counts.values())
    labelled = sum(c["labelled"] for c in counts.values())
    right = sum(c["right"] for c in counts.values())
    found = sum(c["found"] for c in counts.values())
    assert labelled >= 35 and caught / labelled >= 0.9
    assert right / found >= 0.9
