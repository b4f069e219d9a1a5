"""How well public-voice redaction finds personal data, measured on labelled stories.

Reads tests/voice/redaction_stories.txt (stories with every piece of personal data marked), redacts each with
the place names of the bundled LLR registry data kept (as the service does), and prints recall and
precision per kind for the held-out "test" stories and the "dev" stories used while building the rules.

Recall: a labelled span counts as caught when every one of its letters and digits is inside a finding.
Precision: a finding counts as right when it overlaps some labelled span (of any kind: an NHS number taken
out as a phone number is still taken out). Last line: `recall: R precision: P` for the test stories.

Run: .venv/bin/python bench/redaction.py
"""

from __future__ import annotations

import re
import sys
import time
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from joinedup.voice.redaction import KINDS, Finding, find_personal_data  # noqa: E402

STORIES = ROOT / "tests" / "voice" / "redaction_stories.txt"
DATA = ROOT / "src" / "joinedup" / "data"
_LABEL = re.compile(r"\[\[([a-z_]+):(.+?)\]\]")


@dataclass(frozen=True)
class Label:
    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Story:
    section: str
    text: str
    labels: tuple[Label, ...]


def parse_story(marked: str, section: str) -> Story:
    """Strip the [[kind:text]] marks, keeping where each labelled span sits in the plain text."""
    text, labels, at = [], [], 0
    for match in _LABEL.finditer(marked):
        text.append(marked[at : match.start()])
        start = sum(len(t) for t in text)
        text.append(match.group(2))
        labels.append(Label(match.group(1), start, start + len(match.group(2))))
        at = match.end()
    text.append(marked[at:])
    return Story(section, "".join(text), tuple(labels))


def load_stories(path: Path = STORIES) -> list[Story]:
    """Every story in the file, each knowing whether it is in the dev or the test section."""
    stories: list[Story] = []
    section = "dev"
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        lines = []
        for line in block.strip().splitlines():
            if line.startswith("## "):
                section = line[3:].strip()
            elif not line.startswith("#"):
                lines.append(line)
        if lines:
            stories.append(parse_story(" ".join(lines), section))
    return stories


def registry_place_names(folder: Path = DATA) -> list[str]:
    """Names, aliases and towns of every organisation, site, service and area in the bundled data."""
    names: set[str] = set()
    for path in folder.rglob("*.toml"):
        document = tomllib.loads(path.read_text(encoding="utf-8"))
        for table in ("organisations", "sites", "services", "areas"):
            for entry in document.get(table, []) if isinstance(document.get(table), list) else []:
                names.update(str(entry[k]) for k in ("name", "town") if entry.get(k))
                names.update(str(a) for a in entry.get("aliases", []))
    return sorted(names)


def _caught(label: Label, text: str, findings: list[Finding]) -> bool:
    return all(
        any(f.start <= i < f.end for f in findings)
        for i in range(label.start, label.end)
        if text[i].isalnum()
    )


def score(stories: list[Story], keep: list[str]) -> dict[str, dict[str, int]]:
    """Per kind: labelled, caught, found, right (counts behind recall and precision)."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict(labelled=0, caught=0, found=0, right=0))
    for story in stories:
        findings = find_personal_data(story.text, keep=keep)
        for label in story.labels:
            counts[label.kind]["labelled"] += 1
            counts[label.kind]["caught"] += _caught(label, story.text, findings)
        for f in findings:
            counts[f.kind]["found"] += 1
            counts[f.kind]["right"] += any(f.start < lab.end and lab.start < f.end for lab in story.labels)
    return counts


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.2f} ({a}/{b})" if b else "n/a"


def report(section: str, counts: dict[str, dict[str, int]]) -> tuple[float, float]:
    print(f"\n{section} stories")
    print(f"  {'kind':<15}{'recall':<18}{'precision':<18}")
    total = dict(labelled=0, caught=0, found=0, right=0)
    for kind in KINDS:
        c = counts.get(kind, dict(labelled=0, caught=0, found=0, right=0))
        print(f"  {kind:<15}{_ratio(c['caught'], c['labelled']):<18}{_ratio(c['right'], c['found']):<18}")
        for key in total:
            total[key] += c[key]
    print(
        f"  {'all':<15}{_ratio(total['caught'], total['labelled']):<18}"
        f"{_ratio(total['right'], total['found']):<18}"
    )
    return total["caught"] / max(total["labelled"], 1), total["right"] / max(total["found"], 1)


def main() -> None:
    stories = load_stories()
    keep = registry_place_names()
    find_personal_data("warm up the analyser", keep=keep)
    started = time.perf_counter()
    results = {s: score([st for st in stories if st.section == s], keep) for s in ("dev", "test")}
    elapsed = time.perf_counter() - started
    print(
        f"{len(stories)} stories, {len(keep)} registry place names kept, "
        f"{len(stories) / elapsed:.0f} stories per second"
    )
    report("dev", results["dev"])
    recall, precision = report("test", results["test"])
    print(f"\nrecall: {recall:.2f} precision: {precision:.2f}")


if __name__ == "__main__":
    main()
