"""Find people's names in free text without a trained model: titles, cue words and a given-name list.

No named-entity model can be installed here from PyPI (spaCy's English models are not published there), so
names are found by three transparent rules, each scored for Presidio: a title ("Dr Patel"), a cue ("my son
Jake", "thank you to Sarah", "my name is ...") and a given name from Faker's name lists for the
communities of Leicester, Leicestershire and Rutland, followed by any capitalised surname. What these rules
miss (a surname alone, an unlisted given name without a cue) is measured in bench/redaction.py.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

# Faker's person providers for the languages and communities most common in LLR.
NAME_LOCALES = ("en_GB", "en_IE", "en_US", "en_IN", "en_PK", "en_NG", "en_KE", "pl_PL", "ro_RO")


def _listed(words: str) -> tuple[str, ...]:
    """The words of a whitespace-separated list written as one block of text."""
    return tuple(words.split())


TITLES = frozenset(
    _listed("""
    dr doctor mr mrs ms miss mx prof professor nurse sister matron sir dame rev reverend father
""")
)

# Cue words after which the next capitalised word (or a listed given name, even lower case) is a name.
FAMILY = _listed("""
    husband wife partner son daughter mum mother mom dad father nan nana nanna gran granny grandma
    grandad grandpa grandson granddaughter brother sister aunt auntie uncle niece nephew friend
    neighbour carer baby boy girl fiance fiancee stepson stepdaughter
""")
ROLES = _listed("""
    nurse nurses midwife midwives doctor doctors consultant surgeon paramedic paramedics receptionist
    physio physiotherapist porter carer carers hca registrar gp pharmacist manager worker practitioner
    assistant sonographer therapist specialist student volunteer sister matron
""")
_CUE = re.compile(
    r"(?:\b(?:my|our|his|her|their)\s+(?:" + "|".join(FAMILY) + r")"
    r"|\b(?:" + "|".join(ROLES) + r")"
    r"|\bcalled|\bnamed|\bname\s+(?:is|was)|\bname's|\bthanks?\s+(?:you\s+)?to|\bthank\s+you"
    r"|\bi\s+am|\bi'm|\bsigned|\bdear)[,:]?\s+$",
    re.IGNORECASE,
)

# English words that are also given names: only a name after a title or a cue, never on their own.
COMMON_WORDS = frozenset(
    _listed("""
    april may june august autumn summer dawn winter faith hope grace joy patience charity mercy rose
    lily holly ivy iris daisy poppy heather jasmine ruby amber crystal pearl ginger sunny sky skye honey
    star angel precious blessing gift prince king queen rich young major bishop dean page miles will
    mark bill pat sue don ray art guy frank grant chase hunter victor lance sterling bud carol christian
    justice harmony melody paris sydney london chelsea brook brooke river storm rain sandy rusty wade
    cash an la le de van von du del so ad ace min ward hall bell black brown green white gray grey long
    day friday monday sunday tuesday wednesday thursday saturday unit royal general memorial hospital
    christmas easter healthwatch
""")
)

_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’\-](?=[^\W\d_]))*")
_SENTENCE_END = re.compile(r"[.!?]\s*$|^\s*$")


@dataclass(frozen=True)
class NameSpan:
    """A name found at text[start:end], with how sure the rule that found it is (0 to 1)."""

    start: int
    end: int
    score: float
    rule: str


@lru_cache(maxsize=1)
def given_names() -> frozenset[str]:
    """Lower-cased given names from Faker's person providers for NAME_LOCALES."""
    return _faker_names(("first_names", "first_names_male", "first_names_female"))


@lru_cache(maxsize=1)
def surnames() -> frozenset[str]:
    """Lower-cased family names from Faker's person providers for NAME_LOCALES."""
    return _faker_names(("last_names",))


def _faker_names(attributes: tuple[str, ...]) -> frozenset[str]:
    found: set[str] = set()
    for locale in NAME_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attribute in attributes:
            values = getattr(provider, attribute, None) or ()
            found.update(str(v).lower() for v in values)
    found.discard("doe")
    return frozenset(found)


def _is_capitalised(word: str) -> bool:
    return word[0].isupper() and not (len(word) > 1 and word.isupper())


@dataclass(frozen=True)
class _Word:
    start: int
    end: int
    text: str

    @property
    def lower(self) -> str:
        return self.text.lower()


def _words(text: str) -> list[_Word]:
    return [_Word(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]


def _could_be_name(word: _Word) -> bool:
    return _is_capitalised(word.text) and word.lower not in TITLES and word.lower not in COMMON_WORDS


def _extend_surname(text: str, words: list[_Word], index: int) -> int:
    """Index of the last word of a name starting at `index`: up to two capitalised words that follow."""
    last = index
    for nxt in words[index + 1 : index + 3]:
        gap = text[words[last].end : nxt.start]
        if gap not in (" ", "-") or not _is_capitalised(nxt.text) or nxt.lower in COMMON_WORDS:
            break
        if nxt.lower in TITLES:
            break
        last += 1
    return last


def _rule_for(text: str, words: list[_Word], i: int) -> tuple[str, float] | None:
    word = words[i]
    before = text[max(0, word.start - 40) : word.start]
    previous = words[i - 1] if i > 0 else None
    if previous is not None and previous.lower in {"st", "saint"}:
        return None
    # A title ("Dr", "Mrs", "Sister") followed by a capitalised word or a listed surname.
    if (
        previous is not None
        and previous.lower in TITLES
        and re.fullmatch(r"\.?\s", text[previous.end : word.start])
    ) and (_could_be_name(word) or word.lower in surnames()):
        return "title", 0.85
    if _CUE.search(before) and (_could_be_name(word) or word.lower in given_names()):
        return "cue", 0.7
    if _could_be_name(word) and word.lower in given_names():
        return "given name", 0.6
    return None


def find_names(text: str) -> Iterator[NameSpan]:
    """Every name the rules find in `text`, left to right, each covering the given name and surname."""
    words = _words(text)
    i = 0
    while i < len(words):
        rule = _rule_for(text, words, i)
        if rule is None:
            i += 1
            continue
        last = _extend_surname(text, words, i)
        yield NameSpan(words[i].start, words[last].end, rule[1], rule[0])
        i = last + 1
        # "Amy and Becky", "Sarah, Priya": a capitalised word joined to a name is a name too.
        while i < len(words) and re.fullmatch(r",?\s+and\s+|,\s+", text[words[i - 1].end : words[i].start]):
            if not _could_be_name(words[i]):
                break
            last = _extend_surname(text, words, i)
            yield NameSpan(words[i].start, words[last].end, 0.6, "list")
            i = last + 1
