"""Work reaches people without accounts: the one-tap link in a summoned party's SMS.

The corridor tile again: the social worker whistles the volunteer team (its leader, 孙队长, has
only a phone) to lead and the owners' committee's chair (a person with only a phone) to support.
Each gets an SMS with a link; 孙队长 opens it on his phone without signing in, reports for duty,
adds a note with a photo, and reports the work done with its hours. The timeline names him, not
the social worker. A link that expired, was withdrawn, or is asked to do what it is not for opens
nothing; a link forwarded to another phone is logged.
"""

from __future__ import annotations

import io
import re
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from grassroots.cases import links
from grassroots.cases.models import Case, CaseEvent, Category, PartyLink, PartyLinkUse, Urgency
from grassroots.cases.services import (
    Party,
    ReportDetails,
    case_report,
    case_resolve,
    case_whistle,
)
from grassroots.cases.workflow import Status
from grassroots.notify.models import Message, MessageChannel, MessageStatus
from grassroots.orgs.models import VolunteerTeam
from tests.factories import PersonFactory

PHONE_UA = "Mozilla/5.0 (Linux; Android 13) Mobile"
LINK = re.compile(r"/portal/t/([A-Za-z0-9_-]{24})/")


@pytest.fixture(autouse=True)
def notify_settings(settings, tmp_path):
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "notifications"],
        }
    }
    settings.GRASSROOTS_NOTIFY_OUTBOX = str(tmp_path / "outbox.log")
    settings.GRASSROOTS_NOTIFY_SMS = "console"
    settings.GRASSROOTS_NOTIFY_EMAIL = False
    settings.GRASSROOTS_PUBLIC_URL = "http://127.0.0.1:8000"
    return settings


@pytest.fixture
def outbox(notify_settings):
    from pathlib import Path

    def lines() -> list[str]:
        path = Path(notify_settings.GRASSROOTS_NOTIFY_OUTBOX)
        return path.read_text(encoding="utf-8").splitlines() if path.exists() else []

    return lines


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    @contextmanager
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return run


@pytest.fixture
def tile(db) -> Category:
    return Category.objects.create(code="pl-tile", name_zh="楼道地砖破损", name_en="broken floor tile")


@pytest.fixture
def parties(community):
    leader = PersonFactory(community=community, name="孙队长", phone="13900003333")
    team = VolunteerTeam.objects.create(community=community, name="维修服务队", leader=leader)
    chair = PersonFactory(community=community, name="业委会周主任", phone="13900004444")
    return team, chair


def whistled(community, socialworker, household_a, tile, parties, committed) -> Case:
    team, chair = parties
    details = ReportDetails(
        category=tile,
        description="4号楼单元门口地砖破损，老人容易绊倒，联系电话13900001111",
        channel="visit",
        urgency=Urgency.NORMAL,
        household=household_a,
    )
    with committed():
        case = case_report(actor=socialworker, community=community, details=details, register=True)
        case = case_whistle(
            actor=socialworker,
            case=case,
            lead=Party("team", team.pk),
            parties=[Party("person", chair.pk)],
            note="请今天下午到现场商量修补方案",
        )
    return case


@pytest.fixture
def case(community, socialworker, household_a, tile, parties, committed) -> Case:
    return whistled(community, socialworker, household_a, tile, parties, committed)


def secret_for(outbox, name: str) -> str:
    """The secret of the link in the SMS to `name` (found by its masked number in the outbox)."""
    masked = {"孙队长": "139****3333", "业委会周主任": "139****4444"}[name]
    [line] = [line for line in outbox() if f"to={masked}" in line and "/portal/t/" in line]
    return LINK.search(line).group(1)


def phone(ip: str = "10.0.0.7", agent: str = PHONE_UA) -> Client:
    return Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=ip)


def photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "grey").save(buffer, format="JPEG")
    return SimpleUploadedFile("tile.jpg", buffer.getvalue(), content_type="image/jpeg")


# --- the SMS ---------------------------------------------------------------------------------------


def test_the_whistle_texts_each_party_without_an_account_its_own_link(case, outbox):
    sms = Message.objects.filter(case=case, channel=MessageChannel.SMS, reason="whistled")
    assert {m.recipient_name for m in sms} == {"孙队长", "业委会周主任"}
    assert all(m.status == MessageStatus.SENT and m.party_link_id for m in sms)
    # The stored text shows the link masked; only the SMS (the outbox line) carries the secret.
    assert all("/portal/t/****/" in m.body for m in sms)
    lead, support = secret_for(outbox, "孙队长"), secret_for(outbox, "业委会周主任")
    assert lead != support
    stored = PartyLink.objects.filter(case=case)
    assert stored.count() == 2
    for link in stored:
        assert lead not in link.secret_hash and lead not in link.salt
        assert link.expires_at > timezone.now() + timedelta(days=6)
    assert {link.holder_name for link in stored} == {"孙队长", "业委会周主任"}


def test_a_sensitive_case_still_reaches_the_party_but_says_nothing_of_the_problem(
    community, socialworker, parties, committed, outbox
):
    team, _chair = parties
    heart = Category.objects.create(
        code="pl-heart", name_zh="心理疏导", name_en="psychological support", sensitive=True, public=False
    )
    with committed():
        case = case_report(
            actor=socialworker,
            community=community,
            details=ReportDetails(category=heart, description="情绪低落，需要陪伴", channel="phone"),
            register=True,
        )
        from grassroots.cases.services import case_dispatch

        case_dispatch(actor=socialworker, case=case, lead=Party("team", team.pk))
    [line] = [line for line in outbox() if "/portal/t/" in line]
    assert "心理" not in line and "情绪" not in line
    page = phone().get(f"/portal/t/{LINK.search(line).group(1)}/")
    assert page.status_code == 200
    assert "情绪" not in page.content.decode()


# --- the whole path ------------------------------------------------------------------------------------


def test_the_leader_works_the_task_from_his_phone_and_the_timeline_names_him(case, outbox, socialworker):
    secret = secret_for(outbox, "孙队长")
    client = phone()
    page = client.get(f"/portal/t/{secret}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert case.number in text and "4号楼" in text
    assert "13900001111" not in text  # numbers in the description are masked, as on the handlers' page
    assert page.context["offers"] == ["acknowledge", "note"]

    answer = client.post(f"/portal/t/{secret}/", {"action": "acknowledge", "version": case.version})
    assert answer.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.ACKNOWLEDGED and case.responded_at is not None

    answer = client.post(
        f"/portal/t/{secret}/",
        {"action": "note", "version": case.version, "note": "已到现场，明天上午补砖", "photos": photo()},
    )
    assert answer.status_code == 302
    answer = client.post(
        f"/portal/t/{secret}/",
        {"action": "resolve", "version": case.version + 1, "note": "地砖已补好", "hours": "2.5"},
    )
    assert answer.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.RESOLVED and case.resolution_report == "地砖已补好"

    mine = list(CaseEvent.objects.filter(case=case, party_link__isnull=False).order_by("pk"))
    assert [e.action for e in mine] == ["acknowledge", "note", "resolve"]
    assert {e.actor_name for e in mine} == {"孙队长"} and all(e.actor is None for e in mine)
    assert {e.actor_role for e in mine} == {"lead"}
    done = mine[-1]
    assert done.changes["hours"] == "2.5" and done.changes["hours_by"] == f"team:{case.lead.team_id}"
    assert mine[1].attachments.count() == 1 and mine[1].attachments.get().uploaded_by is None

    # The social worker's case page names him, as himself, through his link.
    client_sw = Client()
    client_sw.force_login(socialworker)
    entries = client_sw.get(reverse("case-detail", args=[case.number])).context["timeline"]
    by_link = [entry for entry in entries if entry["event"].party_link_id]
    assert {entry["actor"] for entry in by_link} == {"孙队长"}
    assert any("2.5" in line for entry in by_link for line in entry["changes"])


def test_a_supporter_acknowledges_and_notes_hours_but_cannot_report_the_case_done(case, outbox):
    secret = secret_for(outbox, "业委会周主任")
    client = phone()
    assert client.get(f"/portal/t/{secret}/").context["offers"] == ["acknowledge", "note"]
    client.post(f"/portal/t/{secret}/", {"action": "acknowledge", "version": case.version})
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED  # only the lead's signature starts the work
    client.post(
        f"/portal/t/{secret}/",
        {"action": "note", "version": case.version, "note": "业委会同意出资", "hours": "1"},
    )
    note = CaseEvent.objects.get(case=case, action="note", party_link__isnull=False)
    assert (
        note.actor_name == "业委会周主任" and note.actor_role == "assignee" and note.changes["hours"] == "1.0"
    )
    refused = client.post(
        f"/portal/t/{secret}/", {"action": "resolve", "version": case.version, "note": "好了"}
    )
    assert refused.status_code == 422
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED


def test_bad_input_is_shown_and_kept(case, outbox):
    secret = secret_for(outbox, "孙队长")
    client = phone()
    answer = client.post(
        f"/portal/t/{secret}/", {"action": "note", "version": case.version, "note": "看过了", "hours": "abc"}
    )
    assert answer.status_code == 422 and "hours" in answer.context["form"].errors
    assert "看过了" in answer.content.decode()
    answer = client.post(f"/portal/t/{secret}/", {"action": "note", "version": case.version, "note": ""})
    assert answer.status_code == 422 and answer.context["form"].errors


# --- refused -----------------------------------------------------------------------------------------------


def test_an_expired_link_is_refused_with_a_clear_page(case, outbox):
    secret = secret_for(outbox, "孙队长")
    PartyLink.objects.filter(case=case).update(expires_at=timezone.now() - timedelta(minutes=1))
    client = phone()
    page = client.get(f"/portal/t/{secret}/")
    assert page.status_code == 410 and page.context["code"] == "expired"
    answer = client.post(f"/portal/t/{secret}/", {"action": "acknowledge", "version": case.version})
    assert answer.status_code == 410
    assert not CaseEvent.objects.filter(case=case, party_link__isnull=False).exists()


def test_a_withdrawn_link_is_refused(case, outbox, socialworker):
    secret = secret_for(outbox, "孙队长")
    link = PartyLink.objects.get(case=case, holder_name="孙队长")
    staff = Client()
    staff.force_login(socialworker)
    page = staff.get(reverse("case-detail", args=[case.number]))
    assert link in page.context["party_links"]
    assert staff.post(reverse("case-link-revoke", args=[case.number, link.pk])).status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None and link.revoked_by == socialworker
    page = phone().get(f"/portal/t/{secret}/")
    assert page.status_code == 410 and page.context["code"] == "revoked"


def test_a_link_withdrawn_while_the_page_is_open_acts_no_more(case, outbox):
    secret = secret_for(outbox, "孙队长")
    link = links.find_link(secret)
    PartyLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
    from grassroots.cases.services import case_acknowledge

    with pytest.raises(links.LinkRefused):
        case_acknowledge(actor=None, case=case.pk, link=link)


def test_only_the_case_coordinators_may_withdraw_a_link(case, volunteer, outsider):
    link = PartyLink.objects.filter(case=case).first()
    for user in (volunteer, outsider):
        client = Client()
        client.force_login(user)
        assert client.post(reverse("case-link-revoke", args=[case.number, link.pk])).status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None


def test_a_link_does_only_what_it_is_for(
    case, outbox, community, socialworker, household_a, tile, parties, committed
):
    secret = secret_for(outbox, "孙队长")
    link = links.find_link(secret)
    client = phone()
    # Not an action of its purpose, whatever is posted: the coordinators' and the reporter's stay theirs.
    for action in ("close", "verify", "urge", "dispatch", "reopen", ""):
        answer = client.post(f"/portal/t/{secret}/", {"action": action, "version": case.version})
        assert answer.status_code == 403 and answer.context["code"] == "purpose"
    # Nor another case: the link of one case cannot report another done.
    other = whistled(community, socialworker, household_a, tile, parties, committed)
    from grassroots.cases.services import case_acknowledge

    other_lead_link = PartyLink.objects.get(case=other, holder_name="孙队长")
    case_acknowledge(actor=None, case=other.pk, link=other_lead_link)
    with pytest.raises(links.LinkRefused) as refused:
        case_resolve(actor=None, case=other.pk, link=link, report="done")
    assert refused.value.reason == "purpose"
    # The services that may take a link take it only for its purpose's actions.
    from grassroots.cases.services import _act

    with pytest.raises(links.LinkRefused):
        _act(actor=None, case=case.pk, action="close", expected_version=None, link=link)
    other.refresh_from_db()
    assert other.status == Status.ACKNOWLEDGED


def test_a_dispatch_to_someone_else_releases_the_link(case, outbox, socialworker, volunteer, committed):
    secret = secret_for(outbox, "孙队长")
    from grassroots.cases.services import case_dispatch

    with committed():
        case_dispatch(actor=socialworker, case=case.pk, lead=Party("person", volunteer.person_id))
    page = phone().get(f"/portal/t/{secret}/")
    assert page.status_code == 410 and page.context["code"] == "released"


def test_guessing_secrets_is_throttled(case, settings):
    settings.GRASSROOTS_PORTAL_LIMITS = {"task": (3, 900)}
    client = phone()
    for _ in range(3):
        assert client.get("/portal/t/AAAAAAAAAAAAAAAAAAAAAAAA/").status_code == 404
    assert client.get("/portal/t/BBBBBBBBBBBBBBBBBBBBBBBB/").status_code == 429


# --- a forwarded link ------------------------------------------------------------------------------------


def test_a_use_from_another_device_is_logged(case, outbox, caplog, socialworker):
    secret = secret_for(outbox, "孙队长")
    phone().get(f"/portal/t/{secret}/")
    phone().get(f"/portal/t/{secret}/")  # the same phone again
    link = PartyLink.objects.get(case=case, holder_name="孙队长")
    assert link.other_device_at is None
    with caplog.at_level("WARNING", logger="grassroots.cases.links"):
        forwarded = phone(ip="2001:db8::7", agent="Mozilla/5.0 (iPhone) WeChat")
        forwarded.post(f"/portal/t/{secret}/", {"action": "acknowledge", "version": case.version})
    uses = list(PartyLinkUse.objects.filter(link=link).order_by("pk"))
    assert [use.what for use in uses] == ["open", "open", "acknowledge"]
    assert [use.other_device for use in uses] == [False, False, True]
    assert len({use.device for use in uses}) == 2 and all(len(use.device) == 64 for use in uses)
    link.refresh_from_db()
    assert link.other_device_at is not None
    assert any("another device" in record.getMessage() for record in caplog.records)
    assert not any(secret in record.getMessage() for record in caplog.records)
    assert not any(
        "2001:db8" in record.getMessage() or "WeChat" in record.getMessage() for record in caplog.records
    )
    # The coordinators see it on the case page.
    staff = Client()
    staff.force_login(socialworker)
    assert f'id="link-{link.pk}"' in staff.get(reverse("case-detail", args=[case.number])).content.decode()


def test_hours_are_recorded_for_a_later_ledger_when_staff_report_done(case, socialworker):
    from grassroots.cases.services import case_acknowledge

    case_acknowledge(actor=socialworker, case=case.pk, party=Party("team", case.lead.team_id))
    case_resolve(actor=socialworker, case=case.pk, report="已修好", hours=Decimal("3"))
    event = CaseEvent.objects.filter(case=case, action="resolve").get()
    # Reported for the team by the social worker: the hours are the team's, not hers.
    assert event.changes == {"hours": "3.0", "hours_by": f"team:{case.lead.team_id}"}
    with pytest.raises(ValidationError) as error:
        case_resolve(actor=socialworker, case=case.pk, report="x", hours="500")
    assert "hours" in error.value.message_dict


def test_the_resident_reads_the_party_by_its_role_not_its_name(case, outbox):
    from django.utils import translation

    from grassroots.portal.timeline import actor_label, with_timeline

    secret = secret_for(outbox, "孙队长")
    phone().post(f"/portal/t/{secret}/", {"action": "acknowledge", "version": case.version})
    loaded = with_timeline(Case.objects.filter(pk=case.pk)).get()
    [event] = [event for event in loaded.events.all() if event.party_link_id]
    with translation.override("en"):
        assert actor_label(event, loaded) == "volunteer team"


def test_the_api_names_the_party_to_staff_and_takes_hours(case, outbox, socialworker):
    from tests.test_api_helpers import as_user

    secret = secret_for(outbox, "孙队长")
    phone().post(f"/portal/t/{secret}/", {"action": "acknowledge", "version": case.version})
    staff = as_user(socialworker)
    events = staff.get(f"/api/v1/cases/{case.pk}/").json()["events"]
    assert [e["actor"] for e in events if e["action"] == "acknowledge"] == ["孙队长"]
    noted = staff.post(f"/api/v1/cases/{case.pk}/note/", {"note": "已协调材料", "hours": "0.5"})
    assert noted.status_code == 200
    assert CaseEvent.objects.filter(case=case, action="note").last().changes["hours"] == "0.5"
    refused = staff.post(f"/api/v1/cases/{case.pk}/note/", {"note": "x", "hours": "-1"})
    assert refused.status_code == 400 and "hours" in refused.json()
