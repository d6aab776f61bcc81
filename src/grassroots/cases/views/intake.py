"""Getting a problem in: phone intake for the mouth and the patrol report for the eyes.

Intake is built for speed: type what the caller says (a phone number, a name, an
address), pick the resident, and one form registers the case (and, with "register
and dispatch", goes straight on to the dispatch screen). The patrol report is
built for a phone in one hand: category, photo, place (building, household, or a
tap on the site plan: places.siteplan) and a line of description.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grassroots.accounts.roles import is_eyes, is_resident, user_can, user_scope
from grassroots.cases import selectors, services
from grassroots.cases.forms import IntakeForm, NewResidentForm, ReportForm
from grassroots.cases.intake_panels import caller_panel_context, intake_desk_context, intake_prefill
from grassroots.cases.models import Category, Channel, Urgency
from grassroots.cases.views.common import (
    Outcome,
    community_of,
    is_coordinator,
    require,
    run,
)
from grassroots.people import history
from grassroots.people import services as people_services
from grassroots.people.models import Person
from grassroots.places.models import Grid
from grassroots.places.selectors import (
    building_households_for,
    buildings_for,
    household_for,
    household_options_for,
)
from grassroots.places.siteplan import SitePlan, nearest_building, plan_to_latlon, site_plan

# --- shared pieces -----------------------------------------------------------------------------------


def _report_form_context(form, category, answers, extra_errors: dict) -> dict:
    """What intake and the patrol report show alike: the form, the category's questions, the errors."""
    return {
        "form": form,
        "category": category,
        "questions": question_rows(category, answers),
        "answer_errors": extra_errors.get("answers", []),
        "photo_errors": extra_errors.get("photos", []),
    }


def collect_answers(category: Category | None, data) -> dict:
    """The answers to the category's questions as posted (fields named answer_<code>)."""
    if category is None:
        return {}
    answers: dict = {}
    for question in category.questions.all():
        key = f"answer_{question.code}"
        answers[question.code] = data.getlist(key) if question.kind == "multiple" else data.get(key, "")
    return answers


def question_rows(category: Category | None, answers: dict) -> list[dict]:
    """Each question with what was typed so far (so a form shown again keeps the answers)."""
    if category is None:
        return []
    rows = []
    for question in category.questions.all():
        raw = answers.get(question.code, "")
        values = raw if isinstance(raw, list) else ([raw] if raw else [])
        rows.append({"question": question, "value": "" if isinstance(raw, list) else raw, "values": values})
    return rows


def show_form_errors(form, outcome: Outcome) -> dict[str, list[str]]:
    """Put the service's errors on the form; the answers' and photos' (not form fields) are returned."""
    fields = outcome.field_errors
    extra = {key: fields.pop(key) for key in ("answers", "photos") if key in fields}
    form.add_service_errors(outcome.field_errors)
    return extra


def place_context(user, *, buildings, building_id=None, household_id=None, households=None) -> dict:
    """What the place picker shows: the buildings, and the households of the chosen building."""
    building_list = list(buildings)
    if building_list:
        options = building_households_for(user=user, building_id=building_id)
    else:  # residents see no buildings: offer the households they may see (their own)
        options = household_options_for(user=user, among=households)
    return {
        "buildings": building_list,
        "household_options": options,
        "building_id": str(building_id or ""),
        "household_id": str(household_id or ""),
    }


def category_questions(request):
    """HTMX: the extra questions of the chosen category, each rendered by its kind."""
    require(user_can(request.user, "cases.case.report"))
    category = selectors.category_for(user=request.user, pk=request.GET.get("category"))
    context = {
        "category": category,
        "questions": question_rows(category, {}),
        "coordinator": is_coordinator(request.user),
    }
    return render(request, "cases/_questions.html", context)


def place_households(request):
    """HTMX: the household <select> for the chosen building."""
    require(user_can(request.user, "cases.case.report"))
    context = {
        "household_options": building_households_for(
            user=request.user, building_id=request.GET.get("building")
        ),
        "household_id": request.GET.get("household", ""),
    }
    return render(request, "cases/_household_select.html", context)


# --- phone intake ------------------------------------------------------------------------------------


def _may_take_calls(user) -> bool:
    return (
        is_coordinator(user) and user_can(user, "cases.case.report") and user_can(user, "people.person.view")
    )


def caller_context(user, person: Person | None) -> dict:
    """The caller as the registry knows them: household, masked phone, tags and cases, and what the
    apps above cases add through their caller panels (care: the household's recent visits)."""
    if person is None:
        return {"caller": None}
    open_cases, recent_cases = selectors.caller_cases_for(user=user, person=person)
    return {
        "caller": person,
        "caller_tags": list(person.tags.all()),
        "open_cases": open_cases,
        "recent_cases": recent_cases,
        **caller_panel_context(user=user, person=person),
    }


def intake_lookup(request):
    """HTMX: who the caller may be, from what was typed (phone, name, initials or address)."""
    require(_may_take_calls(request.user))
    text = request.GET.get("q", "").strip()
    more = request.GET.get("more") == "1"
    found = selectors.caller_lookup_for(user=request.user, text=text, more=more)
    context = {
        "q": text,
        "query": found.query,
        "people": found.people,
        "households": found.households,
        "found": found,
        "more": more,
    }
    return render(request, "cases/_lookup_results.html", context)


def _intake_form(request, *, data=None, files=None, initial=None) -> IntakeForm:
    user = request.user
    return IntakeForm(
        data,
        files,
        initial=initial,
        **selectors.intake_choices_for(user=user),
        place_required=user_scope(user).level == "grid",
    )


def intake_caller(request):
    """HTMX: the caller picked from the lookup; fills the "reported by" part and the place."""
    require(_may_take_calls(request.user))
    person = selectors.caller_for(user=request.user, pk=request.GET.get("person"))
    require(person is not None)
    return _caller_part(request, person)


def _caller_part(request, person: Person):
    """The "reported by" part for a caller the registry knows, and the place set to their home."""
    household = person.current_household
    form = _intake_form(
        request,
        initial={
            "reporter_kind": "person",
            "reporter_person": person.pk,
            "reporter_name": "",
            "reporter_phone": "",
        },
    )
    context = {
        "form": form,
        **caller_context(request.user, person),
        **place_context(
            request.user,
            buildings=buildings_for(user=request.user),
            building_id=household.building_id if household else None,
            household_id=household.pk if household else None,
        ),
        "plan": _intake_plan(request.user)[0],
        "oob": True,
    }
    return render(request, "cases/_caller.html", context)


@require_POST
def intake_new_resident(request):
    """HTMX: register an unknown caller as a resident without leaving the call (name, phone, flat).

    The flat is found or created (people.services.household_at_address) and the person
    registered into it in one transaction, recorded in the history as made "through intake";
    the "reported by" part then shows them as the caller. Refused input comes back beside the
    fields with everything typed; the caller can still be kept as a non-registry reporter.
    """
    require(_may_take_calls(request.user) and user_can(request.user, "people.person.add"))
    form = NewResidentForm(request.POST)
    person = None
    if request.user.community_id is None:
        form.is_valid()
        form.add_error(
            "new_address",
            _("Your account works in no single community: register them from the household page."),
        )
    elif form.is_valid():
        person = _register_caller(request, form)
    if person is not None:
        return _caller_part(request, person)
    intake_form = _intake_form(
        request,
        initial={
            "reporter_kind": "other",
            "reporter_name": request.POST.get("reporter_name", ""),
            "reporter_phone": request.POST.get("reporter_phone", ""),
        },
    )
    context = {"form": intake_form, "caller": None, "new_resident": form}
    return render(request, "cases/_reporter.html", context, status=422)


def _register_caller(request, form: NewResidentForm) -> Person | None:
    data = form.cleaned_data
    try:
        with transaction.atomic(), history.through("intake"):
            household = people_services.household_at_address(
                actor=request.user,
                community_id=request.user.community_id,
                building_number=data["new_address"].building,
                entrance=data["new_address"].entrance,
                room=data["new_address"].room,
            )
            return people_services.person_register(
                actor=request.user,
                community_id=household.building.community_id,
                details=people_services.PersonDetails(
                    name=data["reporter_name"], sex=data["new_sex"], phone=data["reporter_phone"]
                ),
                household=household,
                relation=data["new_relation"],
            )
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        form.add_service_errors(error)
    return None


def place_picker(request):
    """HTMX: the place part of the intake form, set to a household found by its address."""
    require(_may_take_calls(request.user))
    household = household_for(user=request.user, pk=request.GET.get("household"))
    require(household is not None)
    context = {
        "form": _intake_form(request),
        **place_context(
            request.user,
            buildings=buildings_for(user=request.user),
            building_id=household.building_id,
            household_id=household.pk,
        ),
        "plan": _intake_plan(request.user)[0],
    }
    return render(request, "cases/_place_picker.html", context)


def intake(request):
    """Phone, walk-in or door-to-door intake: find the caller, fill one form, register (and dispatch)."""
    user = request.user
    require(_may_take_calls(user))
    data = request.POST if request.method == "POST" else None
    prefill = intake_prefill(user=user, params=request.GET) if data is None else None
    initial = {key: value for key, value in (prefill or {}).items() if key != "person"}
    form = _intake_form(request, data=data, files=request.FILES if data else None, initial=initial)
    category = selectors.category_for(user=user, pk=(data or request.GET).get("category"))
    answers = collect_answers(category, data) if data else {}
    extra_errors: dict[str, list[str]] = {}
    status = 200
    if data is not None:
        photos = request.FILES.getlist("photos")
        if form.is_valid():
            outcome = _register_from_intake(request, form, answers, photos)
            if outcome.ok:
                case = outcome.result
                messages.success(request, _("Case %(number)s is registered.") % {"number": case.number})
                if request.POST.get("go") == "dispatch":
                    return redirect("case-dispatch", number=case.number)
                return redirect("case-detail", number=case.number)
            extra_errors = show_form_errors(form, outcome)
        status = 422
    person = None
    if form.is_bound:
        person = selectors.caller_for(user=user, pk=form.data.get("reporter_person"))
    elif prefill and prefill.get("person") is not None:  # e.g. "new case from this call"
        person = selectors.caller_for(user=user, pk=prefill["person"].pk)
    building_id = form.data.get("building") if form.is_bound else ""
    household_id = form.data.get("household") if form.is_bound else ""
    if person is not None and not form.is_bound and person.current_household_id:
        building_id = person.current_household.building_id
        household_id = person.current_household_id
    context = {
        **_report_form_context(form, category, answers, extra_errors),
        "plan": _intake_plan(user)[0],
        "coordinator": True,
        **caller_context(user, person),
        **place_context(
            user,
            buildings=buildings_for(user=user),
            building_id=building_id,
            household_id=household_id,
        ),
        **intake_desk_context(request=request),
    }
    return render(request, "cases/intake.html", context, status=status)


def _where(user, cleaned: dict):
    """(reporting person, household, building, community) from the intake form's valid fields: the
    place typed, else the caller's home; the community of the place, else the user's own."""
    person = cleaned.get("reporter_person") if cleaned.get("reporter_kind") == "person" else None
    household = cleaned.get("household") or (
        person.current_household if person and not cleaned.get("building") else None
    )
    building = cleaned.get("building")
    community = (
        (household.building.community if household else None)
        or (building.community if building else None)
        or (person.community if person else None)
        or community_of(user)
    )
    return person, household, building, community


def intake_duplicates(request):
    """HTMX: the open cases the call being typed may repeat (cases.duplicates), while it is typed,
    so that the mouth adds to the case already open instead of opening another."""
    require(_may_take_calls(request.user))
    form = _intake_form(request, data=request.GET)
    form.is_valid()  # only the fields given so far are needed: category, place, description
    cleaned = form.cleaned_data
    _person, household, building, community = _where(request.user, cleaned)
    found = []
    if cleaned.get("category") and community is not None:
        found = selectors.intake_duplicates_for(
            user=request.user,
            community=community,
            category=cleaned["category"],
            household=household,
            building=building or (household.building if household else None),
            description=cleaned.get("description") or "",
        )
    return render(request, "cases/_intake_duplicates.html", {"found": found})


def _intake_plan(user):
    """The site plan of the user's own community, its buildings drawn, for a tap on the intake form."""
    community = community_of(user)
    buildings = list(buildings_for(user=user, community=community)) if community else []
    return community_plan_for(user, community, buildings), buildings


def _register_from_intake(request, form: IntakeForm, answers: dict, photos):
    cleaned = form.cleaned_data
    kind = cleaned["reporter_kind"]
    plan, buildings = _intake_plan(request.user)
    tapped = _tapped(plan, buildings, cleaned)
    person, household, building, community = _where(request.user, {**cleaned, "building": tapped["building"]})
    if community is None:
        return Outcome(kind="invalid", field_errors={"building": [_("Choose where the problem is.")]})
    tapped["building"] = building
    details = services.ReportDetails(
        category=cleaned["category"],
        description=cleaned.get("description") or "",
        channel=cleaned["channel"],
        urgency=cleaned["urgency"],
        reporter_person=person,
        reporter_name=cleaned.get("reporter_name", "") if kind == "other" else "",
        reporter_phone=cleaned.get("reporter_phone", "") if kind == "other" else "",
        anonymous=kind == "anonymous",
        household=household,
        location_note=cleaned.get("location_note") or "",
        answers=answers,
        photos=photos,
        **tapped,
    )
    return run(services.case_report, actor=request.user, community=community, details=details, register=True)


# --- patrol report -----------------------------------------------------------------------------------


def report(request):
    """The eyes' report from a phone: category, photo, place, description."""
    user = request.user
    require(user_can(user, "cases.case.report"))
    community = community_of(user)
    require(community is not None)
    places = selectors.report_places_for(user=user, community=community)
    buildings, households, own_household = places.buildings, places.households, places.own_household
    data = request.POST if request.method == "POST" else None
    form = ReportForm(
        data,
        request.FILES if data else None,
        categories=selectors.categories_for(user=user),
        buildings=buildings,
        households=households,
    )
    category = selectors.category_for(user=user, pk=(data or request.GET).get("category"))
    answers = collect_answers(category, data) if data else {}
    plan = community_plan_for(user, community, buildings)
    extra_errors: dict[str, list[str]] = {}
    status = 200
    if data is not None:
        if form.is_valid():
            outcome = _report(
                request, form, community, plan, buildings, answers, request.FILES.getlist("photos")
            )
            if outcome.ok:
                case = outcome.result
                messages.success(
                    request,
                    _("Thank you: your report %(number)s is with the community.") % {"number": case.number},
                )
                if selectors.case_for(user=user, number=case.number) is not None:
                    return redirect("case-detail", number=case.number)
                return redirect("case-report")
            extra_errors = show_form_errors(form, outcome)
        status = 422
    if form.is_bound:
        building_id, household_id = form.data.get("building", ""), form.data.get("household", "")
    else:
        household_id = own_household.pk if own_household and is_resident(user) else ""
        building_id = own_household.building_id if household_id else ""
    recent = selectors.recent_reports_for(user=user)
    context = {
        **_report_form_context(form, category, answers, extra_errors),
        "plan": plan,
        "plan_open": True,
        "recent": recent,
        "coordinator": is_coordinator(user),
        **place_context(
            user,
            buildings=buildings,
            building_id=building_id,
            household_id=household_id,
            households=households,
        ),
    }
    return render(request, "cases/report.html", context, status=status)


def _tapped(plan: SitePlan | None, buildings, cleaned: dict) -> dict:
    """What a tap on the site plan says: the spot (plan units and, where the buildings have
    coordinates, latitude and longitude) and, when no place was picked, the nearest building."""
    building = cleaned.get("building")
    plan_x, plan_y = cleaned.get("plan_x"), cleaned.get("plan_y")
    if plan is None or plan_x is None or plan_y is None:
        return {"building": building}
    latitude, longitude = plan_to_latlon(plan, plan_x, plan_y)
    if cleaned.get("household") is None and building is None:
        nearest = nearest_building(plan, plan_x, plan_y)
        building = next((b for b in buildings if b.pk == nearest), None)  # drawn on the plan: loaded
    return {
        "building": building,
        "plan_x": plan_x,
        "plan_y": plan_y,
        "latitude": latitude,
        "longitude": longitude,
    }


def community_plan_for(user, community, buildings) -> SitePlan | None:
    """The plan to tap on for a place in `community` (its buildings the user may see, its grids)."""
    if community is None:
        return None
    return site_plan(buildings, Grid.objects.visible_to(user).filter(community=community))


def _report(request, form: ReportForm, community, plan: SitePlan, buildings, answers: dict, photos):
    user = request.user
    cleaned = form.cleaned_data
    household = cleaned.get("household")
    tapped = _tapped(plan, buildings, cleaned)
    person = user.person if user.person_id else None
    details = services.ReportDetails(
        category=cleaned["category"],
        description=cleaned.get("description") or "",
        channel=Channel.PATROL if is_eyes(user) else Channel.WEB,
        urgency=Urgency.URGENT if cleaned.get("urgent") else Urgency.NORMAL,
        reporter_person=person,
        reporter_name="" if person else user.display_name,
        household=household,
        location_note=cleaned.get("location_note") or "",
        answers=answers,
        photos=photos,
        **tapped,
    )
    return run(services.case_report, actor=user, community=community, details=details)
