"""People in the organisations (issue 9.1): the office puts a person in a party branch and in
volunteer teams from the person page; each join and leave is a row of the person's history,
scoped to the community, and refused to the roles that do not keep the organisations."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from grassroots.orgs.models import PartyMember, PartyMemberKind, Volunteer
from grassroots.orgs.services import party_membership_set, volunteering_set
from grassroots.people.models import RegistryChange
from tests.factories import PartyBranchFactory, VolunteerTeamFactory

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_joining_moving_and_leaving_a_branch_is_kept_in_the_history(socialworker, granny_wang, community):
    first, second = PartyBranchFactory(community=community), PartyBranchFactory(community=community)
    party_membership_set(
        actor=socialworker, person=granny_wang, branch=first, joined_party_on=date(1970, 7, 1)
    )
    party_membership_set(actor=socialworker, person=granny_wang, branch=second, kind=PartyMemberKind.SERVING)
    assert PartyMember.objects.get(person=granny_wang).branch == second
    party_membership_set(actor=socialworker, person=granny_wang, branch=None)
    assert not PartyMember.objects.filter(person=granny_wang).exists()
    moves = RegistryChange.objects.filter(person=granny_wang, field="party_branch").order_by("id")
    assert [(row.old_display, row.new_display) for row in moves] == [
        ("", first.name),
        (first.name, second.name),
        (second.name, ""),
    ]
    assert RegistryChange.objects.filter(person=granny_wang, field="party_kind").count() == 2


def test_a_branch_of_another_community_is_refused(socialworker, granny_wang, other_community):
    with pytest.raises(ValidationError) as refused:
        party_membership_set(
            actor=socialworker, person=granny_wang, branch=PartyBranchFactory(community=other_community)
        )
    assert "branch" in refused.value.message_dict
    assert not PartyMember.objects.filter(person=granny_wang).exists()


def test_teams_joined_and_left_and_stopping_are_rows_and_the_volunteer_is_kept(
    socialworker, granny_wang, community
):
    water, repairs = (VolunteerTeamFactory(community=community, name=n) for n in ("送水队", "维修队"))
    volunteering_set(actor=socialworker, person=granny_wang, teams=[water], availability="周末")
    volunteer = Volunteer.objects.get(person=granny_wang)
    assert volunteer.home_grid_id == granny_wang.current_household.grid_id
    volunteering_set(actor=socialworker, person=granny_wang, teams=[repairs], active=False)
    volunteer.refresh_from_db()
    assert list(volunteer.teams.all()) == [repairs] and not volunteer.active
    rows = RegistryChange.objects.filter(person=granny_wang).order_by("id")
    assert [(r.action, r.old_display, r.new_display) for r in rows if r.field == "team"] == [
        ("team_join", "", "送水队"),
        ("team_join", "", "维修队"),
        ("team_leave", "送水队", ""),
    ]
    assert [(r.old_display, r.new_display) for r in rows if r.field == "volunteer_active"] == [
        ("", "✓"),
        ("✓", "✗"),
    ]


def test_roles_that_do_not_keep_the_organisations_cannot_change_membership(
    gridworker, volunteer, granny_wang, community
):
    branch = PartyBranchFactory(community=community)
    for user in (gridworker, volunteer):
        with pytest.raises(PermissionDenied):
            party_membership_set(actor=user, person=granny_wang, branch=branch)
        assert _client(user).get(f"/orgs/people/{granny_wang.pk}/party/").status_code == 404
    assert not PartyMember.objects.exists()


def test_the_screens_save_and_show_on_the_person_page(socialworker, granny_wang, community):
    branch = PartyBranchFactory(community=community, name="第一党支部")
    team = VolunteerTeamFactory(community=community, name="助老服务队")
    PartyBranchFactory()  # another community's: not offered
    client = _client(socialworker)
    page = client.get(f"/people/{granny_wang.pk}/").content.decode()
    assert (
        f"/orgs/people/{granny_wang.pk}/party/" in page
        and f"/orgs/people/{granny_wang.pk}/volunteering/" in page
    )
    form = client.get(f"/orgs/people/{granny_wang.pk}/party/").content.decode()
    branch_box = re.search(r'<select name="branch".*?</select>', form, re.S).group(0)
    assert branch_box.count("<option") == 2  # "not a member" and this community's branch
    refused = client.post(
        f"/orgs/people/{granny_wang.pk}/party/",
        {"branch": branch.pk, "kind": "resident", "joined_party_on": "1970"},
    )
    assert refused.status_code == 200 and not PartyMember.objects.exists()
    saved = client.post(f"/orgs/people/{granny_wang.pk}/party/", {"branch": branch.pk, "kind": "resident"})
    assert saved.status_code == 302
    client.post(
        f"/orgs/people/{granny_wang.pk}/volunteering/",
        {"teams": [team.pk], "active": "on", "availability": "周末"},
    )
    page = client.get(f"/people/{granny_wang.pk}/").content.decode()
    assert "第一党支部" in page and "助老服务队" in page
    row = RegistryChange.objects.get(person=granny_wang, field="team")
    assert row.source == "person-volunteering"


def test_the_volunteer_profile_is_kept_and_an_import_without_it_keeps_it(
    socialworker, granny_wang, community
):
    from grassroots.orgs.models import CertificateKind
    from grassroots.orgs.services import VolunteerProfile

    team = VolunteerTeamFactory(community=community, name="送水队")
    building = granny_wang.current_household.building
    profile = VolunteerProfile(
        weekly_slots=("sat-am", "mon-eve"),
        home_building=building,
        languages="普通话、天津话",
        can_carry_loads=True,
        has_car=False,
        certificates=(CertificateKind.objects.get(code="first-aid"),),
    )
    volunteering_set(actor=socialworker, person=granny_wang, teams=[team], profile=profile)
    volunteer = Volunteer.objects.get(person=granny_wang)
    assert volunteer.weekly_slots == ["mon-eve", "sat-am"]  # in the week's order
    assert volunteer.home_building == building and volunteer.home_grid_id == building.grid_id
    assert volunteer.can_carry_loads and not volunteer.has_car
    assert [c.code for c in volunteer.certificates.all()] == ["first-aid"]
    volunteering_set(actor=socialworker, person=granny_wang, teams=[team])  # an import: no profile
    volunteer.refresh_from_db()
    assert volunteer.weekly_slots == ["mon-eve", "sat-am"] and volunteer.certificates.count() == 1
    with pytest.raises(ValidationError) as refused:
        volunteering_set(
            actor=socialworker,
            person=granny_wang,
            teams=[team],
            profile=VolunteerProfile(weekly_slots=("noon",)),
        )
    assert "weekly_slots" in refused.value.message_dict


def test_the_volunteering_screen_saves_the_profile(socialworker, granny_wang, community):
    team = VolunteerTeamFactory(community=community, name="助老服务队")
    client = _client(socialworker)
    form = client.get(f"/orgs/people/{granny_wang.pk}/volunteering/").content.decode()
    assert 'value="sun-eve"' in form and 'name="has_car"' in form
    client.post(
        f"/orgs/people/{granny_wang.pk}/volunteering/",
        {
            "teams": [team.pk],
            "active": "on",
            "weekly_slots": ["tue-pm"],
            "has_car": "on",
            "languages": "手语",
        },
    )
    volunteer = Volunteer.objects.get(person=granny_wang)
    assert volunteer.weekly_slots == ["tue-pm"] and volunteer.has_car and volunteer.languages == "手语"
    page = client.get(f"/people/{granny_wang.pk}/").content.decode()
    assert "has a car" in page and "手语" in page


# --- a team leader keeps their own team (10.1) ----------------------------------------------------


def test_a_team_leader_takes_volunteers_in_and_lets_them_go_only_in_their_own_team(volunteer, community):
    from grassroots.orgs.services import team_member_add, team_member_remove
    from tests.factories import PersonFactory, VolunteerFactory

    led = VolunteerTeamFactory(community=community, name="助老服务队", leader=volunteer.person)
    other = VolunteerTeamFactory(community=community, name="巡逻队")
    newcomer = VolunteerFactory(
        person=PersonFactory(community=community, name="钱志刚"),
        home_grid=volunteer.person.volunteer.home_grid,
    )
    client = _client(volunteer)
    page = client.get(f"/orgs/teams/{led.pk}/").content.decode()
    assert 'id="team-add"' in page and "钱志刚" in page
    assert 'id="team-add"' not in client.get(f"/orgs/teams/{other.pk}/").content.decode()
    client.post(f"/orgs/teams/{led.pk}/members/add/", {"volunteer": newcomer.pk})
    assert led in newcomer.teams.all()
    row = RegistryChange.objects.get(person=newcomer.person, action="team_join")
    assert row.new_display == "助老服务队" and row.source == "team-members" and row.actor == volunteer
    assert client.post(f"/orgs/teams/{other.pk}/members/add/", {"volunteer": newcomer.pk}).status_code == 404
    with pytest.raises(PermissionDenied):
        team_member_add(actor=volunteer, team=other, volunteer=newcomer)
    assert other not in newcomer.teams.all()
    team_member_remove(actor=volunteer, team=led, volunteer=newcomer)
    assert led not in newcomer.teams.all()
    assert RegistryChange.objects.filter(person=newcomer.person, action="team_leave").exists()


def test_a_volunteer_of_another_community_cannot_be_taken_in(volunteer, community, other_community):
    from grassroots.orgs.services import team_member_add
    from tests.factories import PersonFactory, VolunteerFactory

    led = VolunteerTeamFactory(community=community, leader=volunteer.person)
    stranger = VolunteerFactory(person=PersonFactory(community=other_community))
    with pytest.raises(ValidationError):
        team_member_add(actor=volunteer, team=led, volunteer=stranger)
