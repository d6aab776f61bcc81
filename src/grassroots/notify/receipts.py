"""Delivery receipts: the SMS gateways report whether each SMS reached its phone.

One endpoint per provider, `POST /notifications/receipts/<provider>/<token>/`, configured in the
provider's console as the status-report address. Neither provider signs its reports, so the
address itself carries a secret (GRASSROOTS_SMS_RECEIPT_TOKEN), compared in constant time; with
no token set the endpoints do not exist (404). A report names our message by the id we gave the
gateway (Aliyun out_id, Tencent SessionContext/ext) or by its reference (BizId, sid).

- Aliyun SmsReport (HTTP batch push): a JSON array of {phone_number, success, err_code, biz_id,
  out_id, ...}; answered {"code": 0, "msg": "成功"}.
- Tencent status callback: a JSON array of {mobile, report_status "SUCCESS"/"FAIL", errmsg, sid,
  ...}; answered {"result": 0, "errmsg": "OK"}.

A body that is not such JSON is answered 400; the body is never logged (it holds phone numbers).
"""

from __future__ import annotations

import hmac
import json

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from grassroots.notify import conf
from grassroots.notify.gateways import message_id_from_out_id
from grassroots.notify.services import Receipt, receipts_record


def _check_token(token: str) -> None:
    expected = conf.get("GRASSROOTS_SMS_RECEIPT_TOKEN")
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        raise Http404


def _reports(request) -> list[dict] | None:
    try:
        body = json.loads(request.body or b"")
    except ValueError:
        return None
    if isinstance(body, dict):
        body = [body]
    if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
        return None
    return body[:1000]


def _aliyun(item: dict) -> Receipt:
    success = item.get("success")
    delivered = success is True or str(success).lower() == "true"
    return Receipt(
        message_id=message_id_from_out_id(str(item.get("out_id") or "")),
        provider_ref=str(item.get("biz_id") or ""),
        delivered=delivered,
        code=str(item.get("err_code") or "")[:40],
    )


def _tencent(item: dict) -> Receipt:
    context = item.get("ext") if isinstance(item.get("ext"), str) else item.get("session_context")
    return Receipt(
        message_id=message_id_from_out_id(str(context or "")),
        provider_ref=str(item.get("sid") or ""),
        delivered=str(item.get("report_status", "")).upper() == "SUCCESS",
        code=str(item.get("errmsg") or "")[:40],
    )


PROVIDERS = {
    "aliyun": (_aliyun, {"code": 0, "msg": "成功"}, {"code": 1, "msg": "bad report"}),
    "tencent": (_tencent, {"result": 0, "errmsg": "OK"}, {"result": 1, "errmsg": "bad report"}),
}


@login_not_required
@csrf_exempt
@require_POST
def sms_receipt(request, provider: str, token: str):
    """A gateway's status report: each SMS delivered, or failed with the gateway's code."""
    _check_token(token)
    if provider not in PROVIDERS:
        raise Http404
    parse, ok, bad = PROVIDERS[provider]
    reports = _reports(request)
    if reports is None:
        return JsonResponse(bad, status=400)
    receipts_record(transport=provider, receipts=[parse(item) for item in reports])
    return JsonResponse(ok, json_dumps_params={"ensure_ascii": False})
