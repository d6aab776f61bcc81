"""The phone page of a one-tap link (/portal/t/<secret>/): a summoned party works on its task.

Volunteers, building heads and member units mostly have no account. A dispatch or a whistle
texts them a link (cases.links: signed, expiring, single-purpose, revocable); this page, with
no sign-in, lets them report for duty, add a note or a photo, and report the work done with
its hours. Every write is the case service itself, called with the link (the workflow decides
what the party may do now; the link only proves who they are), and the timeline names them.

Only the link's holder reads the page, and only what the task needs: the problem (not the
description of a sensitive case), the place, and the reporter's name with a masked phone, as
the handlers' own task page shows them. Secrets that open nothing are throttled per address
(portal.throttle); every use is logged with its device's hash, a forwarded link flagged.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from grassroots.cases import links, services
from grassroots.cases.models import CaseEvent, PartyLink
from grassroots.cases.workflow import Action, allowed
from grassroots.core import pii
from grassroots.core.audit import client_ip
from grassroots.core.forms import ServiceErrorsMixin
from grassroots.portal.throttle import count_attempt, retry_after, task_link_limit, too_many


class TaskReplyForm(ServiceErrorsMixin, forms.Form):
    """What the party sends back: a note (or what was done), hours, photos. One form, three buttons."""

    service_field_aliases = {"photos": "__all__", "report": "note"}

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    hours = forms.DecimalField(
        label=gettext_lazy("Hours worked (optional)"),
        required=False,
        min_value=Decimal("0.1"),
        max_value=services.MAX_HOURS,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )


def _unlogged(response):
    """Django logs every 4xx answer with its path, and the path holds the secret: not this one."""
    response._has_been_logged = True
    return response


def _refused(request, reason: str, *, status: int):
    context = {"reason": str(links.REASONS[reason]), "code": reason}
    return _unlogged(render(request, "portal/task_refused.html", context, status=status))


def _too_many(request, seconds: int):
    return _unlogged(too_many(request, seconds))


def _offers(link: PartyLink) -> list[str]:
    """What the party may do now: its purpose's actions, as far as the workflow allows them."""
    case, assignment = link.case, link.assignment
    relations = {"assignee"} | ({"lead"} if assignment.is_lead else set())
    offers = []
    for action in (Action.ACKNOWLEDGE, Action.NOTE, Action.RESOLVE):
        if action not in links.PURPOSE_ACTIONS[link.purpose] or not allowed(action, case.status, relations):
            continue
        if action == Action.ACKNOWLEDGE and assignment.acknowledged_at is not None:
            continue
        offers.append(action)
    return offers


def _context(link: PartyLink, form: TaskReplyForm, failed: str = "") -> dict:
    case = link.case
    reporter_name, reporter_phone = "", ""
    if not case.anonymous:
        person = case.reporter_person
        reporter_name = person.name if person else case.reporter_name
        reporter_phone = (person.phone_masked if person else "") or case.reporter_phone_masked
    place = case.household.address if case.household_id else (str(case.building) if case.building_id else "")
    instructions = (
        CaseEvent.objects.filter(case=case, action__in=[Action.DISPATCH, Action.WHISTLE])
        .exclude(note="")
        .order_by("-at", "-id")
        .values_list("note", flat=True)
        .first()
    )
    return {
        "link": link,
        "case": case,
        "assignment": link.assignment,
        "sensitive": case.category.sensitive,
        "description": pii.mask_numbers(case.description),
        "place": place,
        "location_note": pii.mask_numbers(case.location_note),
        "reporter_name": reporter_name,
        "reporter_phone": reporter_phone,
        "instructions": pii.mask_numbers(instructions or ""),
        "offers": _offers(link),
        "mine": list(CaseEvent.objects.filter(party_link=link).order_by("at", "id")),
        "form": form,
        "failed": failed,
    }


def _perform(link: PartyLink, action: str, form: TaskReplyForm, files) -> None:
    """One service call, with the link; the service checks the link again inside its transaction."""
    data = form.cleaned_data
    version = data.get("version")
    note = data.get("note") or ""
    if action == Action.ACKNOWLEDGE:
        services.case_acknowledge(
            actor=None, case=link.case_id, link=link, note=note, expected_version=version
        )
    elif action == Action.NOTE:
        services.case_note(
            actor=None,
            case=link.case_id,
            link=link,
            note=note,
            photos=files,
            hours=data.get("hours"),
            expected_version=version,
        )
    else:
        services.case_resolve(
            actor=None,
            case=link.case_id,
            link=link,
            report=note,
            photos=files,
            hours=data.get("hours"),
            expected_version=version,
        )


DONE = {
    Action.ACKNOWLEDGE: gettext_lazy("Thank you: the community knows you are on it."),
    Action.NOTE: gettext_lazy("Your note is on the case."),
    Action.RESOLVE: gettext_lazy("Reported done. The community will call the resident back. Thank you!"),
}


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def portal_task(request, secret: str):
    """The task a one-tap link opens: read it, and report for duty, a note, or done, with no account."""
    ip = client_ip(request)
    wait = retry_after(task_link_limit(), ip)
    if wait:
        return _too_many(request, wait)
    link = links.find_link(secret)
    if link is None:
        count_attempt(task_link_limit(), ip)
        return _refused(request, "unknown", status=404)
    device = links.device_of(request)
    reason = links.refusal(link)
    if reason:
        links.record_use(link, device=device, what=f"refused:{reason}")
        return _refused(request, reason, status=410)
    if request.method != "POST":
        links.record_use(link, device=device, what="open")
        form = TaskReplyForm(initial={"version": link.case.version})
        return render(request, "portal/task.html", _context(link, form))
    action = request.POST.get("action", "")
    if action not in links.PURPOSE_ACTIONS[link.purpose]:
        links.record_use(link, device=device, what="refused:purpose")
        return _refused(request, "purpose", status=403)
    form = TaskReplyForm(request.POST)
    if form.is_valid():
        try:
            _perform(link, action, form, request.FILES.getlist("photos"))
        except links.LinkRefused as refused:
            links.record_use(link, device=device, what=f"refused:{refused.reason}")
            return _refused(request, refused.reason, status=403)
        except ValidationError as error:
            form.add_service_errors(error)
        except services.CaseConflict as conflict:
            form.add_error(None, str(conflict))
        except services.ActionNotAllowed as error:
            form.add_error(None, str(error))
        except PermissionDenied:
            form.add_error(None, _("This is not possible for you now."))
        else:
            links.record_use(link, device=device, what=action)
            messages.success(request, DONE[action])
            return redirect("portal-task", secret=secret)
    link = links.find_link(secret) or link  # the case as it is now, for the page
    form.data = form.data.copy()
    form.data["version"] = str(
        link.case.version
    )  # what is typed stays; the next try acts on the case as it is
    return _unlogged(render(request, "portal/task.html", _context(link, form, failed=action), status=422))
