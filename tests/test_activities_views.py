"""The activities and hours pages: what they show and do, and bad input answered without a 500."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from grassroots.activities import hours as ledger
from grassroots.activities import services
from grassroots.activities.models import HoursEntry, Signup, Theme
from tests.factories import VolunteerTeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(community, volunteer):
    team = VolunteerTeamFactory(community=community, name="助老服务队", leader=volunteer.person)
    volunteer.person.volunteer.teams.add(team)
    return team


@pytest.fixture
def now_on(socialworker, community, team):
    starts = timezone.now() - timedelta(minutes=10)
    return services.activity_publish(
        actor=socialworker,
        community=community,
        team=team,
        details=services.ActivityDetails(
            title="银发互助·义务理发",
            theme=Theme.objects.get(code="silver-mutual-aid"),
            place="社区活动室",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            capacity=1,
            signup_deadline=starts + timedelta(hours=1),
        ),
    )


def test_the_list_and_the_page_show_the_places(client, volunteer, now_on):
    client.force_login(volunteer)
    listing = client.get("/activities/")
    assert f'data-activity="{now_on.pk}"' in listing.content.decode()
    page = client.get(f"/activities/{now_on.pk}/")
    assert 'id="signup"' in page.content.decode()


def test_sign_up_on_the_page_then_the_next_one_waits(client, volunteer, resident, now_on):
    client.force_login(volunteer)
    assert client.post(f"/activities/{now_on.pk}/signup/").status_code == 302
    client.force_login(resident)
    client.post(f"/activities/{now_on.pk}/signup/")
    page = client.get(f"/activities/{now_on.pk}/").content.decode()
    assert 'data-status="waiting"' in page
    client.force_login(volunteer)
    client.post(f"/activities/{now_on.pk}/cancel/")
    assert Signup.objects.get(activity=now_on, person=resident.person).status == "confirmed"


def test_publishing_keeps_what_was_typed_and_says_what_is_wrong(client, secretary):
    client.force_login(secretary)
    theme = Theme.objects.get(code="red-lighthouse")
    response = client.post(
        "/activities/new/",
        {
            "title": "红色灯塔·楼道清扫",
            "theme": theme.pk,
            "team": "",
            "place": "4号楼",
            "starts_at": "2099-05-01T09:00",
            "ends_at": "2099-05-01T08:00",
            "capacity": "10",
            "audience": "both",
            "signup_deadline": "2099-04-30T18:00",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and "红色灯塔·楼道清扫" in page and 'class="errors"' in page
    response = client.post("/activities/new/", {"title": "x", "capacity": "many", "starts_at": "tomorrow"})
    assert response.status_code == 200


def test_a_wrong_check_in_code_gets_a_clear_page(client, volunteer, now_on):
    services.signup_add(actor=volunteer, activity=now_on)
    client.force_login(volunteer)
    with translation.override("en"):
        response = client.get(f"/activities/{now_on.pk}/checkin/forged:code/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and 'id="checkin-refused"' in response.content.decode()
    token = services.checkin_token(now_on)
    assert client.get(f"/activities/{now_on.pk}/checkin/{token}/").status_code == 200
    assert Signup.objects.get(person=volunteer.person).checked_in_at is not None


def test_the_leader_ticks_checks_out_and_confirms_on_the_roll_call(client, volunteer, now_on):
    signup = services.signup_add(actor=volunteer, activity=now_on)
    client.force_login(volunteer)
    assert client.get(f"/activities/{now_on.pk}/roll/").status_code == 200
    act = f"/activities/{now_on.pk}/roll/act/"
    client.post(act, {"signup": signup.pk, "action": "checkin"})
    client.post(act, {"signup": signup.pk, "action": "checkout"})
    assert client.post(act, {"signup": signup.pk, "action": "confirm", "hours": "lots"}).status_code == 302
    assert not HoursEntry.objects.exists()
    client.post(act, {"signup": signup.pk, "action": "confirm", "hours": "1.5"})
    assert HoursEntry.objects.get(person=volunteer.person).hours == Decimal("1.5")
    assert client.post(act, {"signup": signup.pk, "action": "nonsense"}).status_code == 404
    assert client.get(f"/activities/{now_on.pk}/qr/").content.decode().count("<svg") == 1


def test_the_statement_page_pdf_redeem_correct_and_totals(client, secretary, volunteer, community):
    entry = ledger.case_hours_record(
        actor=secretary,
        case_id=7,
        community_id=community.pk,
        person=volunteer.person,
        hours=Decimal(3),
        at=timezone.now(),
    )
    client.force_login(volunteer)
    mine = client.get("/activities/hours/", follow=True)
    assert mine.status_code == 200 and 'id="balance">3.0<' in mine.content.decode()
    client.force_login(secretary)
    person = volunteer.person_id
    pdf = client.get(f"/activities/hours/people/{person}/pdf/")
    assert (
        pdf.status_code == 200
        and pdf["Content-Type"] == "application/pdf"
        and pdf.content.startswith(b"%PDF")
    )
    client.post(f"/activities/hours/people/{person}/redeem/", {"points": "5", "note": "理发"})  # too many
    client.post(f"/activities/hours/people/{person}/redeem/", {"points": "abc", "note": ""})
    assert not HoursEntry.objects.filter(source_kind="redemption").exists()
    client.post(f"/activities/hours/people/{person}/redeem/", {"points": "1", "note": "理发一次"})
    client.post(f"/activities/hours/entries/{entry.pk}/correct/", {"hours": "2", "reason": "多记一小时"})
    page = client.get(f"/activities/hours/people/{person}/").content.decode()
    assert 'id="balance">1.0<' in page  # 3 earned, 1 spent, corrected to 2
    assert client.get("/activities/hours/totals/?year=abc").status_code == 200


def test_the_typed_code_checks_in_once_and_a_wrong_one_keeps_what_was_typed(client, volunteer, now_on):
    services.signup_add(actor=volunteer, activity=now_on)
    client.force_login(volunteer)
    code = services.checkin_code(now_on)
    assert len(code) == services.CODE_DIGITS and code.isdigit()
    assert f'id="checkin-code">{code}<' in client.get(f"/activities/{now_on.pk}/qr/").content.decode()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    with translation.override("en"):
        response = client.post("/activities/scan/", {"code": wrong}, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 400 and f'value="{wrong}"' in page and "has this code" in page
    assert Signup.objects.get(person=volunteer.person).checked_in_at is None
    spaced = f"{code[:3]} {code[3:]}"  # as read aloud at the door
    response = client.post("/activities/scan/", {"code": spaced})
    assert response.status_code == 200 and 'id="checked-in"' in response.content.decode()
    first = Signup.objects.get(person=volunteer.person).checked_in_at
    assert first is not None
    client.post("/activities/scan/", {"code": code})
    assert Signup.objects.get(person=volunteer.person).checked_in_at == first  # twice counts once


def test_a_code_opens_only_the_participants_own_activity_while_check_in_is_open(
    client, volunteer, resident, now_on, socialworker, community, team
):
    code = services.checkin_code(now_on)
    client.force_login(resident)  # not signed up for it
    with translation.override("en"):
        assert client.post("/activities/scan/", {"code": code}, HTTP_ACCEPT_LANGUAGE="en").status_code == 400
    later = timezone.now() + timedelta(days=2)
    tomorrow = services.activity_publish(
        actor=socialworker,
        community=community,
        team=team,
        details=services.ActivityDetails(
            title="红色灯塔·楼道清扫",
            theme=Theme.objects.get(code="red-lighthouse"),
            place="4号楼",
            starts_at=later,
            ends_at=later + timedelta(hours=2),
            capacity=5,
            signup_deadline=later,
        ),
    )
    services.signup_add(actor=volunteer, activity=tomorrow)
    client.force_login(volunteer)
    with translation.override("en"):
        early = client.post(
            "/activities/scan/", {"code": services.checkin_code(tomorrow)}, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert early.status_code == 400
    assert "opens at" in early.content.decode() and "has this code" not in early.content.decode()
    assert Signup.objects.get(activity=tomorrow, person=volunteer.person).checked_in_at is None


def test_wrong_codes_are_limited_per_participant(client, volunteer, now_on):
    from grassroots.activities.views import WRONG_CODES

    services.signup_add(actor=volunteer, activity=now_on)
    client.force_login(volunteer)
    wrong = f"{(int(services.checkin_code(now_on)) + 1) % 10**6:06d}"
    for _attempt in range(WRONG_CODES):
        assert client.post("/activities/scan/", {"code": wrong}).status_code == 400
    response = client.post("/activities/scan/", {"code": services.checkin_code(now_on)})
    assert response.status_code == 429
    assert Signup.objects.get(person=volunteer.person).checked_in_at is None
