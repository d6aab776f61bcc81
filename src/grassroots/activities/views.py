"""Activities and hours pages: the list, an activity, the roll call, its QR code, check-in, my activities,
the yearly statement (page and PDF) and the office's totals.

Reads through activities.selectors (visible_to: 404 outside the scope), writes through
activities.services and activities.hours; a page a role may not use answers 404.
"""

from __future__ import annotations

from decimal import Decimal

import segno
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grassroots.accounts.roles import user_can
from grassroots.activities import hours as ledger
from grassroots.activities import selectors, services
from grassroots.activities.forms import ActivityForm, CancelActivityForm, CorrectForm, HoursForm, RedeemForm
from grassroots.activities.models import Activity, ActivityStatus, HoursEntry, Signup, SignupStatus
from grassroots.activities.pdf import FontMissing, statement_pdf
from grassroots.core.forms import errors_by_field
from grassroots.core.ids import parse_id
from grassroots.orgs.models import VolunteerTeam
from grassroots.people.models import Person

PER_PAGE = 20


def _need(user, capability: str) -> None:
    if not user_can(user, capability):
        raise Http404


def _activity(request, pk: int) -> Activity:
    _need(request.user, "activities.activity.view")
    activity = selectors.activity_for(request.user, pk)
    if activity is None:
        raise Http404
    return activity


def _managed(request, pk: int) -> Activity:
    activity = _activity(request, pk)
    if not services.may_manage(request.user, activity):
        raise Http404
    return activity


def _say(request, error: ValidationError) -> None:
    for texts in errors_by_field(error).values():
        for text in texts:
            messages.error(request, text)


# --- the list, publishing, an activity ------------------------------------------------------------------


def activity_list(request):
    """The community's coming activities, soonest first, a page at a time."""
    _need(request.user, "activities.activity.view")
    page = Paginator(selectors.upcoming_list(request.user), PER_PAGE).get_page(request.GET.get("page"))
    may_publish = user_can(request.user, "activities.activity.manage") or bool(
        services.teams_led_by(request.user)
    )
    return render(request, "activities/list.html", {"page": page, "may_publish": may_publish})


def activity_new(request):
    """Publish an activity: the office for the community (or a team), a leader for their own team."""
    _need(request.user, "activities.activity.add")
    office = user_can(request.user, "activities.activity.manage") and request.user.community_id is not None
    teams = (
        list(VolunteerTeam.objects.visible_to(request.user).filter(community_id=request.user.community_id))
        if office
        else services.teams_led_by(request.user)
    )
    if not office and not teams:
        raise Http404
    form = ActivityForm(request.POST or None, teams=teams, office=office)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        team = next((team for team in teams if team.pk == data["team"]), None)
        community = request.user.community if office else team.community
        details = _details(data)
        try:
            activity = services.activity_publish(
                actor=request.user, community=community, details=details, team=team
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Activity published."))
            return redirect("activity-detail", activity.pk)
    return render(request, "activities/new.html", {"form": form})


def _details(data) -> services.ActivityDetails:
    return services.ActivityDetails(
        title=data["title"],
        theme=data["theme"],
        place=data["place"],
        starts_at=data["starts_at"],
        ends_at=data["ends_at"],
        capacity=data["capacity"],
        signup_deadline=data["signup_deadline"],
        audience=data["audience"],
        description=data["description"],
        skills=list(data["skills"]),
    )


def _edited_message(request, edited: services.Edited) -> None:
    messages.success(request, _("Activity saved."))
    if edited.promoted:
        messages.info(
            request,
            _("Moved up from the waiting list and told: %(names)s.")
            % {"names": "、".join(row.person.name for row in edited.promoted)},
        )
    if edited.over_capacity:
        messages.warning(
            request,
            _(
                "%(n)s people already had a place beyond the new number of places: they keep it, and "
                "nobody new gets a place until fewer have one."
            )
            % {"n": edited.over_capacity},
        )


def activity_edit(request, pk: int):
    """The organiser changes an activity (the waiting list follows the places) or cancels it with a reason."""
    activity = _managed(request, pk)
    if activity.status != "published":
        raise Http404
    team_choices = [activity.team] if activity.team_id else []
    initial = {
        name: getattr(activity, name)
        for name in (
            "title",
            "theme",
            "place",
            "starts_at",
            "ends_at",
            "capacity",
            "audience",
            "signup_deadline",
        )
    }
    initial.update(
        {"description": activity.description, "skills": list(activity.skills.all()), "team": activity.team_id}
    )
    action = request.POST.get("action") if request.method == "POST" else None
    form = ActivityForm(
        request.POST if action == "save" else None, initial=initial, teams=team_choices, office=True
    )
    form.fields["team"].disabled = True
    cancel = CancelActivityForm(request.POST if action == "cancel" else None)
    bound = {"save": form, "cancel": cancel}.get(action)
    if bound is not None and bound.is_valid():
        try:
            if action == "save":
                _edited_message(
                    request,
                    services.activity_edit(
                        actor=request.user, activity=activity, details=_details(form.cleaned_data)
                    ),
                )
            else:
                services.activity_cancel(
                    actor=request.user, activity=activity, reason=cancel.cleaned_data["reason"]
                )
                messages.success(request, _("Activity cancelled: everyone signed up is told."))
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as error:
            bound.add_service_errors(error, aliases={"activity": "__all__"})
        else:
            return redirect("activity-detail", activity.pk)
    context = {"activity": activity, "form": form, "cancel": cancel}
    return render(request, "activities/edit.html", context, status=422 if bound is not None else 200)


def activity_detail(request, pk: int):
    """An activity: what, when, where, places left; the reader's own sign-up and what they can do."""
    activity = _activity(request, pk)
    mine = selectors.own_signup(request.user, activity)
    context = {
        "activity": activity,
        "mine": mine,
        "position": selectors.waiting_position(mine)
        if mine and mine.status == SignupStatus.WAITING
        else None,
        "places_left": max(activity.capacity - activity.taken, 0),
        "open": activity.status == "published" and timezone.now() <= activity.signup_deadline,
        "may_sign_up": user_can(request.user, "activities.signup.add") and bool(request.user.person_id),
        "manages": services.may_manage(request.user, activity),
        "skills": list(activity.skills.all()),
    }
    return render(request, "activities/detail.html", context)


@require_POST
def activity_signup(request, pk: int):
    """Sign up: oneself, or (the office, the leader) a person chosen on the roll call."""
    activity = _activity(request, pk)
    person = None
    person_id = parse_id(request.POST.get("person"))
    if person_id is not None:
        person = selectors.candidate_for(activity, person_id)
        if person is None or not services.may_manage(request.user, activity):
            raise Http404
    try:
        signup = services.signup_add(actor=request.user, activity=activity, person=person)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        _say(request, error)
    else:
        if signup.status == SignupStatus.CONFIRMED:
            messages.success(request, _("Signed up: you have a place."))
        else:
            messages.info(request, _("The places are taken: you are on the waiting list."))
    return redirect("activity-roll" if person is not None else "activity-detail", activity.pk)


def _signup_of(request, activity: Activity) -> Signup:
    signup_id = parse_id(request.POST.get("signup"))
    rows = Signup.objects.visible_to(request.user).filter(activity=activity)
    if signup_id is None:
        signup = rows.filter(person_id=request.user.person_id).exclude(status=SignupStatus.CANCELLED).first()
    else:
        signup = rows.filter(pk=signup_id).first()
    if signup is None:
        raise Http404
    signup.activity = activity
    return signup


@require_POST
def activity_cancel(request, pk: int):
    """Give up one's place (the first in line moves up), or the office/leader cancels someone's."""
    activity = _activity(request, pk)
    signup = _signup_of(request, activity)
    try:
        services.signup_cancel(actor=request.user, signup=signup)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        _say(request, error)
    else:
        messages.success(request, _("Sign-up cancelled."))
    if request.POST.get("signup"):
        return redirect("activity-roll", activity.pk)
    return redirect("activity-detail", activity.pk)


@require_POST
def activity_checkout(request, pk: int):
    """The participant checks out: the hours are computed, for the leader to confirm."""
    activity = _activity(request, pk)
    signup = _signup_of(request, activity)
    try:
        signup = services.checkout(actor=request.user, signup=signup)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        _say(request, error)
    else:
        messages.success(
            request, _("Checked out: %(hours)s hours, to be confirmed.") % {"hours": signup.hours}
        )
    return redirect("activity-detail", activity.pk)


# --- the leader's pages: roll call and QR code ------------------------------------------------------------


def activity_roll(request, pk: int):
    """The roll call: who has a place and who waits; tick check-in and check-out, confirm the hours."""
    activity = _managed(request, pk)
    context = {
        "activity": activity,
        "roll": selectors.roll_for(activity),
        "candidates": selectors.people_to_sign_up(activity),
        "hours_form": HoursForm(),
    }
    return render(request, "activities/roll.html", context)


ROLL_ACTIONS = {
    "checkin": lambda actor, signup, hours: services.checkin_roll(actor=actor, signup=signup),
    "checkout": lambda actor, signup, hours: services.checkout(actor=actor, signup=signup),
    "confirm": lambda actor, signup, hours: services.signup_confirm_hours(
        actor=actor, signup=signup, hours=hours
    ),
}


@require_POST
def activity_roll_act(request, pk: int):
    """One tick of the roll call: check in, check out, or confirm the hours of one participant."""
    activity = _managed(request, pk)
    act = ROLL_ACTIONS.get(request.POST.get("action", ""))
    if act is None:
        raise Http404
    signup = _signup_of(request, activity)
    form = HoursForm(request.POST)
    if not form.is_valid():
        _say(request, ValidationError(form.errors))
        return redirect("activity-roll", activity.pk)
    try:
        act(request.user, signup, form.cleaned_data.get("hours"))
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        _say(request, error)
    else:
        messages.success(request, _("Saved."))
    return redirect("activity-roll", activity.pk)


def checkin_url(request, activity: Activity) -> str:
    return request.build_absolute_uri(
        reverse("activity-checkin", args=[activity.pk, services.checkin_token(activity)])
    )


def activity_qr(request, pk: int):
    """The QR code to show at the door: participants scan it with their phone to check in."""
    activity = _managed(request, pk)
    if activity.status != ActivityStatus.PUBLISHED:
        messages.info(request, _("This activity was cancelled: there is no check-in."))
        return redirect("activity-detail", activity.pk)
    url = checkin_url(request, activity)
    qr = segno.make(url, error="m")
    opens, closes = services.checkin_window(activity)
    context = {
        "activity": activity,
        "url": url,
        "svg": qr.svg_inline(scale=6, border=4, omitsize=True, light="#fff"),
        "code": services.checkin_code(activity),
        "opens": opens,
        "closes": closes,
    }
    return render(request, "activities/qr.html", context)


def activity_checkin(request, pk: int, token: str):
    """The link of the QR code: the signed-in participant is checked in (once), or told clearly why not."""
    activity = _activity(request, pk)
    try:
        signup = services.checkin_by_token(actor=request.user, activity=activity, token=token)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        problems = [text for texts in errors_by_field(error).values() for text in texts]
        return render(
            request, "activities/checkin.html", {"activity": activity, "problems": problems}, status=400
        )
    return render(request, "activities/checkin.html", {"activity": activity, "signup": signup})


#: Wrong typed codes a participant may make in a window before the scanner page says "wait".
WRONG_CODES, WRONG_CODES_WINDOW = 10, 15 * 60


def _wrong_codes_key(user) -> str:
    return f"grassroots:activities:wrong-codes:{user.pk}"


def activity_scan(request):
    """The check-in scanner: the phone's camera reads the QR code at the door, or the code is typed.

    The camera part is static/grassroots/activities-scan.js (the browser's BarcodeDetector, else the
    vendored jsQR); it only follows a check-in link of this site. The typed code is checked here
    against the participant's own activities whose check-in is open (services.checkin_by_code).
    """
    _need(request.user, "activities.signup.add")
    context = {"code": "", "problems": [], "may_check_in": bool(request.user.person_id)}
    if request.method != "POST":
        return render(request, "activities/scan.html", context)
    context["code"] = request.POST.get("code", "")[:20]
    key = _wrong_codes_key(request.user)
    if (cache.get(key) or 0) >= WRONG_CODES:
        context["problems"] = [_("Too many wrong codes: wait a quarter of an hour, or ask the organiser.")]
        return render(request, "activities/scan.html", context, status=429)
    try:
        signup = services.checkin_by_code(actor=request.user, code=context["code"])
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        cache.add(key, 0, timeout=WRONG_CODES_WINDOW)
        cache.incr(key)
        context["problems"] = [text for texts in errors_by_field(error).values() for text in texts]
        return render(request, "activities/scan.html", context, status=400)
    return render(request, "activities/checkin.html", {"activity": signup.activity, "signup": signup})


# --- my activities and hours -------------------------------------------------------------------------------


def activity_mine(request):
    """The reader's activities: coming ones with their place, past ones with their hours."""
    _need(request.user, "activities.signup.add")
    page = Paginator(selectors.my_signups(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "activities/mine.html", {"page": page, "now": timezone.now()})


def _year(request) -> int:
    year = parse_id(request.GET.get("year"))
    this_year = timezone.localdate().year
    return year if year is not None and 2000 <= year <= this_year + 1 else this_year


def _statement_person(request, person_pk: int) -> Person:
    """Whose statement: one's own, or (the office, the street) a person of their scope."""
    _need(request.user, "activities.hoursentry.view")
    if person_pk == request.user.person_id:
        return request.user.person
    if not user_can(request.user, "activities.hoursentry.totals"):
        raise Http404
    return get_object_or_404(Person.objects.visible_to(request.user), pk=person_pk)


def hours_mine(request):
    """My hours: the reader's own yearly statement."""
    _need(request.user, "activities.hoursentry.view")
    if not request.user.person_id:
        raise Http404
    return redirect(reverse("hours-statement", args=[request.user.person_id]) + f"?year={_year(request)}")


def hours_statement(request, person_pk: int):
    """A volunteer's year: every ledger row, totals by source, points earned, redeemed and left."""
    person = _statement_person(request, person_pk)
    year = _year(request)
    context = {
        "statement": selectors.statement_for(person, year),
        "years": range(timezone.localdate().year, timezone.localdate().year - 5, -1),
        "may_redeem": user_can(request.user, "activities.hoursentry.redeem"),
        "may_correct": user_can(request.user, "activities.hoursentry.correct"),
        "redeem_form": RedeemForm(),
        "correct_form": CorrectForm(),
    }
    return render(request, "activities/statement.html", context)


def hours_statement_pdf(request, person_pk: int):
    """The yearly statement as a PDF, Chinese font embedded."""
    person = _statement_person(request, person_pk)
    year = _year(request)
    try:
        data = statement_pdf(selectors.statement_for(person, year))
    except FontMissing as error:
        return HttpResponse(str(error), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="hours-{year}-{person.pk}.pdf"'
    return response


@require_POST
def hours_redeem(request, person_pk: int):
    """The office redeems a person's points in the time bank (never below zero)."""
    _need(request.user, "activities.hoursentry.redeem")
    person = get_object_or_404(Person.objects.visible_to(request.user), pk=person_pk)
    form = RedeemForm(request.POST)
    if form.is_valid():
        try:
            ledger.points_redeem(
                actor=request.user,
                person=person,
                points=form.cleaned_data["points"],
                note=form.cleaned_data["note"],
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as error:
            _say(request, error)
        else:
            messages.success(request, _("Points redeemed."))
    else:
        _say(request, ValidationError(form.errors))
    return redirect(reverse("hours-statement", args=[person.pk]))


@require_POST
def hours_correct(request, pk: int):
    """The office corrects a ledger row: a compensating row, and the corrected hours if given."""
    _need(request.user, "activities.hoursentry.correct")
    entry = get_object_or_404(HoursEntry.objects.visible_to(request.user), pk=pk)
    form = CorrectForm(request.POST)
    if form.is_valid():
        try:
            ledger.hours_correct(
                actor=request.user,
                entry=entry,
                reason=form.cleaned_data["reason"],
                hours=form.cleaned_data["hours"],
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as error:
            _say(request, error)
        else:
            messages.success(request, _("Entry corrected."))
    else:
        _say(request, ValidationError(form.errors))
    return redirect(reverse("hours-statement", args=[entry.person_id]) + f"?year={entry.worked_at.year}")


def hours_totals(request):
    """The office's year: hours per team, party branch and member unit."""
    _need(request.user, "activities.hoursentry.totals")
    year = _year(request)
    totals = selectors.totals_for(request.user, year)
    years = range(timezone.localdate().year, timezone.localdate().year - 5, -1)
    return render(request, "activities/totals.html", {"totals": totals, "years": years, "zero": Decimal(0)})
