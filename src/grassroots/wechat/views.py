"""The Official Account's message callback (服务器配置 → URL): WeChat's XML protocol, not our REST API.

- GET with signature, timestamp, nonce and echostr: WeChat checks the address when it is saved in
  the console; the echostr is answered when the signature (SHA-1 of the sorted token, timestamp and
  nonce) holds.
- POST: a follower's message or an event. The signature is checked (403 otherwise, and nothing is
  done); in the safe mode (encrypt_type=aes) the body's Encrypt is checked against msg_signature and
  decrypted with the EncodingAESKey, and the reply is encrypted the same way. With an EncodingAESKey
  configured, a plain message is refused: the account is in the safe mode, so WeChat never sends one.
  A timestamp more than ten minutes off is refused too, so a recorded request cannot be played back
  after the week the replies are kept (models.Inbound).

wechatpy checks the signatures, decrypts, parses and renders the passive reply. The reply is
written at once (WeChat waits five seconds, then repeats the message): the case is saved in the
request, the photo fetched afterwards (tasks.fetch_photo). Not in the OpenAPI schema: the schema
describes /api/v1/, and this endpoint speaks WeChat's XML to WeChat only (docs/channels.md).
Nothing here logs the body, the OpenID or a phone number.
"""

from __future__ import annotations

import logging
import time

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from grassroots.notify import conf
from grassroots.wechat.models import openid_hash
from grassroots.wechat.services import Incoming, receive

logger = logging.getLogger("grassroots.wechat")

#: How far a callback's timestamp may be from our clock.
CLOCK_SKEW = 600
#: The largest body taken (a text message is at most 2048 characters; an event is smaller).
MAX_BODY = 64 * 1024


def _signed(request) -> bool:
    token = conf.get("GRASSROOTS_WECHAT_TOKEN")
    query = request.GET
    try:
        check_signature(token, query.get("signature", ""), query.get("timestamp", ""), query.get("nonce", ""))
        stamp = int(query.get("timestamp", ""))
    except (InvalidSignatureException, ValueError):
        return False
    return abs(time.time() - stamp) <= CLOCK_SKEW


def _crypto() -> WeChatCrypto | None:
    key = conf.get("GRASSROOTS_WECHAT_ENCODING_AES_KEY")
    if not key:
        return None
    return WeChatCrypto(conf.get("GRASSROOTS_WECHAT_TOKEN"), key, conf.get("GRASSROOTS_WECHAT_APP_ID"))


def _incoming(message) -> Incoming:
    """wechatpy's message, reduced to what the services read (no PicUrl: the photo is fetched by id)."""
    kind = message.type
    event = getattr(message, "event", "") if kind == "event" else ""
    if kind == "event":
        key = f"event:{openid_hash(message.source)[:32]}:{message.time}:{event}"
    else:
        key = f"msg:{message.id}"
    return Incoming(
        key=key,
        openid=message.source,
        kind=kind,
        text=getattr(message, "content", "") or "" if kind == "text" else "",
        media_id=getattr(message, "media_id", "") or "" if kind == "image" else "",
        event="subscribe" if event.startswith("subscribe") else event,
        msg_id=str(getattr(message, "id", "") or "") if event == "templatesendjobfinish" else "",
        status=str(getattr(message, "status", "") or "") if event == "templatesendjobfinish" else "",
    )


@login_not_required
@csrf_exempt
@require_http_methods(["GET", "POST"])
def callback(request):
    """WeChat's GET check of the address and its POSTs of messages and events."""
    if not (conf.get("GRASSROOTS_WECHAT_TOKEN") and conf.get("GRASSROOTS_WECHAT_COMMUNITY")):
        raise Http404
    if not _signed(request):
        return HttpResponseForbidden("signature")
    if request.method == "GET":
        return HttpResponse(request.GET.get("echostr", ""), content_type="text/plain")
    if len(request.body) > MAX_BODY:
        return HttpResponseBadRequest("too large")
    crypto = _crypto()
    encrypted = request.GET.get("encrypt_type", "").lower() == "aes"
    if crypto is not None and not encrypted:
        return HttpResponseForbidden("the account is in the safe mode: plain messages are refused")
    nonce, stamp = request.GET.get("nonce", ""), request.GET.get("timestamp", "")
    body = request.body
    try:
        if encrypted:
            if crypto is None:
                return HttpResponseBadRequest("no EncodingAESKey is configured")
            body = crypto.decrypt_message(body, request.GET.get("msg_signature", ""), stamp, nonce)
        message = parse_message(body)
        incoming = _incoming(message) if message is not None and message.source else None
    except InvalidSignatureException:
        return HttpResponseForbidden("msg_signature")
    except InvalidAppIdException:
        return HttpResponseForbidden("appid")
    except Exception as error:  # rubbish XML, base64 or padding: never a 500, never the body in a log
        logger.warning("a WeChat callback could not be read: %s", type(error).__name__)
        return HttpResponseBadRequest("unreadable")
    if incoming is None:
        return HttpResponseBadRequest("unreadable")
    text = receive(incoming)
    if not text:
        return HttpResponse("success", content_type="text/plain")
    reply = TextReply(content=text, message=message).render()
    if encrypted:
        reply = crypto.encrypt_message(reply, nonce, stamp)
    return HttpResponse(reply, content_type="application/xml; charset=utf-8")
