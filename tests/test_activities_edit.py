# ruff: noqa: F811 (fixtures imported from tests.test_activities are parameters here)
"""Editing and cancelling an activity: more places move the waiting list up, fewer places take no place
from anyone and say so, a cancellation (with its reason) is told to everyone signed up, in their inbox
or by SMS when they have no account."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import translation

from grassroots.activities import services
from grassroots.activities.models import ActivityStatus, Signup, SignupStatus
from grassroots.notify.models import Message, MessageChannel
from tests.factories import PersonFactory, VolunteerFactory
from tests.test_activities import activity, details, member, team  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def _current(activity) -> services.ActivityDetails:
    return services.ActivityDetails(
        title=activity.title,
        theme=activity.theme,
        place=activity.place,
        starts_at=activity.starts_at,
        ends_at=activity.ends_at,
        capacity=activity.capacity,
        signup_deadline=activity.signup_deadline,
        audience=activity.audience,
    )


@pytest.fixture
def full(activity, community, neighbourhood, volunteer, django_capture_on_commit_callbacks):
    """Two places taken (the volunteer and 钱秀英), two waiting (孙立, 李明)."""
    people = [volunteer] + [member(community, neighbourhood, name) for name in ("钱秀英", "孙立", "李明")]
    with django_capture_on_commit_callbacks(execute=True):
        for user in people:
            services.signup_add(actor=user, activity=activity)
    return people


def statuses(activity) -> dict[str, str]:
    return {
        row.person.name: row.status
        for row in Signup.objects.filter(activity=activity).select_related("person")
    }


def test_more_places_move_the_first_in_line_up_and_tell_them(
    activity,
    full,
    secretary,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        edited = services.activity_edit(
            actor=secretary, activity=activity, details=replace(_current(activity), capacity=3)
        )
    assert [row.person.name for row in edited.promoted] == ["孙立"] and edited.over_capacity == 0
    assert (
        statuses(activity)["孙立"] == SignupStatus.CONFIRMED
        and statuses(activity)["李明"] == SignupStatus.WAITING
    )
    told = Message.objects.get(recipient=full[2], reason="activity_place")
    assert told.channel == MessageChannel.INBOX and "候补成功" in told.body


def test_fewer_places_take_no_place_and_say_how_many_are_over(
    activity, full, secretary, neighbourhood, community
):
    edited = services.activity_edit(
        actor=secretary, activity=activity, details=replace(_current(activity), capacity=1)
    )
    assert edited.over_capacity == 1 and edited.promoted == []
    assert statuses(activity) == {
        "赵德明": SignupStatus.CONFIRMED,
        "钱秀英": SignupStatus.CONFIRMED,
        "孙立": SignupStatus.WAITING,
        "李明": SignupStatus.WAITING,
    }
    # A cancellation while over the capacity frees no place for the line.
    services.signup_cancel(actor=full[1], signup=Signup.objects.get(activity=activity, person=full[1].person))
    assert statuses(activity)["孙立"] == SignupStatus.WAITING
    late = member(community, neighbourhood, "周五")
    assert services.signup_add(actor=late, activity=activity).status == SignupStatus.WAITING


def test_the_edit_page_says_when_people_keep_places_beyond_the_new_number(activity, full, secretary):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(secretary)
    current = _current(activity)
    data = {
        "action": "save",
        "title": current.title,
        "theme": current.theme.pk,
        "place": current.place,
        "starts_at": current.starts_at.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": current.ends_at.strftime("%Y-%m-%dT%H:%M"),
        "capacity": "1",
        "audience": current.audience,
        "signup_deadline": current.signup_deadline.strftime("%Y-%m-%dT%H:%M"),
    }
    with translation.override("en"):
        page = client.post(f"/activities/{activity.pk}/edit/", data, follow=True).content.decode()
    assert "1 people already had a place beyond the new number of places: they keep it" in page
    with translation.override("en"):
        bad = client.post(f"/activities/{activity.pk}/edit/", {**data, "capacity": "0", "place": "新地点"})
    assert bad.status_code == 422 and "新地点" in bad.content.decode()


def test_cancelling_asks_why_and_tells_everyone_signed_up(
    activity,
    full,
    secretary,
    community,
    neighbourhood,
    django_capture_on_commit_callbacks,
):
    # Someone without an account, signed up by the office after a phone call: told by SMS.
    caller = PersonFactory(name="吴大妈", household=neighbourhood.home_7_1_502, phone="13912345678")
    VolunteerFactory(person=caller, home_grid=neighbourhood.grid_b)
    services.signup_add(actor=secretary, activity=activity, person=caller)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        services.activity_cancel(actor=secretary, activity=activity, reason="")
    assert "why" in str(error.value)
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = services.activity_cancel(actor=secretary, activity=activity, reason="暴雨预警")
    assert cancelled.status == ActivityStatus.CANCELLED and cancelled.cancel_reason == "暴雨预警"
    told = Message.objects.filter(reason="activity_cancelled")
    assert {m.recipient_id for m in told if m.channel == MessageChannel.INBOX} == {user.pk for user in full}
    sms = told.get(channel=MessageChannel.SMS)
    assert sms.recipient_name == "吴大妈" and "暴雨预警" in sms.body and "13912345678" not in sms.body
    with pytest.raises(ValidationError):
        services.signup_add(actor=full[0], activity=activity)


def test_a_cancelled_activity_offers_no_check_in(activity, full, secretary):
    services.activity_cancel(actor=secretary, activity=activity, reason="暴雨预警")
    client = Client()
    client.force_login(secretary)
    detail = client.get(f"/activities/{activity.pk}/").content.decode()
    assert f"/activities/{activity.pk}/roll/" in detail and f"/activities/{activity.pk}/qr/" not in detail
    qr = client.get(f"/activities/{activity.pk}/qr/")
    assert qr.status_code == 302 and qr["Location"] == f"/activities/{activity.pk}/"
    roll = client.get(f"/activities/{activity.pk}/roll/").content.decode()
    assert 'id="roll-cancelled"' in roll and 'value="checkin"' not in roll and "钱秀英" in roll
    signup = Signup.objects.get(activity=activity, person=full[0].person)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.checkin_roll(actor=secretary, signup=signup)
    assert "cancelled" in str(refused.value)


def test_only_the_organiser_edits_or_cancels(activity, full, community, neighbourhood):
    stranger = member(community, neighbourhood, "郑一")
    with pytest.raises(PermissionDenied):
        services.activity_cancel(actor=stranger, activity=activity, reason="不想办了")
    with pytest.raises(PermissionDenied):
        services.activity_edit(actor=stranger, activity=activity, details=details(capacity=9))


def test_a_change_of_time_is_told_to_those_signed_up(
    activity,
    full,
    volunteer,
    django_capture_on_commit_callbacks,
):
    later = _current(activity)
    later = replace(
        later, starts_at=later.starts_at + timedelta(hours=1), ends_at=later.ends_at + timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.activity_edit(actor=volunteer, activity=activity, details=later)  # the team's leader
    told = Message.objects.filter(reason="activity_changed")
    assert {m.recipient.person.name for m in told} == {
        "钱秀英",
        "孙立",
        "李明",
    }  # not the leader who changed it
