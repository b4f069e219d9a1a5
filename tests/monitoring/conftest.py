"""Monitoring fixtures: the wards test world (tests/wards/world.py) with patients admitted and kits issued."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy.orm import Session


def _load_world() -> ModuleType:
    if "wards_world" in sys.modules:
        return sys.modules["wards_world"]
    path = Path(__file__).resolve().parents[1] / "wards" / "world.py"
    spec = importlib.util.spec_from_file_location("wards_world", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["wards_world"] = module
    spec.loader.exec_module(module)
    return module


world_module = _load_world()
ADMITTED = datetime.now(UTC) - timedelta(days=3)


@dataclass(frozen=True)
class Ward:
    """Patients 0-3 on vw-north (covid-19, heart failure, frailty, respiratory), kits kit-0..3; 4, 5 not."""

    session: Session
    nhs_numbers: list[str]
    stays: dict[str, object]


@pytest.fixture
def ward(session: Session) -> Ward:
    from joinedup.monitoring import service as monitoring
    from joinedup.monitoring.schemas import DeviceCreate
    from joinedup.wards import service as wards
    from joinedup.wards.schemas import AdmissionCreate

    world = world_module.build_world(session)
    stays = {}
    for i, pathway in enumerate(("covid-19", "heart-failure", "frailty", "respiratory")):
        number = world.nhs_numbers[i]
        admission = AdmissionCreate(nhs_number=number, pathway=pathway, admitted_at=ADMITTED)
        stays[number] = wards.admit_patient(
            session, actor=world_module.GP, ward_id="vw-north", admission=admission
        )
        monitoring.issue_device(
            session, actor=world_module.NURSE, device=DeviceCreate(value=f"kit-{i}", nhs_number=number)
        )
    session.flush()
    return Ward(session, world.nhs_numbers, stays)
