"""The real channels against local servers that speak each provider's protocol (tests/provider_servers.py).

Aunt Liu phones about her water; her registration SMS goes out through Alibaba Cloud or Tencent
Cloud with the approved template, and whatever the gateway does (accept, refuse for a while,
refuse for good, answer too late) she gets it once, or a coordinator is asked to call her. The
staff's WeCom group reads the urges, the whistles, the overdue alerts and a daily summary, with
no personal numbers in them.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db.models import F
from django.utils import timezone

from grassroots.cases.models import Case, Category, Urgency
from grassroots.cases.services import Party, ReportDetails, case_dispatch, case_report, case_urge
from grassroots.notify import channels, gateways, services
from grassroots.notify.models import Message, MessageChannel, MessageReason, MessageStatus
from grassroots.notify.worker import run_periodic
from tests.provider_servers import Aliyun, Tencent, WeComRobot

IMMEDIATE = {
    "default": {
        "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default", "notifications"],
    }
}
AUNT_LIU_PHONE = "13900001111"
FULL_PHONE = re.compile(r"1[3-9]\d{9}")
TEMPLATES = {
    "registered": {"code": "SMS_100001", "params": {"number": "case", "link": "link"}},
    "dispatched": {"code": "SMS_100002", "params": {"number": "case"}},
}
#: Per provider: a retryable code, a permanent code.
CODES = {
    "aliyun": ("isv.BUSINESS_LIMIT_CONTROL", "isv.MOBILE_NUMBER_ILLEGAL"),
    "tencent": ("RequestLimitExceeded", "InvalidParameterValue.IncorrectPhoneNumber"),
}


@pytest.fixture(autouse=True)
def channel_settings(settings, tmp_path, db):
    settings.TASKS = IMMEDIATE
    settings.GRASSROOTS_NOTIFY_OUTBOX = str(tmp_path / "outbox.log")
    settings.GRASSROOTS_NOTIFY_SMS = "console"
    settings.GRASSROOTS_NOTIFY_EMAIL = False
    settings.GRASSROOTS_PUBLIC_URL = "https://grassroots.example.org"
    settings.GRASSROOTS_NOTIFY_WEBHOOK_TIMEOUT = 2  # generous: a shared CI machine stalls
    settings.GRASSROOTS_NOTIFY_MAX_ATTEMPTS = 8
    settings.GRASSROOTS_SMS_SIGN_NAME = "和盛苑社区"
    settings.GRASSROOTS_SMS_TEMPLATES = json.dumps(TEMPLATES)
    settings.GRASSROOTS_SMS_RECEIPT_TOKEN = "receipt-secret-token"
    settings.GRASSROOTS_SMS_PER_PHONE_HOUR = 5
    settings.GRASSROOTS_WECOM_ROBOT_KEY = ""
    cache.clear()
    return settings


@pytest.fixture(params=["aliyun", "tencent"])
def gateway(request, channel_settings):
    """One SMS provider's local server, and the settings that point grassroots at it."""
    if request.param == "aliyun":
        server = Aliyun().start()
        channel_settings.GRASSROOTS_ALIYUN_SMS_ENDPOINT = server.url
        channel_settings.GRASSROOTS_ALIYUN_ACCESS_KEY_ID = server.key_id
        channel_settings.GRASSROOTS_ALIYUN_ACCESS_KEY_SECRET = server.secret
    else:
        server = Tencent().start()
        channel_settings.GRASSROOTS_TENCENT_SMS_ENDPOINT = server.url
        channel_settings.GRASSROOTS_TENCENT_SECRET_ID = server.secret_id
        channel_settings.GRASSROOTS_TENCENT_SECRET_KEY = server.secret_key
        channel_settings.GRASSROOTS_TENCENT_SMS_APP_ID = server.app_id
    channel_settings.GRASSROOTS_NOTIFY_SMS = request.param
    server.name = request.param
    yield server
    server.stop()


@pytest.fixture
def robot(channel_settings):
    server = WeComRobot().start()
    channel_settings.GRASSROOTS_WECOM_ROBOT_URL = server.url + "cgi-bin/webhook/send"
    channel_settings.GRASSROOTS_WECOM_ROBOT_KEY = server.key
    channel_settings.GRASSROOTS_WECOM_REASONS = ("urged", "overdue", "whistled", "summary")
    yield server
    server.stop()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    @contextmanager
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return run


@pytest.fixture
def plain(db) -> Category:
    return Category.objects.create(code="ch-water", name_zh="停水缺水", name_en="no water")


def aunt_liu_calls(community, socialworker, plain, committed, phone=AUNT_LIU_PHONE) -> Case:
    details = ReportDetails(
        category=plain,
        description=f"刘阿姨家中没有饮用水，电话{phone}",
        channel="phone",
        urgency=Urgency.URGENT,
        reporter_name="刘阿姨",
        reporter_phone=phone,
    )
    with committed():
        return case_report(actor=socialworker, community=community, details=details, register=True)


def sms_of(case: Case) -> Message:
    return Message.objects.get(case=case, channel=MessageChannel.SMS)


def retry_now(message: Message) -> services.Outcome:
    """The back-off has passed: the worker's next attempt."""
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    return services.deliver(message.pk)


def to(server, message: Message) -> list[dict]:
    """The SMS the provider really sent for this message (by our out-id)."""
    key = "OutId" if isinstance(server, Aliyun) else "SessionContext"
    return [sms for sms in server.accepted if sms.get(key) == f"grassroots-message-{message.pk}"]


def please_call(case: Case) -> list[Message]:
    return list(Message.objects.filter(case=case, reason=MessageReason.CALL))


# --- the SMS gateways -----------------------------------------------------------------------------------


def test_the_console_channel_stays_the_default(settings):
    del settings.GRASSROOTS_NOTIFY_SMS
    assert isinstance(channels.sms_channel(), channels.ConsoleChannel)


def test_aunt_liu_gets_her_registration_by_the_approved_template_once(
    gateway, community, socialworker, plain, committed
):
    case = aunt_liu_calls(community, socialworker, plain, committed)
    message = sms_of(case)
    assert message.status == MessageStatus.SENT and message.transport == gateway.name
    [sms] = to(gateway, message)
    assert gateway.refused == []
    assert message.provider_ref and message.provider_ref != "never"
    if gateway.name == "aliyun":
        assert sms["PhoneNumbers"] == AUNT_LIU_PHONE and sms["TemplateCode"] == "SMS_100001"
        assert sms["SignName"] == "和盛苑社区"
        params = json.loads(sms["TemplateParam"])
        assert params["number"] == case.number
        assert params["link"] == f"https://grassroots.example.org/portal/follow/{case.public_token}/"
    else:
        assert sms["PhoneNumberSet"] == [f"+86{AUNT_LIU_PHONE}"] and sms["TemplateId"] == "SMS_100001"
        assert sms["TemplateParamSet"] == [
            case.number,
            f"https://grassroots.example.org/portal/follow/{case.public_token}/",
        ]


def test_a_wrong_secret_is_refused_by_the_provider_and_retried(
    gateway, settings, community, socialworker, plain, committed
):
    if gateway.name == "aliyun":
        settings.GRASSROOTS_ALIYUN_ACCESS_KEY_SECRET = "not-the-secret"
    else:
        settings.GRASSROOTS_TENCENT_SECRET_KEY = "not-the-secret"
    case = aunt_liu_calls(community, socialworker, plain, committed)
    message = sms_of(case)
    assert gateway.refused == ["signature"] and gateway.accepted == []
    assert message.status == MessageStatus.QUEUED and message.next_attempt_at > timezone.now()
    assert "Signature" in message.last_error


def test_a_retryable_code_keeps_the_message_and_the_next_attempt_sends_it_once(
    gateway, community, socialworker, plain, committed
):
    retryable, _ = CODES[gateway.name]
    gateway.script = [retryable]
    case = aunt_liu_calls(community, socialworker, plain, committed)
    message = sms_of(case)
    assert message.status == MessageStatus.QUEUED and message.attempts == 1
    assert retryable in message.last_error and message.next_attempt_at > timezone.now()
    assert to(gateway, message) == []
    assert retry_now(message).status == "sent"
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 2
    assert len(to(gateway, message)) == 1
    assert services.deliver(message.pk).status == "skipped"  # a duplicate task sends nothing
    assert len(to(gateway, message)) == 1


def test_a_permanent_code_fails_the_message_now_and_asks_a_coordinator_to_call(
    gateway, community, socialworker, plain, committed
):
    _, permanent = CODES[gateway.name]
    gateway.script = [permanent]
    case = aunt_liu_calls(community, socialworker, plain, committed)
    message = sms_of(case)
    assert (
        message.status == MessageStatus.FAILED and message.attempts == 1 and message.next_attempt_at is None
    )
    assert permanent in message.last_error and not FULL_PHONE.search(message.last_error)
    assert [call.recipient for call in please_call(case)] == [socialworker]
    assert "139****1111" in please_call(case)[0].body


def test_an_answer_lost_after_the_provider_sent_it_is_not_sent_again(
    gateway, community, socialworker, plain, committed
):
    gateway.script = ["timeout"]  # accepted and sent; the answer comes after the client gave up
    case = aunt_liu_calls(community, socialworker, plain, committed)
    message = sms_of(case)
    assert message.status == MessageStatus.QUEUED and message.maybe_sent
    assert len(to(gateway, message)) == 1
    assert retry_now(message).status == "sent"
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and not message.maybe_sent
    assert len(to(gateway, message)) == 1, "the resident got the same SMS twice"
    assert message.provider_ref == to(gateway, message)[0].get(
        "BizId", to(gateway, message)[0].get("SerialNo")
    )


def test_a_timeout_that_sent_nothing_is_sent_on_the_next_attempt(
    gateway, community, socialworker, plain, committed
):
    gateway.script = ["lost"]  # too late, and nothing went out
    case = aunt_liu_calls(community, socialworker, plain, committed)
    message = sms_of(case)
    assert message.status == MessageStatus.QUEUED and to(gateway, message) == []
    if gateway.name == "tencent":
        # Tencent lists an SMS only once its report is in: the retry waits for the report first.
        assert retry_now(message).status == "retry" and to(gateway, message) == []
        message.refresh_from_db()
        assert message.next_attempt_at == message.created_at + gateways.REPORT_WAIT and message.attempts == 1
        Message.objects.filter(pk=message.pk).update(created_at=F("created_at") - gateways.REPORT_WAIT)
    assert retry_now(message).status == "sent"
    assert len(to(gateway, message)) == 1


def test_a_gateway_that_cannot_be_reached_keeps_the_message_until_it_fails_for_good(
    gateway, settings, community, socialworker, plain, committed
):
    settings.GRASSROOTS_NOTIFY_MAX_ATTEMPTS = 2
    gateway.stop()
    case = aunt_liu_calls(community, socialworker, plain, committed)
    message = sms_of(case)
    assert message.status == MessageStatus.QUEUED and "unreachable" in message.last_error
    assert retry_now(message).status == "failed"
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and please_call(case)


def test_a_reason_without_an_approved_template_is_failed_and_shows_as_please_call(
    gateway, settings, community, socialworker, plain, committed
):
    settings.GRASSROOTS_SMS_TEMPLATES = json.dumps({"dispatched": TEMPLATES["dispatched"]})
    case = aunt_liu_calls(community, socialworker, plain, committed)
    message = sms_of(case)
    assert message.status == MessageStatus.FAILED and "no approved SMS template" in message.last_error
    assert "registered" in message.last_error
    assert gateway.requests == []  # nothing was sent to the provider
    assert please_call(case)


def test_one_phone_gets_at_most_the_hourly_limit_and_the_rest_wait(
    gateway, settings, community, socialworker, plain, committed
):
    settings.GRASSROOTS_SMS_PER_PHONE_HOUR = 2
    cases = [aunt_liu_calls(community, socialworker, plain, committed) for _ in range(3)]
    messages = [sms_of(case) for case in cases]
    assert [m.status for m in messages] == [MessageStatus.SENT, MessageStatus.SENT, MessageStatus.QUEUED]
    waiting = messages[2]
    next_hour = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    assert waiting.next_attempt_at == next_hour and waiting.attempts == 0
    assert len(gateway.accepted) == 2
    assert services.deliver(waiting.pk).status == "skipped"  # not due yet
    # Another resident is not held up by Aunt Liu's limit.
    other = aunt_liu_calls(community, socialworker, plain, committed, phone="13900002222")
    assert sms_of(other).status == MessageStatus.SENT


# --- delivery receipts ----------------------------------------------------------------------------------


RECEIPT_TOKEN = "receipt-secret-token"


def receipt(client, provider: str, body, token: str = RECEIPT_TOKEN):
    return client.post(
        f"/notifications/receipts/{provider}/{token}/",
        data=json.dumps(body, ensure_ascii=False),
        content_type="application/json",
    )


def report_for(provider: str, message: Message, *, ok: bool) -> list[dict]:
    if provider == "aliyun":
        return [
            {
                "phone_number": AUNT_LIU_PHONE,
                "send_time": "2026-12-04 10:00:00",
                "report_time": "2026-12-04 10:00:08",
                "success": ok,
                "err_code": "DELIVERED" if ok else "MK:0012",
                "err_msg": "用户接收成功" if ok else "空号",
                "sms_size": "1",
                "biz_id": message.provider_ref,
                "out_id": f"grassroots-message-{message.pk}",
            }
        ]
    return [
        {
            "user_receive_time": "2026-12-04 10:00:08",
            "nationcode": "86",
            "mobile": AUNT_LIU_PHONE,
            "report_status": "SUCCESS" if ok else "FAIL",
            "errmsg": "DELIVRD" if ok else "MN:0001",
            "description": "用户短信送达成功" if ok else "空号",
            "sid": message.provider_ref,
        }
    ]


def test_a_delivery_report_marks_the_sms_delivered(
    gateway, client, community, socialworker, plain, committed
):
    message = sms_of(aunt_liu_calls(community, socialworker, plain, committed))
    answer = receipt(client, gateway.name, report_for(gateway.name, message, ok=True))
    assert answer.status_code == 200
    assert answer.json() == (
        {"code": 0, "msg": "成功"} if gateway.name == "aliyun" else {"result": 0, "errmsg": "OK"}
    )
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED and message.delivered_at is not None
    # The same report again changes nothing.
    assert receipt(client, gateway.name, report_for(gateway.name, message, ok=True)).status_code == 200


# Aliyun's report names our OutId; Tencent's callback names only the SerialNo, which the lost answer held.
@pytest.mark.parametrize("gateway", ["aliyun"], indirect=True)
def test_the_report_of_an_attempt_whose_answer_was_lost_settles_it(
    gateway, client, community, socialworker, plain, committed
):
    gateway.script = ["timeout"]
    message = sms_of(aunt_liu_calls(community, socialworker, plain, committed))
    assert message.status == MessageStatus.QUEUED and message.maybe_sent
    report = report_for(gateway.name, message, ok=True)
    report[0]["biz_id"] = gateway.accepted[0]["BizId"]
    assert receipt(client, gateway.name, report).status_code == 200
    message.refresh_from_db()
    assert (
        message.status == MessageStatus.DELIVERED and message.transport == "aliyun" and not message.maybe_sent
    )
    assert retry_now(message).status == "skipped"
    assert len(to(gateway, message)) == 1


def test_a_failed_report_fails_the_sms_with_the_providers_code_and_asks_to_call(
    gateway, client, community, socialworker, plain, committed
):
    case = aunt_liu_calls(community, socialworker, plain, committed)
    message = sms_of(case)
    assert receipt(client, gateway.name, report_for(gateway.name, message, ok=False)).status_code == 200
    message.refresh_from_db()
    code = "MK:0012" if gateway.name == "aliyun" else "MN:0001"
    assert message.status == MessageStatus.FAILED and code in message.last_error
    assert please_call(case)


def test_a_report_without_the_token_or_with_bad_json_changes_nothing(
    gateway, client, settings, community, socialworker, plain, committed
):
    message = sms_of(aunt_liu_calls(community, socialworker, plain, committed))
    body = report_for(gateway.name, message, ok=True)
    assert receipt(client, gateway.name, body, token="guessed").status_code == 404
    assert client.get(f"/notifications/receipts/{gateway.name}/receipt-secret-token/").status_code == 405
    bad = client.post(
        f"/notifications/receipts/{gateway.name}/receipt-secret-token/",
        data="{",
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert receipt(client, "nobody", body).status_code == 404
    settings.GRASSROOTS_SMS_RECEIPT_TOKEN = ""
    assert receipt(client, gateway.name, body, token="").status_code == 404
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT


# --- the WeCom group robot ----------------------------------------------------------------------------


def group_messages(case=None):
    found = Message.objects.filter(channel=MessageChannel.WECOM)
    return list(found.filter(case=case) if case is not None else found)


def test_an_urge_reaches_the_group_as_markdown_without_personal_numbers(
    robot, community, socialworker, secretary, gridworker, plain, committed
):
    case = aunt_liu_calls(community, socialworker, plain, committed)
    with committed():
        case = case_dispatch(actor=socialworker, case=case, lead=Party("user", gridworker.pk))
        case_urge(actor=secretary, case=case, note="请尽快处理，刘阿姨电话13900001111")
    [message] = group_messages(case)
    assert message.reason == "urged" and message.status == MessageStatus.SENT and message.transport == "wecom"
    [post] = robot.accepted
    content = post["markdown"]["content"]
    assert post["msgtype"] == "markdown" and case.number in content and "督办" in content
    assert not FULL_PHONE.search(content) and "刘阿姨家中" not in content  # no description, no phone
    assert "139****1111" in content  # the note's number, masked
    assert f"https://grassroots.example.org/cases/{case.number}/" in content


def test_reasons_not_wired_to_the_group_stay_out_of_it(
    robot, settings, community, socialworker, plain, committed
):
    settings.GRASSROOTS_WECOM_REASONS = ("overdue",)
    aunt_liu_calls(community, socialworker, plain, committed)  # "registered": not for the group
    assert group_messages() == [] and robot.requests == []


def test_the_robots_rate_limit_is_retried_and_an_invalid_key_fails_for_good(
    robot, settings, community, socialworker, secretary, plain, committed
):
    case = aunt_liu_calls(community, socialworker, plain, committed)
    robot.script = ["45009"]
    with committed():
        case_urge(actor=secretary, case=case, note="第一次督办")
    [message] = group_messages(case)
    assert message.status == MessageStatus.QUEUED and "45009" in message.last_error
    assert retry_now(message).status == "sent" and len(robot.accepted) == 1

    settings.GRASSROOTS_WECOM_ROBOT_KEY = "a-key-wecom-does-not-know"
    other = aunt_liu_calls(community, socialworker, plain, committed, phone="13900002222")
    with committed():
        case_urge(actor=secretary, case=other, note="另一件督办")
    second = Message.objects.filter(channel=MessageChannel.WECOM).latest("pk")
    assert second.status == MessageStatus.FAILED and "93000" in second.last_error and second.attempts == 1
    assert len(robot.accepted) == 1


def test_a_robot_timeout_is_retried_and_the_alert_is_not_lost(
    robot, community, socialworker, secretary, plain, committed
):
    case = aunt_liu_calls(community, socialworker, plain, committed)
    robot.script = ["lost"]
    with committed():
        case_urge(actor=secretary, case=case, note="督办")
    [message] = group_messages(case)
    assert message.status == MessageStatus.QUEUED and robot.accepted == []
    assert retry_now(message).status == "sent" and len(robot.accepted) == 1


def test_the_daily_summary_is_posted_once_a_day_after_its_hour(
    robot, settings, community, socialworker, plain, committed, django_capture_on_commit_callbacks
):
    aunt_liu_calls(community, socialworker, plain, committed)
    settings.GRASSROOTS_WECOM_SUMMARY_HOUR = 18
    morning = timezone.localtime().replace(hour=9, minute=0)
    evening = morning.replace(hour=19)
    assert services.post_daily_summary(now=morning) is None
    with django_capture_on_commit_callbacks(execute=True):
        first = services.post_daily_summary(now=evening)
        again = services.post_daily_summary(now=evening + timedelta(hours=2))
    assert first is not None and again is None
    summary = Message.objects.get(pk=first)
    assert summary.status == MessageStatus.SENT and summary.reason == "summary"
    [post] = robot.accepted
    assert "每日汇总" in post["markdown"]["content"] and community.name in post["markdown"]["content"]
    assert not FULL_PHONE.search(post["markdown"]["content"])


def test_the_summary_is_a_periodic_job(robot, settings, db):
    settings.GRASSROOTS_WECOM_SUMMARY_HOUR = 0
    assert run_periodic()["summary"] == 1
    assert run_periodic()["summary"] == 0
    assert Message.objects.filter(reason="summary").count() == 1


def test_without_a_robot_key_nothing_is_written_for_the_group(
    settings, community, socialworker, plain, committed
):
    settings.GRASSROOTS_WECOM_SUMMARY_HOUR = 0
    aunt_liu_calls(community, socialworker, plain, committed)
    assert services.post_daily_summary() is None and group_messages() == []


def test_the_templates_setting_reads_json_and_ignores_rubbish(settings):
    settings.GRASSROOTS_SMS_TEMPLATES = "not json"
    assert gateways.templates() == {}
    settings.GRASSROOTS_SMS_TEMPLATES = {"closed": {"code": "SMS_9", "params": {"n": "case"}}, "bad": {}}
    assert gateways.templates() == {"closed": gateways.Template(code="SMS_9", params={"n": "case"})}


def test_an_overdue_case_is_announced_in_the_group_once(
    robot, community, socialworker, secretary, plain, committed
):
    from grassroots.cases.tasks import sweep_overdue

    case = aunt_liu_calls(community, socialworker, plain, committed)
    Case.objects.filter(pk=case.pk).update(resolution_due=timezone.now() - timedelta(hours=1))
    with committed():
        assert sweep_overdue() == [case.pk]
        assert sweep_overdue() == []
    [message] = group_messages(case)
    assert message.reason == "overdue" and message.status == MessageStatus.SENT
    [post] = robot.accepted
    assert "超期" in post["markdown"]["content"] and case.number in post["markdown"]["content"]
    assert Message.objects.filter(case=case, reason="overdue", recipient=secretary).exists()  # the legs too


def test_the_system_check_names_what_a_gateway_lacks(settings):
    from grassroots.notify.apps import check_notify_settings

    settings.GRASSROOTS_NOTIFY_SMS = "tencent"
    settings.GRASSROOTS_TENCENT_SECRET_ID = ""
    settings.GRASSROOTS_SMS_TEMPLATES = ""
    found = {problem.id: problem.msg for problem in check_notify_settings()}
    assert set(found) == {"grassroots.notify.W004", "grassroots.notify.W005"}
    assert "GRASSROOTS_TENCENT_SECRET_ID" in found["grassroots.notify.W004"]
    settings.GRASSROOTS_NOTIFY_SMS = "console"
    assert check_notify_settings() == []


def test_a_link_whose_token_begins_with_digits_is_not_masked_as_a_phone(settings):
    link = "https://grassroots.example.org/portal/follow/13938928316d1d6e2867a9b6/"
    assert channels.scrub_phones(f"进度：{link} 电话13900001111") == f"进度：{link} 电话139****1111"


def test_text_right_after_a_link_is_still_scrubbed():
    text = "见 https://grassroots.example.org/cases/HSY-1/，刘阿姨电话13900001111"
    assert (
        channels.scrub_phones(text) == "见 https://grassroots.example.org/cases/HSY-1/，刘阿姨电话139****1111"
    )
