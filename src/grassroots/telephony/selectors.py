"""The reads of the phone desk: the lines one may take, the call on one's screen, its screen pop.

The screen pop reuses the intake's reads of a caller, so that the panel and the intake screen show
a caller alike and through the same scope: the caller is found by the phone's blind index with
`cases.selectors.caller_lookup_for` (tags as this user may read them), their cases with
`caller_cases_for`, the care visits and whatever else the apps register as caller panels, and the
household with `caller_household_for`. Every read is bounded: one call, one household.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Case as Choose
from django.db.models import Exists, OuterRef, When
from django.utils import timezone

from grassroots.accounts.models import User
from grassroots.accounts.roles import user_can
from grassroots.cases import selectors as cases_selectors
from grassroots.cases.views.intake import caller_context
from grassroots.people.models import Person
from grassroots.telephony.models import DUTY_HOURS, Call, CallBack, CallStatus, Line, LineDuty
from grassroots.telephony.services import active_q, just_ended_q

#: The most lines the desk lists (a community has one or two).
LINES_LIMIT = 20
#: Rows of the call-back list.
CALLBACKS_LIMIT = 50


def _open_duties(user: User):
    since = timezone.now() - timedelta(hours=DUTY_HOURS)
    return LineDuty.objects.filter(user=user, ended_at__isnull=True, started_at__gte=since)


def desk_lines_for(*, user: User) -> list[Line]:
    """The active lines the user may take, each with `on_duty` (is the user signed on to it)."""
    if not user_can(user, "telephony.line.take"):
        return []
    duties = _open_duties(user).filter(line=OuterRef("pk"))
    lines = Line.objects.visible_to(user).filter(active=True).annotate(on_duty=Exists(duties))
    return list(lines.order_by("name", "pk")[:LINES_LIMIT])


def active_call_for(*, user: User) -> Call | None:
    """The call on the user's screen: the newest ringing or answered call of a line they are on
    duty for, else the newest answered call there that ended a few minutes ago; or None.

    Read again on every reload and every tick of the stream: the state lives in the call's row,
    so the panel survives a reload while the call lasts, and a little after it.
    """
    lines = _open_duties(user).values("line_id")
    return (
        Call.objects.visible_to(user)
        .filter(active_q() | just_ended_q(), line_id__in=lines)
        .annotate(ended=Choose(When(status=CallStatus.ENDED, then=1), default=0))
        .select_related("line")
        .order_by("ended", "-rang_at", "-pk")  # one query a tick: a call going on before one ended
        .first()
    )


def call_state_for(*, user: User) -> tuple:
    """What the stream compares between ticks: on duty at all, and the call on screen and its state."""
    on_duty = _open_duties(user).exists()
    call = active_call_for(user=user) if on_duty else None
    return (on_duty, call.pk if call else None, call.status if call else None)


def call_for(*, user: User, pk: Any) -> Call | None:
    """One call the user may read, or None (a 404)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return Call.objects.visible_to(user).select_related("line", "person").filter(pk=pk).first()


@dataclass
class ScreenPop:
    """What the panel shows of a call: the call, the caller (or the candidates), and their context."""

    call: Call
    caller: Person | None = None
    candidates: list[Person] = field(default_factory=list)
    household: list[Person] = field(default_factory=list)
    context: dict = field(default_factory=dict)


def callers_for_call(*, user: User, call: Call) -> tuple[Person | None, list[Person]]:
    """(the caller, the other candidates) among the people the user sees with the caller's number.

    One match is the caller; among several (a family sharing a landline), the resident the call
    was matched to in the community (`Call.person`) if the user sees them, else the user picks.
    """
    digits = call.caller_number()
    if not digits:
        return None, []
    people = cases_selectors.caller_lookup_for(user=user, text=digits).people
    if len(people) == 1:
        return people[0], []
    chosen = next((person for person in people if person.pk == call.person_id), None)
    return chosen, [person for person in people if person is not chosen]


def screen_pop_for(*, user: User, call: Call) -> ScreenPop:
    caller, candidates = callers_for_call(user=user, call=call)
    pop = ScreenPop(call=call, caller=caller, candidates=candidates)
    if caller is not None:
        pop.context = caller_context(user, caller)
        pop.household = cases_selectors.caller_household_for(user=user, person=caller)
    return pop


def callbacks_for(*, user: User):
    """Missed calls of high-risk residents waiting for a call-back, then the latest called back."""
    calls = Call.objects.visible_to(user).select_related("line", "person", "called_back_by")
    due = list(calls.filter(callback=CallBack.DUE).order_by("rang_at")[:CALLBACKS_LIMIT])
    done = list(calls.filter(callback=CallBack.DONE).order_by("-rang_at")[:10])
    missed = list(calls.filter(status=CallStatus.MISSED).order_by("-rang_at")[:CALLBACKS_LIMIT])
    _hide_unseen_callers(user, [*due, *done, *missed])
    return {"due": due, "done": done, "missed": missed}


def _hide_unseen_callers(user: User, calls: list[Call]) -> None:
    """Calls are the community's, people are as the user's scope reaches (a grid worker's grids):
    a caller the user may not see stays a masked number."""
    ids = {call.person_id for call in calls if call.person_id}
    seen = set(Person.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
    for call in calls:
        if call.person_id not in seen:
            call.person = None
