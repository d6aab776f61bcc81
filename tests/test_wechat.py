"""The WeChat Official Account: Granny Wang's grandson binds her phone, writes about her burst pipe, and
hears how it goes by template messages.

The callbacks are built as WeChat builds them (the SHA-1 signature; in the safe mode, the AES
encryption and msg_signature) with wechatpy's own crypto, and the API calls go to a local server that
speaks WeChat's protocol (tests/provider_servers.WeChatApi): tokens, template messages, media.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import re
import time
from datetime import timedelta

import pytest
import xmltodict
from django.core.cache import cache
from django.utils import timezone, translation
from PIL import Image
from wechatpy.crypto import WeChatCrypto

from grassroots.cases.models import Case
from grassroots.cases.services import Party, case_acknowledge, case_dispatch, case_register, case_resolve
from grassroots.cases.workflow import Status
from grassroots.notify import services
from grassroots.notify.models import Message, MessageChannel, MessageReason, MessageStatus
from grassroots.wechat import services as wechat
from grassroots.wechat.models import BindingRequest, Follower, Inbound, openid_hash
from tests.provider_servers import WeChatApi

IMMEDIATE = {
    "default": {
        "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default", "notifications"],
    }
}
TOKEN = "callback-token"
AES_KEY = base64.b64encode(hashlib.sha256(b"grassroots-test").digest()).decode().rstrip("=")
APP_ID = "wx-test-app-id"
OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
GRANNY_PHONE = "13812345678"
TEMPLATES = {
    "registered": {
        "id": "TPL-REGISTERED",
        "data": {"keyword1": "case", "keyword2": "status", "keyword3": "time"},
    },
    "resolved": {"id": "TPL-RESOLVED", "data": {"keyword1": "case", "keyword2": "status"}},
}


@pytest.fixture(autouse=True)
def wechat_settings(settings, tmp_path, community, db):
    settings.TASKS = IMMEDIATE
    settings.GRASSROOTS_NOTIFY_OUTBOX = str(tmp_path / "outbox.log")
    settings.GRASSROOTS_NOTIFY_SMS = "console"
    settings.GRASSROOTS_NOTIFY_EMAIL = False
    settings.GRASSROOTS_PUBLIC_URL = "https://grassroots.example.org"
    settings.GRASSROOTS_NOTIFY_WEBHOOK_TIMEOUT = 2
    settings.GRASSROOTS_WECOM_ROBOT_KEY = ""
    settings.GRASSROOTS_WECHAT_TOKEN = TOKEN
    settings.GRASSROOTS_WECHAT_ENCODING_AES_KEY = AES_KEY
    settings.GRASSROOTS_WECHAT_APP_ID = APP_ID
    settings.GRASSROOTS_WECHAT_COMMUNITY = community.code
    settings.GRASSROOTS_WECHAT_TEMPLATES = json.dumps(TEMPLATES)
    settings.GRASSROOTS_WECHAT_THREAD_HOURS = 2
    cache.clear()
    return settings


@pytest.fixture
def api(wechat_settings):
    server = WeChatApi().start()
    server.followers.add(OPENID)
    wechat_settings.GRASSROOTS_WECHAT_API_URL = server.url.rstrip("/")
    wechat_settings.GRASSROOTS_WECHAT_APP_SECRET = server.secret
    yield server
    server.stop()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


# --- building callbacks as WeChat does ------------------------------------------------------------


def _signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324 - WeChat's own scheme


def message_xml(*, kind: str = "text", msg_id: int = 1001, openid: str = OPENID, **fields) -> str:
    body = {
        "ToUserName": "gh_community",
        "FromUserName": openid,
        "CreateTime": int(time.time()),
        "MsgType": kind,
    }
    body.update(fields)
    if kind != "event":
        body["MsgId"] = msg_id
    return xmltodict.unparse({"xml": body}, full_document=False)


class WeChat:
    """WeChat's side of the callback: signs (and in the safe mode encrypts) what it posts."""

    def __init__(self, client, *, token: str = TOKEN, safe: bool = True, capture=None):
        self.client, self.token, self.safe, self.capture = client, token, safe, capture
        self.crypto = WeChatCrypto(token, AES_KEY, APP_ID)

    def query(self, *, timestamp: str | None = None, nonce: str = "nonce123") -> dict:
        timestamp = timestamp or str(int(time.time()))
        return {"timestamp": timestamp, "nonce": nonce, "signature": _signature(self.token, timestamp, nonce)}

    def post(self, xml: str, *, timestamp: str | None = None, tamper: bool = False):
        query = self.query(timestamp=timestamp)
        body = xml
        if self.safe:
            sealed = xmltodict.parse(self.crypto.encrypt_message(xml, query["nonce"], query["timestamp"]))[
                "xml"
            ]
            query.update(encrypt_type="aes", msg_signature=sealed["MsgSignature"])
            if tamper:
                query["msg_signature"] = "0" * 40
            body = xmltodict.unparse({"xml": {"ToUserName": "gh_community", "Encrypt": sealed["Encrypt"]}})
        path = "/wechat/callback/?" + "&".join(f"{k}={v}" for k, v in query.items())
        if self.capture is None:
            started = time.monotonic()
            response = self.client.post(path, data=body, content_type="text/xml")
            response.elapsed = time.monotonic() - started
        else:  # as in production: what the request queued after its commit runs (an SMS, a photo)
            with self.capture(execute=True):
                started = time.monotonic()
                response = self.client.post(path, data=body, content_type="text/xml")
                response.elapsed = time.monotonic() - started  # the reply's time; queued work runs after
        response.query = query
        return response

    def reply(self, response) -> dict:
        """The passive reply, decrypted (safe mode) and parsed."""
        assert response.status_code == 200, response.content
        text = response.content.decode()
        if self.safe:
            sealed = xmltodict.parse(text)["xml"]
            q = response.query
            text = self.crypto.decrypt_message(text, sealed["MsgSignature"], sealed["TimeStamp"], q["nonce"])
        return xmltodict.parse(text)["xml"]

    def say(self, text: str, *, msg_id: int, openid: str = OPENID) -> str:
        return self.reply(self.post(message_xml(Content=text, msg_id=msg_id, openid=openid)))["Content"]


@pytest.fixture
def weixin(client, django_capture_on_commit_callbacks):
    return WeChat(client, capture=django_capture_on_commit_callbacks)


def bound(person, openid: str = OPENID) -> Follower:
    return Follower.objects.create(
        community=person.community, person=person, openid=openid, openid_hash=openid_hash(openid)
    )


def code_sent_to(phone_masked: str = "138****5678") -> str:
    sms = Message.objects.filter(reason=MessageReason.VERIFY, address_masked=phone_masked).latest("pk")
    return re.search(r"验证码(\d{6})", sms.body).group(1)


def jpeg(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "blue").save(out, "JPEG")
    return out.getvalue()


# --- the callback: signatures and the safe mode ------------------------------------------------------


def test_the_console_check_gets_its_echostr_back_only_with_the_right_signature(client, weixin):
    query = weixin.query()
    answer = client.get("/wechat/callback/", {**query, "echostr": "5837397520652788"})
    assert answer.status_code == 200 and answer.content == b"5837397520652788"
    query["signature"] = "0" * 40
    assert client.get("/wechat/callback/", {**query, "echostr": "x"}).status_code == 403


@pytest.mark.parametrize("how", ["signature", "msg_signature", "stale"])
def test_a_callback_that_is_not_wechats_is_refused_and_makes_no_case(client, granny_wang, how):
    bound(granny_wang)
    xml = message_xml(Content="水管爆了")
    if how == "signature":
        answer = WeChat(client, token="not-our-token").post(xml)
    elif how == "msg_signature":
        answer = WeChat(client).post(xml, tamper=True)
    else:
        answer = WeChat(client).post(xml, timestamp=str(int(time.time()) - 3600))
    assert answer.status_code == 403
    assert Case.objects.count() == 0 and Inbound.objects.count() == 0


def test_in_the_safe_mode_a_plain_message_is_refused(client, granny_wang):
    bound(granny_wang)
    answer = WeChat(client, safe=False).post(message_xml(Content="水管爆了"))
    assert answer.status_code == 403 and Case.objects.count() == 0


def test_the_plain_mode_works_when_no_aes_key_is_configured(client, settings, granny_wang, household_a):
    settings.GRASSROOTS_WECHAT_ENCODING_AES_KEY = ""
    bound(granny_wang)
    plain = WeChat(client, safe=False)
    reply = plain.say("楼道灯坏了", msg_id=7)
    case = Case.objects.get()
    assert case.number in reply and case.reporter_person == granny_wang


def test_rubbish_bodies_are_answered_400_never_500(client, weixin):
    query = weixin.query()
    for body in ("not xml", "<xml><Encrypt>!!notbase64</Encrypt></xml>", ""):
        path = "/wechat/callback/?" + "&".join(
            f"{k}={v}"
            for k, v in {
                **query,
                "encrypt_type": "aes",
                "msg_signature": _signature(TOKEN, query["timestamp"], query["nonce"], "!!notbase64"),
            }.items()
        )
        answer = client.post(path, data=body, content_type="text/xml")
        assert 400 <= answer.status_code < 500, (body, answer.status_code)


def test_without_configuration_the_callback_does_not_exist(client, settings, weixin):
    settings.GRASSROOTS_WECHAT_TOKEN = ""
    assert client.get("/wechat/callback/", weixin.query()).status_code == 404


# --- messages become cases ----------------------------------------------------------------------------


def test_a_bound_followers_message_becomes_the_residents_case_with_the_number_in_an_encrypted_reply(
    weixin, granny_wang, household_a, caplog
):
    bound(granny_wang)
    caplog.set_level(logging.DEBUG)
    weixin.client.get("/wechat/callback/", weixin.query())  # the process's first request loads the URLconf
    answer = weixin.post(message_xml(Content="我家水管爆了，没人修", msg_id=2001))
    assert answer.elapsed < 5, "WeChat gives up on a reply after five seconds"
    print(f"callback answered in {answer.elapsed:.3f} s")
    assert b"<Encrypt>" in answer.content and "水管".encode() not in answer.content  # the reply is sealed
    reply = weixin.reply(answer)
    case = Case.objects.get()
    assert reply["ToUserName"] == OPENID and reply["MsgType"] == "text"
    assert case.number in reply["Content"] and "已收到" in reply["Content"]
    assert case.reporter_person == granny_wang and case.household == household_a
    assert case.channel == "wechat" and case.status == Status.REPORTED and case.category.code == "other"
    assert case.description == "我家水管爆了，没人修"
    assert OPENID not in caplog.text  # an OpenID is an identifier: never logged


def test_the_same_message_delivered_again_makes_one_case_and_the_same_reply(weixin, granny_wang):
    bound(granny_wang)
    first = weixin.say("水管爆了", msg_id=3001)
    again = weixin.say("水管爆了", msg_id=3001)
    assert first == again and Case.objects.count() == 1 and Inbound.objects.count() == 1


def test_a_second_message_while_the_case_is_handled_adds_to_it_and_a_later_one_opens_another(
    weixin, granny_wang, socialworker
):
    follower = bound(granny_wang)
    weixin.say("水管爆了", msg_id=4001)
    case = Case.objects.get()
    case_register(actor=socialworker, case=case)
    reply = weixin.say("在4号楼2单元", msg_id=4002)
    assert Case.objects.count() == 1 and case.number in reply and "补充" in reply
    assert case.events.filter(action="note", note="在4号楼2单元").exists()
    # Three hours later it is a new message about something else.
    Follower.objects.filter(pk=follower.pk).update(last_message_at=timezone.now() - timedelta(hours=3))
    weixin.say("楼下路灯不亮", msg_id=4003)
    assert Case.objects.count() == 2


def test_a_message_after_the_case_was_resolved_opens_a_new_one(weixin, granny_wang):
    bound(granny_wang)
    weixin.say("水管爆了", msg_id=4101)
    Case.objects.update(status=Status.RESOLVED)
    weixin.say("又漏了", msg_id=4102)
    assert Case.objects.count() == 2


def test_an_unbound_follower_is_told_how_to_bind_and_no_case_is_made(weixin, granny_wang):
    reply = weixin.say("水管爆了", msg_id=5001)
    assert "绑定" in reply and "110" in reply
    assert Case.objects.count() == 0


def test_a_subscriber_is_greeted_with_how_to_bind(weixin):
    reply = weixin.reply(weixin.post(message_xml(kind="event", Event="subscribe")))
    assert "绑定 手机号码" in reply["Content"]


def test_a_photo_is_fetched_from_the_media_endpoint_into_the_cases_attachments(api, weixin, granny_wang):
    bound(granny_wang)
    api.media["MEDIA_1"] = (jpeg(), "image/jpeg")
    answer = weixin.post(message_xml(kind="image", MediaId="MEDIA_1", PicUrl="http://mmbiz/x", msg_id=6001))
    print(f"callback with a photo answered in {answer.elapsed:.3f} s")
    reply = weixin.reply(answer)
    case = Case.objects.get()
    assert case.number in reply["Content"]
    [attachment] = case.attachments.all()
    assert attachment.content_type == "image/jpeg" and attachment.size == len(api.media["MEDIA_1"][0])
    assert api.requests == [{"media_id": "MEDIA_1"}]


@pytest.mark.parametrize("what", ["too large", "not a photo", "expired"])
def test_a_photo_that_cannot_be_taken_leaves_a_note_for_staff(api, weixin, granny_wang, settings, what):
    bound(granny_wang)
    settings.GRASSROOTS_MAX_UPLOAD_BYTES = 1024 * 1024
    if what == "too large":
        api.media["M"] = (b"\xff\xd8" + b"0" * (2 * 1024 * 1024), "image/jpeg")
    elif what == "not a photo":
        api.media["M"] = (b"MZ\x90\x00 an executable", "image/jpeg")
    weixin.post(message_xml(kind="image", MediaId="M", msg_id=6101))
    case = Case.objects.get()
    assert case.attachments.count() == 0
    assert case.events.filter(action="note", note__contains="未能取回", public=False).exists()


# --- binding -----------------------------------------------------------------------------------------


def test_binding_by_phone_and_the_code_sent_by_sms(weixin, granny_wang, tmp_path):
    reply = weixin.say(f"绑定 {GRANNY_PHONE}", msg_id=7001)
    assert "138****5678" in reply and GRANNY_PHONE not in reply
    sms = Message.objects.get(reason=MessageReason.VERIFY)
    assert sms.channel == MessageChannel.SMS and sms.status == MessageStatus.SENT  # the SMS channel's path
    assert sms.deliverable_address() == GRANNY_PHONE and sms.address_masked == "138****5678"
    request = BindingRequest.objects.get()
    code = code_sent_to()
    assert code not in request.code_hash and request.person == granny_wang
    outbox = (tmp_path / "outbox.log").read_text()
    assert len(outbox.splitlines()) == 1 and code in outbox  # the console transport, as configured
    reply = weixin.say(code, msg_id=7002)
    assert "绑定成功" in reply
    follower = Follower.objects.get()
    assert follower.person == granny_wang and follower.openid == OPENID
    weixin.say("水管爆了", msg_id=7003)
    assert Case.objects.get().reporter_person == granny_wang


def test_the_openid_is_stored_sealed(granny_wang):
    from django.db import connection

    follower = bound(granny_wang)
    with connection.cursor() as cursor:
        cursor.execute("SELECT openid FROM wechat_follower WHERE id = %s", [follower.pk])
        stored = cursor.fetchone()[0]
    assert OPENID not in stored and Follower.objects.get().openid == OPENID


def test_a_wrong_code_counts_a_try_and_five_end_the_request(weixin, granny_wang):
    weixin.say(f"绑定 {GRANNY_PHONE}", msg_id=7101)
    code = code_sent_to()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert "还可以再试4次" in weixin.say(wrong, msg_id=7102)
    for n in range(3):
        weixin.say(wrong, msg_id=7103 + n)
    assert "次数过多" in weixin.say(wrong, msg_id=7110)
    # The right code no longer opens it.
    assert "绑定成功" not in weixin.say(code, msg_id=7111)
    assert Follower.objects.count() == 0


def test_an_expired_code_is_refused(weixin, granny_wang):
    weixin.say(f"绑定 {GRANNY_PHONE}", msg_id=7201)
    code = code_sent_to()
    BindingRequest.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert "已过期" in weixin.say(code, msg_id=7202)
    assert Follower.objects.count() == 0


def test_a_number_not_in_the_register_gets_the_same_reply_and_no_sms(weixin, granny_wang):
    known = weixin.say(f"绑定 {GRANNY_PHONE}", msg_id=7301, openid="o-someone")
    unknown = weixin.say("绑定 13900009999", msg_id=7302)
    assert unknown.replace("139****9999", "X") == known.replace("138****5678", "X")
    assert Message.objects.filter(reason=MessageReason.VERIFY).count() == 1  # only Granny Wang's phone
    assert "不正确" in weixin.say("123456", msg_id=7303)  # no code opens a request without a resident


def test_codes_are_limited_per_follower_and_per_phone(weixin, granny_wang):
    for n in range(wechat.CODES_PER_HOUR):
        weixin.say(f"绑定 {GRANNY_PHONE}", msg_id=7400 + n)
    assert "频繁" in weixin.say(f"绑定 {GRANNY_PHONE}", msg_id=7410)
    assert "频繁" in weixin.say(f"绑定 {GRANNY_PHONE}", msg_id=7411, openid="o-another-follower")
    assert Message.objects.filter(reason=MessageReason.VERIFY).count() == wechat.CODES_PER_HOUR


def test_unbinding_and_unsubscribing_delete_the_binding(weixin, granny_wang):
    bound(granny_wang)
    assert "已解除绑定" in weixin.say("解绑", msg_id=7501)
    assert Follower.objects.count() == 0
    bound(granny_wang)
    assert weixin.post(message_xml(kind="event", Event="unsubscribe")).content == b"success"
    assert Follower.objects.count() == 0
    assert "绑定" in weixin.say("水管爆了", msg_id=7502) and Case.objects.count() == 0


# --- template messages: the progress reaches the follower ------------------------------------------------


def granny_reports(weixin, granny_wang, committed, text="水管爆了", msg_id=8001) -> Case:
    bound(granny_wang)
    weixin.say(text, msg_id=msg_id)
    return Case.objects.get()


def wechat_messages(case) -> list[Message]:
    return list(Message.objects.filter(case=case, channel=MessageChannel.WECHAT).order_by("pk"))


def retry_now(message: Message) -> services.Outcome:
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    return services.deliver(message.pk)


def test_registration_and_resolution_are_pushed_as_template_messages_instead_of_sms(
    api, weixin, granny_wang, socialworker, gridworker, committed
):
    case = granny_reports(weixin, granny_wang, committed)
    with committed():
        case_register(actor=socialworker, case=case)
    [message] = wechat_messages(case)
    assert message.status == MessageStatus.SENT and message.transport == "wechat"
    assert not Message.objects.filter(case=case, channel=MessageChannel.SMS).exists()
    [sent] = api.accepted
    assert message.provider_ref == str(sent["msgid"])
    assert sent["touser"] == OPENID and sent["template_id"] == "TPL-REGISTERED"
    assert sent["data"]["keyword1"]["value"] == case.number
    with translation.override("zh-hans"):
        assert sent["data"]["keyword2"]["value"] == str(Case.objects.get().get_status_display())
    assert sent["url"] == f"https://grassroots.example.org/portal/follow/{case.public_token}/"
    assert OPENID not in message.address_masked and OPENID not in message.recipient_key
    assert api.tokens == ["token-1"]  # fetched once, cached for the next message
    with committed():
        case = case_dispatch(actor=socialworker, case=case, lead=Party("user", gridworker.pk))
        case = case_acknowledge(actor=gridworker, case=case)
        case_resolve(actor=gridworker, case=case, report="已更换水管")
    assert [sent["template_id"] for sent in api.accepted] == ["TPL-REGISTERED", "TPL-RESOLVED"]
    assert api.tokens == ["token-1"]


def test_a_reason_without_a_template_goes_by_sms_as_before(
    api, weixin, granny_wang, socialworker, settings, committed
):
    settings.GRASSROOTS_WECHAT_TEMPLATES = json.dumps({"resolved": TEMPLATES["resolved"]})
    case = granny_reports(weixin, granny_wang, committed)
    with committed():
        case_register(actor=socialworker, case=case)
    assert wechat_messages(case) == []
    assert Message.objects.filter(case=case, channel=MessageChannel.SMS, reason="registered").exists()


def test_an_expired_token_is_fetched_again_once_and_the_message_goes_once(
    api, weixin, granny_wang, socialworker, committed
):
    case = granny_reports(weixin, granny_wang, committed)
    wechat.account_community()  # warm
    api.script = ["42001"]
    with committed():
        case_register(actor=socialworker, case=case)
    [message] = wechat_messages(case)
    assert message.status == MessageStatus.SENT and message.attempts == 1
    assert api.tokens == ["token-1", "token-2"] and len(api.accepted) == 1


def test_a_token_refused_again_after_the_refresh_is_retried_later(
    api, weixin, granny_wang, socialworker, committed
):
    case = granny_reports(weixin, granny_wang, committed)
    api.script = ["42001", "42001"]
    with committed():
        case_register(actor=socialworker, case=case)
    [message] = wechat_messages(case)
    assert message.status == MessageStatus.QUEUED and "refresh" in message.last_error
    assert len(api.tokens) == 2 and api.accepted == []  # refreshed once, not in a loop
    assert retry_now(message).status == "sent" and len(api.accepted) == 1


@pytest.mark.parametrize("code", ["45009", "-1"])
def test_quota_and_busy_are_retried_and_sent_once(api, weixin, granny_wang, socialworker, committed, code):
    case = granny_reports(weixin, granny_wang, committed)
    api.script = [code]
    with committed():
        case_register(actor=socialworker, case=case)
    [message] = wechat_messages(case)
    assert message.status == MessageStatus.QUEUED and code in message.last_error and api.accepted == []
    assert retry_now(message).status == "sent"
    assert services.deliver(message.pk).status == "skipped"
    assert len(api.accepted) == 1


def test_a_follower_who_unsubscribed_fails_for_good_and_a_coordinator_is_asked_to_call(
    api, weixin, granny_wang, socialworker, committed
):
    case = granny_reports(weixin, granny_wang, committed)
    api.script = ["43004"]
    with committed():
        case_register(actor=socialworker, case=case)
    [message] = wechat_messages(case)
    assert message.status == MessageStatus.FAILED and "43004" in message.last_error and message.attempts == 1
    assert Message.objects.filter(case=case, reason=MessageReason.CALL, recipient=socialworker).exists()


def test_a_follower_who_unbound_before_the_message_left_is_not_written_to(
    api, weixin, granny_wang, socialworker, committed, settings
):
    case = granny_reports(weixin, granny_wang, committed)
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.dummy.DummyBackend",
            "QUEUES": ["default", "notifications"],
        }
    }
    with committed():
        case_register(actor=socialworker, case=case)
    [message] = wechat_messages(case)
    Follower.objects.all().delete()
    services.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and "no longer bound" in message.last_error
    assert api.requests == []


def test_a_lost_answer_is_sent_again_at_least_once(api, weixin, granny_wang, socialworker, committed):
    case = granny_reports(weixin, granny_wang, committed)
    api.script = ["lost"]
    with committed():
        case_register(actor=socialworker, case=case)
    [message] = wechat_messages(case)
    assert message.status == MessageStatus.QUEUED and message.maybe_sent and api.accepted == []
    assert retry_now(message).status == "sent" and len(api.accepted) == 1


def test_the_template_job_report_marks_the_message_delivered(
    api, weixin, granny_wang, socialworker, committed
):
    case = granny_reports(weixin, granny_wang, committed)
    with committed():
        case_register(actor=socialworker, case=case)
    [message] = wechat_messages(case)
    event = message_xml(
        kind="event", Event="TEMPLATESENDJOBFINISH", MsgID=message.provider_ref, Status="success"
    )
    assert weixin.post(event).content == b"success"
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED


def test_a_wrong_app_secret_is_retried_and_never_recorded(
    api, weixin, granny_wang, socialworker, settings, committed
):
    settings.GRASSROOTS_WECHAT_APP_SECRET = "not-the-secret"
    case = granny_reports(weixin, granny_wang, committed)
    with committed():
        case_register(actor=socialworker, case=case)
    [message] = wechat_messages(case)
    assert message.status == MessageStatus.QUEUED and "40125" in message.last_error
    assert "not-the-secret" not in message.last_error and api.refused == ["secret"]


def test_old_keys_and_requests_are_deleted_by_retention(granny_wang, community):
    from grassroots.core.retention import enforce

    old = timezone.now() - timedelta(days=800)
    Inbound.objects.create(key="msg:1", community=community, received_at=old)
    BindingRequest.objects.create(
        community=community, openid_hash="h", phone_hash="p", code_hash="c", created_at=old, expires_at=old
    )
    follower = bound(granny_wang)
    Follower.objects.filter(pk=follower.pk).update(bound_at=old)
    ended = enforce()
    assert ended["wechat-inbound"] == 1 and ended["wechat-binding-requests"] == 1
    assert ended["wechat-followers"] == 1 and Follower.objects.count() == 0


def test_the_system_check_names_what_the_account_lacks(settings):
    from grassroots.wechat.apps import check_wechat_settings

    settings.GRASSROOTS_WECHAT_APP_SECRET = ""
    settings.GRASSROOTS_WECHAT_ENCODING_AES_KEY = "too-short"
    found = {problem.id: problem.msg for problem in check_wechat_settings()}
    assert set(found) == {"grassroots.wechat.W001", "grassroots.wechat.W002"}
    assert "GRASSROOTS_WECHAT_APP_SECRET" in found["grassroots.wechat.W002"]
    settings.GRASSROOTS_WECHAT_TOKEN = ""
    settings.GRASSROOTS_WECHAT_TEMPLATES = ""
    assert check_wechat_settings() == []


def test_the_code_goes_through_an_sms_gateway_by_its_approved_template(weixin, granny_wang, settings):
    from tests.provider_servers import Aliyun

    server = Aliyun().start()
    try:
        settings.GRASSROOTS_NOTIFY_SMS = "aliyun"
        settings.GRASSROOTS_ALIYUN_SMS_ENDPOINT = server.url
        settings.GRASSROOTS_ALIYUN_ACCESS_KEY_ID = server.key_id
        settings.GRASSROOTS_ALIYUN_ACCESS_KEY_SECRET = server.secret
        settings.GRASSROOTS_SMS_SIGN_NAME = "和盛苑社区"
        settings.GRASSROOTS_SMS_TEMPLATES = json.dumps(
            {"verify": {"code": "SMS_200001", "params": {"code": "code"}}}
        )
        server.script = ["isv.BUSINESS_LIMIT_CONTROL"]  # the gateway's own limit: kept and retried
        weixin.say(f"绑定 {GRANNY_PHONE}", msg_id=9001)
        sms = Message.objects.get(reason=MessageReason.VERIFY)
        assert sms.status == MessageStatus.QUEUED and server.accepted == []
        assert retry_now(sms).status == "sent"
        [sent] = server.accepted
        assert sent["PhoneNumbers"] == GRANNY_PHONE and sent["TemplateCode"] == "SMS_200001"
        assert json.loads(sent["TemplateParam"]) == {"code": code_sent_to()}
    finally:
        server.stop()
