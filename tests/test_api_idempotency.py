# ruff: noqa: F811 (fixtures imported from tests.test_api_helpers are parameters here)
"""Idempotency-Key: a POST sent twice (a bridge that lost the answer) creates one thing.

Same key and body within 24 hours: the first answer again, nothing new. Same key, other
body: 422. Keys belong to their caller. After 24 hours a key can be used afresh. A refused
request leaves nothing behind, so it can be corrected and sent again with the same key.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from grassroots.api.idempotency import fingerprint
from grassroots.api.models import IdempotencyRecord
from grassroots.cases.models import Case, CaseEvent
from tests.test_api_helpers import (  # noqa: F401 (fixtures)
    HOTLINE_KEY,
    Api,
    _fresh_rate_limits,
    as_user,
    case_in_grid_a,
    hotline,
)

BODY = {"category": "utilities-power", "description": "7号楼停电", "channel": "phone"}


def test_the_same_key_and_body_returns_the_first_answer(socialworker):
    api = as_user(socialworker)
    first = api.post("/api/v1/cases/", BODY, **{"Idempotency-Key": "k-1"})
    again = api.post("/api/v1/cases/", BODY, **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1


def test_the_same_key_with_another_body_is_422(socialworker):
    api = as_user(socialworker)
    api.post("/api/v1/cases/", BODY, **{"Idempotency-Key": "k-2"})
    other = api.post("/api/v1/cases/", {**BODY, "description": "8号楼停电"}, **{"Idempotency-Key": "k-2"})
    assert other.status_code == 422 and "different request" in other.json()["detail"]
    assert Case.objects.count() == 1


def test_without_a_key_every_post_creates(socialworker):
    api = as_user(socialworker)
    api.post("/api/v1/cases/", BODY)
    api.post("/api/v1/cases/", BODY)
    assert Case.objects.count() == 2


def test_keys_belong_to_their_caller(socialworker, secretary):
    as_user(socialworker).post("/api/v1/cases/", BODY, **{"Idempotency-Key": "shared"})
    as_user(secretary).post("/api/v1/cases/", BODY, **{"Idempotency-Key": "shared"})
    assert Case.objects.count() == 2


def test_after_24_hours_a_key_is_fresh_again(socialworker):
    api = as_user(socialworker)
    api.post("/api/v1/cases/", BODY, **{"Idempotency-Key": "k-3"})
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    api.post("/api/v1/cases/", BODY, **{"Idempotency-Key": "k-3"})
    assert Case.objects.count() == 2


def test_a_refused_request_can_be_corrected_under_the_same_key(socialworker):
    api = as_user(socialworker)
    refused = api.post("/api/v1/cases/", {**BODY, "category": "nope"}, **{"Idempotency-Key": "k-4"})
    assert refused.status_code == 400 and not IdempotencyRecord.objects.exists()
    corrected = api.post("/api/v1/cases/", {**BODY, "category": "nope"}, **{"Idempotency-Key": "k-4"})
    assert corrected.status_code == 400
    fixed = api.post("/api/v1/cases/", BODY, **{"Idempotency-Key": "k-4"})
    assert fixed.status_code == 201


def test_a_request_still_running_makes_the_second_wait(socialworker):
    api = as_user(socialworker)
    IdempotencyRecord.objects.create(
        owner=socialworker,
        key="k-5",
        fingerprint=fingerprint("POST", "/api/v1/cases/", BODY),
        method="POST",
        path="/api/v1/cases/",
    )
    busy = api.post("/api/v1/cases/", BODY, **{"Idempotency-Key": "k-5"})
    assert busy.status_code == 409 and "still being processed" in busy.json()["detail"]
    assert Case.objects.count() == 0


def test_workflow_actions_are_idempotent_too(socialworker, case_in_grid_a):
    api = as_user(socialworker)
    for _ in range(3):
        response = api.post(
            f"/api/v1/cases/{case_in_grid_a.pk}/note/",
            {"note": "已电话回访"},
            **{"Idempotency-Key": "note-1"},
        )
        assert response.status_code == 200
    assert CaseEvent.objects.filter(case=case_in_grid_a, action="note").count() == 1


def test_inbound_messages_are_idempotent(hotline, granny_wang):
    api = Api(key=HOTLINE_KEY)
    message = {"channel": "wechat", "sender": "13812345678", "text": "家里没水了"}
    first = api.post("/api/v1/inbound/messages/", message, **{"Idempotency-Key": "wx-msg-991"})
    again = api.post("/api/v1/inbound/messages/", message, **{"Idempotency-Key": "wx-msg-991"})
    assert first.json() == again.json() and Case.objects.count() == 1


def test_a_key_that_is_not_printable_ascii_or_too_long_is_400(socialworker):
    api = as_user(socialworker)
    for wrong in ("clé-1", "a" * 256):
        response = api.post("/api/v1/cases/", BODY, **{"Idempotency-Key": wrong})
        assert response.status_code == 400 and response.json()["detail"], wrong
    assert not Case.objects.exists()
