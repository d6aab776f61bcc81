"""Who is told what, story by story, and how a message gets there.

Aunt Liu phones about her water: she has no account, so she is told by SMS, at
her number, which nobody can read in the outbox. The corridor tile: the whistle
summons a grid worker, a volunteer, a team and two member units, each told
their own way. A resident in psychological difficulty: nothing about her
problem ever leaves the system in a text.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from django.apps import apps
from django.core import mail
from django.core.management import call_command
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation

from grassroots.cases.models import Case, CaseEvent, Category, Urgency
from grassroots.cases.services import (
    Party,
    ReportDetails,
    case_acknowledge,
    case_close,
    case_dispatch,
    case_register,
    case_reject,
    case_report,
    case_resolve,
    case_urge,
    case_verify,
    case_whistle,
)
from grassroots.cases.workflow import REGISTRY, Notice
from grassroots.core import pii
from grassroots.notify import api, services
from grassroots.notify.apps import check_public_url
from grassroots.notify.channels import ConsoleChannel, DeliveryError, scrub_phones
from grassroots.notify.models import Message, MessageChannel, MessageReason, MessageStatus
from grassroots.orgs.models import VolunteerTeam
from grassroots.people.models import Person, PhoneKind, phone_kind_of
from tests.factories import MemberUnitFactory, PersonFactory

IMMEDIATE = {
    "default": {
        "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default", "notifications"],
    }
}
AUNT_LIU_PHONE = "13900001111"
FULL_PHONE = re.compile(r"1[3-9]\d{9}")


@pytest.fixture(autouse=True)
def notify_settings(settings, tmp_path):
    """Tasks run at once; the console channel writes to a fresh outbox; no e-mail unless a test asks."""
    settings.TASKS = IMMEDIATE
    settings.GRASSROOTS_NOTIFY_OUTBOX = str(tmp_path / "outbox.log")
    settings.GRASSROOTS_NOTIFY_SMS = "console"
    settings.GRASSROOTS_NOTIFY_EMAIL = False
    settings.GRASSROOTS_PUBLIC_URL = "http://127.0.0.1:8000"
    settings.GRASSROOTS_NOTIFY_RETRY_SECONDS = 60
    settings.GRASSROOTS_NOTIFY_MAX_ATTEMPTS = 8
    return settings


@pytest.fixture
def outbox(notify_settings):
    """The console channel's outbox file, read as lines."""
    from pathlib import Path

    def lines() -> list[str]:
        path = Path(notify_settings.GRASSROOTS_NOTIFY_OUTBOX)
        return path.read_text(encoding="utf-8").splitlines() if path.exists() else []

    return lines


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run service calls as if each committed: their notifications are written and delivered."""

    @contextmanager
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return run


@pytest.fixture
def plain(db) -> Category:
    return Category.objects.create(
        code="nt-water", name_zh="停水缺水", name_en="no water", response_minutes_urgent=15
    )


@pytest.fixture
def sensitive(db) -> Category:
    return Category.objects.create(
        code="nt-heart", name_zh="心理疏导", name_en="psychological support", sensitive=True, public=False
    )


def details(category: Category, **overrides) -> ReportDetails:
    values = {
        "category": category,
        "description": "刘阿姨行动不便，家中没有饮用水",
        "channel": "phone",
        "urgency": Urgency.URGENT,
    }
    values.update(overrides)
    return ReportDetails(**values)


def told(case: Case, reason: str | None = None) -> set[tuple[str, str]]:
    """(recipient key or name, channel) of the case's messages, optionally for one reason."""
    messages = Message.objects.filter(case=case)
    if reason:
        messages = messages.filter(reason=reason)
    return {(m.recipient.username if m.recipient else m.recipient_name, m.channel) for m in messages}


# --- the reporter ----------------------------------------------------------------------------------


def test_aunt_liu_without_an_account_is_told_by_sms_that_her_call_is_registered(
    community, socialworker, household_a, plain, committed, outbox
):
    with committed():
        case = case_report(
            actor=socialworker,
            community=community,
            details=details(
                plain, household=household_a, reporter_name="刘阿姨", reporter_phone=AUNT_LIU_PHONE
            ),
            register=True,
        )
    [message] = case.messages.all()
    assert message.reason == "registered" and message.channel == MessageChannel.SMS
    assert message.status == MessageStatus.SENT and message.attempts == 1 and message.transport == "console"
    assert message.recipient is None and message.recipient_name == "刘阿姨"
    # Kept encrypted, shown masked, decrypted only to send.
    assert AUNT_LIU_PHONE not in message.address_encrypted and message.address == ""
    assert message.address_masked == "139****1111"
    assert message.deliverable_address() == AUNT_LIU_PHONE
    assert case.number in message.body and f"/portal/follow/{case.public_token}/" in message.body
    assert "【和盛苑社区】" in message.body
    [line] = outbox()
    assert "139****1111" in line and AUNT_LIU_PHONE not in line


def test_a_resident_with_an_account_hears_of_registration_resolution_and_closure_in_app(
    community, resident, socialworker, gridworker, household_a, plain, committed
):
    with committed():
        case = case_report(actor=resident, community=community, details=details(plain, household=household_a))
        case = case_register(actor=socialworker, case=case)
        case = case_dispatch(actor=socialworker, case=case, lead=Party("user", gridworker.pk))
        case = case_acknowledge(actor=gridworker, case=case)
        case = case_resolve(actor=gridworker, case=case, report="已送去两桶水")
        case = case_verify(actor=socialworker, case=case, satisfaction="satisfied")
        case = case_close(actor=socialworker, case=case)
    to_resident = case.messages.filter(recipient=resident).order_by("id")
    assert [m.reason for m in to_resident] == ["registered", "resolved", "closed"]
    assert {m.channel for m in to_resident} == {MessageChannel.INBOX}
    assert all(m.status == MessageStatus.SENT for m in to_resident)
    assert f"/portal/follow/{case.public_token}/" in to_resident[0].body
    assert f"/cases/{case.number}/" not in to_resident[0].body
    assert Message.objects.unread_for(resident).count() == 3
    services.message_mark_read(user=resident, message=to_resident[0])
    assert Message.objects.unread_for(resident).count() == 2


def test_a_rejected_report_tells_the_reporter_why(community, socialworker, plain, committed):
    reporter = PersonFactory(community=community, phone="13900002222")
    with committed():
        case = case_report(
            actor=socialworker, community=community, details=details(plain, reporter_person=reporter)
        )
        case_reject(actor=socialworker, case=case, reason="不属于社区受理范围，请拨打12345")
    [message] = Message.objects.filter(case=case)
    assert message.reason == "rejected" and message.address_masked == "139****2222"
    assert "不属于社区受理范围" in message.body and case.number in message.body


def test_an_anonymous_report_tells_nobody(community, socialworker, plain, committed):
    with committed():
        case = case_report(
            actor=socialworker,
            community=community,
            details=details(plain, anonymous=True, reporter_phone=AUNT_LIU_PHONE),
            register=True,
        )
    assert not case.messages.exists()


# --- the parties -------------------------------------------------------------------------------------


def test_the_whistle_tells_each_party_its_own_way(
    community, socialworker, gridworker, volunteer, unitcontact, household_a, plain, committed, outbox
):
    """Grid worker (account), volunteer (account via person), a team (leader's phone),
    the property company (its contact's account), the owners' committee (its work phone)."""
    leader = PersonFactory(community=community, name="孙队长", phone="13900003333")
    team = VolunteerTeam.objects.create(community=community, name="维修服务队", leader=leader)
    owners = MemberUnitFactory(community=community, name="业委会", contact_phone="022-25551234")
    with committed():
        case = case_report(actor=socialworker, community=community, details=details(plain), register=True)
        case = case_whistle(
            actor=socialworker,
            case=case,
            lead=Party("user", gridworker.pk),
            parties=[
                Party("person", volunteer.person_id),
                Party("team", team.pk),
                Party("unit", unitcontact.member_unit_id),
                Party("unit", owners.pk),
            ],
        )
    assert told(case, "whistled") == {
        ("gridworker", MessageChannel.INBOX),
        ("volunteer", MessageChannel.INBOX),
        ("孙队长", MessageChannel.SMS),
        ("unitcontact", MessageChannel.INBOX),
        ("物业值班室", MessageChannel.SMS),
    }
    lead = case.messages.get(reason="whistled", recipient=gridworker)
    assert (
        "牵头" in lead.body
        and f"/cases/{case.number}/" in lead.body
        and lead.body.startswith("【和盛苑社区】【紧急】")
    )
    helper = case.messages.get(reason="whistled", recipient=volunteer)
    assert "协同" in helper.body
    by_sms = case.messages.get(reason="whistled", recipient_name="孙队长")
    assert by_sms.address_masked == "139****3333" and "/cases/" not in by_sms.body
    landline = case.messages.get(recipient_name="物业值班室")
    assert landline.address_masked == "022****1234" and landline.status == MessageStatus.REROUTED
    # The owners' committee's work phone is a landline: the social worker who whistled calls it.
    [call] = case.messages.filter(reason="call")
    assert call.recipient == socialworker and "022****1234" in call.body
    assert all(m.status == MessageStatus.SENT for m in case.messages.exclude(pk=landline.pk))
    assert not any(FULL_PHONE.search(line) or "25551234" in line for line in outbox())


def test_a_new_dispatch_tells_only_the_newly_summoned(
    community, socialworker, gridworker, volunteer, household_a, plain, committed
):
    with committed():
        case = case_report(actor=socialworker, community=community, details=details(plain), register=True)
        case = case_dispatch(actor=socialworker, case=case, lead=Party("user", gridworker.pk))
        case = case_dispatch(
            actor=socialworker,
            case=case,
            lead=Party("user", gridworker.pk),
            supporters=[Party("person", volunteer.person_id)],
        )
    dispatches = Message.objects.filter(case=case, reason="dispatched").order_by("id")
    assert [m.recipient.username for m in dispatches] == ["gridworker", "volunteer"]


def test_nobody_is_told_about_what_they_did_themselves(community, socialworker, plain, committed):
    with committed():
        case = case_report(actor=socialworker, community=community, details=details(plain), register=True)
        case = case_dispatch(actor=socialworker, case=case, lead=Party("user", socialworker.pk))
    assert not case.messages.filter(reason="dispatched").exists()


def test_a_party_who_cannot_be_reached_is_recorded_as_not_told(community, socialworker, plain, committed):
    team = VolunteerTeam.objects.create(community=community, name="无队长服务队")
    with committed():
        case = case_report(actor=socialworker, community=community, details=details(plain), register=True)
        case = case_dispatch(actor=socialworker, case=case, lead=Party("team", team.pk))
    [message] = case.messages.filter(reason="dispatched")
    assert message.status == MessageStatus.FAILED and message.last_error == "队伍没有队长"
    assert message.recipient_name == "无队长服务队"


def test_urging_tells_the_lead_and_the_supporters(
    community, socialworker, secretary, gridworker, volunteer, plain, committed
):
    with committed():
        case = case_report(actor=socialworker, community=community, details=details(plain), register=True)
        case = case_dispatch(
            actor=socialworker,
            case=case,
            lead=Party("user", gridworker.pk),
            supporters=[Party("person", volunteer.person_id)],
        )
        case_urge(actor=secretary, case=case, note="居民又来电催问")
    urged = case.messages.filter(reason="urged")
    assert {m.recipient.username for m in urged} == {"gridworker", "volunteer"}
    assert all("督办" in m.body and "居民又来电催问" in m.body and "第 1 次" in m.body for m in urged)


def test_an_unsatisfied_call_back_sends_the_handlers_back_to_work(
    community, socialworker, gridworker, plain, committed
):
    with committed():
        case = case_report(actor=socialworker, community=community, details=details(plain), register=True)
        case = case_dispatch(actor=socialworker, case=case, lead=Party("user", gridworker.pk))
        case = case_acknowledge(actor=gridworker, case=case)
        case = case_resolve(actor=gridworker, case=case, report="已修好")
        case_verify(actor=socialworker, case=case, satisfaction="unsatisfied", note="水管还在漏")
    [rework] = case.messages.filter(reason="reopened")
    assert rework.recipient == gridworker and "【返工】" in rework.body and "水管还在漏" in rework.body


def test_e_mail_goes_to_users_with_an_address_when_it_is_on(
    notify_settings, community, socialworker, gridworker, plain, committed
):
    notify_settings.GRASSROOTS_NOTIFY_EMAIL = True
    notify_settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    gridworker.email = "grid@example.org"
    gridworker.save()
    with committed():
        case = case_report(actor=socialworker, community=community, details=details(plain), register=True)
        case_dispatch(actor=socialworker, case=case, lead=Party("user", gridworker.pk))
    assert told(case, "dispatched") == {
        ("gridworker", MessageChannel.INBOX),
        ("gridworker", MessageChannel.EMAIL),
    }
    email = Message.objects.get(case=case, channel=MessageChannel.EMAIL)
    assert email.status == MessageStatus.SENT and email.transport == "email"
    [sent] = mail.outbox
    assert sent.to == ["grid@example.org"] and case.number in sent.subject and case.number in sent.body


# --- discretion ---------------------------------------------------------------------------------------


def test_a_sensitive_case_never_leaks_its_description_or_category_in_any_message(
    community, socialworker, secretary, volunteer, plain, sensitive, committed, outbox
):
    helper = PersonFactory(community=community, name="周老师", phone="13900004444")
    reporter = PersonFactory(community=community, name="李女士", phone="13900005555")
    secret = "丈夫去世后情绪低落，有轻生念头"
    with committed():
        case = case_report(
            actor=socialworker,
            community=community,
            details=details(sensitive, description=secret, reporter_person=reporter),
            register=True,
        )
        case = case_whistle(
            actor=socialworker,
            case=case,
            lead=Party("person", helper.pk),
            parties=[Party("person", volunteer.person_id)],
        )
        case_urge(actor=secretary, case=case, note="李女士情绪仍不稳定")
    messages = list(case.messages.all())
    assert {m.reason for m in messages} == {"registered", "whistled", "urged"}
    for message in messages:
        text = message.subject + message.body
        assert "情绪" not in text and "轻生" not in text and "心理" not in text, text
        assert case.number in text
    to_reporter = case.messages.get(reason="registered")
    assert to_reporter.channel == MessageChannel.SMS and "您有一件诉求有新进展" in to_reporter.body
    assert not any("情绪" in line or "心理" in line for line in outbox())


def test_the_console_channel_never_writes_a_full_phone_number(
    community, socialworker, volunteer, plain, committed, outbox, caplog
):
    caplog.set_level("INFO", logger="grassroots.notify")
    phoneless = PersonFactory(community=community, name="钱师傅", phone="13912345678")
    with committed():
        case = case_report(
            actor=socialworker,
            community=community,
            details=details(
                plain,
                description="楼下水管漏水，请回电 13987654321 或 139-8765-4320",
                reporter_phone="13911112222",
            ),
            register=True,
        )
        case_dispatch(actor=socialworker, case=case, lead=Party("person", phoneless.pk))
    lines = outbox()
    assert len(lines) == 2  # the reporter's SMS and the handler's SMS
    for text in [*lines, caplog.text]:
        assert not FULL_PHONE.search(text.replace("-", "")), text
    assert any("139****2222" in line for line in lines) and any("139****5678" in line for line in lines)
    assert any("139****4321" in line for line in lines)  # the number typed into the description, masked


def test_scrubbing_masks_phones_but_not_case_numbers():
    assert scrub_phones("请回电13987654321") == "请回电139****4321"
    assert scrub_phones("HSY-20261128-0007") == "HSY-20261128-0007"
    assert scrub_phones("座机 022-25551234") == "座机 022****1234"


# --- idempotency and retries ---------------------------------------------------------------------------


def test_announcing_the_same_event_twice_tells_nobody_twice(
    community, socialworker, gridworker, plain, committed, outbox
):
    with committed():
        case = case_report(
            actor=socialworker,
            community=community,
            details=details(plain, reporter_phone=AUNT_LIU_PHONE),
            register=True,
        )
        case_dispatch(actor=socialworker, case=case, lead=Party("user", gridworker.pk))
    before = Message.objects.count()
    for event in CaseEvent.objects.filter(case=case):
        with committed():
            api.case_event_recorded(event.pk)
    assert Message.objects.count() == before
    assert len(outbox()) == 1


def test_a_bulk_import_can_be_muted(community, socialworker, plain, committed):
    with api.muted(), committed():
        case = case_report(
            actor=socialworker,
            community=community,
            details=details(plain, reporter_phone=AUNT_LIU_PHONE),
            register=True,
        )
    assert not case.messages.exists()


def test_a_sent_message_is_not_sent_again_when_its_task_runs_twice(
    community, socialworker, plain, committed, outbox
):
    with committed():
        case = case_report(
            actor=socialworker,
            community=community,
            details=details(plain, reporter_phone=AUNT_LIU_PHONE),
            register=True,
        )
    message = case.messages.get()
    assert services.deliver(message.pk).status == "skipped"
    from grassroots.notify.tasks import deliver_message

    deliver_message.enqueue(message.pk)
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 1
    assert len(outbox()) == 1


def time_passes(message: Message, by: timedelta) -> None:
    """Move the message's next due time back, as if `by` had passed."""
    Message.objects.filter(pk=message.pk).update(next_attempt_at=F("next_attempt_at") - by)


class Flaky:
    """A transport that fails `failures` times, then accepts."""

    name = "flaky"

    def __init__(self, failures: int):
        self.failures = failures
        self.sent: list[int] = []

    def send(self, message):
        if self.failures:
            self.failures -= 1
            raise DeliveryError("gateway busy")
        self.sent.append(message.pk)


def test_a_failing_channel_is_retried_with_growing_waits_and_nothing_is_lost(
    monkeypatch, community, socialworker, plain, committed
):
    flaky = Flaky(failures=3)
    monkeypatch.setattr(services, "channel_for", lambda message: flaky)
    with committed():
        case = case_report(
            actor=socialworker,
            community=community,
            details=details(plain, reporter_phone=AUNT_LIU_PHONE),
            register=True,
        )
    message = case.messages.get()
    waits = []
    for attempt in (1, 2, 3):
        message.refresh_from_db()
        assert message.status == MessageStatus.QUEUED and message.attempts == attempt
        assert message.last_error == "DeliveryError: gateway busy"
        waits.append(message.next_attempt_at - timezone.now())
        # The immediate backend cannot schedule: the sweep queues the retry once it is due.
        assert services.requeue_due_messages() == []
        time_passes(message, message.next_attempt_at - timezone.now() + timedelta(seconds=1))
        assert services.requeue_due_messages() == [message.pk]
    assert [round(w.total_seconds() / 60) for w in waits] == [1, 2, 4]
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 4 and flaky.sent == [message.pk]


def test_after_the_last_attempt_a_message_is_failed_and_kept(
    monkeypatch, notify_settings, community, socialworker, secretary, volunteer, plain, committed
):
    notify_settings.GRASSROOTS_NOTIFY_MAX_ATTEMPTS = 2
    monkeypatch.setattr(services, "channel_for", lambda message: Flaky(failures=99))
    with committed():
        case = case_report(
            actor=socialworker,
            community=community,
            details=details(plain, reporter_phone=AUNT_LIU_PHONE),
            register=True,
        )
    message = case.messages.get()
    time_passes(message, timedelta(hours=1))
    assert services.requeue_due_messages() == [message.pk]
    message.refresh_from_db()
    assert (
        message.status == MessageStatus.FAILED and message.attempts == 2 and message.next_attempt_at is None
    )
    assert message.last_error == "DeliveryError: gateway busy"
    assert services.requeue_due_messages(now=timezone.now() + timedelta(days=1)) == []
    # Nobody is left not knowing: the social worker who took the call is asked to phone instead,
    # and the secretary (the legs) is told too.
    notices = Case.objects.get(pk=case.pk).messages.exclude(pk=message.pk).order_by("recipient_id")
    assert {notice.recipient for notice in notices} == {socialworker, secretary}
    for notice in notices:
        assert notice.channel == "inbox" and notice.reason == "call"
        assert "多次发送失败" in notice.body and AUNT_LIU_PHONE not in notice.body
        assert message.address_masked in notice.body
    # The case page offers "send again" to its coordinators; it queues the message afresh.
    page = _signed_in(socialworker).get(f"/cases/{case.number}/").content.decode()
    assert f"/notifications/{message.pk}/retry/" in page
    assert _signed_in(volunteer).post(f"/notifications/{message.pk}/retry/").status_code == 404
    monkeypatch.setattr(services, "channel_for", lambda message: Flaky(failures=0))
    response = _signed_in(socialworker).post(f"/notifications/{message.pk}/retry/")
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.number}/"
    message.refresh_from_db()
    assert message.status in (MessageStatus.QUEUED, MessageStatus.SENT) and message.attempts <= 1
    assert (
        _signed_in(socialworker).post(f"/notifications/{message.pk}/retry/").status_code == 404
    )  # not failed


def _signed_in(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_a_message_claimed_by_a_worker_that_died_is_sent_by_the_next_sweep(
    community, socialworker, plain, committed, outbox
):
    with committed():
        case = case_report(
            actor=socialworker,
            community=community,
            details=details(plain, reporter_phone=AUNT_LIU_PHONE),
            register=True,
        )
    message = case.messages.get()
    # As if a worker had claimed it and died before finishing.
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENDING,
        attempts=1,
        sent_at=None,
        next_attempt_at=timezone.now() + timedelta(minutes=5),
    )
    assert services.requeue_due_messages() == []  # its lease still runs
    time_passes(message, timedelta(minutes=6))
    assert services.requeue_due_messages() == [message.pk]
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 2


def test_the_phone_is_encrypted_at_rest(community, socialworker, plain, committed):
    with committed():
        case = case_report(
            actor=socialworker,
            community=community,
            details=details(plain, reporter_phone=AUNT_LIU_PHONE),
            register=True,
        )
    row = Message.objects.filter(case=case).values().get()
    assert not any(AUNT_LIU_PHONE in str(value) for value in row.values())
    assert pii.decrypt(row["address_encrypted"]) == AUNT_LIU_PHONE


def test_console_channel_line_is_masked(tmp_path, community, socialworker, plain, committed):
    with committed():
        case = case_report(
            actor=socialworker,
            community=community,
            details=details(plain, reporter_phone=AUNT_LIU_PHONE),
            register=True,
        )
    channel = ConsoleChannel(tmp_path / "other.log")
    channel.send(case.messages.get())
    text = (tmp_path / "other.log").read_text(encoding="utf-8")
    assert "139****1111" in text and AUNT_LIU_PHONE not in text and case.number in text


def test_a_description_ending_in_a_full_stop_does_not_double_it(
    community, socialworker, gridworker, plain, committed, outbox
):
    """ "楼道地砖松动，有人绊倒。" quoted in a dispatch reads "...绊倒。请尽快签收", never "。。"."""
    with committed():
        case = case_report(
            actor=socialworker,
            community=community,
            details=details(plain, description="楼道地砖松动，有人绊倒。"),
            register=True,
        )
        case = case_dispatch(actor=socialworker, case=case, lead=Party("user", gridworker.pk))
    body = case.messages.get(reason="dispatched", recipient=gridworker).body
    assert "绊倒。请尽快签收" in body
    assert "。。" not in body


# --- reaching people who cannot read a text; links that open; words, not codes (issue 14.8-14.10) -----
#
# Aunt Liu's phone is a landline (022****1008): an SMS would vanish into it. Her message is kept,
# marked as passed on, and the social worker finds "call Aunt Liu" in their notification list, with
# her number masked and a link to the case. Every link in a message is absolute, built on
# GRASSROOTS_PUBLIC_URL; the outbox writes Shanghai time with its offset; reasons read as words.

AUNT_LIU_LANDLINE = "022-2345-1008"
PUBLIC = "https://grassroots.example.org"
ANY_FULL_NUMBER = re.compile(r"(?<!\d)(1[3-9]\d{9}|0\d{9,11})(?!\d)")


@pytest.fixture
def public_url(notify_settings):
    """Links built on a real public address, as in production."""
    notify_settings.GRASSROOTS_PUBLIC_URL = PUBLIC
    return notify_settings


@pytest.fixture
def aunt_liu(community, household_a) -> Person:
    return PersonFactory(community=community, name="刘桂芳", household=household_a, phone=AUNT_LIU_LANDLINE)


def called_in(socialworker, community, category, *, phone: str = "13900001111") -> Case:
    """Aunt Liu phones; the social worker registers her call with the number she gives."""
    return case_report(
        actor=socialworker,
        community=community,
        details=details(category, reporter_name="刘阿姨", reporter_phone=phone),
        register=True,
    )


def report_for(person, socialworker, community, category) -> Case:
    return case_report(
        actor=socialworker,
        community=community,
        details=details(category, household=person.current_household, reporter_person=person),
        register=True,
    )


# --- 14.8: a phone that cannot take an SMS -----------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "mobile"),
    [
        ("13900001111", True),
        ("+86 139 0000 1111", True),
        ("8619912345678", True),
        ("022-2345-1008", False),
        ("010 8888 6666", False),
        ("12900001111", False),  # 12x is no mobile range
        ("1390000111", False),  # ten digits
        ("", False),
    ],
)
def test_only_a_mainland_mobile_number_takes_an_sms(raw, mobile):
    assert pii.phone_is_mobile(pii.normalise_phone(raw)) is mobile


def test_a_stored_phone_says_what_kind_it_is(community):
    assert PersonFactory(community=community, phone=AUNT_LIU_LANDLINE).phone_kind == PhoneKind.LANDLINE
    mobile = PersonFactory(community=community, phone="+86 139 0000 2222")
    assert mobile.phone_kind == PhoneKind.MOBILE and mobile.takes_sms
    mobile.no_sms = True
    assert not mobile.takes_sms
    assert phone_kind_of("4008123123") == PhoneKind.OTHER and phone_kind_of("") == ""


def test_the_migration_classifies_the_numbers_already_stored(community):
    landline = PersonFactory(community=community, phone=AUNT_LIU_LANDLINE)
    mobile = PersonFactory(community=community, phone="13900004444")
    nobody = PersonFactory(community=community, phone="")
    Person.objects.update(phone_kind="")
    migration = __import__("grassroots.people.migrations.0006_phone_kind", fromlist=["classify"])
    migration.classify(apps, None)
    kinds = dict(
        Person.objects.filter(pk__in=[landline.pk, mobile.pk, nobody.pk]).values_list("pk", "phone_kind")
    )
    assert kinds == {landline.pk: "landline", mobile.pk: "mobile", nobody.pk: ""}


def test_aunt_liu_s_landline_gets_no_sms_and_the_social_worker_is_asked_to_call(
    public_url, community, socialworker, aunt_liu, plain, committed, outbox
):
    with committed():
        case = report_for(aunt_liu, socialworker, community, plain)
    sms = case.messages.get(reason="registered")
    assert sms.channel == MessageChannel.SMS and sms.status == MessageStatus.REROUTED
    assert sms.attempts == 0 and sms.address_masked == "022****1008"
    assert "固定电话" in sms.last_error and "致电" in sms.last_error
    assert outbox() == []  # nothing went to the gateway
    call = case.messages.get(reason="call")
    assert call.recipient == socialworker and call.channel == MessageChannel.INBOX
    assert call.status == MessageStatus.SENT and call.read_at is None
    assert "刘桂芳" in call.body and "022****1008" in call.body and "已受理" in call.body
    assert f"{PUBLIC}/cases/{case.number}/" in call.body
    assert not any(ANY_FULL_NUMBER.search(m.body + m.subject + m.last_error) for m in case.messages.all())
    assert Message.objects.unread_for(socialworker).filter(pk=call.pk).exists()


def test_a_mobile_that_staff_marked_no_sms_is_called_too(
    community, socialworker, household_a, plain, committed
):
    person = PersonFactory(community=community, household=household_a, phone="13900005555")
    Person.objects.filter(pk=person.pk).update(no_sms=True)
    person.refresh_from_db()
    with committed():
        case = report_for(person, socialworker, community, plain)
    assert case.messages.get(reason="registered").status == MessageStatus.REROUTED
    assert "已标注不发短信" in case.messages.get(reason="registered").last_error
    assert "139****5555" in case.messages.get(reason="call").body


def test_a_landline_given_by_the_caller_is_called_back_not_texted(community, socialworker, plain, committed):
    with committed():
        case = called_in(socialworker, community, plain, phone="02223451008")
    assert case.messages.get(reason="registered").status == MessageStatus.REROUTED
    assert case.messages.get(reason="call").recipient == socialworker


def test_when_a_volunteer_resolves_the_case_who_entered_it_calls(
    community, socialworker, volunteer, aunt_liu, plain, committed, outbox
):
    with committed():
        case = report_for(aunt_liu, socialworker, community, plain)
        case = case_dispatch(actor=socialworker, case=case, lead=Party("user", volunteer.pk))
        case = case_acknowledge(actor=volunteer, case=case)
        case = case_resolve(actor=volunteer, case=case, report="已送去两桶水")
    resolved = case.messages.get(reason="resolved")
    assert resolved.status == MessageStatus.REROUTED
    calls = case.messages.filter(reason="call", event=resolved.event)
    assert [m.recipient for m in calls] == [socialworker]  # the volunteer coordinates nothing
    assert "已处理完毕" in calls[0].body


def test_without_anyone_who_acted_the_grid_s_workers_then_the_community_s_are_asked(
    community, socialworker, gridworker, grid_a, aunt_liu, plain, committed
):
    with committed():
        case = report_for(aunt_liu, socialworker, community, plain)
    Case.objects.filter(pk=case.pk).update(created_by=None, grid=grid_a)
    case.refresh_from_db()
    assert services._coordinators(case) == [gridworker]
    Case.objects.filter(pk=case.pk).update(grid=None)
    case.refresh_from_db()
    assert set(services._coordinators(case)) == {socialworker, gridworker}


def test_with_nobody_to_call_the_message_fails_visibly(community, aunt_liu, plain, monkeypatch):
    monkeypatch.setattr(services, "_coordinators", lambda case, event=None: [])
    case = Case(number="HSY-20261202-0099", community=community, category=plain, description="没有水")
    recipient = services._person(aunt_liu, resident=True)[0]
    [message] = services._messages_for(case, recipient, kind="registered", note="")
    assert message.status == MessageStatus.FAILED and "没有可以代为致电" in message.last_error


# --- 14.9: absolute links -------------------------------------------------------------------------------


def test_links_in_an_sms_are_absolute(public_url, community, socialworker, plain, committed, outbox):
    with committed():
        case = called_in(socialworker, community, plain)
    body = case.messages.get().body
    assert f"{PUBLIC}/portal/follow/{case.public_token}/" in body
    assert not re.search(r"(?<![a-z0-9.])/portal/", body.replace(f"{PUBLIC}/portal/", ""))


def test_the_public_url_default_is_the_demo_s_address_and_a_deploy_check_warns_on_it(public_url):
    from grassroots.config import notify_settings as defaults

    assert defaults.DEMO_PUBLIC_URL == "http://127.0.0.1:8000"
    public_url.GRASSROOTS_PUBLIC_URL = defaults.DEMO_PUBLIC_URL
    [warning] = check_public_url()
    assert warning.id == "grassroots.notify.W003" and "127.0.0.1" in warning.msg
    public_url.GRASSROOTS_PUBLIC_URL = "grassroots.example.org"
    assert [w.id for w in check_public_url()] == ["grassroots.notify.W003"]
    public_url.GRASSROOTS_PUBLIC_URL = PUBLIC
    assert check_public_url() == []


def test_the_deploy_check_runs_with_check_deploy(public_url, capsys):
    public_url.GRASSROOTS_PUBLIC_URL = "http://localhost:8000"
    call_command("check", "--deploy", "--tag", "compatibility")
    assert "grassroots.notify.W003" in capsys.readouterr().err


def test_the_demo_links_its_messages_to_where_it_serves(public_url, monkeypatch):
    from grassroots.demo.management.commands.demo import link_messages_to

    monkeypatch.delenv("GRASSROOTS_PUBLIC_URL", raising=False)
    monkeypatch.delenv("GRASSROOTS_NOTIFY_BASE_URL", raising=False)
    link_messages_to("0.0.0.0", 8123)  # noqa: S104 - no socket is opened
    assert public_url.GRASSROOTS_PUBLIC_URL == "http://127.0.0.1:8123"
    assert os.environ["GRASSROOTS_PUBLIC_URL"] == "http://127.0.0.1:8123"
    monkeypatch.setenv("GRASSROOTS_PUBLIC_URL", PUBLIC)
    public_url.GRASSROOTS_PUBLIC_URL = PUBLIC
    link_messages_to("127.0.0.1", 9000)
    assert public_url.GRASSROOTS_PUBLIC_URL == PUBLIC  # an operator's choice stands


# --- 14.10: local time and words, not codes ------------------------------------------------------------


def test_the_outbox_writes_shanghai_time_with_its_offset(community, socialworker, plain, committed, outbox):
    with committed():
        called_in(socialworker, community, plain)
    [line] = outbox()
    stamp = datetime.fromisoformat(line.split(" ", 1)[0])
    assert stamp.utcoffset() is not None and stamp.utcoffset().total_seconds() == 8 * 3600
    assert line.split(" ", 1)[0].endswith("+08:00")
    assert abs((stamp - timezone.now()).total_seconds()) < 60


def test_the_outbox_names_the_reason_in_words(community, socialworker, plain, committed, outbox):
    with committed():
        called_in(socialworker, community, plain)
    [line] = outbox()
    assert "reason=已受理" in line and "registered" not in line


def test_every_notice_a_case_action_declares_has_a_label():
    kinds = {action.notice.kind for action in REGISTRY.values() if isinstance(action.notice, Notice)}
    kinds |= {"overdue", "reopened"}  # the sweep's own, and the call-back's (declared by a function)
    kinds |= {action.follow_up.kind for action in REGISTRY.values() if action.follow_up}
    assert kinds <= set(MessageReason.values)
    with translation.override("zh-hans"):
        labels = {kind: Message(reason=kind).reason_label for kind in kinds}
    assert labels["overdue"] == "超期" and labels["registered"] == "已受理"
    assert all(label != kind for kind, label in labels.items())
    assert Message(reason="something-new").reason_label == "something-new"


def test_the_notification_list_shows_reasons_in_words_and_keeps_them_unread_until_marked(
    client, community, socialworker, aunt_liu, plain, committed, django_assert_max_num_queries
):
    with committed():
        case = report_for(aunt_liu, socialworker, community, plain)
    call = case.messages.get(reason="call")
    client.force_login(socialworker)
    with translation.override("zh-hans"), django_assert_max_num_queries(12):
        page = client.get(reverse("notification-list"), headers={"accept-language": "zh-hans"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "请电话告知" in html and "022****1008" in html
    assert reverse("case-detail", args=[case.number]) in html
    assert ">call<" not in html and "rerouted" not in html
    call.refresh_from_db()
    assert call.read_at is None  # seen in a list is not read: the inbox keeps it until marked
    client.post(reverse("notification-read", args=[call.pk]))
    call.refresh_from_db()
    assert call.read_at is not None


def test_the_notification_list_shows_only_the_user_s_own(
    client, community, socialworker, gridworker, aunt_liu, plain, committed
):
    with committed():
        report_for(aunt_liu, socialworker, community, plain)
    client.force_login(gridworker)
    html = client.get(reverse("notification-list")).content.decode()
    assert "022****1008" not in html


def test_the_case_page_names_each_message_s_reason(
    client, community, socialworker, aunt_liu, plain, committed
):
    with committed():
        case = report_for(aunt_liu, socialworker, community, plain)
    client.force_login(socialworker)
    client.post(reverse("set_language"), {"language": "zh-hans"})
    html = client.get(reverse("case-detail", args=[case.number])).content.decode()
    assert '<span class="tag">已受理</span>' in html and '<span class="tag">请电话告知</span>' in html
    assert "已请" in html  # the rerouted message says who was asked to call


def test_the_outbox_line_of_a_message_written_by_hand(tmp_path, community, socialworker, plain, committed):
    """ConsoleChannel.line reads the label in Chinese even when the worker runs in English."""
    with committed():
        case = called_in(socialworker, community, plain)
    with translation.override("en"):
        line = ConsoleChannel(tmp_path / "x.log").line(case.messages.get())
    assert "reason=已受理" in line


def test_staff_mark_a_phone_no_sms_in_the_person_form_and_the_person_page_says_so(
    client, community, socialworker, household_a
):
    from grassroots.people.forms import PersonDetailsForm
    from grassroots.people.services import person_update

    person = PersonFactory(community=community, household=household_a, name="张大爷", sex="M")
    data = {"community": community.pk, "name": "张大爷", "sex": "M", "no_sms": "on", "note": ""}
    form = PersonDetailsForm(data=data, instance=person)
    assert form.is_valid(), form.errors
    saved = person_update(actor=socialworker, person=person, details=form.details())
    assert saved.no_sms and not saved.takes_sms and saved.phone_kind == PhoneKind.MOBILE
    client.force_login(socialworker)
    client.post(reverse("set_language"), {"language": "zh-hans"})
    html = client.get(reverse("person-detail", args=[person.pk])).content.decode()
    assert 'id="phone-no-sms">不发短信<' in html
