"""Activities: publishing, sign-up with a waiting list, the QR check-in, check-out, and confirmed hours.

The story: the 助老服务队 (led by 赵德明, the volunteer) runs a "red lighthouse" afternoon with
a few places; volunteers and residents sign up, one cancels and the first in line moves up; on
the day they scan the QR code at the door, check out when they leave, and the leader confirms the
hours, which land in the ledger.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from grassroots.accounts.models import Role
from grassroots.activities import services
from grassroots.activities.models import HoursEntry, Signup, SignupStatus, SourceKind, Theme
from grassroots.activities.services import ActivityDetails
from tests.factories import PersonFactory, VolunteerFactory, VolunteerTeamFactory, user_for

pytestmark = pytest.mark.django_db

ON_POSTGRES = connection.vendor == "postgresql"


def details(*, starts_in=timedelta(days=2), hours=3, capacity=2, deadline_before=timedelta(hours=1), **more):
    starts = timezone.now() + starts_in
    return ActivityDetails(
        title="红色灯塔·楼道清扫",
        theme=Theme.objects.get(code="red-lighthouse"),
        place="4号楼前广场",
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
        capacity=capacity,
        signup_deadline=starts - deadline_before,
        **more,
    )


@pytest.fixture
def team(community, volunteer):
    team = VolunteerTeamFactory(community=community, name="助老服务队", leader=volunteer.person)
    volunteer.person.volunteer.teams.add(team)
    return team


@pytest.fixture
def activity(secretary, community, team):
    return services.activity_publish(actor=secretary, community=community, details=details(), team=team)


def member(community, neighbourhood, name: str):
    """Another volunteer of the community, with an account."""
    person = PersonFactory(name=name, household=neighbourhood.home_7_1_502)
    VolunteerFactory(person=person, home_grid=neighbourhood.grid_b)
    return user_for(Role.VOLUNTEER, community=community, person=person)


def test_the_seeded_themes_are_data_in_both_languages():
    themes = {theme.code: (theme.name_zh, theme.name_en) for theme in Theme.objects.all()}
    assert themes["red-lighthouse"][0] == "红色灯塔"
    assert themes["neighbourhood-watch"][0] == "邻里守望·幸福敲门"
    assert themes["silver-mutual-aid"] == ("银发互助", "Silver-hair mutual aid")


def test_a_leader_publishes_for_their_team_and_nobody_else_does(community, team, volunteer, neighbourhood):
    activity = services.activity_publish(actor=volunteer, community=community, details=details(), team=team)
    assert activity.team == team and activity.created_by == volunteer
    other = member(community, neighbourhood, "孙丽")
    with pytest.raises(PermissionDenied):
        services.activity_publish(actor=other, community=community, details=details(), team=team)
    with pytest.raises(PermissionDenied):  # a leader does not publish for the office
        services.activity_publish(actor=volunteer, community=community, details=details(), team=None)


def test_publishing_says_what_is_wrong(secretary, community):
    with pytest.raises(ValidationError) as wrong:
        services.activity_publish(
            actor=secretary,
            community=community,
            details=details(hours=-1, capacity=0, deadline_before=-timedelta(days=1)),
        )
    assert {"ends_at", "capacity", "signup_deadline"} <= set(wrong.value.message_dict)


def test_places_then_the_waiting_list_then_a_promotion_on_cancellation(
    activity, community, neighbourhood, volunteer
):
    first = services.signup_add(actor=volunteer, activity=activity)
    second = services.signup_add(actor=member(community, neighbourhood, "孙丽"), activity=activity)
    third_user = member(community, neighbourhood, "钱芳")
    fourth_user = member(community, neighbourhood, "李强")
    third = services.signup_add(actor=third_user, activity=activity)
    fourth = services.signup_add(actor=fourth_user, activity=activity)
    assert [s.status for s in (first, second, third, fourth)] == [
        "confirmed",
        "confirmed",
        "waiting",
        "waiting",
    ]
    with pytest.raises(ValidationError, match=r"Already signed up|已"):
        services.signup_add(actor=volunteer, activity=activity)

    services.signup_cancel(actor=volunteer, signup=first)
    third.refresh_from_db()
    fourth.refresh_from_db()
    assert third.status == SignupStatus.CONFIRMED and third.promoted_at is not None  # first in line
    assert fourth.status == SignupStatus.WAITING
    # A waiting one leaving frees no place: nobody moves up.
    services.signup_cancel(actor=fourth_user, signup=fourth)
    assert Signup.objects.filter(activity=activity, status=SignupStatus.CONFIRMED).count() == 2
    # Cancelled, one may sign up again (at the end of the line).
    again = services.signup_add(actor=volunteer, activity=activity)
    assert again.status == SignupStatus.WAITING


def test_nobody_cancels_someone_elses_place_but_the_office_and_the_leader(
    activity, community, neighbourhood, secretary
):
    other = member(community, neighbourhood, "孙丽")
    signup = services.signup_add(actor=other, activity=activity)
    with pytest.raises(PermissionDenied):
        services.signup_cancel(actor=member(community, neighbourhood, "钱芳"), signup=signup)
    services.signup_cancel(actor=secretary, signup=signup)


def test_sign_ups_close_at_the_deadline(secretary, community, team, volunteer):
    closed = services.activity_publish(
        actor=secretary, community=community, team=team, details=details(starts_in=timedelta(minutes=30))
    )
    with pytest.raises(ValidationError) as late:
        services.signup_add(actor=volunteer, activity=closed)
    assert "activity" in late.value.message_dict


def test_an_activity_for_volunteers_is_not_open_to_a_resident(
    secretary, community, team, resident, volunteer
):
    only_volunteers = services.activity_publish(
        actor=secretary, community=community, team=team, details=details(audience="volunteers")
    )
    with pytest.raises(ValidationError):
        services.signup_add(actor=resident, activity=only_volunteers)
    assert services.signup_add(actor=volunteer, activity=only_volunteers).status == SignupStatus.CONFIRMED
    for_residents = services.activity_publish(
        actor=secretary, community=community, team=team, details=details(audience="residents")
    )
    assert services.signup_add(actor=resident, activity=for_residents).person == resident.person


def test_the_office_signs_up_someone_who_phoned(activity, secretary, community, neighbourhood, volunteer):
    caller = PersonFactory(name="周大爷", household=neighbourhood.home_4_2_301)
    assert services.signup_add(actor=secretary, activity=activity, person=caller).signed_up_by == secretary
    with pytest.raises(PermissionDenied):  # a volunteer who leads nothing here cannot sign up others
        services.signup_add(actor=member(community, neighbourhood, "孙丽"), activity=activity, person=caller)


# --- check-in by QR ------------------------------------------------------------------------------------


@pytest.fixture
def today(secretary, community, team):
    """An activity going on now: started 10 minutes ago, two hours long."""
    return services.activity_publish(
        actor=secretary,
        community=community,
        team=team,
        details=details(starts_in=-timedelta(minutes=10), hours=2, deadline_before=-timedelta(minutes=30)),
    )


def test_the_qr_token_checks_in_once_inside_the_window(today, volunteer):
    services.signup_add(actor=volunteer, activity=today)
    token = services.checkin_token(today)
    first = services.checkin_by_token(actor=volunteer, activity=today, token=token)
    assert first.checked_in_at is not None and first.checkin_method == "qr"
    second = services.checkin_by_token(actor=volunteer, activity=today, token=token)
    assert second.checked_in_at == first.checked_in_at  # a second scan counts once


def test_the_token_is_refused_before_and_after_the_window(today, volunteer, monkeypatch):
    services.signup_add(actor=volunteer, activity=today)
    token = services.checkin_token(today)
    real_now = timezone.now
    for shift in (-timedelta(hours=1), timedelta(hours=3)):
        monkeypatch.setattr(timezone, "now", lambda shift=shift: real_now() + shift)
        with pytest.raises(ValidationError) as refused:
            services.checkin_by_token(actor=volunteer, activity=today, token=token)
        assert "token" in refused.value.message_dict
    monkeypatch.setattr(
        timezone, "now", lambda: real_now() + timedelta(hours=2, minutes=10)
    )  # within the grace
    assert services.checkin_by_token(actor=volunteer, activity=today, token=token).checked_in_at


def test_a_token_of_another_activity_or_forged_or_voided_is_refused(
    today, volunteer, secretary, community, team
):
    services.signup_add(actor=volunteer, activity=today)
    other = services.activity_publish(
        actor=secretary,
        community=community,
        team=team,
        details=details(starts_in=-timedelta(minutes=5), deadline_before=-timedelta(minutes=30)),
    )
    forged = signing.dumps({"a": today.pk, "k": today.checkin_key}, salt="another.salt")
    for token in (services.checkin_token(other), forged, "nonsense"):
        with pytest.raises(ValidationError):
            services.checkin_by_token(actor=volunteer, activity=today, token=token)
    old = services.checkin_token(today)
    today.checkin_key = "rotated"
    today.save(update_fields=["checkin_key"])
    with pytest.raises(ValidationError):
        services.checkin_by_token(actor=volunteer, activity=today, token=old)
    assert not Signup.objects.filter(checked_in_at__isnull=False).exists()


def test_only_someone_with_a_place_checks_in(today, volunteer, community, neighbourhood):
    with pytest.raises(ValidationError):
        services.checkin_by_token(actor=volunteer, activity=today, token=services.checkin_token(today))
    today.capacity = 1
    today.save(update_fields=["capacity"])
    services.signup_add(actor=volunteer, activity=today)
    waiting_user = member(community, neighbourhood, "孙丽")
    services.signup_add(actor=waiting_user, activity=today)
    with pytest.raises(ValidationError) as refused:
        services.checkin_by_token(actor=waiting_user, activity=today, token=services.checkin_token(today))
    assert "signup" in refused.value.message_dict


# --- hours ---------------------------------------------------------------------------------------------


def test_hours_run_from_check_in_to_check_out_inside_the_activity(today):
    start, end = today.starts_at, today.ends_at
    assert services.hours_between(
        today, start + timedelta(minutes=30), start + timedelta(minutes=75)
    ) == Decimal("0.8")
    assert services.hours_between(today, start - timedelta(hours=1), end + timedelta(hours=5)) == Decimal(
        "2.0"
    )
    assert services.hours_between(today, end, end) == Decimal("0.0")


def test_checkout_then_confirmation_puts_the_hours_in_the_ledger_once(today, volunteer, monkeypatch):
    signup = services.signup_add(actor=volunteer, activity=today)
    signup = services.checkin_by_token(actor=volunteer, activity=today, token=services.checkin_token(today))
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(hours=1))
    signup = services.checkout(actor=volunteer, signup=signup)
    assert signup.hours == Decimal("1.0")
    with pytest.raises(PermissionDenied):  # another volunteer, who leads nothing, does not confirm
        services.signup_confirm_hours(
            actor=user_for(Role.VOLUNTEER, community=today.community), signup=signup
        )
    confirmed = services.signup_confirm_hours(actor=volunteer, signup=signup)  # volunteer leads the team
    entry = HoursEntry.objects.get(source_kind=SourceKind.ACTIVITY, source_id=signup.pk)
    assert (entry.person_id, entry.hours, entry.points) == (
        volunteer.person_id,
        Decimal("1.0"),
        Decimal("1.0"),
    )
    assert confirmed.confirmed_by == volunteer
    with pytest.raises(ValidationError):
        services.signup_confirm_hours(actor=volunteer, signup=signup)
    assert HoursEntry.objects.count() == 1


def test_the_leader_ticks_the_roll_and_gives_hours_up_to_the_length(
    today, volunteer, community, neighbourhood
):
    forgetful = member(community, neighbourhood, "孙丽")
    signup = services.signup_add(actor=forgetful, activity=today)
    signup = services.checkin_roll(actor=volunteer, signup=signup)
    assert signup.checkin_method == "roll"
    with pytest.raises(ValidationError):
        services.signup_confirm_hours(actor=volunteer, signup=signup, hours=Decimal("2.5"))  # longer than it
    services.signup_confirm_hours(actor=volunteer, signup=signup, hours=Decimal("2.0"))
    assert HoursEntry.objects.get(person=forgetful.person).hours == Decimal("2.0")


# --- the capacity race ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_sign_ups_for_five_places_give_five_places(
    secretary, community, team, neighbourhood
):
    """Real concurrent connections: everyone taps "sign up" at once; the activity's row lock counts."""
    activity = services.activity_publish(
        actor=secretary, community=community, team=team, details=details(capacity=5)
    )
    users = [member(community, neighbourhood, f"志愿者{n}") for n in range(20)]
    barrier = threading.Barrier(len(users))
    outcomes: list[str] = []
    errors: list[Exception] = []

    def attempt(user):
        try:
            barrier.wait(timeout=20)
            outcomes.append(services.signup_add(actor=user, activity=activity).status)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(outcomes).count("confirmed") == 5 and outcomes.count("waiting") == 15
    assert Signup.objects.filter(activity=activity, status="confirmed").count() == 5
