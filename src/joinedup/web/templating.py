"""One Jinja environment for every area: our templates, each area's `templates/`, and the NHS.UK macros."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import (
    ChainableUndefined,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    select_autoescape,
)
from markupsafe import Markup

PACKAGE = Path(__file__).resolve().parents[1]


def _area_template_dirs() -> list[str]:
    return sorted(str(p) for p in PACKAGE.glob("*/templates") if p.is_dir())


def _tojson_attr(value: Any) -> Markup:
    """JSON safe to embed in a <script type="application/json"> block."""
    text = json.dumps(value, default=str).replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(text)


def build_environment() -> Environment:
    loader = ChoiceLoader(
        [
            FileSystemLoader(_area_template_dirs()),
            PackageLoader("nhsuk_frontend_jinja", "templates"),
            # The NHS.UK template extends "template.jinja" relative to its own folder.
            PackageLoader("nhsuk_frontend_jinja", "templates/nhsuk"),
        ]
    )
    # The NHS.UK macros read optional nested params (params.search.action): missing ones must be empty.
    env = Environment(
        loader=loader, autoescape=select_autoescape(["html", "jinja"]), undefined=ChainableUndefined
    )
    env.filters["json_script"] = _tojson_attr
    return env


templates = Jinja2Templates(env=build_environment())


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Render page `name` with the header navigation and the signed-in user (if any) filled in."""
    base = {
        "nav": getattr(request.app.state, "nav", []),
        "current_path": request.url.path,
        "user": getattr(request.state, "user", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
    }
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)
