"""Local servers that speak the providers' real protocols, for the channel tests (nothing leaves the machine).

Each checks what the real service checks (the signature, the required fields, the key), answers
with the provider's own JSON and error codes, and keeps what it accepted, so a test can count the
SMS a resident would have received. `script` lists what the next requests get: "ok", an error
code, "timeout" (the request is accepted and sent, but the answer comes too late) or "lost" (the
answer comes too late and nothing was sent).

The signatures are computed here again from the providers' documentation, independently of
grassroots.notify.gateways.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SLOW = 4  # seconds a "timeout" answer waits: longer than the tests' client timeout (2 s)


@dataclass
class Provider:
    """What one fake provider accepted, and what it will answer next."""

    script: list[str] = field(default_factory=list)
    accepted: list[dict] = field(default_factory=list)  # one per SMS (or group post) really sent
    requests: list[dict] = field(default_factory=list)  # every request whose signature held
    refused: list[str] = field(default_factory=list)  # why a request was refused (bad signature, field)
    url: str = ""
    _server: ThreadingHTTPServer | None = None

    def next_step(self) -> str:
        return self.script.pop(0) if self.script else "ok"

    def handle(self, path: str, headers, body: bytes) -> tuple[int, dict, str]:
        raise NotImplementedError

    def start(self) -> Provider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.answer(provider.handle(self.path, self.headers, None))

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.answer(provider.handle(self.path, self.headers, body))

            def answer(self, handled):
                status, answer, step = handled
                if step in {"timeout", "lost"}:
                    time.sleep(SLOW)
                # A file (WeChat's media) is answered as (bytes, content type); everything else is JSON.
                data, content_type = (
                    answer
                    if isinstance(answer, tuple)
                    else (json.dumps(answer, ensure_ascii=False).encode(), "application/json; charset=utf-8")
                )
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (the timeout case)
                    pass

            def log_message(self, *args):  # no request lines on stderr
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}/"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


# --- Alibaba Cloud Dysmsapi -----------------------------------------------------------------------------


def _aliyun_encode(text: str) -> str:
    # The documented rule: percent-encode UTF-8, keep A-Z a-z 0-9 - _ . ~, space as %20, * as %2A.
    return "".join(
        char
        if char.isascii() and (char.isalnum() or char in "-_.~")
        else "".join(f"%{b:02X}" for b in char.encode())
        for char in text
    )


@dataclass
class Aliyun(Provider):
    key_id: str = "LTAI-test-id"
    secret: str = "aliyun-test-secret"

    def handle(self, path, headers, body):
        form = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
        signature = form.pop("Signature", "")
        pairs = sorted((_aliyun_encode(k), _aliyun_encode(v)) for k, v in form.items())
        to_sign = "POST&%2F&" + _aliyun_encode("&".join(f"{k}={v}" for k, v in pairs))
        expected = base64.b64encode(hmac.new(f"{self.secret}&".encode(), to_sign.encode(), "sha1").digest())
        if not hmac.compare_digest(expected.decode(), signature):
            self.refused.append("signature")
            return 400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"}, ""
        if form.get("AccessKeyId") != self.key_id:
            return (
                404,
                {"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found."},
                "",
            )
        for name in (
            "SignatureMethod",
            "SignatureNonce",
            "SignatureVersion",
            "Timestamp",
            "Version",
            "Format",
        ):
            if not form.get(name):
                self.refused.append(name)
                return 400, {"Code": "MissingParameter", "Message": f"{name} is mandatory"}, ""
        datetime.strptime(form["Timestamp"], "%Y-%m-%dT%H:%M:%SZ")
        assert form["SignatureMethod"] == "HMAC-SHA1" and form["Version"] == "2017-05-25"
        self.requests.append(form)
        if form["Action"] == "QuerySendDetails":
            found = [
                {
                    "OutId": sms["OutId"],
                    "BizId": sms["BizId"],
                    "SendStatus": 1,
                    "PhoneNum": sms["PhoneNumbers"],
                }
                for sms in self.accepted
                if sms["PhoneNumbers"] == form["PhoneNumber"]
            ]
            answer = {"Code": "OK", "Message": "OK", "TotalCount": len(found)}
            return 200, {**answer, "SmsSendDetailDTOs": {"SmsSendDetailDTO": found}}, ""
        assert form["Action"] == "SendSms"
        for name in ("PhoneNumbers", "SignName", "TemplateCode"):
            if not form.get(name):
                return 400, {"Code": "MissingParameter", "Message": f"{name} is mandatory"}, ""
        json.loads(form.get("TemplateParam") or "{}")
        step = self.next_step()
        if step in {"ok", "timeout"}:
            biz_id = f"{len(self.accepted) + 1:06d}^0"
            self.accepted.append({**form, "BizId": biz_id})
            return 200, {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": "R1"}, step
        if step == "lost":
            return 200, {"Code": "OK", "Message": "OK", "BizId": "never", "RequestId": "R2"}, step
        return 200, {"Code": step, "Message": "refused", "RequestId": "R3"}, step


# --- Tencent Cloud SMS ----------------------------------------------------------------------------------


@dataclass
class Tencent(Provider):
    secret_id: str = "AKID-test-id"
    secret_key: str = "tencent-test-key"
    app_id: str = "1400000001"

    def _authorised(self, headers, body: bytes) -> bool:
        authorization = headers.get("Authorization", "")
        timestamp = int(headers.get("X-TC-Timestamp", "0"))
        day = datetime.fromtimestamp(timestamp, UTC).date().isoformat()
        canonical = (
            f"POST\n/\n\ncontent-type:{headers.get('Content-Type')}\nhost:{headers.get('Host')}\n\n"
            f"content-type;host\n{hashlib.sha256(body).hexdigest()}"
        )
        scope = f"{day}/sms/tc3_request"
        to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        key = f"TC3{self.secret_key}".encode()
        for part in (day, "sms", "tc3_request"):
            key = hmac.new(key, part.encode(), "sha256").digest()
        signature = hmac.new(key, to_sign.encode(), "sha256").hexdigest()
        expected = (
            f"TC3-HMAC-SHA256 Credential={self.secret_id}/{scope}, SignedHeaders=content-type;host, "
            f"Signature={signature}"
        )
        return hmac.compare_digest(expected, authorization) and abs(time.time() - timestamp) < 300

    def handle(self, path, headers, body):
        if not self._authorised(headers, body):
            self.refused.append("signature")
            error = {
                "Code": "AuthFailure.SignatureFailure",
                "Message": "The provided credentials could not be validated.",
            }
            return 200, {"Response": {"Error": error, "RequestId": "T0"}}, ""
        if headers.get("X-TC-Version") != "2021-01-11" or not headers.get("X-TC-Region"):
            self.refused.append("version/region")
            return 200, {"Response": {"Error": {"Code": "InvalidParameter", "Message": "version"}}}, ""
        data = json.loads(body)
        action = headers.get("X-TC-Action")
        assert data["SmsSdkAppId"] == self.app_id
        self.requests.append({"Action": action, **data})
        if action == "PullSmsSendStatusByPhoneNumber":
            found = [
                {
                    "SerialNo": sms["SerialNo"],
                    "SessionContext": sms["SessionContext"],
                    "ReportStatus": "SUCCESS",
                }
                for sms in self.accepted
                if sms["PhoneNumberSet"][0] == data["PhoneNumber"]
            ]
            return 200, {"Response": {"PullSmsSendStatusSet": found, "RequestId": "T1"}}, ""
        assert action == "SendSms"
        for name in ("PhoneNumberSet", "SignName", "TemplateId"):
            if not data.get(name):
                error = {"Code": "MissingParameter", "Message": f"{name} is missing"}
                return 200, {"Response": {"Error": error, "RequestId": "T2"}}, ""
        step = self.next_step()
        phone = data["PhoneNumberSet"][0]
        if step == "RequestLimitExceeded":  # an API-level error, not one per number
            error = {"Code": step, "Message": "request limit exceeded"}
            return 200, {"Response": {"Error": error, "RequestId": "T3"}}, step
        if step in {"ok", "timeout"}:
            serial = f"2640:{len(self.accepted) + 1:010d}"
            self.accepted.append({**data, "SerialNo": serial})
            status = {
                "SerialNo": serial,
                "PhoneNumber": phone,
                "Fee": 1,
                "Code": "Ok",
                "Message": "send success",
            }
        elif step == "lost":
            status = {
                "SerialNo": "never",
                "PhoneNumber": phone,
                "Fee": 1,
                "Code": "Ok",
                "Message": "send success",
            }
        else:
            status = {"SerialNo": "", "PhoneNumber": phone, "Fee": 0, "Code": step, "Message": "refused"}
        status["SessionContext"] = data.get("SessionContext", "")
        return 200, {"Response": {"SendStatusSet": [status], "RequestId": "T4"}}, step


# --- WeCom group robot ----------------------------------------------------------------------------------


@dataclass
class WeComRobot(Provider):
    key: str = "robot-test-key"

    def handle(self, path, headers, body):
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query))
        if not urllib.parse.urlsplit(path).path.endswith("/cgi-bin/webhook/send"):
            return 404, {"errcode": 404, "errmsg": "not found"}, ""
        if query.get("key") != self.key:
            return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}, ""
        data = json.loads(body)
        if data.get("msgtype") != "markdown" or not data.get("markdown", {}).get("content"):
            return 200, {"errcode": 40008, "errmsg": "invalid message type"}, ""
        if len(data["markdown"]["content"].encode()) > 4096:
            return 200, {"errcode": 40058, "errmsg": "content exceed max length"}, ""
        self.requests.append(data)
        step = self.next_step()
        if step in {"ok", "timeout"}:
            self.accepted.append(data)
            return 200, {"errcode": 0, "errmsg": "ok"}, step
        if step == "lost":
            return 200, {"errcode": 0, "errmsg": "ok"}, step
        return 200, {"errcode": int(step), "errmsg": "refused"}, step


# --- WeChat Official Account API ----------------------------------------------------------------------


@dataclass
class WeChatApi(Provider):
    """api.weixin.qq.com: /cgi-bin/token, /cgi-bin/message/template/send and /cgi-bin/media/get.

    Tokens are issued per call (expires_in 7200) and checked on every call: an unknown token is
    40001, one the test has `expire`d is 42001, as WeChat answers. A template message needs a known
    template id (else 40037) and a follower's OpenID (else 40003); `script` gives the send's next
    answers ("ok", "timeout", "lost", or an errcode such as "45009", "-1", "43004", "42001").
    `media` holds the temporary media by media_id.
    """

    app_id: str = "wx-test-app-id"
    secret: str = "wechat-test-secret"
    templates: set[str] = field(default_factory=lambda: {"TPL-REGISTERED", "TPL-RESOLVED"})
    followers: set[str] = field(default_factory=set)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    tokens: list[str] = field(default_factory=list)
    expired: set[str] = field(default_factory=set)

    def expire(self) -> None:
        """Every token issued so far expires (WeChat: 42001 access_token expired)."""
        self.expired.update(self.tokens)

    def _token_error(self, query: dict) -> dict | None:
        token = query.get("access_token", "")
        if token in self.expired:
            return {"errcode": 42001, "errmsg": "access_token expired"}
        if token not in self.tokens:
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
        return None

    def handle(self, path, headers, body):
        parts = urllib.parse.urlsplit(path)
        query = dict(urllib.parse.parse_qsl(parts.query))
        if parts.path == "/cgi-bin/token":
            if query.get("grant_type") != "client_credential" or query.get("appid") != self.app_id:
                return 200, {"errcode": 40013, "errmsg": "invalid appid"}, ""
            if query.get("secret") != self.secret:
                self.refused.append("secret")
                return 200, {"errcode": 40125, "errmsg": "invalid appsecret"}, ""
            token = f"token-{len(self.tokens) + 1}"
            self.tokens.append(token)
            return 200, {"access_token": token, "expires_in": 7200}, ""
        if parts.path == "/cgi-bin/media/get":
            if (error := self._token_error(query)) is not None:
                return 200, error, ""
            self.requests.append({"media_id": query.get("media_id")})
            if query.get("media_id") not in self.media:
                return 200, {"errcode": 40007, "errmsg": "invalid media_id"}, ""
            return 200, self.media[query["media_id"]], ""
        if parts.path != "/cgi-bin/message/template/send" or body is None:
            return 404, {"errcode": 404, "errmsg": "not found"}, ""
        if (error := self._token_error(query)) is not None:
            return 200, error, ""
        data = json.loads(body)
        self.requests.append(data)
        if data.get("template_id") not in self.templates:
            return 200, {"errcode": 40037, "errmsg": "invalid template_id"}, ""
        if data.get("touser") not in self.followers:
            return 200, {"errcode": 40003, "errmsg": "invalid openid"}, ""
        if any(len(item.get("value", "")) > 20 for item in data.get("data", {}).values()):
            return 200, {"errcode": 47003, "errmsg": "argument invalid! data.keyword1.value exceed limit"}, ""
        step = self.next_step()
        if step in {"ok", "timeout"}:
            msgid = 200_000_000 + len(self.accepted) + 1
            self.accepted.append({**data, "msgid": msgid})
            return 200, {"errcode": 0, "errmsg": "ok", "msgid": msgid}, step
        if step == "lost":
            return 200, {"errcode": 0, "errmsg": "ok", "msgid": 1}, step
        if step == "42001":  # the token expires just now: this request is refused like any with it
            self.expire()
            return 200, {"errcode": 42001, "errmsg": "access_token expired"}, step
        return 200, {"errcode": int(step), "errmsg": "refused"}, step
