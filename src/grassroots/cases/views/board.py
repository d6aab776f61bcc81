"""The supervision board for the legs: every open case, overdue and near-due first.

The order is computed in SQL (the rank of each case's clock, from cases.clock), so the
board is one query for its rows plus a fixed handful for filters and counts,
however many cases there are (cases.selectors.board_list). Urging a case and deciding
a request for more time are one click each (HTMX), answered with the updated row.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.accounts.roles import user_can
from grassroots.cases import hotspots, selectors
from grassroots.cases.calendar import duration_text
from grassroots.cases.views.actions import perform
from grassroots.cases.views.case import find_case
from grassroots.cases.views.common import (
    filter_form,
    is_coordinator,
    is_legs,
    require,
    status_links,
)
from grassroots.cases.workflow import OPEN, REGISTRY, Action, Status

ROWS_PER_PAGE = 50
BOARD_ACTIONS = (Action.URGE, Action.DECIDE_EXTENSION)
PLACEHOLDER = "NUMBER"


def _mark(user, cases) -> None:
    """What each row offers this user (from the workflow table, without a query per row)."""
    legs = is_legs(user)
    urge_from = REGISTRY[Action.URGE].sources
    decide_from = REGISTRY[Action.DECIDE_EXTENSION].sources
    # Reverse each URL once and fill in the number: a {% url %} per row and per form adds up.
    detail = reverse("case-detail", args=[PLACEHOLDER])
    urge = reverse("case-board-act", args=[PLACEHOLDER, Action.URGE])
    decide = reverse("case-board-act", args=[PLACEHOLDER, Action.DECIDE_EXTENSION])
    for case in cases:
        case.detail_url = detail.replace(PLACEHOLDER, case.number)
        case.urge_url = urge.replace(PLACEHOLDER, case.number)
        case.decide_url = decide.replace(PLACEHOLDER, case.number)
        case.may_urge = legs and case.status in urge_from
        case.may_decide = legs and bool(case.extension_requested_minutes) and case.status in decide_from
        case.extension_text = duration_text(case.extension_requested_minutes) if case.may_decide else ""


def board(request):
    require(is_coordinator(request.user))
    now = timezone.now()
    form = filter_form(request, open_only=True, statuses=[s for s in Status.values if s in OPEN])
    filters = form.cleaned_data if form.is_bound else {}
    listing = selectors.board_list(user=request.user, filters=filters, now=now)
    page = Paginator(listing.rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    _mark(request.user, page.object_list)
    context = {
        "form": form,
        "page": page,
        "figures": listing.figures,
        "counts": status_links(
            request.GET, listing.status_counts, [(s, Status(s).label) for s in Status.values if s in OPEN]
        ),
        "now": now,
        "hotspots": open_hotspots_for(request.user, now),
        "may_raise": user_can(request.user, "cases.hotspot.raise"),
    }
    return render(request, "cases/board.html", context)


def open_hotspots_for(user, now) -> list[hotspots.Found]:
    """The hotspots the board shows (wherever the user's reach goes, as the board's cases): waiting to
    be raised, or raised and still being worked on."""
    return [spot for spot in hotspots.hotspots_for(user=user, now=now) if spot.is_open]


def hotspot_raise(request):
    """POST: raise a hotspot's one proactive case (idempotent), then open it."""
    require(request.method == "POST" and is_coordinator(request.user))
    if not user_can(request.user, "cases.hotspot.raise"):
        raise Http404
    try:
        raised = hotspots.hotspot_raise(actor=request.user, key=request.POST.get("hotspot", ""))
    except ValidationError:
        raise Http404 from None  # no such hotspot in the user's reach: "not found" like "not yours"
    messages.success(request, _("The proactive case links the cases behind the hotspot."))
    return redirect("case-detail", raised.case.number)


def board_act(request, number: str, action: str):
    """HTMX: urge, or decide a request for more time, from the board; answers with the row."""
    require(request.method == "POST" and action in BOARD_ACTIONS and is_coordinator(request.user))
    case = find_case(request.user, number)
    outcome, form = perform(request, case, action)
    if not request.htmx:
        if outcome.ok:
            messages.success(request, REGISTRY[action].done)
        else:
            messages.error(request, outcome.message or form.errors.as_text())
        return redirect("case-board")
    now = timezone.now()
    row = selectors.board_row_for(user=request.user, case_id=case.pk, now=now)
    if row is None:  # no longer open: nothing left to supervise on the board
        return render(request, "cases/board.html#row-gone", {"case": case, "done": REGISTRY[action].done})
    _mark(request.user, [row])
    context = {
        "case": row,
        "now": now,
        "done": REGISTRY[action].done if outcome.ok else "",
        "problem": "" if outcome.ok else (outcome.message or " ".join(form.errors.get("note", []))),
    }
    return render(request, "cases/board.html#row", context, status=200 if outcome.ok else 422)
