"""The case page, actions posted on it, its attachments, the call-back screen and the case list.

Every page reads through cases.selectors, which find a case only through
`Case.objects.visible_to(request.user)`, so a case outside the user's scope answers 404
exactly like a case that does not exist. Writes go through views.actions (one service per
action). The other screens live in views.intake (intake, patrol report), views.dispatch,
views.tasks and views.board.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grassroots.accounts.roles import searches_people, user_can
from grassroots.cases import figures, hotspots, metrics, selectors, services
from grassroots.cases.calendar import duration_text
from grassroots.cases.links import party_link_revoke
from grassroots.cases.models import Case, PartyLink
from grassroots.cases.permissions import coordinates
from grassroots.cases.views.actions import Failure, action_forms, offers_on_page, perform
from grassroots.cases.views.common import filter_form, is_coordinator, require, status_links
from grassroots.cases.workflow import REGISTRY, Action, Status
from grassroots.core.counting import CappedPaginator
from grassroots.core.replica import replica_reads

CASES_PER_PAGE = 50
CALL_BACK_ACTIONS = (Action.VERIFY, Action.CLOSE)


def load_case(user, number: str) -> Case:
    """The case with everything its page shows, or 404 when it is not visible to the user."""
    case = selectors.case_page_for(user=user, number=number)
    require(case is not None)
    return case


def find_case(user, number: str) -> Case:
    """The case an action is posted on, or 404 when it is not visible to the user."""
    case = selectors.case_for(user=user, number=number)
    require(case is not None)
    return case


# --- what the page shows -----------------------------------------------------------------------------


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


def case_context(request, case: Case, *, failure: Failure | None = None) -> dict:
    user = request.user
    assignments = list(case.assignments.all())
    actions = services.actions_for(user, case)
    attachments = list(case.attachments.all())
    parties = [a for a in assignments if a.active]
    return {
        "case": case,
        "actions": actions,
        "forms": action_forms(case, actions, failure, user=user),
        "failure": failure,
        "coordinator": is_coordinator(user),
        "may_dispatch": Action.DISPATCH in actions or Action.WHISTLE in actions,
        "parties": parties,
        "acknowledged": sum(1 for a in parties if a.acknowledged_at),
        "extension_text": duration_text(case.extension_requested_minutes or 0),
        "released": [a for a in assignments if not a.active],
        "before": [a for a in attachments if a.stage == "before"],
        "after": [a for a in attachments if a.stage == "after"],
        "timeline": selectors.staff_timeline_for(case=case),
        "answers": answers_shown(case),
        "tags": selectors.reporter_tags_for(user=user, case=case),
        "duplicates": selectors.duplicates_for(user=user, case=case),
        "hotspot_links": hotspots.linked_for(user=user, case=case) if is_coordinator(user) else None,
        "likely_duplicate": selectors.likely_duplicates_of(user=user, cases=[case]).get(case.pk),
        "may_merge": Action.MERGE in actions,
        "case_messages": selectors.case_messages_for(case=case) if is_coordinator(user) else [],
        "party_links": selectors.party_links_for(user=user, case=case),
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


@require_POST
def case_link_revoke(request, number: str, pk: int):
    """A coordinator of the case withdraws a one-tap link (cases.links); it opens nothing afterwards."""
    case = find_case(request.user, number)
    link = PartyLink.objects.filter(pk=pk, case=case).first()
    require(link is not None and coordinates(request.user, case))
    party_link_revoke(actor=request.user, link=link)
    messages.success(request, _("The link is withdrawn: it opens nothing any more."))
    return redirect(f"{reverse('case-detail', args=[case.number])}#links")


def _after(next_page: str, case: Case) -> str:
    if next_page == "tasks":
        return f"{reverse('case-tasks')}#case-{case.number}"
    if next_page == "verify":
        return reverse("case-verify", args=[case.number])
    if next_page == "list":
        return reverse("case-list")
    return reverse("case-detail", args=[case.number])


@require_POST
def case_act(request, number: str, action: str):
    """One action on a case from a plain form (case page, call-back, my tasks)."""
    require(offers_on_page(action))
    case = find_case(request.user, number)
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
    attachment = selectors.attachment_for(user=request.user, number=number, pk=pk)
    if attachment is None or not attachment.file:
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


@replica_reads
def case_list(request):
    """Every case in the coordinator's scope, newest first, searchable by number, filtered like the board."""
    require(is_coordinator(request.user))
    form = filter_form(request, open_only=False, statuses=Status.values)
    listing = selectors.case_list(user=request.user, filters=form.cleaned_data if form.is_bound else {})
    page = CappedPaginator(listing.rows, CASES_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    likely = selectors.likely_duplicates_of(user=request.user, cases=page.object_list)
    mergeable = REGISTRY[Action.MERGE].sources
    for row in page.object_list:
        row.likely_duplicate = likely.get(row.pk)
        row.may_merge = row.status in mergeable  # the list is for coordinators, who may merge
    counts = listing.status_counts
    cleaned = form.cleaned_data if form.is_bound else {}
    context = {
        "figure": metrics.label_of(cleaned["figure"]) if cleaned.get("figure") else "",
        "figure_now": cleaned.get("figure") in metrics.LIVE,
        "hotspot": bool(cleaned.get("hotspot")),
        "period": figures.figure_period(cleaned, today=timezone.localdate())
        if cleaned.get("figure")
        else None,
        "form": form,
        "page": page,
        "counts": status_links(request.GET, counts, Status.choices),
        "now": timezone.now(),
    }
    return render(request, "cases/case_list.html", context)
