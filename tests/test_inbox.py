"""Every user has an inbox: new tasks, urges, overdue alerts, call-backs due, with a badge.

The volunteer is dispatched a burst pipe and later urged; the secretary hears when it runs
late; the social worker who entered it is told that the call-back is due once the volunteer
reports it done. Each reads it in their inbox, marks it read one by one or all at once, and the
header's badge counts what is unread, never more than "99+".
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grassroots.cases.models import Case, Category, Urgency
from grassroots.cases.services import (
    Party,
    ReportDetails,
    case_acknowledge,
    case_dispatch,
    case_report,
    case_resolve,
    case_urge,
)
from grassroots.cases.tasks import sweep_overdue
from grassroots.notify.models import Message, MessageChannel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quiet(settings, tmp_path):
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "notifications"],
        }
    }
    settings.GRASSROOTS_NOTIFY_OUTBOX = str(tmp_path / "outbox.log")
    settings.GRASSROOTS_NOTIFY_EMAIL = False


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    @contextmanager
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return run


@pytest.fixture
def pipe(db) -> Category:
    return Category.objects.create(
        code="ib-pipe", name_zh="水管爆裂", name_en="burst pipe", resolution_minutes_urgent=60
    )


@pytest.fixture
def case(community, socialworker, volunteer, household_a, pipe, committed) -> Case:
    with committed():
        case = case_report(
            actor=socialworker,
            community=community,
            details=ReportDetails(
                category=pipe,
                description="阚阿姨家水管爆裂",
                channel="phone",
                urgency=Urgency.URGENT,
                household=household_a,
            ),
            register=True,
        )
        case = case_dispatch(actor=socialworker, case=case, lead=Party("person", volunteer.person_id))
    return case


def inbox(user) -> list[str]:
    return list(
        Message.objects.filter(recipient=user, channel=MessageChannel.INBOX)
        .order_by("pk")
        .values_list("reason", flat=True)
    )


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_new_tasks_urges_overdue_alerts_and_call_backs_land_in_the_inboxes(
    case, socialworker, secretary, volunteer, committed
):
    assert inbox(volunteer) == ["dispatched"]
    with committed():
        case_urge(actor=secretary, case=case.pk, note="请抓紧")
    assert inbox(volunteer) == ["dispatched", "urged"]
    sweep_overdue(now=timezone.now() + timedelta(hours=2))
    assert "overdue" in inbox(secretary)
    with committed():
        case_acknowledge(actor=volunteer, case=case.pk)
        case_resolve(actor=volunteer, case=case.pk, report="换了一段水管", hours="1.5")
    # Who entered the case calls the resident back; the volunteer who did it is not told.
    assert "callback" in inbox(socialworker)
    assert "callback" not in inbox(volunteer)
    [callback] = Message.objects.filter(recipient=socialworker, reason="callback")
    assert case.number in callback.body and callback.read_at is None


def test_the_badge_counts_the_unread_and_marking_them_read_clears_it(case, volunteer):
    client = signed_in(volunteer)
    badge = client.get(reverse("notification-badge"))
    assert badge.status_code == 200 and ">1<" in badge.content.decode()
    home = client.get(reverse("home")).content.decode()
    assert reverse("notification-badge") in home  # the header asks for it after the page
    [message] = Message.objects.filter(recipient=volunteer)
    listing = client.get(reverse("notification-list"))
    assert message.pk in listing.context["unread"]
    assert client.post(reverse("notification-read", args=[message.pk])).status_code == 302
    message.refresh_from_db()
    assert message.read_at is not None
    assert "has-unread" not in client.get(reverse("notification-badge")).content.decode()


def test_mark_all_read_and_unread_only(case, volunteer, secretary, committed):
    with committed():
        case_urge(actor=secretary, case=case.pk)
    client = signed_in(volunteer)
    assert len(client.get(reverse("notification-list") + "?unread=1").context["rows"]) == 2
    client.post(reverse("notification-read-all"))
    assert not Message.objects.unread_for(volunteer).exists()
    assert client.get(reverse("notification-list") + "?unread=1").context["rows"] == []


def test_nobody_marks_or_opens_another_s_message(case, volunteer, secretary):
    [message] = Message.objects.filter(recipient=volunteer)
    client = signed_in(secretary)
    assert client.post(reverse("notification-read", args=[message.pk])).status_code == 404
    assert client.get(reverse("notification-open", args=[message.pk])).status_code == 404
    message.refresh_from_db()
    assert message.read_at is None


def test_following_a_row_opens_the_case_and_counts_as_read(case, volunteer):
    [message] = Message.objects.filter(recipient=volunteer)
    answer = signed_in(volunteer).get(reverse("notification-open", args=[message.pk]))
    assert answer.status_code == 302 and answer["Location"] == reverse("case-detail", args=[case.number])
    message.refresh_from_db()
    assert message.read_at is not None


def test_the_badge_count_is_capped_and_bounded(volunteer, django_assert_max_num_queries):
    Message.objects.bulk_create(
        Message(
            recipient=volunteer,
            recipient_key=f"user:{volunteer.pk}",
            channel="inbox",
            body="x",
            status="sent",
        )
        for _ in range(120)
    )
    assert Message.objects.unread_count_for(volunteer) == 100  # 99, and one more to say "99+"
    client = signed_in(volunteer)
    with django_assert_max_num_queries(3):  # session, user, one bounded count
        badge = client.get(reverse("notification-badge")).content.decode()
    assert "99+" in badge


def test_the_volunteers_home_shows_open_tasks_and_leads_to_the_activities(case, volunteer):
    page = signed_in(volunteer).get(reverse("home"), headers={"accept-language": "en"})
    html = page.content.decode()
    assert f'id="home-task-{case.number}"' in html
    assert 'id="home-activities"' in html and 'href="/activities/"' in html
    [panel] = page.context["panels"]
    assert [a.case_id for a in panel.data.assignments] == [case.pk] and panel.data.more is False


def test_coordinators_homes_have_no_task_panel(case, socialworker):
    assert signed_in(socialworker).get(reverse("home")).context["panels"] == []
