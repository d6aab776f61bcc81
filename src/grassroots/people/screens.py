"""The register's staff screens: register, correct, move, tag and untag, relations and the head.

Each screen is a form in front of one people.services call, run inside `history.through(<screen>)`
so that the history names the screen. The services decide (capability, scope, validity); a
screen only shows their objections beside the fields, keeping what was typed. A person or a
household outside the user's scope is "not found", like every page.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grassroots.core.authority import user_can
from grassroots.people import history, services
from grassroots.people.forms import (
    BuildingHeadForm,
    HeadForm,
    MergeForm,
    MoveInForm,
    MoveOutForm,
    RegisterForm,
    RelationForm,
    SplitForm,
    StaffPersonForm,
    TagForm,
    UntagForm,
)
from grassroots.people.models import Person, PersonTag, VulnerabilityTag
from grassroots.places.models import Building, Household


def _require(user, capability: str) -> None:
    """A screen the role may not use is "not found", as the pages outside its scope are."""
    if not user_can(user, capability):
        raise Http404


def _run(form, screen: str, call: Callable[[], object]):
    """Call the service for a valid form, inside `through(screen)`; its objections go on the form.

    Returns what the service returned, or None when the form or the service refused (the page is
    then shown again with the messages and everything typed). Not allowed is not found.
    """
    if not form.is_valid():
        return None
    try:
        # One transaction: a flat created for the move is not left behind when the move is refused.
        with transaction.atomic(), history.through(screen):
            return call() or True
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        form.add_service_errors(error)
        return None


def _person_in_scope(request, pk: int) -> Person:
    return get_object_or_404(
        Person.objects.visible_to(request.user).select_related("current_household__building"), pk=pk
    )


def _page_of(person: Person) -> str:
    return reverse("person-detail", args=[person.pk])


def _household_from(request, query, community_id: int) -> Household:
    """The flat a form names (4-2-301), found or created by the service."""
    return services.household_at_address(
        actor=request.user,
        community_id=community_id,
        building_number=query.building,
        entrance=query.entrance,
        room=query.room,
    )


def _screen(request, form, *, screen: str, call, template: str, done: str, **context):
    """A form screen: on a valid POST the service runs and the user goes to `done`; else the form."""
    if request.method == "POST" and _run(form, screen, lambda: call(form.cleaned_data)):
        return redirect(done)
    return render(request, template, {"form": form, "screen": screen, **context})


def person_new(request):
    """Register a person into a household (the one given, or the flat typed, created if new)."""
    _require(request.user, "people.person.add")
    household = None
    if request.GET.get("household", "").isdigit():
        household = Household.objects.visible_to(request.user).filter(pk=request.GET["household"]).first()
    form = RegisterForm(request.POST or None, initial={"address": household.address} if household else {})
    form.service_field_aliases = {"household": "address", "moved_in": "on"}
    community_id = household.building.community_id if household else request.user.community_id
    registered: list[Person] = []

    def register(data):
        registered.append(
            services.person_register(
                actor=request.user,
                community_id=community_id,
                details=form.details(),
                household=_household_from(request, data["address"], community_id),
                relation=data["relation"],
                residence_type=data["residence_type"],
                moved_in=data["on"],
            )
        )

    if request.method == "POST" and community_id is None and form.is_valid():
        form.add_error(None, _("Open the household's page first: your account works in no single community."))
    elif request.method == "POST" and _run(form, "person-new", lambda: register(form.cleaned_data)):
        return redirect(_page_of(registered[0]))
    return render(
        request, "people/person_form.html", {"form": form, "household": household, "screen": "person-new"}
    )


def person_edit(request, pk: int):
    """Correct a person's details; numbers are typed again only to change them."""
    _require(request.user, "people.person.change")
    person = _person_in_scope(request, pk)
    form = StaffPersonForm(request.POST or None, instance=person)
    return _screen(
        request,
        form,
        screen="person-edit",
        call=lambda data: services.person_update(actor=request.user, person=person, details=form.details()),
        template="people/person_form.html",
        done=_page_of(person),
        person=person,
    )


def person_move_in(request, pk: int):
    """Record a move into a flat of the community (a move within it closes the old stay)."""
    _require(request.user, "people.residency.change")
    person = _person_in_scope(request, pk)
    return _screen(
        request,
        MoveInForm(request.POST or None),
        screen="person-move-in",
        call=lambda data: services.person_move_in(
            actor=request.user,
            person=person,
            household=_household_from(request, data["address"], person.community_id),
            relation=data["relation"],
            residence_type=data["residence_type"],
            on=data["on"],
            note=data["move_note"],
        ),
        template="people/person_move.html",
        done=_page_of(person),
        person=person,
    )


def person_move_out(request, pk: int):
    """Record a move away or a death: the stay is closed, the person stays in the register."""
    _require(request.user, "people.residency.change")
    person = _person_in_scope(request, pk)
    return _screen(
        request,
        MoveOutForm(request.POST or None),
        screen="person-move-out",
        call=lambda data: services.person_move_out(
            actor=request.user, person=person, on=data["on"], note=data["note"], status=data["status"]
        ),
        template="people/person_move.html",
        done=_page_of(person),
        person=person,
    )


def _taggable(user):
    tags = VulnerabilityTag.objects.all()
    if not user_can(user, "people.persontag.view_sensitive"):
        tags = tags.filter(sensitive=False)
    return tags


def person_tags(request, pk: int):
    """Put a tag on a person (or change its level), with the reason."""
    _require(request.user, "people.persontag.change")
    person = _person_in_scope(request, pk)
    return _screen(
        request,
        TagForm(request.POST or None, tags=_taggable(request.user)),
        screen="person-tags",
        call=lambda data: services.person_tag(
            actor=request.user,
            person=person,
            tag=data["tag"],
            level=data["level"],
            since=data["since"],
            note=data["note"],
        ),
        template="people/person_tags.html",
        done=_page_of(person),
        person=person,
        current=_current_tags(request.user, person),
        untag_form=UntagForm(),
    )


def _current_tags(user, person: Person):
    return PersonTag.objects.filter(person=person, tag__in=_taggable(user)).select_related("tag")


@require_POST
def person_untag(request, pk: int, tag_id: int):
    """Take a tag off, with the reason why it no longer applies."""
    _require(request.user, "people.persontag.change")
    person = _person_in_scope(request, pk)
    tag = get_object_or_404(_taggable(request.user), pk=tag_id)
    form = UntagForm(request.POST)
    done = _run(
        form,
        "person-tags",
        lambda: services.person_untag(
            actor=request.user, person=person, tag=tag, reason=form.cleaned_data["reason"]
        ),
    )
    if done:
        return redirect("person-detail", person.pk)
    context = {
        "form": TagForm(tags=_taggable(request.user)),
        "person": person,
        "current": _current_tags(request.user, person),
        "untag_form": form,
        "untag_tag": tag,
    }
    return render(request, "people/person_tags.html", context, status=422)


@require_POST
def person_relation(request, pk: int):
    """Correct a person's relation to their household's head."""
    _require(request.user, "people.residency.change")
    person = _person_in_scope(request, pk)
    form = RelationForm(request.POST)
    done = _run(
        form,
        "person-relation",
        lambda: services.residency_change_relation(
            actor=request.user, person=person, relation=form.cleaned_data["relation"]
        ),
    )
    if done:
        return redirect("person-detail", person.pk)
    context = {"form": MoveInForm(), "person": person, "screen": "relation", "relation_form": form}
    return render(request, "people/person_move.html", context, status=422)


def household_head(request, pk: int):
    """Change the head of a household; the former head takes the relation chosen."""
    _require(request.user, "people.residency.change")
    household = get_object_or_404(
        Household.objects.visible_to(request.user).select_related("building"), pk=pk
    )
    members = Person.objects.visible_to(request.user).filter(current_household=household).order_by("name")
    return _screen(
        request,
        HeadForm(request.POST or None, members=members),
        screen="household-head",
        call=lambda data: services.household_change_head(
            actor=request.user,
            household=household,
            person=members.get(pk=data["person"]),
            former_head_relation=data["former_head_relation"],
        ),
        template="people/household_head.html",
        done=reverse("household-detail", args=[household.pk]),
        household=household,
    )


def _household_and_members(request, pk: int):
    household = get_object_or_404(
        Household.objects.visible_to(request.user).select_related("building"), pk=pk
    )
    members = Person.objects.visible_to(request.user).filter(current_household=household).order_by("id")
    return household, list(members)


def household_split(request, pk: int):
    """Split a household (分户): some members move to another flat, found or created by its address."""
    _require(request.user, "people.residency.change")
    household, members = _household_and_members(request, pk)
    form = SplitForm(request.POST or None, members=members)
    return _screen(
        request,
        form,
        screen="household-split",
        call=lambda data: services.household_split(
            actor=request.user,
            household=household,
            to=_household_from(request, data["address"], household.building.community_id),
            leaving=form.relations(),
            on=data["on"],
            note=data["note"],
            remaining_head=data["remaining_head"],
        ),
        template="people/household_members.html",
        done=reverse("household-detail", args=[household.pk]),
        household=household,
        title=_("Split the household"),
    )


def household_merge(request, pk: int):
    """Merge a household into another (合户): all its members move there."""
    _require(request.user, "people.residency.change")
    household, members = _household_and_members(request, pk)
    form = MergeForm(request.POST or None, members=members)
    into: list[Household] = []

    def merge(data):
        into.append(_household_from(request, data["address"], household.building.community_id))
        services.household_merge(
            actor=request.user,
            household=household,
            into=into[0],
            relations=form.relations(),
            on=data["on"],
            note=data["note"],
        )

    if request.method == "POST" and _run(form, "household-merge", lambda: merge(form.cleaned_data)):
        return redirect("household-detail", into[0].pk)
    context = {
        "form": form,
        "screen": "household-merge",
        "household": household,
        "title": _("Merge into another household"),
    }
    return render(request, "people/household_members.html", context)


def building_head(request, pk: int):
    """Choose the head of a building among its residents (or none)."""
    _require(request.user, "places.building.change")
    building = get_object_or_404(Building.objects.visible_to(request.user), pk=pk)
    residents = (
        Person.objects.visible_to(request.user)
        .filter(current_household__building=building)
        .select_related("current_household__building")
        .order_by("current_household__entrance", "current_household__room", "name")
    )
    form = BuildingHeadForm(request.POST or None, residents=residents, initial={"person": building.head_id})
    return _screen(
        request,
        form,
        screen="building-head",
        call=lambda data: services.building_set_head(
            actor=request.user,
            building=building,
            person=residents.get(pk=data["person"]) if data["person"] else None,
        ),
        template="people/building_head.html",
        done=reverse("building-detail", args=[building.pk]),
        building=building,
    )
