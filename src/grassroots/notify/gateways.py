"""Real transports: Alibaba Cloud SMS, Tencent Cloud SMS and a WeCom (企业微信) group robot.

Each is a Channel (channels.py): `send(message)` returns the gateway's reference or raises, and
`services.deliver` does the rest exactly as for the console and webhook channels (claim, retry
with back-off, dead letter and "please call"). Three kinds of failure tell it what to do:

- DeliveryError: try again later (the gateway is down, busy, out of balance, rate-limited);
- PermanentDeliveryError: trying again cannot help (no approved template for the reason, a
  number the gateway refuses, an invalid robot key): failed now, and the coordinators are asked
  to call;
- UncertainDeliveryError: the request left and no answer came back (a timeout): the gateway may
  have sent it. The next attempt first asks the gateway whether a message with our out-id went
  out (`already_sent`), so a resident never gets the same SMS twice;
- DeferDelivery: over the per-phone hourly limit; the message waits, its attempt not counted.

Why the documented HTTP protocols and not the vendors' SDKs (alibabacloud_dysmsapi20170525,
tencentcloud-sdk-python-sms): each SDK brings its own HTTP stack, retry loop and logging (the
Tencent SDK logs request bodies, with the phone number, at debug level), and their retries would
run beneath ours and break "sent once". The protocols are small and stable: Aliyun's RPC style
with signature version 1.0 (HMAC-SHA1) and Tencent Cloud API 3.0 (TC3-HMAC-SHA256). One urllib
call with our timeout and our error mapping carries all three, and the endpoint is a setting, so
the tests run each against a local server that checks the signature.

Nothing here logs a phone number or a gateway's answer text unscrubbed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.utils import timezone

from grassroots.core import pii
from grassroots.notify import conf
from grassroots.notify.channels import URL_CHARS, DeliveryError, scrub_phones

if TYPE_CHECKING:
    from grassroots.notify.models import Message

logger = logging.getLogger("grassroots.notify")


class PermanentDeliveryError(DeliveryError):
    """Trying again cannot help: the message fails now (and its coordinators are asked to call)."""


class UncertainDeliveryError(DeliveryError):
    """The request left but no answer came: the gateway may have sent it (checked before a retry)."""


class DeferDelivery(Exception):
    """Not now (the phone's hourly limit is reached): wait until `retry_at`, attempt not counted."""

    def __init__(self, reason: str, retry_at: datetime):
        super().__init__(reason)
        self.retry_at = retry_at


def out_id(message: Message) -> str:
    """Our id for a message at the gateway (Aliyun OutId, Tencent SessionContext); receipts echo it."""
    return f"grassroots-message-{message.pk}"


def message_id_from_out_id(value: str) -> int | None:
    match = re.fullmatch(r"grassroots-message-(\d+)", value or "")
    return int(match.group(1)) if match else None


# --- HTTP ------------------------------------------------------------------------------------------


def post_json_answer(url: str, *, data: bytes | None, headers: dict[str, str], what: str) -> dict:
    """POST (GET when there is no data) and read a JSON answer. Never echoes an answer body or the
    URL (a body may quote the number; WeChat's token URL holds the AppSecret)."""
    if not url.startswith(("http://", "https://")):
        raise DeliveryError(f"{what}: the endpoint is not an http(s) URL")
    method = "GET" if data is None else "POST"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=conf.get("GRASSROOTS_NOTIFY_WEBHOOK_TIMEOUT")) as answer:  # noqa: S310
            body = answer.read()
    except urllib.error.HTTPError as error:
        body = error.read()
        if error.code < 500:  # both providers answer their JSON error with a 4xx now and then
            try:
                return json.loads(body)
            except ValueError:
                pass
        raise DeliveryError(f"{what}: HTTP {error.code}") from None
    except urllib.error.URLError as error:  # refused, unknown host, connect timeout: nothing left
        raise DeliveryError(f"{what} unreachable: {error.reason}") from None
    except (TimeoutError, http.client.RemoteDisconnected, ConnectionResetError) as error:
        raise UncertainDeliveryError(f"{what}: no answer ({type(error).__name__})") from None
    except OSError as error:
        raise DeliveryError(f"{what}: {type(error).__name__}") from None
    try:
        return json.loads(body)
    except ValueError:
        raise DeliveryError(f"{what}: the answer is not JSON") from None


# --- templates and parameters ----------------------------------------------------------------------------

_URL = re.compile(rf"https?://{URL_CHARS}+")


_CODE = re.compile(r"验证码\D{0,3}(\d{4,8})")


def _status_words(message: Message) -> str:
    """The case's status as the resident reads it (zh-hans, as every message's text)."""
    from django.utils import translation

    if not message.case_id:
        return ""
    with translation.override("zh-hans"):
        return str(message.case.get_status_display())


@dataclass(frozen=True)
class Template:
    """An approved template: its code at the gateway and its parameters (name -> source), in order."""

    code: str
    params: dict[str, str]


def templates() -> dict[str, Template]:
    """GRASSROOTS_SMS_TEMPLATES, parsed: {"reason": {"code": ..., "params": {name: source}}}."""
    raw = conf.get("GRASSROOTS_SMS_TEMPLATES")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except ValueError:
            logger.warning("GRASSROOTS_SMS_TEMPLATES is not JSON; no SMS template is configured")
            raw = {}
    found = {}
    for reason, spec in (raw or {}).items():
        if isinstance(spec, dict) and spec.get("code"):
            found[reason] = Template(code=str(spec["code"]), params=dict(spec.get("params") or {}))
    return found


def template_for(message: Message) -> Template:
    template = templates().get(message.reason)
    if template is None:
        raise PermanentDeliveryError(f"no approved SMS template for the reason {message.reason or '-'!r}")
    return template


def template_values(message: Message, template: Template) -> dict[str, str]:
    """Each parameter's value: the case number, the message's link (one-tap secret in place), ..."""
    sources = {
        "case": lambda: message.case.number if message.case_id else "",
        "link": lambda: next(iter(_URL.findall(message.deliverable_body())), ""),
        "community": lambda: message.case.community.name if message.case_id else "",
        "reason": lambda: message.reason_label,
        "status": lambda: _status_words(message),
        "time": lambda: timezone.localtime(message.created_at).strftime("%Y-%m-%d %H:%M"),
        # A verification code (reason "verify"): the digits the text gives after 验证码.
        "code": lambda: next(iter(_CODE.findall(message.deliverable_body())), ""),
    }
    values = {}
    for name, source in template.params.items():
        if source not in sources:
            raise PermanentDeliveryError(f"SMS template {template.code}: unknown parameter source {source!r}")
        values[name] = str(sources[source]())
    return values


# --- per-phone rate limit --------------------------------------------------------------------------------


def count_against_phone_limit(digits: str, *, now: datetime | None = None) -> None:
    """Count one SMS to this phone in this clock hour (shared cache); over the limit, DeferDelivery.

    A loop that keeps writing messages to one resident (a flapping rule, a script) thus reaches
    them at most GRASSROOTS_SMS_PER_PHONE_HOUR times an hour; the rest wait, kept, for the next
    hour. The key holds the phone's keyed hash, never the number.
    """
    limit = conf.get("GRASSROOTS_SMS_PER_PHONE_HOUR")
    if limit <= 0:
        return
    now = now or timezone.now()
    hour = now.replace(minute=0, second=0, microsecond=0)
    key = f"grassroots:sms-phone:{pii.phone_hash(digits)}:{hour:%Y%m%d%H}"
    cache.add(key, 0, timeout=3700)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3700)
        count = 1
    if count > limit:
        raise DeferDelivery(f"more than {limit} SMS to this phone this hour", hour + timedelta(hours=1))


class SmsGateway:
    """What both SMS gateways share: the number, the template, the limit, the check before a retry."""

    name = "sms"

    def send(self, message: Message) -> str:
        digits = pii.normalise_phone(message.deliverable_address())
        if not digits:
            raise PermanentDeliveryError("no phone number")
        template = template_for(message)
        values = template_values(message, template)
        if message.maybe_sent:
            reference = self.already_sent(message, digits)
            if reference:
                logger.info("message %s had reached %s before its answer was lost", message.pk, self.name)
                return reference
        count_against_phone_limit(digits)
        return self.submit(message, digits, template, values)

    def submit(self, message: Message, digits: str, template: Template, values: dict[str, str]) -> str:
        raise NotImplementedError

    def already_sent(self, message: Message, digits: str) -> str:
        raise NotImplementedError


def _fail(code: str, text: str, *, permanent: set[str], what: str) -> DeliveryError:
    detail = scrub_phones(f"{what} {code}: {text}")[:300]
    if code in permanent or any(code.startswith(prefix) for prefix in permanent if prefix.endswith(".")):
        return PermanentDeliveryError(detail)
    return DeliveryError(detail)


# --- Alibaba Cloud SMS (Dysmsapi 2017-05-25) ----------------------------------------------------------


def aliyun_percent(value: str) -> str:
    """Aliyun's percent-encoding (RFC 3986: only A-Z a-z 0-9 - _ . ~ stay as they are)."""
    return urllib.parse.quote(value, safe="~")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "POST") -> str:
    """RPC signature version 1.0: HMAC-SHA1 over METHOD&%2F&<the sorted, encoded query>, base64."""
    canonical = "&".join(f"{aliyun_percent(k)}={aliyun_percent(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{aliyun_percent('/')}&{aliyun_percent(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


#: Aliyun codes after which trying again cannot help (the others are retried).
ALIYUN_PERMANENT = {
    "isv.MOBILE_NUMBER_ILLEGAL",
    "isv.MOBILE_COUNT_OVER_LIMIT",
    "isv.SMS_TEMPLATE_ILLEGAL",
    "isv.SMS_SIGNATURE_ILLEGAL",
    "isv.TEMPLATE_MISSING_PARAMETERS",
    "isv.TEMPLATE_PARAMS_ILLEGAL",
    "isv.PARAM_LENGTH_LIMIT",
    "isv.BLACK_KEY_CONTROL_LIMIT",
    "isv.SMS_CONTENT_ILLEGAL",
    "isv.DENY_IP_RANGE",
}


class AliyunSmsChannel(SmsGateway):
    """Alibaba Cloud SMS: SendSms with the approved sign name, template code and parameters.

    OutId carries our message id; Aliyun echoes it in the delivery receipt (SmsReport) and in
    QuerySendDetails, which is how a retry after a lost answer finds the SMS already sent.
    Aliyun itself does not drop a repeated OutId.
    """

    name = "aliyun"

    def __init__(self):
        self.endpoint = conf.get("GRASSROOTS_ALIYUN_SMS_ENDPOINT")
        self.key_id = conf.get("GRASSROOTS_ALIYUN_ACCESS_KEY_ID")
        self.secret = conf.get("GRASSROOTS_ALIYUN_ACCESS_KEY_SECRET")

    def call(self, action: str, params: dict[str, str]) -> dict:
        if not (self.key_id and self.secret):
            raise DeliveryError("GRASSROOTS_ALIYUN_ACCESS_KEY_ID / _SECRET are not set")
        common = {
            "AccessKeyId": self.key_id,
            "Action": action,
            "Format": "JSON",
            "RegionId": "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        signed = {**common, **params}
        signed["Signature"] = aliyun_signature(signed, self.secret)
        return post_json_answer(
            self.endpoint,
            data=urllib.parse.urlencode(signed, quote_via=urllib.parse.quote).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
            what=f"Aliyun {action}",
        )

    def submit(self, message, digits, template, values) -> str:
        answer = self.call(
            "SendSms",
            {
                "PhoneNumbers": digits,
                "SignName": conf.get("GRASSROOTS_SMS_SIGN_NAME"),
                "TemplateCode": template.code,
                "TemplateParam": json.dumps(values, ensure_ascii=False),
                "OutId": out_id(message),
            },
        )
        code = str(answer.get("Code", ""))
        if code == "OK":
            return str(answer.get("BizId", ""))[:64]
        raise _fail(code, str(answer.get("Message", "")), permanent=ALIYUN_PERMANENT, what="Aliyun")

    def already_sent(self, message, digits) -> str:
        """QuerySendDetails for the phone, on the day of the message and today: one with our OutId?"""
        days = {timezone.localtime(message.created_at).date(), timezone.localdate()}
        for day in sorted(days):
            answer = self.call(
                "QuerySendDetails",
                {"PhoneNumber": digits, "SendDate": f"{day:%Y%m%d}", "PageSize": "50", "CurrentPage": "1"},
            )
            if answer.get("Code") != "OK":
                raise _fail(str(answer.get("Code", "")), "", permanent=set(), what="Aliyun QuerySendDetails")
            details = (answer.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
            for detail in details:
                if detail.get("OutId") == out_id(message):
                    return str(detail.get("BizId") or "sent")[:64]
        return ""


# --- Tencent Cloud SMS (2021-01-11) -----------------------------------------------------------------------


def tc3_authorization(
    *, secret_id: str, secret_key: str, host: str, payload: bytes, timestamp: int, service: str = "sms"
) -> str:
    """Tencent Cloud API 3.0 signature (TC3-HMAC-SHA256) of a JSON POST to "/"."""
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    content_type = "application/json; charset=utf-8"
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{content_type}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    scope = f"{day}/{service}/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"

    def sign(key: bytes, text: str) -> bytes:
        return hmac.new(key, text.encode(), hashlib.sha256).digest()

    signing = sign(sign(sign(f"TC3{secret_key}".encode(), day), service), "tc3_request")
    signature = hmac.new(signing, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, "
        f"Signature={signature}"
    )


#: Tencent codes after which trying again cannot help (the others, limits and balance, are retried).
TENCENT_PERMANENT = {
    "InvalidParameterValue.IncorrectPhoneNumber",
    "InvalidParameterValue.TemplateParameterFormatError",
    "InvalidParameterValue.TemplateParameterLengthLimit",
    "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter",
    "FailedOperation.TemplateIncorrectOrUnapproved",
    "FailedOperation.SignatureIncorrectOrUnapproved",
    "FailedOperation.MissingTemplateToModify",
    "FailedOperation.PhoneNumberInBlacklist",
    "FailedOperation.ContainSensitiveWord",
    "UnsupportedOperation.",
}


class TencentSmsChannel(SmsGateway):
    """Tencent Cloud SMS: SendSms (2021-01-11) with the app id, sign name, template id and parameters.

    SessionContext carries our message id; Tencent echoes it in PullSmsSendStatusByPhoneNumber,
    which a retry after a lost answer asks first. Tencent does not drop a repeated SessionContext,
    and a status is pulled only once its report has come in: a retry waits for it (REPORT_WAIT).
    """

    name = "tencent"

    def __init__(self):
        self.endpoint = conf.get("GRASSROOTS_TENCENT_SMS_ENDPOINT")
        self.secret_id = conf.get("GRASSROOTS_TENCENT_SECRET_ID")
        self.secret_key = conf.get("GRASSROOTS_TENCENT_SECRET_KEY")
        self.app_id = conf.get("GRASSROOTS_TENCENT_SMS_APP_ID")

    def call(self, action: str, params: dict) -> dict:
        if not (self.secret_id and self.secret_key and self.app_id):
            raise DeliveryError("GRASSROOTS_TENCENT_SECRET_ID / _SECRET_KEY / _SMS_APP_ID are not set")
        payload = json.dumps({"SmsSdkAppId": self.app_id, **params}, ensure_ascii=False).encode()
        host = urllib.parse.urlsplit(self.endpoint).netloc
        timestamp = int(datetime.now(UTC).timestamp())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Host": host,
            "X-TC-Action": action,
            "X-TC-Version": "2021-01-11",
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": conf.get("GRASSROOTS_TENCENT_SMS_REGION"),
            "Authorization": tc3_authorization(
                secret_id=self.secret_id,
                secret_key=self.secret_key,
                host=host,
                payload=payload,
                timestamp=timestamp,
            ),
        }
        answer = post_json_answer(self.endpoint, data=payload, headers=headers, what=f"Tencent {action}")
        response = answer.get("Response") or {}
        error = response.get("Error")
        if error:
            raise _fail(
                str(error.get("Code", "")),
                str(error.get("Message", "")),
                permanent=TENCENT_PERMANENT,
                what="Tencent",
            )
        return response

    def submit(self, message, digits, template, values) -> str:
        response = self.call(
            "SendSms",
            {
                "PhoneNumberSet": [f"+86{digits}"],
                "SignName": conf.get("GRASSROOTS_SMS_SIGN_NAME"),
                "TemplateId": template.code,
                "TemplateParamSet": list(values.values()),
                "SessionContext": out_id(message),
            },
        )
        statuses = response.get("SendStatusSet") or []
        if not statuses:
            raise DeliveryError("Tencent SendSms: no SendStatusSet in the answer")
        status = statuses[0]
        code = str(status.get("Code", ""))
        if code == "Ok":
            return str(status.get("SerialNo", ""))[:64]
        raise _fail(code, str(status.get("Message", "")), permanent=TENCENT_PERMANENT, what="Tencent")

    def already_sent(self, message, digits) -> str:
        begin = int((message.created_at - timedelta(minutes=1)).timestamp())
        response = self.call(
            "PullSmsSendStatusByPhoneNumber",
            {
                "BeginTime": begin,
                "EndTime": int(timezone.now().timestamp()) + 60,
                "Offset": 0,
                "Limit": 100,
                "PhoneNumber": f"+86{digits}",
            },
        )
        for status in response.get("PullSmsSendStatusSet") or []:
            if status.get("SessionContext") == out_id(message):
                return str(status.get("SerialNo") or "sent")[:64]
        # Tencent lists an SMS only once its operator report is in: give the report time to come
        # before concluding that the earlier attempt sent nothing.
        wait_until = message.created_at + REPORT_WAIT
        if timezone.now() < wait_until:
            raise DeferDelivery("waiting for the report of an attempt that got no answer", wait_until)
        return ""


#: How long after a Tencent SMS was written an attempt without an answer may still show up in its
#: report (operators report within seconds to a few minutes); only then is it sent again.
REPORT_WAIT = timedelta(minutes=10)


# --- WeCom group robot ----------------------------------------------------------------------------------

#: Robot errcodes: 45009 is the robot's own rate limit (20 a minute), retried; these are not.
WECOM_PERMANENT = {93000, 40008, 40058, 44004, 93017}


class WeComRobotChannel:
    """A WeCom group robot: the message's text as markdown, posted to the group's webhook.

    The text was written for a group (services.group_text): a case number, a category, a grid
    and what happened, never a name's phone or ID; scrub_phones runs again here on the way out.
    The robot has no idempotency key and no query: after a lost answer the post is repeated, so
    the group may, rarely, read an alert twice rather than never (documented in docs/channels.md).
    """

    name = "wecom"

    def __init__(self):
        self.url = conf.get("GRASSROOTS_WECOM_ROBOT_URL")
        self.key = conf.get("GRASSROOTS_WECOM_ROBOT_KEY")

    def send(self, message: Message) -> str:
        if not self.key:
            raise DeliveryError("GRASSROOTS_WECOM_ROBOT_KEY is not set")
        content = scrub_phones(message.body)[:3800]
        payload = json.dumps({"msgtype": "markdown", "markdown": {"content": content}}, ensure_ascii=False)
        url = f"{self.url}?{urllib.parse.urlencode({'key': self.key})}"
        answer = post_json_answer(
            url,
            data=payload.encode(),
            headers={"Content-Type": "application/json; charset=utf-8"},
            what="WeCom robot",
        )
        code = answer.get("errcode")
        if code == 0:
            return ""
        detail = scrub_phones(f"WeCom robot errcode {code}: {answer.get('errmsg', '')}")[:300]
        if code in WECOM_PERMANENT:
            raise PermanentDeliveryError(detail)
        raise DeliveryError(detail)


# --- WeChat Official Account (公众号) template messages --------------------------------------------------

#: errcodes after which the access_token is fetched again and the request repeated, once.
WECHAT_TOKEN_ERRORS = {40001, 40014, 42001}
#: errcodes after which trying again cannot help: the follower left (43004), the OpenID is not of
#: this account (40003), the template is not ours or was removed (40037), the data is refused (47003),
#: the follower refused template messages (43101), the link's domain is not allowed (40055).
WECHAT_PERMANENT = {40003, 40037, 40055, 43004, 43101, 47003}


def wechat_templates() -> dict[str, dict]:
    """GRASSROOTS_WECHAT_TEMPLATES, parsed: {"reason": {"id": ..., "data": {keyword: source}}}."""
    raw = conf.get("GRASSROOTS_WECHAT_TEMPLATES")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except ValueError:
            logger.warning("GRASSROOTS_WECHAT_TEMPLATES is not JSON; no WeChat template is configured")
            raw = {}
    return {
        reason: {"id": str(spec["id"]), "data": dict(spec.get("data") or {})}
        for reason, spec in (raw or {}).items()
        if isinstance(spec, dict) and spec.get("id")
    }


def wechat_token_key(app_id: str) -> str:
    return f"grassroots:wechat-token:{hashlib.sha256(app_id.encode()).hexdigest()[:16]}"


def wechat_access_token(*, refresh: bool = False) -> str:
    """The account's access_token, from the shared cache, else fetched from /cgi-bin/token.

    Kept until five minutes before WeChat's expires_in (7200 s), so every worker and web process
    shares one token. After a refresh the previous token stays valid for five minutes, so two
    workers refreshing at once do not lock each other out. A refusal (a wrong AppSecret, 40125; an
    address not on the IP whitelist, 40164) is a DeliveryError: retried, so a fixed setting delivers.
    """
    app_id = conf.get("GRASSROOTS_WECHAT_APP_ID")
    secret = conf.get("GRASSROOTS_WECHAT_APP_SECRET")
    if not (app_id and secret):
        raise DeliveryError("GRASSROOTS_WECHAT_APP_ID / _APP_SECRET are not set")
    key = wechat_token_key(app_id)
    if not refresh:
        token = cache.get(key)
        if token:
            return token
    query = urllib.parse.urlencode({"grant_type": "client_credential", "appid": app_id, "secret": secret})
    answer = post_json_answer(
        f"{conf.get('GRASSROOTS_WECHAT_API_URL')}/cgi-bin/token?{query}",
        data=None,
        headers={},
        what="WeChat token",
    )
    token = str(answer.get("access_token") or "")
    if not token:
        raise DeliveryError(f"WeChat token errcode {answer.get('errcode')}: {answer.get('errmsg', '')}"[:300])
    expires = int(answer.get("expires_in") or 7200)
    cache.set(key, token, timeout=max(expires - 300, 60))
    return token


def wechat_call(path: str, *, data: bytes | None, what: str) -> dict:
    """An API call with the access_token; on 40001/40014/42001 the token is fetched again, once.

    The request that answered "token expired" was refused, so repeating it cannot send twice.
    """
    for refresh in (False, True):
        token = wechat_access_token(refresh=refresh)
        separator = "&" if "?" in path else "?"
        base = conf.get("GRASSROOTS_WECHAT_API_URL")
        url = f"{base}{path}{separator}access_token={urllib.parse.quote(token)}"
        headers = {"Content-Type": "application/json; charset=utf-8"} if data is not None else {}
        answer = post_json_answer(url, data=data, headers=headers, what=what)
        if answer.get("errcode") not in WECHAT_TOKEN_ERRORS:
            return answer
        cache.delete(wechat_token_key(conf.get("GRASSROOTS_WECHAT_APP_ID")))
    raise DeliveryError(
        f"{what}: the access_token was refused after a refresh (errcode {answer.get('errcode')})"
    )


class WeChatTemplateChannel:
    """A template message (模板消息) of the Official Account to a follower bound to a resident.

    The follower's OpenID is asked of the app that keeps the bindings (notify.followers) as the
    message leaves, so a follower who unbound or unsubscribed after the message was written is not
    written to (failed: the coordinators are asked to call, as for an SMS that cannot be sent). The
    parameters come from the approved template of the message's reason, like an SMS template's;
    the link opens the resident's follow page. WeChat has no idempotency key and no way to ask
    whether a template message went out, so after a lost answer it is sent again: at least once.
    Its reference (msgid) is kept, and the TEMPLATESENDJOBFINISH event settles it as delivered or failed.
    """

    name = "wechat"

    def send(self, message: Message) -> str:
        from grassroots.notify import followers

        template = wechat_templates().get(message.reason)
        if template is None:
            raise PermanentDeliveryError(
                f"no approved WeChat template for the reason {message.reason or '-'!r}"
            )
        openid = followers.address_of(message.recipient_key)
        if not openid:
            raise PermanentDeliveryError("the follower is no longer bound to the resident")
        values = template_values(message, Template(code=template["id"], params=template["data"]))
        payload = {
            "touser": openid,
            "template_id": template["id"],
            # WeChat refuses a keyword value longer than 20 characters (47003): cut, never refused.
            "data": {name: {"value": value[:20]} for name, value in values.items()},
        }
        link = next(iter(_URL.findall(message.deliverable_body())), "")
        if link:
            payload["url"] = link
        answer = wechat_call(
            "/cgi-bin/message/template/send",
            data=json.dumps(payload, ensure_ascii=False).encode(),
            what="WeChat template",
        )
        code = answer.get("errcode")
        if code == 0:
            return str(answer.get("msgid") or "")[:64]
        detail = scrub_phones(f"WeChat errcode {code}: {answer.get('errmsg', '')}")[:300]
        if code in WECHAT_PERMANENT:
            raise PermanentDeliveryError(detail)
        raise DeliveryError(detail)  # -1 busy, 45009 over the day's quota, anything unknown
