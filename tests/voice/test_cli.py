"""`joinedup voice report`: one self-contained HTML file, and one clear line for bad input."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from joinedup.access.policy import Principal, Role
from joinedup.db import create_engine, session_factory, transaction, upgrade
from joinedup.registry import service as registry
from joinedup.settings import get_settings
from joinedup.voice import service
from joinedup.voice.schemas import FeedbackCreate

from .conftest import PLACES


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file with the test places and two stories about UHL, one published."""
    url = f"sqlite:///{tmp_path_factory.mktemp('voice-cli') / 'voice.db'}"
    engine = create_engine(url)
    upgrade(engine)
    staff = Principal(username="hw", role=Role.HEALTHWATCH_STAFF)
    with transaction(session_factory(engine)) as session:
        registry.load_file(session, PLACES)
        for i, text in enumerate(["The midwives were wonderful.", "I waited nine hours, it was terrible."]):
            stored = service.submit_feedback(
                session,
                feedback=FeedbackCreate(text=text, about="lri"),
                sender=f"s{i}",
                now=datetime(2025, 3, 1 + i, tzinfo=UTC),
            )
            if i == 0:
                service.publish(session, stored.reference, actor=staff)
    engine.dispose()
    return url


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(
    database: str, monkeypatch: pytest.MonkeyPatch, run_cli: Callable[..., tuple[int, str, str]]
) -> Callable[..., Ran]:
    """Run `joinedup voice ...` in this process, as the console script would, over the test database."""
    monkeypatch.setenv("JOINEDUP_DATABASE_URL", database)

    def invoke(*args: str) -> Ran:
        get_settings.cache_clear()
        try:
            return Ran(*run_cli("voice", *args))
        finally:
            get_settings.cache_clear()

    return invoke


def test_report_is_written_as_one_self_contained_page(run: Callable[..., Ran], tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    done = run("report", "--org", "RWE", "--from", "2025-01-01", "--to", "2025-12-31", "--out", str(out))
    assert done.returncode == 0, done.stderr
    html = out.read_text()
    assert "What the public said about University Hospitals of Leicester NHS Trust" in html
    assert "The midwives were wonderful." in html
    assert "<script src=" not in html and "Plotly" in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--org", "ZZZ", "--from", "2025-01-01", "--to", "2025-12-31"), "no organisation with ODS code"),
        (("--org", "RWE", "--from", "2025-13-01", "--to", "2025-12-31"), "--from"),
        (("--org", "RWE", "--from", "2025-12-31", "--to", "2025-01-01"), "before it starts"),
    ],
)
def test_bad_input_is_one_clear_line_and_a_non_zero_exit(
    run: Callable[..., Ran], tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    out = tmp_path / "report.html"
    done = run("report", *args, "--out", str(out))
    assert done.returncode != 0
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not out.exists()
