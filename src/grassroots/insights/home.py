"""The legs' home: this month's headline figures, each a link, and the ways on (dashboard, board,
reports).

What a secretary looks for first when she signs in is whether the community is keeping its word
this month: the three rates, the score, what is open and what is overdue now. The home shows those,
read through the dashboard's own `dashboard_for` (so the numbers are the dashboard's), with the
dashboard one tap away and the supervision board (the overdue and near-due cases to urge) beside it.
"""

from __future__ import annotations

from django.utils import timezone

from grassroots.accounts.models import User
from grassroots.accounts.roles import is_party_committee, is_street_office, user_can
from grassroots.cases import figures as case_figures
from grassroots.insights.selectors import dashboard_for

#: The headline: the three rates, the score, and the "now" figures of the board.
HEADLINE = ("response_rate", "resolution_rate", "satisfaction_rate", "score", "open_now", "overdue_now")


def headline_shown(user: User) -> bool:
    """The secretary and the street office (administrators reach every community: their home keeps
    the plain link, not a district's sums on every visit)."""
    return (is_party_committee(user) or is_street_office(user)) and user_can(user, "insights.dashboard.view")


def headline_for(*, user: User) -> dict | None:
    """This month's headline figures of the viewer's communities (all together for a street)."""
    communities = list(case_figures.communities_for(user=user))
    if not communities:
        return None
    today = timezone.localdate()
    filters = case_figures.Filters(case_figures.Period.month_of(today))
    board = dashboard_for(
        user=user, communities=communities, filters=filters, now=timezone.now(), today=today
    )
    shown = board.total if board.total is not None else board.communities[0]
    figures = [shown.figures[key] for key in HEADLINE]
    return {
        "month": today,
        "figures": figures,
        "links": shown.links,
        "reports": user_can(user, "insights.monthlyreport.view"),
    }
