"""The dashboard's charts as data: what each chart draws, taken from the figures its table shows.

A chart is a picture of the table beside it, never a second source: each spec below is built from
the same `Dashboard` the tables are rendered from, and the page hands it to the browser with
`json_script` (a data block, which the Content-Security-Policy allows, unlike an inline script).
`core/static/grassroots/charts.js` turns a spec into an Apache ECharts option. Without JavaScript
the charts stay hidden and the tables say everything.

A spec is plain JSON: `categories` (the axis), `series` (a name, the values, `bar` or `line`, and the
axis it reads: `count` or `rate`, a share 0..1 drawn as a percentage), and `horizontal` for bars
along the page (long category names).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from grassroots.cases.figures import RATES
from grassroots.insights.selectors import CommunityFigures, Dashboard

THREE_RATES = ("response_rate", "resolution_rate", "satisfaction_rate")


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _series(name: str, values: list, *, kind: str = "bar", axis: str = "count") -> dict:
    return {"name": name, "values": values, "type": kind, "axis": axis}


def trend_chart(board: Dashboard) -> dict:
    """Cases taken on per month (bars) and the three rates (lines) over the trend's months."""
    points = board.trend
    series = [_series(_("Taken on"), [point.accepted for point in points])]
    for key in THREE_RATES:
        label = points[0].figures[key].label if points else key
        values = [_rate(point.figures[key].value) for point in points]
        series.append(_series(label, values, kind="line", axis="rate"))
    return {"categories": [point.month.strftime("%Y-%m") for point in points], "series": series}


def top_categories_chart(board: Dashboard) -> dict:
    """The top categories by cases taken on, the most first (from the top)."""
    rows = board.top_categories
    return {
        "categories": [str(category) for category, _count, _url in rows],
        "series": [_series(_("Taken on"), [count for _category, count, _url in rows])],
        "horizontal": True,
    }


def on_time_chart(shown: CommunityFigures) -> dict:
    """On time, rework, extension, escalation and repeat rates of what the page shows."""
    figures = [shown.figures[key] for key, *_rest in RATES]
    return {
        "categories": [figure.label for figure in figures],
        "series": [_series(_("Rate"), [_rate(figure.value) for figure in figures], axis="rate")],
        "horizontal": True,
    }


def compare_chart(board: Dashboard) -> dict:
    """A street's communities side by side: the three rates of each."""
    rows = board.communities
    series = []
    for key in THREE_RATES:
        label = rows[0].figures[key].label if rows else key
        series.append(_series(label, [_rate(row.figures[key].value) for row in rows], axis="rate"))
    return {"categories": [row.community.name for row in rows], "series": series}


def charts_for(board: Dashboard, shown: CommunityFigures, *, side_by_side: bool) -> dict[str, dict]:
    """Every chart of the page, by the id its data block gets (`chart-<name>`)."""
    charts = {
        "trend": trend_chart(board),
        "top": top_categories_chart(board),
        "on-time": on_time_chart(shown),
    }
    if side_by_side:
        charts["compare"] = compare_chart(board)
    return charts
