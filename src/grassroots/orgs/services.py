"""The one write path for the organisations: create or edit a branch, a team or a member unit.

The office (the secretary, social workers, administrators) keeps the list of the community's
organisations; a worker writes only in their own community, and an organisation they cannot
see is not found. Who is in a branch or a team is kept here too (`party_membership_set`,
`volunteering_set`), by the office, and every join and leave is a row of the person's history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from grassroots.core.authority import user_can, user_scope
from grassroots.orgs.models import (
    WEEK_SLOTS,
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


def org_save(*, actor, instance: models.Model, community_id: int | None = None) -> models.Model:
    """Validate and save a PartyBranch, VolunteerTeam or MemberUnit the actor may keep.

    A new one goes into `community_id` (the actor's own community unless they work everywhere);
    an existing one must be in the actor's scope. Field errors come back as ValidationError.
    """
    meta = instance._meta
    if not user_can(actor, f"{meta.app_label}.{meta.model_name}.change"):
        raise PermissionDenied
    everywhere = user_scope(actor).level == "all"
    if instance.pk is None:
        community_id = community_id or actor.community_id
        if community_id is None or not (everywhere or community_id == actor.community_id):
            raise PermissionDenied
        instance.community_id = community_id
    elif not type(instance).objects.visible_to(actor).filter(pk=instance.pk).exists():
        raise PermissionDenied
    instance.full_clean()
    with transaction.atomic():
        instance.save()
    return instance


# --- people in the organisations ------------------------------------------------------------------


def _person_for(actor, person: Person, capability: str) -> Person:
    if not user_can(actor, capability) or not Person.objects.visible_to(actor).filter(pk=person.pk).exists():
        raise PermissionDenied
    return person


def _same_community(person: Person, orgs: Iterable[models.Model], field: str) -> None:
    if any(org.community_id != person.community_id for org in orgs):
        raise ValidationError({field: _("This organisation belongs to another community.")})


def party_membership_set(
    *,
    actor,
    person: Person,
    branch: PartyBranch | None,
    kind: str = PartyMemberKind.RESIDENT,
    workplace: str = "",
    joined_party_on: date | None = None,
    registered_on: date | None = None,
    unit: MemberUnit | None = None,
    origin_branch: str = "",
    commitment_hours: int | None = None,
) -> PartyMember | None:
    """Put a person in a party branch (or move them to another), or, with no branch, take them out.

    The branch and the kind of membership are followed in the register's history of the person.
    """
    _person_for(actor, person, "orgs.partymember.change")
    if branch is not None:
        _same_community(person, [branch], "branch")
    if unit is not None:
        _same_community(person, [unit], "unit")
    with transaction.atomic():
        member = (
            PartyMember.objects.select_for_update().select_related("branch").filter(person=person).first()
        )
        before = (member.branch.name, member.kind) if member else ("", "")
        if branch is None:
            if member is not None:
                member.delete()
                history.record_for(person, action="party", actor=actor, field="party_branch", old=before[0])
            return None
        member = member or PartyMember(person=person)
        member.branch, member.kind, member.workplace = branch, kind, workplace
        member.joined_party_on, member.registered_on = joined_party_on, registered_on
        member.unit, member.origin_branch, member.commitment_hours = unit, origin_branch, commitment_hours
        member.full_clean()
        member.save()
        if before[0] != branch.name:
            history.record_for(
                person, action="party", actor=actor, field="party_branch", old=before[0], new=branch.name
            )
        if before[1] != kind:
            # The label, not the code: the register's history cannot read the orgs' codes back.
            old_kind = PartyMemberKind(before[1]).label if before[1] else ""
            history.record_for(
                person,
                action="party",
                actor=actor,
                field="party_kind",
                old=old_kind,
                new=member.get_kind_display(),
            )
    return member


@dataclass(frozen=True)
class VolunteerProfile:
    """What a task or an activity may need of a volunteer, beyond skills and teams (issue 10.1)."""

    weekly_slots: tuple[str, ...] = ()  # parts of the week, such as "mon-am" (models.WEEK_SLOTS)
    home_building: Building | None = None
    languages: str = ""
    can_carry_loads: bool = False
    has_car: bool = False
    certificates: tuple[CertificateKind, ...] = ()


def _apply_profile(volunteer: Volunteer, person: Person, profile: VolunteerProfile) -> None:
    unknown = set(profile.weekly_slots) - set(WEEK_SLOTS)
    if unknown:
        raise ValidationError({"weekly_slots": _("Choose parts of the week from the list.")})
    if profile.home_building is not None and profile.home_building.community_id != person.community_id:
        raise ValidationError({"home_building": _("This building belongs to another community.")})
    volunteer.weekly_slots = [slot for slot in WEEK_SLOTS if slot in profile.weekly_slots]
    volunteer.home_building = profile.home_building
    if profile.home_building is not None:
        volunteer.home_grid_id = profile.home_building.grid_id
    volunteer.languages = profile.languages.strip()
    volunteer.can_carry_loads, volunteer.has_car = profile.can_carry_loads, profile.has_car


def volunteering_set(
    *,
    actor,
    person: Person,
    teams: Iterable[VolunteerTeam],
    skills: Iterable[Skill] = (),
    active: bool = True,
    availability: str = "",
    joined_on: date | None = None,
    profile: VolunteerProfile | None = None,
) -> Volunteer:
    """Make a person a volunteer, or change their teams, skills, availability and profile.

    Joining and leaving a team are rows in the person's history, as is becoming inactive: a
    volunteer who stops is kept (with their record of service), never deleted. Without a
    `profile` (an import of teams and skills) the profile the register holds is kept.
    """
    _person_for(actor, person, "orgs.volunteer.change")
    teams = list(teams)
    _same_community(person, teams, "teams")
    with transaction.atomic():
        volunteer = Volunteer.objects.select_for_update().filter(person=person).first()
        if volunteer is None:
            volunteer = Volunteer(person=person, home_grid_id=_home_grid(person), joined_on=joined_on)
            was_active, before = None, set()
        else:
            was_active, before = volunteer.active, set(volunteer.teams.all())
        volunteer.active, volunteer.availability = active, availability
        volunteer.joined_on = joined_on or volunteer.joined_on
        if profile is not None:
            _apply_profile(volunteer, person, profile)
        volunteer.full_clean()
        volunteer.save()
        volunteer.teams.set(teams)
        volunteer.skills.set(list(skills))
        if profile is not None:
            volunteer.certificates.set(list(profile.certificates))
        for team in sorted(set(teams) - before, key=str):
            history.record_for(person, action="team_join", actor=actor, field="team", new=team.name)
        for team in sorted(before - set(teams), key=str):
            history.record_for(person, action="team_leave", actor=actor, field="team", old=team.name)
        if was_active != active:
            history.record_for(
                person, action="volunteer", actor=actor, field="volunteer_active", old=was_active, new=active
            )
    return volunteer


def _home_grid(person: Person) -> int | None:
    household = person.current_household
    return household.grid_id if household else None


# --- a team leader keeps their own team -------------------------------------------------------------


def leads_team(user, team: VolunteerTeam) -> bool:
    """The team's leader, signed in as themselves: they keep their own team's members (issue 10.1)."""
    return bool(getattr(user, "person_id", None)) and team.leader_id == user.person_id


def may_keep_members(user, team: VolunteerTeam) -> bool:
    """The team's leader, or the office that keeps the community's volunteers."""
    if leads_team(user, team):
        return True
    return user_can(user, "orgs.volunteer.change") and (
        VolunteerTeam.objects.visible_to(user).filter(pk=team.pk).exists()
    )


def _team_change(actor, team: VolunteerTeam, volunteer: Volunteer) -> None:
    if not may_keep_members(actor, team):
        raise PermissionDenied
    if volunteer.person.community_id != team.community_id:
        raise ValidationError({"volunteer": _("This volunteer belongs to another community.")})


def team_member_add(*, actor, team: VolunteerTeam, volunteer: Volunteer) -> None:
    """Take an active volunteer of the community into the team; a row in their history."""
    _team_change(actor, team, volunteer)
    if not volunteer.active:
        raise ValidationError({"volunteer": _("This volunteer is not active.")})
    with transaction.atomic():
        if not volunteer.teams.filter(pk=team.pk).exists():
            volunteer.teams.add(team)
            history.record_for(volunteer.person, action="team_join", actor=actor, field="team", new=team.name)


def team_member_remove(*, actor, team: VolunteerTeam, volunteer: Volunteer) -> None:
    """Let a volunteer leave the team (they stay a volunteer); a row in their history."""
    _team_change(actor, team, volunteer)
    with transaction.atomic():
        if volunteer.teams.filter(pk=team.pk).exists():
            volunteer.teams.remove(team)
            history.record_for(
                volunteer.person, action="team_leave", actor=actor, field="team", old=team.name
            )
