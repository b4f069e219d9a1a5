"""Build the demo database: each area contributes one step, run in order in one transaction per step."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from joinedup.db import Base, create_engine, load_models, session_factory, transaction, upgrade

# (what the step does, module, function(session) -> one-line summary)
STEPS: tuple[tuple[str, str, str], ...] = (
    ("reference data for England and LLR", "joinedup.registry.service", "load_reference_data"),
    ("public voice: stories, replies and a consultation", "joinedup.voice.demo", "load_demo_feedback"),
    ("demo users", "joinedup.access.service", "create_demo_users"),
    ("shared care record: demo patients", "joinedup.record.demo", "load_demo_patients"),
    ("live bed census", "joinedup.capacity.demo", "create_demo_census"),
    ("virtual-ward caseload", "joinedup.wards.demo", "admit_demo_caseload"),
    ("delayed discharges: referrals in flight", "joinedup.discharge.demo", "create_demo_referrals"),
    ("remote monitoring: kits and a burst of readings", "joinedup.monitoring.demo", "load_demo_readings"),
)

DemoStep = Callable[[Session], str]


def reset_database(url: str) -> Engine:
    """A fresh, empty database at `url` (a SQLite file is deleted; PostgreSQL tables are dropped)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return create_engine(url)
    engine = create_engine(url)
    load_models()
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        if inspect(conn).has_table("alembic_version"):
            conn.exec_driver_sql("DROP TABLE alembic_version")
    return engine


def build_demo(url: str, report: Callable[[str], None]) -> Engine:
    """Fresh database, migrations, then every area's demo step; `report` receives one line per step."""
    engine = reset_database(url)
    upgrade(engine)
    sessions = session_factory(engine)
    for label, module, name in STEPS:
        step: DemoStep = getattr(importlib.import_module(module), name)
        with transaction(sessions) as session:
            report(f"{label}: {step(session)}")
    return engine
