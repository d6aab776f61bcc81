"""The dashboard page: a community's figures, or a street's communities side by side.

Who may open it is a capability (`insights.dashboard.view`: the legs and the mouth, who also open
the case list its numbers link to). The filters are the case list's own form (cases.forms
.CaseFilterForm), so a filter means the same on both pages; the reads are insights.selectors.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grassroots.accounts.roles import user_can
from grassroots.cases import figures, hotspots, metrics
from grassroots.cases.selectors import HANDLER_CHOICES_SECONDS, viewer_key
from grassroots.cases.views.common import filter_form
from grassroots.cases.workflow import Status
from grassroots.core.replica import replica_reads
from grassroots.insights.charts import charts_for
from grassroots.insights.selectors import HANDLER_KINDS, dashboard_for, evaluation_for, handler_choices_for


def dashboard_request(request):
    """(filters form, communities shown, filters) for a dashboard request; 404 for who may not see one."""
    user = request.user
    if not user_can(user, "insights.dashboard.view"):
        raise Http404
    reachable = list(figures.communities_for(user=user))
    if not reachable:
        raise Http404
    handlers = handler_choices_for(user=user, today=timezone.localdate())
    form = filter_form(request, open_only=False, statuses=Status.values, handlers=handlers)
    cleaned = form.cleaned_data if form.is_bound else {}
    chosen = cleaned.get("community")
    communities = [chosen] if chosen else reachable
    filters = figures.filters_from(cleaned, today=timezone.localdate())
    _show_period(form, filters.period)
    return form, reachable, communities, filters


def filters_cache_key(request) -> str:
    """What the filter form's drawing depends on: the viewer and their scope (`viewer_key`: which
    communities, grids and handlers it lists), the day (the months shown by default) and the query
    (the values chosen).

    The form is drawn again at most every HANDLER_CHOICES_SECONDS for one key, as long as the handler
    choices it lists are kept (insights.selectors.handler_choices_for): a grid added meanwhile shows
    in the select a few minutes later; what is chosen is checked against the live lists every time.
    """
    return f"{viewer_key(request.user)}:{timezone.localdate():%Y%m%d}:{request.GET.urlencode()}"


def _filters_context(request) -> dict:
    return {"filters_key": filters_cache_key(request), "filters_seconds": HANDLER_CHOICES_SECONDS}


def _show_period(form, period) -> None:
    """Month fields left empty show the months the figures are for (this month by default)."""
    months = {"month_from": period.first.strftime("%Y-%m"), "month_to": period.last.strftime("%Y-%m")}
    if not form.is_bound:
        form.initial.update(months)
        return
    data = form.data.copy()
    for name, month in months.items():
        if not data.get(name) and not form.errors.get(name):
            data[name] = month
    form.data = data


@replica_reads
def dashboard(request):
    form, reachable, communities, filters = dashboard_request(request)
    now = timezone.now()
    board = dashboard_for(
        user=request.user,
        communities=communities,
        filters=filters,
        now=now,
        today=timezone.localdate(),
    )
    shown = board.total if board.total is not None else board.communities[0]
    side_by_side = board.total is not None
    context = {
        "form": form,
        "board": board,
        "shown": shown,
        "several": len(reachable) > 1,
        "side_by_side": side_by_side,
        "charts": charts_for(board, shown, side_by_side=side_by_side),
        "rules": metrics.rules(),
        "cases": [shown.figures[key] for key in CASE_FIGURES],
        "times": [shown.figures[key] for key in TIME_FIGURES],
        "rates": [shown.figures[key] for key, *_rest in figures.RATES],
        # Hotspots are "now" (the rules' windows end now), like open and overdue.
        "hotspots": hotspots.hotspots_for(
            user=request.user, community_ids=[c.pk for c in communities], now=now
        ),
        "may_raise": user_can(request.user, "cases.hotspot.raise"),
        "may_evaluate": user_can(request.user, "insights.evaluation.view"),
        **_filters_context(request),
    }
    return render(request, "insights/dashboard.html", context)


def handlers(request):
    """The handlers' evaluation: volume, on time, rework and satisfaction per volunteer, team and
    member unit, for the legs only (`insights.evaluation.view`); the dashboard's filters and figures."""
    if not user_can(request.user, "insights.evaluation.view"):
        raise Http404
    form, reachable, communities, filters = dashboard_request(request)
    evaluation = evaluation_for(user=request.user, communities=communities, filters=filters)
    titles = {
        "person": _("Volunteers and party members"),
        "team": _("Volunteer teams"),
        "unit": _("Member units"),
    }
    context = {
        "form": form,
        "several": len(reachable) > 1,
        "evaluation": evaluation,
        "sections": [
            (kind, titles[kind], evaluation.kinds[kind], evaluation.more[kind]) for kind in HANDLER_KINDS
        ],
        "one": communities[0] if len(communities) == 1 else None,
        **_filters_context(request),
    }
    return render(request, "insights/handlers.html", context)


#: The order of the figures on the page (a table each; charts will sit beside them).
CASE_FIGURES = (
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
    "score",
    "on_time_response",
    "on_time_resolution",
    "rework_rate",
    "extension_rate",
    "escalation_rate",
    "repeat_rate",
    "open_now",
    "overdue_now",
    "reported",
)
TIME_FIGURES = ("respond_p50", "respond_p90", "resolve_p50", "resolve_p90")
