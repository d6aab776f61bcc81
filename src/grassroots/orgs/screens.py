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
from django.utils.translation import gettext_lazy as _

from grassroots.core.authority import user_can
from grassroots.core.forms import IsoDateInput, ServiceErrorsMixin
from grassroots.orgs import services
from grassroots.orgs.models import (
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
    active = forms.BooleanField(label=_("active"), required=False, initial=True)
    joined_on = forms.DateField(label=_("joined on"), widget=IsoDateInput(), required=False)

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = teams


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
        }
        if volunteer
        else {"active": True}
    )
    teams = VolunteerTeam.objects.visible_to(request.user).filter(community_id=person.community_id)
    return _screen(
        request,
        person,
        VolunteeringForm(request.POST or None, teams=teams, initial=initial),
        screen="person-volunteering",
        call=lambda data: services.volunteering_set(actor=request.user, person=person, **data),
        title=_("Volunteering"),
    )
