"""The referral workflow as plain data: kinds, statuses, outcomes and the steps allowed. Pure.

raised → accepted → in-progress (each update adds a note) → closed with an outcome; cancelled from any open
status. Only the receiving team accepts; anyone who may see the referral may add a note, close or cancel it.
"""

from __future__ import annotations

from joinedup.errors import Conflict

KINDS: dict[str, str] = {
    "housing": "Housing (a home to go to)",
    "adaptations": "Home adaptations",
    "social-care": "Social care (a package of care at home)",
    "chc": "NHS Continuing Healthcare assessment",
    "community-bed": "A community hospital bed",
    "care-home": "A care home place",
}
OUTCOMES: dict[str, str] = {
    "home": "Home",
    "care-home": "Care home",
    "community-bed": "Community bed",
    "other": "Other",
}
OPEN_STATUSES = ("raised", "accepted", "in-progress")
ENDED_STATUSES = ("closed", "cancelled")
STATUSES = OPEN_STATUSES + ENDED_STATUSES

# action → (statuses it may start from, status it leads to)
STEPS: dict[str, tuple[tuple[str, ...], str]] = {
    "accepted": (("raised",), "accepted"),
    "updated": (("accepted", "in-progress"), "in-progress"),
    "closed": (("accepted", "in-progress"), "closed"),
    "cancelled": (OPEN_STATUSES, "cancelled"),
}
_WHY_NOT = {
    "accepted": "only a raised referral can be accepted",
    "updated": "the receiving team must accept the referral before it is updated",
    "closed": "the receiving team must accept the referral before it is closed",
    "cancelled": "only an open referral can be cancelled",
}


def is_open(status: str) -> bool:
    """True while the referral is raised, accepted or in progress."""
    return status in OPEN_STATUSES


def next_status(status: str, action: str) -> str:
    """The status after `action` on a referral in `status`; Conflict (409) when the step is not allowed."""
    if action not in STEPS:
        raise ValueError(f"unknown step {action!r}")
    allowed, after = STEPS[action]
    if status not in allowed:
        raise Conflict(f"the referral is {status}: {_WHY_NOT[action]}")
    return after
