"""Remove personal data from a public story before it is stored: NHS numbers, phone numbers, emails,
UK postcodes, dates of birth, street addresses and people's names.

Built on Microsoft Presidio: its analyser runs the recognisers and resolves their scores with context
words ("born", "DOB" before a date), its anonymiser writes the replacements. Presidio's own recognisers
serve NHS numbers (Modulus 11), phone numbers (Google's libphonenumber), emails and UK postcodes; dates
of birth, addresses and names are recognisers of ours (see personal_names.py). No spaCy model is used:
spaCy's blank English tokenizer gives the analyser its words.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import spacy
import tldextract
from presidio_analyzer import (
    AnalyzerEngine,
    EntityRecognizer,
    LocalRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine
from presidio_analyzer.predefined_recognizers import (
    DateRecognizer,
    EmailRecognizer,
    NhsRecognizer,
    PhoneRecognizer,
    UkPostcodeRecognizer,
)
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig
from presidio_anonymizer.entities import RecognizerResult as AnonymizerResult

from joinedup.voice.personal_names import find_names

# What each kind of personal data becomes in the public text.
REPLACEMENTS: dict[str, str] = {
    "nhs_number": "[NHS number]",
    "phone_number": "[phone number]",
    "email": "[email address]",
    "postcode": "[postcode]",
    "date_of_birth": "[date of birth]",
    "address": "[address]",
    "name": "[name]",
}
KINDS = tuple(REPLACEMENTS)

# Presidio entity → our kind.
_ENTITY_KIND = {
    "UK_NHS": "nhs_number",
    "NHS_NUMBER_SHAPE": "nhs_number",
    "PHONE_NUMBER": "phone_number",
    "EMAIL_ADDRESS": "email",
    "UK_POSTCODE": "postcode",
    "DATE_OF_BIRTH": "date_of_birth",
    "STREET_ADDRESS": "address",
    "PERSON": "name",
}
# A date alone scores 0.1; with a birth word within five words before it Presidio raises it to 0.45.
SCORE_THRESHOLD = 0.35
BIRTH_WORDS = ["born", "birth", "dob", "d.o.b", "birthday"]
_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_STREET = (
    r"(?:Road|Rd|Street|St|Lane|Ln|Avenue|Ave|Close|Drive|Way|Crescent|Gardens|Place|Terrace|Court"
    r"|Grove|Row|Walk|Rise|Hill|View|Mews|Green|Square|Gate|Park)"
)
_OFFLINE_DOMAINS = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@dataclass(frozen=True)
class Finding:
    """Personal data of `kind` at text[start:end] of the original text."""

    kind: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class RedactedText:
    """The public text and what was taken out of the original to make it."""

    text: str
    findings: tuple[Finding, ...]

    @property
    def counts(self) -> dict[str, int]:
        """How many of each kind were removed."""
        return dict(Counter(f.kind for f in self.findings))


class _BlankEnglish(NlpEngine):
    """spaCy's rule-based English tokenizer, no trained model: words and lower-case forms for context."""

    def __init__(self) -> None:
        self.nlp: Any = None

    def load(self) -> None:
        self.nlp = spacy.blank("en")

    def is_loaded(self) -> bool:
        return self.nlp is not None

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        doc = self.nlp(text)
        return NlpArtifacts(
            entities=[],
            tokens=doc,
            tokens_indices=[t.idx for t in doc],
            lemmas=[t.lower_ for t in doc],
            nlp_engine=self,
            language=language,
        )

    def process_batch(
        self, texts: Iterable[str], language: str, batch_size: int = 1, n_process: int = 1, **kwargs: Any
    ) -> Iterator[tuple[str, NlpArtifacts]]:
        for text in texts:
            yield text, self.process_text(text, language)

    def is_stopword(self, word: str, language: str) -> bool:
        return bool(self.nlp.vocab[word].is_stop)

    def is_punct(self, word: str, language: str) -> bool:
        return bool(self.nlp.vocab[word].is_punct)

    def get_supported_entities(self) -> list[str]:
        return []

    def get_supported_languages(self) -> list[str]:
        return ["en"]


class _OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's email recogniser with the bundled public-suffix list (it would otherwise fetch one)."""

    def validate_result(self, pattern_text: str) -> bool:
        return bool(_OFFLINE_DOMAINS(pattern_text.rsplit("@", 1)[-1]).suffix)


class _UkPhoneRecognizer(PhoneRecognizer):
    """libphonenumber's possible UK numbers (lenient, so unissued ranges count) of at least ten digits."""

    MIN_DIGITS = 10

    def __init__(self) -> None:
        super().__init__(supported_regions=("GB",), leniency=0)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        found: list[RecognizerResult] = super().analyze(text, entities, nlp_artifacts)  # type: ignore[arg-type]
        return [r for r in found if sum(c.isdigit() for c in text[r.start : r.end]) >= self.MIN_DIGITS]


class _PersonNameRecognizer(LocalRecognizer):
    """People's names by title, cue and given-name list (personal_names.find_names)."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], name="PersonNameRecognizer")

    def load(self) -> None:
        return None

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        return [RecognizerResult("PERSON", span.start, span.end, span.score) for span in find_names(text)]


def _date_of_birth_recognizer() -> PatternRecognizer:
    """Any date, scored low unless a birth word comes before it (Presidio's context enhancement)."""
    patterns = [Pattern(p.name, p.regex, 0.1) for p in DateRecognizer.PATTERNS]
    patterns.append(
        Pattern("d Month yyyy", rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}\.?,?\s+\d{{2,4}}\b", 0.1)
    )
    patterns.append(
        Pattern("Month d yyyy", rf"\b{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b", 0.1)
    )
    return PatternRecognizer(
        "DATE_OF_BIRTH", patterns=patterns, context=BIRTH_WORDS, name="DateOfBirthRecognizer"
    )


def _recognisers() -> list[EntityRecognizer]:
    postcode = UkPostcodeRecognizer.PATTERNS[0]
    return [
        NhsRecognizer(),
        # A mistyped NHS number is still somebody's: any 3-3-4 group of ten digits goes, checked or not.
        PatternRecognizer(
            "NHS_NUMBER_SHAPE",
            name="NhsNumberShapeRecognizer",
            patterns=[Pattern("3-3-4 digits", r"(?<![\d+])\d{3}[ -]?\d{3}[ -]?\d{4}(?!\d)", 0.8)],
        ),
        _UkPhoneRecognizer(),
        _OfflineEmailRecognizer(),
        UkPostcodeRecognizer(patterns=[Pattern(postcode.name, postcode.regex, 0.6)]),
        _date_of_birth_recognizer(),
        PatternRecognizer(
            "STREET_ADDRESS",
            name="StreetAddressRecognizer",
            global_regex_flags=0,
            patterns=[
                Pattern(
                    "number and street",
                    rf"\b\d{{1,4}}[A-Za-z]?,?\s+(?:[A-Z][\w'’]+\s+){{1,3}}{_STREET}\b",
                    0.6,
                ),
            ],
        ),
        _PersonNameRecognizer(),
    ]


@lru_cache(maxsize=1)
def _engines() -> tuple[AnalyzerEngine, AnonymizerEngine]:
    nlp = _BlankEnglish()
    nlp.load()
    registry = RecognizerRegistry(supported_languages=["en"])
    for recogniser in _recognisers():
        registry.add_recognizer(recogniser)
    analyzer = AnalyzerEngine(
        registry=registry, nlp_engine=nlp, supported_languages=["en"], default_score_threshold=SCORE_THRESHOLD
    )
    return analyzer, AnonymizerEngine()  # type: ignore[no-untyped-call]


@lru_cache(maxsize=8)
def _keep_pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for all the phrases, longest first so "Rutland Memorial Hospital" wins over "Rutland"."""
    if not phrases:
        return None
    alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?:'s)?(?!\w)", re.IGNORECASE)


def _kept_ranges(text: str, keep: Iterable[str]) -> list[tuple[int, int]]:
    pattern = _keep_pattern(tuple(sorted({p.strip() for p in keep if p and p.strip()})))
    return [(m.start(), m.end()) for m in pattern.finditer(text)] if pattern else []


def _merge(findings: list[Finding]) -> list[Finding]:
    """Overlapping findings become one, of the kind scored highest, covering them all."""
    merged: list[Finding] = []
    for f in sorted(findings, key=lambda f: (f.start, -f.end)):
        if merged and f.start < merged[-1].end:
            last = merged[-1]
            kind = last.kind if last.score >= f.score else f.kind
            merged[-1] = Finding(kind, last.start, max(last.end, f.end), max(last.score, f.score))
        else:
            merged.append(f)
    return merged


def find_personal_data(text: str, *, keep: Iterable[str] = ()) -> list[Finding]:
    """Personal data in `text`, left to right; names of places in `keep` (e.g. from the registry) stay."""
    analyzer, _ = _engines()
    kept = _kept_ranges(text, keep)
    found = [
        Finding(_ENTITY_KIND[r.entity_type], r.start, r.end, float(r.score))
        for r in analyzer.analyze(text=text, language="en")
        if r.entity_type in _ENTITY_KIND
        and not (r.entity_type == "PERSON" and any(s <= r.start and r.end <= e for s, e in kept))
    ]
    return _merge(found)


def redact(text: str, *, keep: Iterable[str] = ()) -> RedactedText:
    """`text` with every piece of personal data replaced by a label such as "[name]" or "[NHS number]"."""
    findings = find_personal_data(text, keep=keep)
    if not findings:
        return RedactedText(text, ())
    _, anonymizer = _engines()
    operators = {
        kind: OperatorConfig("replace", {"new_value": label}) for kind, label in REPLACEMENTS.items()
    }
    results = [AnonymizerResult(f.kind, f.start, f.end, f.score) for f in findings]
    return RedactedText(
        anonymizer.anonymize(text=text, analyzer_results=results, operators=operators).text, tuple(findings)
    )
