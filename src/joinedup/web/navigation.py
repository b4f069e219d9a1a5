"""The six parts of joinedup as they appear in the page header."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    text: str
    href: str


# A part shows in the header only once its page is served (see app.create_app).
PARTS = (
    NavItem("Registry", "/registry"),
    NavItem("Care record", "/record"),
    NavItem("Virtual wards", "/wards"),
    NavItem("Capacity and planner", "/capacity"),
    NavItem("Public voice", "/voice"),
    NavItem("Discharge", "/discharge"),
)
