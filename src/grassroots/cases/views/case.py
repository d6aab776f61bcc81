"""The case page, actions posted on it, its attachments, the call-back screen and the case list.

Every page reads through `Case.objects.visible_to(request.user)`, so a case outside
the user's scope answers 404 exactly like a case that does not exist. Writes go
through views.actions (one service per action). The other screens live in
views.intake (intake, patrol report), views.dispatch, views.tasks and views.board.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from grassroots.accounts.roles import is_system, role_label, searches_people, user_can
from grassroots.cases import services
from grassroots.cases.calendar import duration_text
from grassroots.cases.forms import CaseFilterForm, status_choices
from grassroots.cases.models import Assignment, Attachment, Case, CaseEvent, Satisfaction
from grassroots.cases.views.actions import Failure, action_forms, offers_on_page, perform
from grassroots.cases.views.common import (
    categories_for,
    filter_cases,
    grids_for,
    handler_choices,
    is_coordinator,
    query_string,
    require,
    status_counts,
)
from grassroots.cases.workflow import REGISTRY, Action, Status, label
from grassroots.people.models import PersonTag

CASES_PER_PAGE = 50
CALL_BACK_ACTIONS = (Action.VERIFY, Action.CLOSE)


def lead_prefetch() -> Prefetch:
    """The active lead of each case, in one query for a whole list (to_attr `leads`)."""
    return Prefetch(
        "assignments",
        queryset=Assignment.objects.filter(is_lead=True, active=True).select_related(
            "user", "person", "team", "unit"
        ),
        to_attr="leads",
    )


def load_case(user, number: str) -> Case:
    """The case with everything its page shows, or 404 when it is not visible to the user."""
    queryset = (
        Case.objects.visible_to(user)
        .select_related(
            "category__parent",
            "household__building",
            "building",
            "grid",
            "reporter_person",
            "reporter_user",
            "merged_into",
        )
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.select_related(
                    "user", "person", "team", "unit", "acknowledged_by"
                ),
            ),
            Prefetch("events", queryset=CaseEvent.objects.select_related("actor")),
            "attachments",
            "category__questions",
        )
    )
    return get_object_or_404(queryset, number=number)


# --- what the page shows -----------------------------------------------------------------------------


def _when(text: str) -> str:
    moment = parse_datetime(text) if isinstance(text, str) else None
    return date_format(timezone.localtime(moment), "Y-m-d H:i") if moment else str(text)


def _party_names(case: Case) -> dict[str, str]:
    return {f"{a.party_kind}:{a.party.pk}": a.party_name for a in case.assignments.all()}


def describe_changes(event: CaseEvent, names: dict[str, str]) -> list[str]:
    """The changes of a timeline entry in words (due times, parties, satisfaction, ...)."""
    changes = event.changes or {}
    lines: list[str] = []
    if event.action == Action.REGISTER and "resolution_due" in changes:
        lines.append(
            _("Response due %(response)s, resolution due %(resolution)s.")
            % {"response": _when(changes.get("response_due")), "resolution": _when(changes["resolution_due"])}
        )
    if isinstance(changes.get("resolution_due"), dict):
        moved = changes["resolution_due"]
        lines.append(
            _("Resolution due moved from %(old)s to %(new)s.")
            % {"old": _when(moved.get("old")), "new": _when(moved.get("new"))}
        )
    if event.action == Action.EXTEND and changes.get("minutes"):
        lines.append(_("Asked for %(time)s more.") % {"time": duration_text(changes["minutes"])})
    if event.action == Action.DECIDE_EXTENSION and "approved" in changes:
        time = duration_text(changes.get("minutes") or 0)
        if changes["approved"]:
            lines.append(_("%(time)s more: approved.") % {"time": time})
        else:
            lines.append(_("%(time)s more: refused.") % {"time": time})
    if changes.get("lead"):
        lines.append(_("Lead: %(name)s.") % {"name": names.get(changes["lead"], changes["lead"])})
    if changes.get("supporters"):
        supporters = _(", ").join(names.get(party, party) for party in changes["supporters"])
        lines.append(_("Also summoned: %(names)s.") % {"names": supporters})
    if changes.get("acknowledged"):
        lines.append(_("Reported for duty: %(names)s.") % {"names": _(", ").join(changes["acknowledged"])})
    if changes.get("satisfaction") in Satisfaction.values:
        lines.append(
            _("The resident is %(verdict)s.") % {"verdict": Satisfaction(changes["satisfaction"]).label}
        )
    if changes.get("urge_count"):
        lines.append(
            ngettext("Urged once.", "Urged %(n)d times.", changes["urge_count"])
            % {"n": changes["urge_count"]}
        )
    return lines


def timeline(case: Case) -> list[dict]:
    names = _party_names(case)
    by_event: dict[int, list[Attachment]] = {}
    for attachment in case.attachments.all():
        if attachment.event_id:
            by_event.setdefault(attachment.event_id, []).append(attachment)
    entries = []
    for event in case.events.all():
        actor = None if is_system(event.actor) else event.actor  # the system reads "the system"
        entries.append(
            {
                "event": event,
                "action": label(event.action),
                "actor": (actor.get_full_name() or actor.username) if actor else "",
                "role": role_label(event.actor_role),
                "from_status": Status(event.from_status).label if event.from_status in Status.values else "",
                "to_status": Status(event.to_status).label if event.to_status in Status.values else "",
                "changed": bool(event.from_status) and event.from_status != event.to_status,
                "changes": describe_changes(event, names),
                "attachments": by_event.get(event.pk, []),
            }
        )
    return entries


def answers_shown(case: Case) -> list[tuple[str, str]]:
    """The category's questions with the answers given, in the category's order."""
    shown = []
    for question in case.category.questions.all():
        if question.code not in case.answers:
            continue
        value = case.answers[question.code]
        labels = dict(question.choice_labels())
        if isinstance(value, list):
            value = _(", ").join(labels.get(item, item) for item in value)
        else:
            value = labels.get(value, value)
        shown.append((question.label, value))
    return shown


def reporter_tags(user, case: Case):
    if not case.reporter_person_id or not user_can(user, "people.persontag.view"):
        return []
    tags = PersonTag.objects.filter(person_id=case.reporter_person_id).select_related("tag")
    if not user_can(user, "people.persontag.view_sensitive"):
        tags = tags.filter(tag__sensitive=False)
    return list(tags)


def case_messages(user, case: Case) -> list:
    """Messages sent about the case, when the notifications app provides them (coordinators only)."""
    if not is_coordinator(user) or not hasattr(case, "messages"):
        return []
    return list(case.messages.all()[:50])


def case_context(request, case: Case, *, failure: Failure | None = None) -> dict:
    user = request.user
    assignments = list(case.assignments.all())
    actions = services.actions_for(user, case)
    attachments = list(case.attachments.all())
    parties = [a for a in assignments if a.active]
    return {
        "case": case,
        "actions": actions,
        "forms": action_forms(case, actions, failure),
        "failure": failure,
        "coordinator": is_coordinator(user),
        "may_dispatch": Action.DISPATCH in actions or Action.WHISTLE in actions,
        "parties": parties,
        "acknowledged": sum(1 for a in parties if a.acknowledged_at),
        "extension_text": duration_text(case.extension_requested_minutes or 0),
        "released": [a for a in assignments if not a.active],
        "before": [a for a in attachments if a.stage == "before"],
        "after": [a for a in attachments if a.stage == "after"],
        "timeline": timeline(case),
        "answers": answers_shown(case),
        "tags": reporter_tags(user, case),
        "duplicates": Case.objects.visible_to(user).filter(merged_into=case).only("number", "status"),
        "case_messages": case_messages(user, case),
        "may_view_household": user_can(user, "places.household.view"),
        "may_view_person": searches_people(user),
        "now": timezone.now(),
    }


def case_detail(request, number: str):
    return render_case_page(request, load_case(request.user, number))


def render_case_page(request, case: Case, *, failure: Failure | None = None, status: int = 200):
    return render(
        request, "cases/case_detail.html", case_context(request, case, failure=failure), status=status
    )


# --- actions ----------------------------------------------------------------------------------------


def _after(next_page: str, case: Case) -> str:
    if next_page == "tasks":
        return f"{reverse('case-tasks')}#case-{case.number}"
    if next_page == "verify":
        return reverse("case-verify", args=[case.number])
    return reverse("case-detail", args=[case.number])


@require_POST
def case_act(request, number: str, action: str):
    """One action on a case from a plain form (case page, call-back, my tasks)."""
    require(offers_on_page(action))
    case = get_object_or_404(Case.objects.visible_to(request.user), number=number)
    outcome, form = perform(request, case, action)
    next_page = request.POST.get("next", "case")
    if outcome.ok:
        messages.success(request, REGISTRY[action].done)
        return redirect(_after(next_page, outcome.result))
    failure = Failure(case.pk, action, form, outcome)
    if next_page == "tasks":
        from grassroots.cases.views.tasks import render_tasks_page

        return render_tasks_page(request, failure=failure, status=outcome.status)
    fresh = load_case(request.user, number)
    if next_page == "verify" and is_coordinator(request.user):
        return render_verify_page(request, fresh, failure=failure, status=outcome.status)
    return render_case_page(request, fresh, failure=failure, status=outcome.status)


def case_attachment(request, number: str, pk: int):
    """Stream a photo or file only after the case is found visible to the user (no public media URL)."""
    case = get_object_or_404(Case.objects.visible_to(request.user).only("id"), number=number)
    attachment = get_object_or_404(Attachment, pk=pk, case=case)
    if not attachment.file:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        content_type=attachment.content_type or "application/octet-stream",
        as_attachment=not attachment.is_image,
        filename=attachment.original_name or None,
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- call-back ---------------------------------------------------------------------------------------


def case_verify_page(request, number: str):
    """The call-back: whom to call, what was done, and the resident's verdict; then close."""
    require(is_coordinator(request.user))
    return render_verify_page(request, load_case(request.user, number))


def render_verify_page(request, case: Case, *, failure: Failure | None = None, status: int = 200):
    context = case_context(request, case, failure=failure)
    context["forms"] = [offer for offer in context["forms"] if offer.action.name in CALL_BACK_ACTIONS]
    return render(request, "cases/verify.html", context, status=status)


# --- the case list -------------------------------------------------------------------------------------


def filter_form(request, cases, *, statuses) -> CaseFilterForm:
    form = CaseFilterForm(
        request.GET or None,
        grids=grids_for(request.user),
        categories=categories_for(request.user),
        handlers=handler_choices(cases),
        statuses=status_choices(statuses),
    )
    if form.is_bound:
        form.is_valid()
    return form


def status_links(params, counts: dict[str, int], choices) -> list[dict]:
    """One link per status with its count, keeping the other filters."""
    current = params.get("status", "")
    return [
        {
            "value": value,
            "label": label,
            "count": counts.get(value, 0),
            "query": query_string(params, status=None if value == current else value, page=None),
            "current": value == current,
        }
        for value, label in choices
    ]


def case_list(request):
    """Every case in the coordinator's scope, newest first, searchable by number, filtered like the board."""
    require(is_coordinator(request.user))
    visible = Case.objects.visible_to(request.user)
    form = filter_form(request, visible, statuses=Status.values)
    data = form.cleaned_data if form.is_bound else {}
    unfiltered_status = filter_cases(visible, data, with_status=False)
    cases = (
        filter_cases(unfiltered_status, data)
        .select_related("category", "grid", "household__building", "building")
        .prefetch_related(lead_prefetch())
        .order_by("-reported_at", "-id")
    )
    page = Paginator(cases, CASES_PER_PAGE).get_page(request.GET.get("page"))
    counts = status_counts(unfiltered_status)
    context = {
        "form": form,
        "page": page,
        "counts": status_links(request.GET, counts, Status.choices),
        "total": sum(counts.values()),
        "base_query": query_string(request.GET, page=None),
        "now": timezone.now(),
    }
    return render(request, "cases/case_list.html", context)
