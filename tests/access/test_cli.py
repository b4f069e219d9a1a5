"""`joinedup access` and `joinedup audit verify` as a person runs them: output, exit codes, one clear line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from joinedup.access import tokens
from joinedup.db import create_engine, session_factory, transaction, upgrade
from joinedup.registry import service as registry
from joinedup.settings import get_settings

from .conftest import ORGANISATIONS

SECRET = "cli-test-secret-long-enough-for-hs256-tokens"

RunCli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated SQLite file with the test organisations, named by JOINEDUP_DATABASE_URL."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = create_engine(url)
    upgrade(engine)
    with transaction(session_factory(engine)) as session:
        registry.load_file(session, ORGANISATIONS)
    engine.dispose()
    monkeypatch.setenv("JOINEDUP_DATABASE_URL", url)
    monkeypatch.setenv("JOINEDUP_SECRET_KEY", SECRET)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_add_user_then_issue_a_token_that_verifies(database: str, run_cli: RunCli) -> None:
    code, _, err = run_cli("access", "add-user", "gp1", "--role", "gp", "--org", "Y90001")
    assert code == 0 and "added gp1 (gp at Y90001)" in err
    code, out, _ = run_cli("access", "token", "gp1", "--scope", "user/Observation.rs", "--minutes", "10")
    assert code == 0
    assert len(out.strip().splitlines()) == 1
    claims = tokens.read_access_token(out.strip(), secret=SECRET)
    assert claims.username == "gp1" and [str(s) for s in claims.scopes] == ["user/Observation.rs"]


def test_add_user_reads_a_password_from_stdin(database: str, run_cli: RunCli) -> None:
    code, out, _ = run_cli(
        "access",
        "add-user",
        "po1",
        "--role",
        "privacy officer",
        "--password-stdin",
        "--json",
        stdin="a-good-password\n",
    )
    assert code == 0 and '"role":"privacy officer"' in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("access", "add-user", "gp1", "--role", "gp", "--org", "ZZZ99"),
            "no organisation with ODS code 'ZZZ99'",
        ),
        (("access", "add-user", "gp1", "--role", "wizard"), "role"),
        (("access", "token", "nobody"), "no active user called 'nobody'"),
    ],
)
def test_bad_input_is_one_clear_line_and_a_non_zero_exit(
    database: str, run_cli: RunCli, args: tuple[str, ...], message: str
) -> None:
    code, out, err = run_cli(*args)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1


def test_a_token_with_a_malformed_scope_is_refused(database: str, run_cli: RunCli) -> None:
    run_cli("access", "add-user", "gp1", "--role", "gp", "--org", "Y90001")
    code, out, err = run_cli("access", "token", "gp1", "--scope", "user/Observation.sr")
    assert code == 2 and out == "" and "in that order" in err


def test_audit_verify_passes_then_reports_an_edited_entry(database: str, run_cli: RunCli) -> None:
    for name in ("gp1", "gp2", "gp3"):
        run_cli("access", "add-user", name, "--role", "gp", "--org", "Y90001")
    code, out, _ = run_cli("audit", "verify")
    assert code == 0 and out.startswith("audit log intact: 3 entries")
    engine = create_engine(database)
    with engine.begin() as conn:
        conn.execute(text("UPDATE access_audit_log SET reason = 'added someone else' WHERE seq = 2"))
    engine.dispose()
    code, out, err = run_cli("audit", "verify")
    assert code == 1 and out == ""
    assert "entry 2 was altered" in err and "added someone else" in err


def test_audit_verify_reports_a_deleted_entry(database: str, run_cli: RunCli) -> None:
    for name in ("gp1", "gp2", "gp3"):
        run_cli("access", "add-user", name, "--role", "gp", "--org", "Y90001")
    engine = create_engine(database)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM access_audit_log WHERE seq = 2"))
    engine.dispose()
    code, out, _ = run_cli("audit", "verify", "--json")
    assert code == 1
    assert '"broken_seq": 3' in out and "entry 2 is missing (deleted)" in out
