"""The resident portal (/portal/): report a problem, follow it, rate the result.

Two ways in. A signed-in resident reaches the cases they reported. Anyone else proves they
reported a case with its number and the last four digits of the phone number used; the
portal then remembers that grant in the session for a few hours. Wrong number and wrong
digits get the same answer, and failed attempts are throttled per IP address (portal.throttle:
core.audit.client_ip, counted in Django's default cache, which all workers share: the database or
Redis). Anonymous submissions are throttled per IP address the same way.

Every write goes through cases.services; nothing here changes a case by itself.
"""

from __future__ import annotations

import hmac
import time

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grassroots.accounts.models import User
from grassroots.accounts.roles import is_resident
from grassroots.cases import services
from grassroots.cases.models import Case, Channel, Satisfaction
from grassroots.cases.workflow import Action, Status
from grassroots.core import pii
from grassroots.core.audit import client_ip
from grassroots.core.forms import errors_by_field
from grassroots.places.models import Community
from grassroots.portal.forms import (
    ELSEWHERE,
    HOME,
    FollowForm,
    RatingForm,
    ReportForm,
    category_label,
)
from grassroots.portal.throttle import count_attempt, follow_limit, report_limit, retry_after, too_many
from grassroots.portal.timeline import (
    party_label,
    public_timeline,
    status_words,
    with_timeline,
)

#: How long a number + digits grant lasts in the visitor's session.
GRANT_SECONDS = 6 * 60 * 60
GRANT_KEY = "portal_grants"
MAX_GRANTS = 20


# --- throttling (counted in portal.throttle) ------------------------------------------------------


# --- who may see which case -----------------------------------------------------------------------


def _is_resident(user) -> bool:
    return is_resident(user) and user.person_id is not None


#: The actor of a report by an unauthenticated member of the public: nobody. Such a visitor has no
#: standing beyond what the service grants a reporter: cases.services.case_report checks no account
#: for them and records the report with no actor and no reporter account; anything later they prove
#: case by case with the number and the phone digits (case_rate_by_token then acts with the reporter
#: relation only). Their own timeline still reads "you" for the report (portal.timeline.actor_label).
MEMBER_OF_THE_PUBLIC = None


def reporting_actor(user) -> User | None:
    """Who a portal report is made by: the signed-in resident, or else a member of the public.

    A signed-in account that is not a resident's is turned away before the form
    (portal/staff_notice.html), so anyone else who reports here is an anonymous visitor.
    """
    return user if _is_resident(user) else MEMBER_OF_THE_PUBLIC


def _reported_by(user) -> Q:
    condition = Q(reporter_user=user)
    if user.person_id:
        condition |= Q(reporter_person_id=user.person_id)
    return condition


def _grants(request) -> dict[str, float]:
    now = time.time()
    return {key: until for key, until in request.session.get(GRANT_KEY, {}).items() if until > now}


def grant(request, case: Case) -> None:
    """Remember in the session that this visitor proved they reported the case."""
    grants = _grants(request)
    grants[str(case.pk)] = time.time() + GRANT_SECONDS
    newest = sorted(grants.items(), key=lambda item: item[1])[-MAX_GRANTS:]
    request.session[GRANT_KEY] = dict(newest)


def _access(request, number: str, queryset=None) -> tuple[Case, str] | None:
    """The case and how the viewer reached it ("account" or "grant"), or None: not found."""
    queryset = Case.objects.all() if queryset is None else queryset
    user = request.user
    if user.is_authenticated:
        mine = Case.objects.visible_to(user).filter(_reported_by(user), number=number).values("pk")
        case = queryset.filter(pk__in=mine).first()
        if case is not None:
            return case, "account"
    granted = [int(key) for key in _grants(request)]
    if granted:
        case = queryset.filter(pk__in=granted, number=number).first()
        if case is not None:
            return case, "grant"
    return None


def _not_found(request):
    return render(request, "portal/not_found.html", status=404)


def phone_tail_matches(case: Case, digits: str) -> bool:
    """Do these four digits end the phone number the case was reported with?"""
    stored = case.reporter_phone_tail_hash
    if not stored and not case.anonymous and case.reporter_person_id:
        stored = case.reporter_person.phone_tail_hash
    given = pii.phone_tail_hash(digits)
    return bool(stored) and bool(given) and hmac.compare_digest(stored, given)


# --- pages ----------------------------------------------------------------------------------------


@login_not_required
@require_GET
def portal_home(request):
    """Where residents and visitors start: report a problem, or follow one."""
    context: dict = {"follow_form": FollowForm(), "resident": _is_resident(request.user)}
    if context["resident"]:
        context["cases"] = _case_rows(_my_cases(request.user)[:5])
    return render(request, "portal/home.html", context)


def _my_cases(user):
    return (
        Case.objects.visible_to(user)
        .filter(_reported_by(user))
        .select_related("category")
        .order_by("-reported_at")
    )


def _case_rows(cases) -> list[dict]:
    return [
        {"case": case, "label": category_label(case.category), "status": status_words(case.status)[0]}
        for case in cases
    ]


@require_GET
def portal_mine(request):
    """The signed-in resident's own reports (also loaded into their home page)."""
    if not _is_resident(request.user):
        raise Http404
    cases = _case_rows(_my_cases(request.user)[:50])
    template = "portal/_my_cases.html" if request.htmx else "portal/mine.html"
    return render(request, template, {"cases": cases})


@login_not_required
@require_http_methods(["GET", "POST"])
def portal_report(request):
    """Report a problem: a resident from their account, or a visitor with a name and a phone."""
    user = request.user
    if user.is_authenticated and not _is_resident(user):
        return render(request, "portal/staff_notice.html")
    resident = _is_resident(user)
    person = user.person if resident else None
    communities = [] if resident else list(Community.objects.order_by("code"))
    if not resident and not communities:
        return render(request, "portal/staff_notice.html", {"no_community": True})
    ip = client_ip(request)
    if request.method == "POST" and not resident:
        wait = retry_after(report_limit(), ip)
        if wait:
            return too_many(request, wait)
    form_kwargs = {"resident_person": person, "communities": communities}
    if request.method != "POST":
        form = ReportForm(**form_kwargs)
        return render(request, "portal/report.html", _report_context(form, person))
    form = ReportForm(request.POST, request.FILES, **form_kwargs)
    if form.is_valid():
        try:
            case = services.case_report(
                actor=reporting_actor(user),
                community=form.cleaned_data["community"],
                details=_details(form, person),
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        except PermissionDenied:
            raise Http404 from None
        else:
            if resident:
                messages.success(
                    request, _("Thank you. Your case number is %(number)s.") % {"number": case.number}
                )
            else:
                count_attempt(report_limit(), ip)
                grant(request, case)
                messages.success(
                    request,
                    _(
                        "Thank you. Your case number is %(number)s. Keep it: with the last four digits "
                        "of your phone number it lets you follow the case."
                    )
                    % {"number": case.number},
                )
            return redirect("portal-case", number=case.number)
    return render(request, "portal/report.html", _report_context(form, person))


def _report_context(form: ReportForm, person) -> dict:
    return {
        "form": form,
        "person": person,
        "household": form.household,
        "question_rows": form.question_rows(),
        "HOME": HOME,
        "ELSEWHERE": ELSEWHERE,
    }


def _details(form: ReportForm, person) -> services.ReportDetails:
    data = form.cleaned_data
    at_home = person is not None and data.get("place") == HOME and form.household is not None
    photo = data.get("photo")
    return services.ReportDetails(
        category=form.chosen_category,
        description=data["description"],
        channel=Channel.WEB,
        reporter_person=person,
        reporter_name="" if person else data["name"].strip(),
        reporter_phone="" if person else data["phone"],
        household=form.household if at_home else None,
        building=None if at_home else data.get("building"),
        location_note=data.get("location_note") or "",
        answers=data.get("answers") or {},
        photos=[photo] if photo else [],
    )


def _errors_to_form(form: ReportForm, error: ValidationError) -> None:
    """Show the service's objections next to the fields they concern."""
    by_field = errors_by_field(error)
    form.question_errors = by_field.get("answers", form.question_errors)
    form.add_service_errors(by_field)


@login_not_required
@require_GET
def portal_questions(request):
    """The chosen category's extra questions (HTMX swaps them in when the category changes)."""
    user = request.user
    form = ReportForm(
        data=request.GET,
        resident_person=user.person if _is_resident(user) else None,
        communities=[],
    )
    return render(request, "portal/_questions.html", {"question_rows": form.question_rows()})


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def portal_follow(request):
    """Follow a case with its number and the last four digits of the phone used to report it."""
    ip = client_ip(request)
    if request.method != "POST":
        form = FollowForm(initial={"number": request.GET.get("number", "")[:30]})
        return render(request, "portal/follow.html", {"form": form})
    wait = retry_after(follow_limit(), ip)
    if wait:
        return too_many(request, wait)
    form = FollowForm(request.POST)
    if form.is_valid():
        case = (
            Case.objects.filter(number=form.cleaned_data["number"]).select_related("reporter_person").first()
        )
        if case is not None and phone_tail_matches(case, form.cleaned_data["digits"]):
            grant(request, case)
            return redirect("portal-case", number=case.number)
        count_attempt(follow_limit(), ip)
        form.add_error(
            None,
            _("We found no case with this number and these digits. Check both, or call your community."),
        )
    return render(request, "portal/follow.html", {"form": form})


@login_not_required
@never_cache
@require_GET
def portal_follow_link(request, token: str):
    """The link in a message to the reporter: a per-case random secret (96 bits) opens the case.

    Stronger than the case number and four phone digits, which a neighbour may know; counted
    against the same limit as the follow form, so no one can try tokens at speed either.
    """
    ip = client_ip(request)
    wait = retry_after(follow_limit(), ip)
    if wait:
        return too_many(request, wait)
    case = Case.objects.filter(public_token=token[:32]).only("pk", "number").first() if token else None
    if case is None:
        count_attempt(follow_limit(), ip)
        return _not_found(request)
    grant(request, case)
    return redirect("portal-case", number=case.number)


@login_not_required
@never_cache
@require_GET
def portal_case(request, number: str):
    """The case as the resident sees it: status in plain words, roles not names, public entries."""
    found = _access(request, number, with_timeline(Case.objects.all()))
    if found is None:
        return _not_found(request)
    case, via = found
    return render(request, "portal/case.html", _case_context(request, case, via, RatingForm()))


def _can_rate(request, case: Case, via: str) -> bool:
    if case.status != Status.RESOLVED:
        return False
    if via == "account":
        return Action.VERIFY in services.actions_for(request.user, case)
    return hasattr(services, "case_rate_by_token")


def _case_context(request, case: Case, via: str, rating_form: RatingForm) -> dict:
    entries, loose_photos = public_timeline(case)
    title, sentence = status_words(case.status)
    merged_into = case.merged_into if case.status == Status.MERGED else None
    return {
        "case": case,
        "via": via,
        "category": category_label(case.category),
        "status_title": title,
        "status_sentence": sentence,
        "merged_status": status_words(merged_into.status)[0] if merged_into else "",
        "overdue": case.is_overdue(),
        "parties": [
            {"label": party_label(a), "lead": a.is_lead, "acknowledged": a.acknowledged_at is not None}
            for a in case.assignments.all()
        ],
        "entries": entries,
        "loose_photos": loose_photos,
        "can_rate": _can_rate(request, case, via),
        "rating_form": rating_form,
        "satisfaction": str(dict(Satisfaction.choices).get(case.satisfaction, case.satisfaction)),
    }


@login_not_required
@require_POST
def portal_rate(request, number: str):
    """The resident's verdict: satisfied or basically satisfied verifies; unsatisfied sends it back."""
    found = _access(request, number, with_timeline(Case.objects.all()))
    if found is None:
        return _not_found(request)
    case, via = found
    form = RatingForm(request.POST)
    if not _can_rate(request, case, via):
        messages.info(request, _("This case cannot be rated now."))
        return redirect("portal-case", number=case.number)
    if form.is_valid():
        satisfaction = form.cleaned_data["satisfaction"]
        note = form.cleaned_data["note"].strip()
        try:
            if via == "account":
                services.case_verify(
                    actor=request.user,
                    case=case,
                    satisfaction=satisfaction,
                    note=note,
                    expected_version=form.cleaned_data["version"],
                )
            else:
                services.case_rate_by_token(case=case, satisfaction=satisfaction, note=note)
        except services.CaseConflict:
            messages.error(request, _("The case changed a moment ago. Please look again before rating it."))
            return redirect("portal-case", number=case.number)
        except services.ActionNotAllowed as error:
            messages.error(request, str(error))
            return redirect("portal-case", number=case.number)
        except PermissionDenied:
            return _not_found(request)
        except ValidationError as error:
            for problems in error.message_dict.values():
                form.add_error(None, problems)
        else:
            if satisfaction == "unsatisfied":
                messages.warning(
                    request,
                    _(
                        "We are sorry it is not solved yet. "
                        "The case goes back to the handlers to work on it again."
                    ),
                )
            else:
                messages.success(request, _("Thank you for your answer."))
            return redirect("portal-case", number=case.number)
    return render(request, "portal/case.html", _case_context(request, case, via, form))


@login_not_required
@require_GET
def portal_photo(request, number: str, pk: int):
    """An "after" photo of the work, for whoever may see the case in the portal."""
    found = _access(request, number, with_timeline(Case.objects.all()))
    if found is None:
        return _not_found(request)
    case, _via = found
    entries, loose = public_timeline(case)
    photos = {photo.pk: photo for photo in loose}
    photos.update({photo.pk: photo for entry in entries for photo in entry.photos})
    photo = photos.get(pk)
    if photo is None:
        return _not_found(request)
    try:
        handle = photo.file.open("rb")
    except (FileNotFoundError, OSError):
        return _not_found(request)
    response = FileResponse(handle, content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response
