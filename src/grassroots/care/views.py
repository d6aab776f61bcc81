"""Care pages: the worklist, the register, campaigns, visits, programmes, and the legs' flags and rates.

Every read goes through `visible_to` (404 outside the scope, like a page that does
not exist); every write through care.services. Pages that show health, disability
or family findings write a CareRecordAccess row each time they are shown.
"""

from __future__ import annotations

import re
from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from grassroots.accounts.models import User
from grassroots.accounts.roles import has_capability, role_filter, user_can, works_from_tasks
from grassroots.care import selectors, services
from grassroots.care.forms import (
    AssignForm,
    CampaignForm,
    DoneForm,
    EnrolForm,
    MissedForm,
    SituationForm,
    TierForm,
    VisitForm,
)
from grassroots.care.models import (
    Campaign,
    CareProfile,
    CareRecordAccess,
    Enrolment,
    Outcome,
    PlannedService,
    Programme,
    ServiceStatus,
    Tier,
    Visit,
)
from grassroots.cases.figures import parse_month
from grassroots.core.audit import client_ip
from grassroots.core.ids import parse_id
from grassroots.orgs.models import VolunteerTeam
from grassroots.people.models import Person, PersonStatus, VulnerabilityTag
from grassroots.people.services import consent_create, consent_on_file, consent_problems
from grassroots.places.models import Grid, Household

TARGETS_PER_PAGE = 50
#: Services a page of "my care tasks" lists (the pressing ones come first).
TASKS_PER_PAGE = 25


def _need(user, capability: str) -> None:
    if not user_can(user, capability):
        raise Http404


def may_see_findings(user) -> bool:
    return user_can(user, "care.careprofile.view_sensitive")


# --- overview and lists ---------------------------------------------------------------------------------


def care_home(request):
    """Where care work starts: the hands go to their tasks, everyone else to their worklist."""
    if user_can(request.user, "care.plannedservice.view_own") and works_from_tasks(request.user):
        return redirect("care-tasks")
    _need(request.user, "care.careprofile.view")
    return redirect("care-worklist")


def worklist(request):
    """Each morning's list for the signed-in visitor, by risk and then by place."""
    _need(request.user, "care.careprofile.view")
    today = timezone.localdate()
    items = selectors.worklist(request.user, today)
    counts = {
        kind: sum(1 for item in items if item.kind == kind)
        for kind in ("change", "visit", "campaign", "service")
    }
    return render(request, "care/worklist.html", {"items": items, "today": today, "counts": counts})


def tasks(request):
    """A volunteer's services to deliver: name, address and the service, nothing more.

    Today's and overdue ones first (their own people on top), the rest counted and listed after,
    a page at a time; each row's record form loads when the row is opened (care-service-record),
    so the page holds one form, not one per service.
    """
    _need(request.user, "care.plannedservice.view_own")
    today = timezone.localdate()
    found = selectors.volunteer_tasks(request.user, today)
    page = Paginator(found.rows, TASKS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "found": found,
        "targets": selectors.campaign_targets(request.user, today),
        "today": today,
    }
    return render(request, "care/tasks.html", context)


def service_record(request, pk: int):
    """The forms to record one service done or missed: HTMX into an opened task row, or a page."""
    _need(request.user, "care.plannedservice.deliver")
    planned = _planned_for(request.user, pk)
    context = {"planned": planned, "next": _local_path(request.GET.get("next", ""))}
    template = "care/_deliver_forms.html" if request.htmx else "care/service_record.html"
    return render(request, template, context)


def register(request):
    _need(request.user, "care.careprofile.view")
    tier = request.GET.get("tier", "")
    if tier not in Tier.values:
        tier = ""
    grid_id = parse_id(request.GET.get("grid"))
    building_id = parse_id(request.GET.get("building"))
    reached = {"yes": True, "no": False}.get(request.GET.get("reached", ""))
    profiles = selectors.register(
        request.user,
        tier=tier,
        grid_id=grid_id,
        community_id=parse_id(request.GET.get("community")),
        building_id=building_id,
        reached=reached,
    )
    page = Paginator(profiles, 50).get_page(request.GET.get("page"))
    totals = dict(
        CareProfile.objects.visible_to(request.user).on_register().values_list("tier").annotate(n=Count("id"))
    )
    context = {
        "page": page,
        "tier": tier,
        "reached": request.GET.get("reached", "") if reached is not None else "",
        "grid_id": grid_id,
        "building_id": building_id,
        "tiers": Tier.choices,
        "grids": Grid.objects.visible_to(request.user),
        "totals": totals,
        "today": timezone.localdate(),
    }
    return render(request, "care/register.html", context)


def planned_services(request):
    """Planned services due in whole months (this one by default), by status: the list behind the
    dashboard's "delivered against due" and volunteer hours."""
    _need(request.user, "care.plannedservice.view")
    today = timezone.localdate()
    first = parse_month(request.GET.get("month_from")) or today.replace(day=1)
    last = parse_month(request.GET.get("month_to")) or first
    first, last = min(first, last), max(first, last)
    end = date(last.year + last.month // 12, last.month % 12 + 1, 1)
    status = request.GET.get("status", "")
    if status not in ServiceStatus.values:
        status = ""
    services_due = selectors.planned_services(
        request.user,
        first=first,
        end=end,
        community_id=parse_id(request.GET.get("community")),
        grid_id=parse_id(request.GET.get("grid")),
        status=status,
    ).select_related("service", "household__building", "grid", "volunteer")
    page = Paginator(services_due.order_by("due_on", "id"), 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "first": first,
        "last": last,
        "status": status,
        "statuses": ServiceStatus.choices,
        "today": today,
    }
    return render(request, "care/planned_services.html", context)


def flags(request):
    """For the legs: high-risk people not reached within their frequency."""
    _need(request.user, "care.careprofile.view_flags")
    today = timezone.localdate()
    flagged = list(selectors.flags(request.user, today))
    for profile in flagged:
        profile.days_late = (today - profile.next_due_on).days
    return render(request, "care/flags.html", {"flagged": flagged, "today": today})


def _month(request) -> tuple[int, int]:
    text = request.GET.get("month", "")
    match = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if match and 1 <= int(match[2]) <= 12:
        return int(match[1]), int(match[2])
    today = timezone.localdate()
    return today.year, today.month


def rate(request):
    """The monthly visit rate of people in special difficulty, per grid (target 100%)."""
    _need(request.user, "care.careprofile.view")
    year, month = _month(request)
    rows = selectors.visit_rate(request.user, year, month)
    previous = (year - 1, 12) if month == 1 else (year, month - 1)
    following = (year + 1, 1) if month == 12 else (year, month + 1)
    context = {
        "rows": rows,
        "month": date(year, month, 1),
        "previous": f"{previous[0]}-{previous[1]:02d}",
        "following": f"{following[0]}-{following[1]:02d}",
    }
    return render(request, "care/rate.html", context)


def access_log(request):
    _need(request.user, "care.carerecordaccess.view")
    rows = CareRecordAccess.objects.visible_to(request.user).select_related(
        "user", "person", "household__building", "visit"
    )
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(request, "care/access.html", {"page": page})


# --- campaigns --------------------------------------------------------------------------------------


def campaigns(request):
    _need(request.user, "care.campaign.view")
    rows = Campaign.objects.visible_to(request.user).annotate(
        total=Count("targets"),
        visited=Count("targets", filter=Q(targets__status="visited")),
    )
    return render(
        request,
        "care/campaigns.html",
        {
            "campaigns": rows,
            "today": timezone.localdate(),
            "may_add": user_can(request.user, "care.campaign.add"),
        },
    )


def _parse_addresses(text: str, community) -> list[int]:
    ids = []
    for token in re.split(r"[\s,，、]+", text or ""):
        match = re.fullmatch(r"(\d+)-(\d+)-(\w+)", token.strip())
        if not token.strip():
            continue
        if not match:
            raise ValidationError(
                {"households": _("“%(address)s” is not an address like 4-2-101.") % {"address": token}}
            )
        household = (
            Household.objects.filter(building__community=community)
            .at_address(building=int(match[1]), entrance=int(match[2]), room=match[3])
            .first()
        )
        if household is None:
            raise ValidationError(
                {"households": _("There is no household %(address)s.") % {"address": token}}
            )
        ids.append(household.id)
    return ids


def campaign_new(request):
    _need(request.user, "care.campaign.add")
    community = request.user.community
    if community is None:
        raise Http404
    tags = VulnerabilityTag.objects.all()
    grids = Grid.objects.visible_to(request.user)
    form = CampaignForm(request.POST or None, tags=tags, grids=grids)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = services.campaign_create(
                actor=request.user,
                community=community,
                name=data["name"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                tag_codes=data["tags"],
                min_age=data["min_age"],
                grid_ids=[int(g) for g in data["grids"]],
                household_ids=_parse_addresses(data["households"], community),
                note=data["note"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            count = campaign.targets.count()
            messages.success(
                request,
                ngettext(
                    "Campaign created with %(count)d household.",
                    "Campaign created with %(count)d households.",
                    count,
                )
                % {"count": count},
            )
            return redirect("care-campaign", pk=campaign.pk)
    return render(request, "care/campaign_new.html", {"form": form})


def _visitors(community_id: int):
    """Who may be sent to a campaign's households: the community's accounts that may record visits."""
    may_visit = role_filter(has_capability("care.visit.add"))
    visitors = User.objects.filter(may_visit, community_id=community_id, is_active=True)
    return visitors.order_by("role", "username")


def campaign_detail(request, pk: int):
    """Coverage by grid, and the households by risk then place; coordinators assign them to visitors."""
    _need(request.user, "care.campaign.view")
    campaign = get_object_or_404(Campaign.objects.visible_to(request.user), pk=pk)
    visitor_id = request.GET.get("visitor", "")
    visitor = None
    if visitor_id == "me":
        visitor = request.user
    elif parse_id(visitor_id) is not None:
        visitor = User.objects.filter(pk=parse_id(visitor_id), community_id=campaign.community_id).first()
    grid_id = parse_id(request.GET.get("grid"))
    targets = selectors.visitor_list(request.user, campaign, visitor)
    if grid_id is not None:
        targets = targets.filter(grid_id=grid_id)
    status = request.GET.get("status", "")
    if status:
        targets = targets.filter(status=status)
    page = Paginator(targets, TARGETS_PER_PAGE).get_page(request.GET.get("page"))
    may_assign = user_can(request.user, "care.campaign.add")
    context = {
        "campaign": campaign,
        "coverage": selectors.campaign_coverage(request.user, campaign),
        "page": page,
        "visitor": visitor,
        "grid_id": grid_id,
        "status": status,
        "outcomes": Outcome.choices,
        "may_assign": may_assign,
        "visitors": _visitors(campaign.community_id) if may_assign else [],
        "today": timezone.localdate(),
    }
    return render(request, "care/campaign.html", context)


@require_POST
def campaign_assign(request, pk: int):
    _need(request.user, "care.campaign.add")
    campaign = get_object_or_404(Campaign.objects.visible_to(request.user), pk=pk)
    visitors = _visitors(campaign.community_id)
    household_ids = list(campaign.targets.values_list("household_id", flat=True))
    form = AssignForm(request.POST, visitors=visitors, households=household_ids)
    if form.is_valid():
        chosen = form.cleaned_data["households"]
        if not chosen and form.cleaned_data["grid"]:
            chosen = list(
                campaign.targets.filter(grid_id=form.cleaned_data["grid"], visitor__isnull=True).values_list(
                    "household_id", flat=True
                )
            )
        visitor = (
            visitors.filter(pk=form.cleaned_data["visitor"]).first() if form.cleaned_data["visitor"] else None
        )
        try:
            count = services.campaign_assign(
                actor=request.user, campaign=campaign, household_ids=chosen, visitor=visitor
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                ngettext("%(count)d household assigned.", "%(count)d households assigned.", count)
                % {"count": count},
            )
    else:
        messages.error(request, _("Choose a visitor and the households."))
    return redirect("care-campaign", pk=campaign.pk)


# --- visits -----------------------------------------------------------------------------------------


def _visitable_household(user, pk: int) -> Household:
    household = get_object_or_404(Household.objects.select_related("building", "grid"), pk=pk)
    if not services.may_visit(user, household):
        raise Http404
    return household


def _wants_json(request) -> bool:
    return request.headers.get("X-Care-Draft") == "1"


def visit_new(request, household_pk: int):
    """The visit form: works on a phone, keeps a draft in the browser, sends it exactly once."""
    household = _visitable_household(request.user, household_pk)
    staff = not works_from_tasks(request.user)
    members = list(
        Person.objects.filter(current_household=household, status=PersonStatus.LIVING).order_by("birth_date")
    )
    tags = VulnerabilityTag.objects.all() if user_can(request.user, "people.persontag.change") else []
    from grassroots.cases.models import Category

    categories = Category.objects.filter(active=True).select_related("parent")
    if not user_can(request.user, "cases.case.view_sensitive"):
        categories = categories.filter(sensitive=False)
    form = VisitForm(
        request.POST or None,
        request.FILES or None,
        members=members,
        tags=tags,
        categories=categories,
        staff=staff,
        initial={
            "campaign": request.GET.get("campaign", ""),
            "person": request.GET.get("person", ""),
        },
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                visit, created = _record_visit(request, household, form, members, categories)
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                url = reverse("care-visit", args=[visit.pk])
                if _wants_json(request):
                    return JsonResponse({"ok": True, "created": created, "url": url, "visit": visit.pk})
                if created:
                    messages.success(request, _("The visit is recorded."))
                return redirect(url)
        if _wants_json(request):
            return JsonResponse({"ok": False, "errors": form.errors.get_json_data()}, status=422)
    campaign = None
    campaign_id = parse_id(form["campaign"].value())
    if campaign_id is not None:
        campaign = Campaign.objects.filter(
            pk=campaign_id, community_id=household.building.community_id
        ).first()
    context = {
        "household": household,
        "members": members if staff else [],
        "form": form,
        "campaign": campaign,
        "staff": staff,
        "draft_key": f"care-visit:{request.user.pk}:{household.pk}",
    }
    return render(request, "care/visit_form.html", context, status=422 if form.errors else 200)


#: The consent fields of the visit form, by the name consent_problems gives them.
CONSENT_FIELDS = {
    "given_by": "consent_given_by",
    "method": "consent_method",
    "guardian_name": "guardian_name",
}


def _consent_needed(form: VisitForm, person: Person | None) -> bool:
    """Sensitive findings about a person need their consent: on file, or given now (PIPL art. 29).

    Checked before anything is written, so a refusal keeps the form as typed. Notes about a
    household with nobody chosen stay allowed (a visit at the door, nobody named).
    """
    data = form.cleaned_data
    if person is None or not form.sensitive_entered() or consent_on_file(person) is not None:
        return False
    if not data.get("consent_given"):
        raise ValidationError(
            {
                "consent_given": _(
                    "Tell them what is written down and why, and tick that they agreed; or leave the "
                    "health, mood, family, difficulties and needs notes empty."
                )
            }
        )
    problems = consent_problems(
        person=person,
        given_by=data["consent_given_by"],
        method=data["consent_method"],
        guardian_name=data.get("guardian_name", ""),
    )
    if problems:
        raise ValidationError({CONSENT_FIELDS[name]: message for name, message in problems.items()})
    return True


def _record_visit(request, household, form, members, categories) -> tuple[Visit, bool]:
    data = form.cleaned_data
    person = next((member for member in members if member.id == data["person"]), None)
    campaign = None
    if data.get("campaign"):
        campaign = Campaign.objects.filter(
            pk=data["campaign"], community_id=household.building.community_id
        ).first()
    details = services.VisitDetails(
        method=data["method"],
        outcome=data["outcome"],
        visited_at=data.get("visited_at"),
        person=person,
        campaign=campaign,
        health=data["health"],
        self_care=data["self_care"],
        mood=data["mood"],
        mood_note=data["mood_note"],
        family=data["family"],
        difficulties=data["difficulties"],
        hazards=data["hazards"],
        hazard_note=data["hazard_note"],
        needs=data["needs"],
        wellbeing=data["wellbeing"],
        add_tags=data.get("add_tags") or (),
        photos=data.get("photos") or (),
    )
    from django.db import transaction

    consent_now = _consent_needed(form, person)
    with transaction.atomic():
        visit, created = services.visit_record(
            actor=request.user, household=household, details=details, client_token=data["client_token"]
        )
        if not created:
            return visit, created
        if consent_now:  # the visitor may make this visit (visit_record checked): they record the consent
            consent_create(
                actor=request.user,
                person=person,
                given_by=data["consent_given_by"],
                method=data["consent_method"],
                guardian_name=data.get("guardian_name", ""),
            )
        if data.get("set_tier") and person is not None:
            services.profile_override(
                actor=request.user, person=person, tier=data["set_tier"], reason=data["tier_reason"]
            )
        if data.get("raise_case"):
            category = next(c for c in categories if c.id == data["case_category"])
            services.visit_raise_case(
                actor=request.user,
                visit=visit,
                category=category,
                description=data["case_description"],
                urgency="urgent" if data.get("case_urgent") else "normal",
            )
    return visit, created


def visit_detail(request, pk: int):
    """A visit. The findings (health, family ...) only for roles with the care permission, and logged."""
    visits = Visit.objects.visible_to(request.user)
    visit = visits.filter(pk=pk).first() or Visit.objects.filter(pk=pk, visitor=request.user).first()
    if visit is None:
        raise Http404
    visit = (
        Visit.objects.select_related("household__building", "person", "visitor", "campaign", "case")
        .prefetch_related("photos", "enrolments__programme")
        .get(pk=visit.pk)
    )
    findings = may_see_findings(request.user) and visits.filter(pk=pk).exists()
    if findings:
        services.access_log(
            user=request.user,
            community_id=visit.community_id,
            what="visit",
            person_id=visit.person_id,
            household_id=visit.household_id,
            visit_id=visit.pk,
            ip_address=client_ip(request),
        )
    from grassroots.cases.models import Case, Category

    case = Case.objects.visible_to(request.user).filter(pk=visit.case_id).first() if visit.case_id else None
    categories = Category.objects.filter(active=True).select_related("parent")
    if not user_can(request.user, "cases.case.view_sensitive"):
        categories = categories.filter(sensitive=False)
    context = {
        "visit": visit,
        "findings": findings,
        "case": case,
        "categories": categories,
        "may_raise": not visit.case_id and user_can(request.user, "cases.case.report"),
        "may_enrol": user_can(request.user, "care.enrolment.add"),
    }
    return render(request, "care/visit.html", context)


@require_POST
def visit_case(request, pk: int):
    """Raise a case from a visit's finding, in one step."""
    visit = Visit.objects.visible_to(request.user).filter(pk=pk).first() or get_object_or_404(
        Visit, pk=pk, visitor=request.user
    )
    from grassroots.cases.models import Category

    category = Category.objects.filter(pk=request.POST.get("category") or 0, active=True).first()
    if category is None:
        messages.error(request, _("Choose the category of the case."))
        return redirect("care-visit", pk=visit.pk)
    case = _attempt(
        request,
        lambda: services.visit_raise_case(
            actor=request.user,
            visit=visit,
            category=category,
            description=request.POST.get("description", ""),
            urgency="urgent" if request.POST.get("urgent") else "normal",
        ),
    )
    if case is not None:
        messages.success(request, _("Case %(number)s raised and registered.") % {"number": case.number})
    return redirect("care-visit", pk=visit.pk)


def _attempt(request, call):
    """A service call's result, or None with the reason shown to the user; refused: 404, as out of scope."""
    try:
        return call()
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return None


# --- the register: tier and situation ---------------------------------------------------------------------


def _person_in_scope(user, pk: int) -> Person:
    return get_object_or_404(Person.objects.visible_to(user), pk=pk)


@require_POST
def person_take(request, pk: int):
    """Take on someone nobody has (from the worklist): they leave the other coordinators' lists."""
    _need(request.user, "care.careprofile.take")
    person = _person_in_scope(request.user, pk)
    profile = get_object_or_404(CareProfile.objects.visible_to(request.user), person=person)
    if _attempt(request, lambda: services.profile_take(actor=request.user, profile=profile)):
        messages.success(request, _("%(name)s is yours to visit now.") % {"name": person.name})
    return redirect("care-worklist")


@require_POST
def person_tier(request, pk: int):
    _need(request.user, "care.careprofile.override_tier")
    person = _person_in_scope(request.user, pk)
    form = TierForm(request.POST)
    if form.is_valid():
        try:
            services.profile_override(
                actor=request.user,
                person=person,
                tier=form.cleaned_data["tier"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The care tier is updated."))
    else:
        messages.error(request, _("Please give the reason for changing the tier."))
    return redirect("person-detail", pk=person.pk)


@require_POST
def person_situation(request, pk: int):
    _need(request.user, "care.situationnote.add")
    person = _person_in_scope(request.user, pk)
    form = SituationForm(request.POST)
    if form.is_valid():
        services.situation_note(
            actor=request.user, person=person, kind=form.cleaned_data["kind"], note=form.cleaned_data["note"]
        )
        messages.success(request, _("Noted: the visitor will see it on their worklist."))
    return redirect("person-detail", pk=person.pk)


# --- programmes, enrolments, services ---------------------------------------------------------------------


def programmes(request):
    _need(request.user, "care.programme.view")
    rows = (
        Programme.objects.visible_to(request.user)
        .select_related("team")
        .prefetch_related("services")
        .annotate(enrolled=Count("enrolments", filter=Q(enrolments__ends_on__isnull=True)))
    )
    return render(request, "care/programmes.html", {"programmes": rows})


def programme_detail(request, pk: int):
    _need(request.user, "care.programme.view")
    programme = get_object_or_404(
        Programme.objects.visible_to(request.user).select_related("team").prefetch_related("services"), pk=pk
    )
    enrolments = (
        Enrolment.objects.visible_to(request.user)
        .filter(programme=programme)
        .select_related("household__building", "person", "team")
        .order_by("household__building__number", "household__entrance", "household__room")
    )
    return render(request, "care/programme.html", {"programme": programme, "enrolments": enrolments})


def enrol(request, household_pk: int):
    _need(request.user, "care.enrolment.add")
    household = get_object_or_404(
        Household.objects.visible_to(request.user).select_related("building"), pk=household_pk
    )
    community_id = household.building.community_id
    programme_rows = Programme.objects.filter(community_id=community_id, active=True)
    members = list(Person.objects.filter(current_household=household, status=PersonStatus.LIVING))
    teams = VolunteerTeam.objects.filter(community_id=community_id)
    visit = None
    visit_id = request.GET.get("visit") or request.POST.get("visit")
    if parse_id(visit_id) is not None:
        visit = (
            Visit.objects.visible_to(request.user).filter(pk=parse_id(visit_id), household=household).first()
        )
    initial = {"person": visit.person_id if visit else ""}
    form = EnrolForm(
        request.POST or None, programmes=programme_rows, members=members, teams=teams, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            enrolment = services.enrol(
                actor=request.user,
                programme=programme_rows.get(pk=data["programme"]),
                household=household,
                person=next((m for m in members if m.id == data["person"]), None),
                reason=data["reason"],
                starts_on=data["starts_on"],
                team=teams.filter(pk=data["team"]).first() if data["team"] else None,
                visit=visit,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Enrolled: the services are planned month by month."))
            return redirect("care-enrolment", pk=enrolment.pk)
    return render(request, "care/enrol.html", {"household": household, "form": form, "visit": visit})


def _enrolment_for(user, pk: int) -> Enrolment:
    enrolment = Enrolment.objects.visible_to(user).filter(pk=pk).first()
    if enrolment is None and works_from_tasks(user) and user.person_id:
        enrolment = Enrolment.objects.filter(pk=pk, team__volunteers__person_id=user.person_id).first()
    if enrolment is None:
        raise Http404
    return enrolment


def enrolment_detail(request, pk: int):
    """An enrolment's plan, month by month: each service done, missed or overdue."""
    enrolment = _enrolment_for(request.user, pk)
    enrolment = Enrolment.objects.select_related("programme", "household__building", "person", "team").get(
        pk=enrolment.pk
    )
    planned = enrolment.planned.select_related("service", "volunteer", "done_by").order_by(
        "due_on", "service__order"
    )
    months: dict[date, list[PlannedService]] = {}
    for item in planned:
        months.setdefault(item.due_on.replace(day=1), []).append(item)
    today = timezone.localdate()
    context = {
        "enrolment": enrolment,
        "months": sorted(months.items(), reverse=True),
        "today": today,
        "counts": selectors.service_counts(enrolment, today),
        "may_deliver": user_can(request.user, "care.plannedservice.deliver"),
        "show_reason": not works_from_tasks(request.user),
    }
    return render(request, "care/enrolment.html", context)


def _planned_for(user, pk: int) -> PlannedService:
    planned = PlannedService.objects.select_related("enrolment__team", "service").filter(pk=pk).first()
    if planned is None:
        raise Http404
    _enrolment_for(user, planned.enrolment_id)
    return planned


def _local_path(target: str) -> str:
    """The target when it is a path on this site, else "": a form never sends anyone elsewhere."""
    return target if target.startswith("/") and not target.startswith("//") else ""


def _back(request, planned: PlannedService):
    target = _local_path(request.POST.get("next", ""))
    if target:
        return redirect(target)
    return redirect("care-enrolment", pk=planned.enrolment_id)


@require_POST
def service_done(request, pk: int):
    planned = _planned_for(request.user, pk)
    form = DoneForm(request.POST)
    if form.is_valid():
        try:
            services.service_done(
                actor=request.user,
                planned=planned,
                at=form.cleaned_data["at"],
                hours=form.cleaned_data["hours"],
                notes=form.cleaned_data["notes"],
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Recorded as done: thank you."))
    else:
        messages.error(request, " ".join(m for ms in form.errors.values() for m in ms))
    return _back(request, planned)


@require_POST
def service_missed(request, pk: int):
    planned = _planned_for(request.user, pk)
    form = MissedForm(request.POST)
    if form.is_valid():
        try:
            services.service_missed(actor=request.user, planned=planned, reason=form.cleaned_data["reason"])
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Recorded as missed."))
    else:
        messages.error(request, _("Please say why the service was missed."))
    return _back(request, planned)
