"""The board report as one HTML page: on screen it loads Plotly from /static, written to a file it carries
Plotly inside so it opens anywhere, offline, and prints."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from joinedup.voice import charts
from joinedup.voice.schemas import BoardReport
from joinedup.web.templating import templates


def report_context(report: BoardReport, *, inline_plotly: bool) -> dict[str, Any]:
    """What voice/report.html needs: the report, its two figures and where Plotly's script comes from."""
    plotly_js = None
    if inline_plotly:
        from plotly.offline import get_plotlyjs

        plotly_js = get_plotlyjs()
    return {
        "report": report,
        "trend_figure": charts.trend_figure(report.trend),
        "theme_figure": charts.theme_figure(report.themes),
        "plotly_js": plotly_js,
        "generated_at": datetime.now(UTC),
    }


def render_report_file(report: BoardReport) -> str:
    """The board report as a self-contained HTML document."""
    return templates.env.get_template("voice/report.html").render(report_context(report, inline_plotly=True))
