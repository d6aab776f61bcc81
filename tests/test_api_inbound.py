# ruff: noqa: F811 (fixtures imported from tests.test_api_helpers are parameters here)
"""Inbound messages: Granny Wang sends a WeChat message through the bridge; a case is born.

The sender is found by phone among the people of the key's community and linked as the
reporter, with her household as the place; the answer carries the case number and a
Chinese reply for the bridge to send back. Only integrations with the inbound scope may
post; a stranger's number still makes a case (unlinked); the endpoint is rate-limited.
"""

from __future__ import annotations

from grassroots.api.models import ApiClient
from grassroots.cases.models import Case
from grassroots.cases.workflow import Status
from tests.factories import PersonFactory
from tests.test_api_helpers import (  # noqa: F401 (fixtures)
    HOTLINE_KEY,
    Api,
    _fresh_rate_limits,
    as_user,
    hotline,
)

MESSAGE = {
    "channel": "wechat",
    "sender": "+86 138 1234 5678",
    "text": "我家水管爆了，没人修",
    "media_urls": ["https://img.example.org/pipe.jpg"],
}


def test_a_message_from_a_resident_becomes_her_case(hotline, granny_wang, household_a, socialworker):
    response = Api(key=HOTLINE_KEY).post("/api/v1/inbound/messages/", MESSAGE)
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get(pk=body["case_id"])
    assert body["case_number"] == case.number and body["status"] == "reported"
    assert case.number in body["reply"] and "已收到" in body["reply"]
    assert case.reporter_person == granny_wang and case.household == household_a
    assert case.channel == "wechat" and case.category.code == "other" and case.status == Status.REPORTED
    assert case.reporter_phone_masked == "138****5678"
    assert list(case.attachments.values_list("url", flat=True)) == MESSAGE["media_urls"]
    assert "微信" in case.events.get().note
    assert as_user(socialworker).get(f"/api/v1/cases/{case.pk}/").status_code == 200


def test_a_stranger_still_gets_a_case_but_unlinked(hotline, granny_wang):
    response = Api(key=HOTLINE_KEY).post(
        "/api/v1/inbound/messages/", {"channel": "sms", "sender": "13900001111", "text": "小区门口路灯坏了"}
    )
    case = Case.objects.get(pk=response.json()["case_id"])
    assert case.reporter_person is None and case.household is None
    assert case.channel in {"sms", "phone"}


def test_a_number_shared_by_two_people_links_nobody(hotline, household_a, granny_wang):
    PersonFactory(name="王建国", sex="M", phone="13812345678", household=household_a, id_number="")
    response = Api(key=HOTLINE_KEY).post("/api/v1/inbound/messages/", MESSAGE)
    assert Case.objects.get(pk=response.json()["case_id"]).reporter_person is None


def test_people_of_another_community_are_never_linked(hotline, other_household):
    PersonFactory(name="李玉兰", phone="13812345678", household=other_household)
    response = Api(key=HOTLINE_KEY).post("/api/v1/inbound/messages/", MESSAGE)
    assert Case.objects.get(pk=response.json()["case_id"]).reporter_person is None


def test_bad_messages_are_400(hotline):
    api = Api(key=HOTLINE_KEY)
    assert "sender" in api.post("/api/v1/inbound/messages/", {**MESSAGE, "sender": "12345"}).json()
    assert "channel" in api.post("/api/v1/inbound/messages/", {**MESSAGE, "channel": "fax"}).json()
    assert "text" in api.post("/api/v1/inbound/messages/", {**MESSAGE, "text": ""}).json()
    assert Case.objects.count() == 0


def test_only_integrations_with_the_scope_may_post(hotline, socialworker):
    assert as_user(socialworker).post("/api/v1/inbound/messages/", MESSAGE).status_code == 403
    ApiClient.objects.filter(pk=hotline.pk).update(scopes=["open311"])
    assert Api(key=HOTLINE_KEY).post("/api/v1/inbound/messages/", MESSAGE).status_code == 403
    assert Api().post("/api/v1/inbound/messages/", MESSAGE).status_code == 401


def test_inbound_is_throttled_with_retry_after(hotline, settings):
    settings.GRASSROOTS_API_THROTTLE_RATES = {"inbound": "1/min"}
    api = Api(key=HOTLINE_KEY)
    assert api.post("/api/v1/inbound/messages/", MESSAGE).status_code == 201
    refused = api.post("/api/v1/inbound/messages/", MESSAGE)
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
