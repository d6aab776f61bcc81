"""What telephony puts on the intake screen (cases.intake_panels): the phone desk and the form's start.

The desk lists the lines the worker may take, with "sign on" / "sign off", and for a worker on
duty the screen-pop box: the panel of the call now ringing (rendered with the page, so a reload
shows it again), kept fresh by the stream (static/telephony/screenpop.js).

"New case from this call" opens /cases/intake/?call=<id> (and &person=<id> when the worker chose
among several residents with the number): the form starts with the caller as the reporter, their
home as the place and the channel "phone". A caller the register does not know starts as "someone
else" with their number, for a worker who reads numbers in full.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse

from grassroots.accounts.roles import reads_numbers_in_full, user_can
from grassroots.cases import selectors as cases_selectors
from grassroots.cases.models import Channel
from grassroots.telephony import selectors


def render_panel(request) -> str:
    """The panel of the call on the user's screen now (or "no call"), as HTML.

    Rendered on its own (the caller's context under its own names), so that it can sit on the
    intake page beside the intake's own caller and be sent as one server-sent event.
    """
    user = request.user
    call = selectors.active_call_for(user=user)
    pop = selectors.screen_pop_for(user=user, call=call) if call else None
    context = {"pop": pop, **(pop.context if pop else {})}
    return render_to_string("telephony/_panel.html", context, request=request)


def desk_for(*, request) -> dict | None:
    user = request.user
    if not user_can(user, "telephony.line.take"):
        return None
    lines = selectors.desk_lines_for(user=user)
    if not lines:
        return None
    on_duty = any(line.on_duty for line in lines)
    return {
        "lines": lines,
        "on_duty": on_duty,
        "panel": render_panel(request) if on_duty else "",
        "stream_url": reverse("telephony-stream"),
        "poll_url": reverse("telephony-panel"),
    }


def intake_initial_for(*, user, params) -> dict | None:
    """The intake form's starting values for ?call=<id>[&person=<id>], or None."""
    if "call" not in params:
        return None
    call = selectors.call_for(user=user, pk=params.get("call"))
    if call is None:
        return None
    start = {"channel": Channel.PHONE}
    person = None
    if params.get("person"):
        person = cases_selectors.caller_for(user=user, pk=params.get("person"))
    if person is None:
        person, _others = selectors.callers_for_call(user=user, call=call)
    if person is not None:
        return {**start, "reporter_kind": "person", "reporter_person": person.pk, "person": person}
    digits = call.caller_number() if reads_numbers_in_full(user) else ""
    return {**start, "reporter_kind": "other", "reporter_phone": digits}
