"""The person's place in the organisations: party branch, volunteer teams and skills.

Two screens reached from the person page, for the office (orgs.partymember.change,
orgs.volunteer.change). Each is a form in front of one orgs.services call inside
`history.through(<screen>)`, so the person's history names the screen; a person outside the
user's scope, or a screen the role may not use, is "not found".
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from grassroots.core.authority import user_can
from grassroots.core.forms import IsoDateInput, ServiceErrorsMixin
from grassroots.orgs import services
from grassroots.orgs.models import (
    DAY_PARTS,
    WEEK_DAYS,
    CertificateKind,
    MemberUnit,
    PartyBranch,
    PartyMember,
    PartyMemberKind,
    Skill,
    Volunteer,
    VolunteerTeam,
)
from grassroots.people import history
from grassroots.people.models import Person
from grassroots.places.models import Building


class PartyForm(ServiceErrorsMixin, forms.Form):
    branch = forms.ModelChoiceField(
        label=_("party branch"),
        queryset=PartyBranch.objects.none(),
        required=False,
        empty_label=_("— not a party member here"),
    )
    kind = forms.ChoiceField(
        label=_("kind"), choices=PartyMemberKind.choices, initial=PartyMemberKind.RESIDENT
    )
    workplace = forms.CharField(label=_("workplace"), max_length=100, required=False)
    joined_party_on = forms.DateField(label=_("joined the party"), widget=IsoDateInput(), required=False)
    registered_on = forms.DateField(
        label=_("registered with the community"), widget=IsoDateInput(), required=False
    )
    unit = forms.ModelChoiceField(
        label=_("member unit"), queryset=MemberUnit.objects.none(), required=False, empty_label="—"
    )
    origin_branch = forms.CharField(label=_("party organisation at work"), max_length=100, required=False)
    commitment_hours = forms.IntegerField(
        label=_("hours promised a year"), min_value=1, max_value=500, required=False
    )

    def __init__(self, *args, branches, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches
        self.fields["unit"].queryset = units


class VolunteeringForm(ServiceErrorsMixin, forms.Form):
    teams = forms.ModelMultipleChoiceField(
        label=_("teams"),
        queryset=VolunteerTeam.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    skills = forms.ModelMultipleChoiceField(
        label=_("skills"), queryset=Skill.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    availability = forms.CharField(
        label=_("availability"),
        max_length=200,
        required=False,
        help_text=_("For example: weekday mornings, weekends."),
    )
    weekly_slots = forms.MultipleChoiceField(
        label=_("when in the week"),
        choices=[
            (f"{day}-{part}", format_lazy("{} {}", day_label, part_label))
            for day, day_label in WEEK_DAYS
            for part, part_label in DAY_PARTS
        ],
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "week-slots"}),
    )
    home_building = forms.ModelChoiceField(
        label=_("home building"), queryset=Building.objects.none(), required=False, empty_label="—"
    )
    languages = forms.CharField(
        label=_("languages and dialects"),
        max_length=100,
        required=False,
        help_text=_("For example: 普通话、天津话、手语."),
    )
    can_carry_loads = forms.BooleanField(label=_("can carry loads"), required=False)
    has_car = forms.BooleanField(label=_("has a car"), required=False)
    certificates = forms.ModelMultipleChoiceField(
        label=_("certificates"),
        queryset=CertificateKind.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    active = forms.BooleanField(label=_("active"), required=False, initial=True)
    joined_on = forms.DateField(label=_("joined on"), widget=IsoDateInput(), required=False)

    def __init__(self, *args, teams, buildings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = teams
        self.fields["home_building"].queryset = buildings

    def call_arguments(self) -> dict:
        """The service's arguments: the profile as one value (see orgs.services.VolunteerProfile)."""
        data = dict(self.cleaned_data)
        profile = services.VolunteerProfile(
            weekly_slots=tuple(data.pop("weekly_slots")),
            home_building=data.pop("home_building"),
            languages=data.pop("languages"),
            can_carry_loads=data.pop("can_carry_loads"),
            has_car=data.pop("has_car"),
            certificates=tuple(data.pop("certificates")),
        )
        return {**data, "profile": profile}


def _person(request, pk: int, capability: str) -> Person:
    if not user_can(request.user, capability):
        raise Http404
    return get_object_or_404(Person.objects.visible_to(request.user), pk=pk)


def _screen(request, person: Person, form, *, screen: str, call, title: str):
    """Run the service for a valid POST (its objections go on the form, typed values kept), then
    back to the person; else the form again."""
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic(), history.through(screen):
                call(form.cleaned_data)
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return redirect("person-detail", person.pk)
    context = {"form": form, "person": person, "screen": screen, "title": title}
    return render(request, "orgs/person_form.html", context)


def person_party(request, pk: int):
    """Which branch a person is a party member of, and how (resident or serving member)."""
    person = _person(request, pk, "orgs.partymember.change")
    member = PartyMember.objects.filter(person=person).first()
    initial = (
        {
            "branch": member.branch_id,
            "kind": member.kind,
            "workplace": member.workplace,
            "joined_party_on": member.joined_party_on,
            "registered_on": member.registered_on,
            "unit": member.unit_id,
            "origin_branch": member.origin_branch,
            "commitment_hours": member.commitment_hours,
        }
        if member
        else {}
    )
    branches = PartyBranch.objects.visible_to(request.user).filter(community_id=person.community_id)
    units = MemberUnit.objects.visible_to(request.user).filter(community_id=person.community_id)
    return _screen(
        request,
        person,
        PartyForm(request.POST or None, branches=branches, units=units, initial=initial),
        screen="person-party",
        call=lambda data: services.party_membership_set(actor=request.user, person=person, **data),
        title=_("Party membership"),
    )


def person_volunteering(request, pk: int):
    """Whether a person volunteers, in which teams, with which skills and when they can."""
    person = _person(request, pk, "orgs.volunteer.change")
    volunteer = Volunteer.objects.filter(person=person).first()
    initial = (
        {
            "teams": list(volunteer.teams.values_list("pk", flat=True)),
            "skills": list(volunteer.skills.values_list("pk", flat=True)),
            "availability": volunteer.availability,
            "active": volunteer.active,
            "joined_on": volunteer.joined_on,
            "weekly_slots": volunteer.weekly_slots,
            "home_building": volunteer.home_building_id,
            "languages": volunteer.languages,
            "can_carry_loads": volunteer.can_carry_loads,
            "has_car": volunteer.has_car,
            "certificates": list(volunteer.certificates.values_list("pk", flat=True)),
        }
        if volunteer
        else {
            "active": True,
            "home_building": person.current_household and person.current_household.building_id,
        }
    )
    teams = VolunteerTeam.objects.visible_to(request.user).filter(community_id=person.community_id)
    buildings = Building.objects.visible_to(request.user).filter(community_id=person.community_id)
    form = VolunteeringForm(request.POST or None, teams=teams, buildings=buildings, initial=initial)
    return _screen(
        request,
        person,
        form,
        screen="person-volunteering",
        call=lambda data: services.volunteering_set(
            actor=request.user, person=person, **form.call_arguments()
        ),
        title=_("Volunteering"),
    )
