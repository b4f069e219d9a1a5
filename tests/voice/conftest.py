"""Public voice fixtures: a few registry places, Healthwatch staff, and a client that speaks for them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from joinedup.access import service as access
from joinedup.access.policy import Principal, Role
from joinedup.registry import service as registry
from joinedup.settings import Settings
from joinedup.voice import service
from joinedup.voice.schemas import FeedbackCreate, FeedbackRead

PLACES = Path(__file__).resolve().parent / "data" / "places.toml"

Tell = Callable[..., FeedbackRead]


@pytest.fixture
def places(session: Session) -> Session:
    """The session with the test places in the registry (committed to the test's savepoint)."""
    registry.load_file(session, PLACES)
    session.commit()
    return session


@pytest.fixture
def staff() -> Principal:
    return Principal(username="hw-officer", role=Role.HEALTHWATCH_STAFF, display_name="Healthwatch Officer")


@pytest.fixture
def nurse() -> Principal:
    return Principal(username="a-nurse", role=Role.VIRTUAL_WARD_NURSE, organisation_ods="RT5")


@pytest.fixture
def tell(places: Session) -> Tell:
    """Submit a story (each from its own sender unless one is given) and return what was stored."""
    counter = iter(range(10_000))

    def submit(
        text: str = "The nurses on the ward were kind and explained everything.",
        about: str = "lri",
        sender: str | None = None,
        **extra: object,
    ) -> FeedbackRead:
        feedback = FeedbackCreate.model_validate({"text": text, "about": about, **extra})
        return service.submit_feedback(places, feedback=feedback, sender=sender or f"sender-{next(counter)}")

    return submit


def _headers(
    session: Session, settings: Settings, username: str, role: str, org: str | None
) -> dict[str, str]:
    access.create_user(session, {"username": username, "role": role, "organisation_ods": org}, actor=None)
    session.commit()
    token = access.issue_token(
        session, username=username, scopes=None, minutes=30, secret=settings.signing_key
    )
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def staff_headers(places: Session, test_settings: Settings) -> dict[str, str]:
    """Bearer-token headers of a Healthwatch staff user."""
    return _headers(places, test_settings, "hw-api", "healthwatch staff", None)


@pytest.fixture
def nurse_headers(places: Session, test_settings: Settings) -> dict[str, str]:
    """Bearer-token headers of a virtual-ward nurse (not Healthwatch staff)."""
    return _headers(places, test_settings, "nurse-api", "virtual-ward nurse", "RT5")
