"""How a message leaves the system: one small interface, a few transports behind it.

A channel's `send(message)` returns when the message is on its way (a gateway's
reference for it, or nothing) and raises DeliveryError (or anything else) when it
is not; the delivery task records the error and tries again later. Which transport
carries which kind of message is configured in settings (GRASSROOTS_NOTIFY_*): by
default everything goes to the console channel, which writes to var/outbox.log and
sends nothing; gateways.py holds the real SMS gateways and the WeCom group robot.

No channel ever writes a full phone number to a file or a log: only the masked form.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from django.core.mail import send_mail
from django.utils import timezone, translation

from grassroots.core import pii
from grassroots.notify import conf

if TYPE_CHECKING:
    from grassroots.notify.models import Message

logger = logging.getLogger("grassroots.notify")

# Runs of 7+ digits, mobiles written 138-1234-5678, landlines 022-12345678; not the digits of a
# case number (HSY-20261128-0007), which follow a letter or a dash.
_PHONE_LIKE = re.compile(
    r"(?<![A-Za-z0-9-])(?:\+?86[- ]?)?(?:1\d{2}[- ]\d{4}[- ]\d{4}|0\d{2,3}-\d{7,8}|\d{7,})(?!\d)"
)


#: What a link of ours is made of (no CJK punctuation: a text may go on right after a link).
URL_CHARS = r"[A-Za-z0-9\-._~/?#=&%+*:]"


def scrub_phones(text: str) -> str:
    """Mask anything that looks like a phone number (7 or more digits), e.g. typed into a description.

    Our own links (on GRASSROOTS_PUBLIC_URL) are left whole: a case's random token may begin with
    seven digits, and a masked token is a dead link.
    """
    text = text or ""
    base = conf.get("GRASSROOTS_PUBLIC_URL")
    parts = re.split(f"({re.escape(base)}/{URL_CHARS}*)", text) if base else [text]
    return "".join(
        part
        if index % 2
        else _PHONE_LIKE.sub(lambda match: pii.mask_phone(pii.normalise_phone(match.group())), part)
        for index, part in enumerate(parts)
    )


class DeliveryError(Exception):
    """The transport refused or could not be reached; the message will be tried again."""


class Channel(Protocol):
    """A transport: `name` is recorded on the message, `send` raises when delivery failed."""

    name: str

    def send(self, message: Message) -> str | None: ...


class InboxChannel:
    """In-app messages: the row itself is the delivery, there is nothing to send."""

    name = "inbox"

    def send(self, message: Message) -> None:
        return None


class ConsoleChannel:
    """Development and demo transport: one line per message in the outbox file and the log.

    The address is written masked, and any phone-like number in the text is masked
    too, so the outbox can be shown on a screen or attached to a bug report.
    """

    name = "console"
    _lock = threading.Lock()

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path or conf.get("GRASSROOTS_NOTIFY_OUTBOX"))

    def line(self, message: Message, *, deliverable: bool = False) -> str:
        """One outbox line: local time with its offset (as every page shows time), the reason in words.

        The outbox file gets the text as sent (`deliverable`: a one-tap link whole); the log, the
        stored text with the link masked.
        """
        body = message.deliverable_body() if deliverable else message.body
        text = " ".join(f"{message.subject} | {body}".split())
        with translation.override("zh-hans"):  # the language of the messages themselves
            reason = message.reason_label or "-"
        return scrub_phones(
            f"{timezone.localtime().isoformat(timespec='seconds')} #{message.pk} {message.channel} "
            f"to={message.address_masked or '-'} case={message.case.number if message.case_id else '-'} "
            f"reason={reason} {text}"
        )

    def send(self, message: Message) -> None:
        line = self.line(message, deliverable=True)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.path.open("a", encoding="utf-8") as outbox:
            outbox.write(line + "\n")
        logger.info("outbox %s", self.line(message))


class EmailChannel:
    """E-mail through Django's configured e-mail backend (EMAIL_* settings)."""

    name = "email"

    def send(self, message: Message) -> None:
        address = message.deliverable_address()
        if not address:
            raise DeliveryError("no e-mail address")
        send_mail(message.subject or message.body[:40], message.body, None, [address], fail_silently=False)


class WebhookChannel:
    """POST {to, text, case, channel, id} as JSON to an SMS gateway or a WeChat bridge.

    A 2xx answer means accepted; anything else, a timeout or a refused connection
    raises DeliveryError. The message id is sent as an Idempotency-Key so that a
    gateway can drop a repeat after a retry whose first answer was lost.
    """

    name = "webhook"

    def __init__(self, url: str | None = None, token: str | None = None, timeout: float | None = None):
        self.url = url if url is not None else conf.get("GRASSROOTS_NOTIFY_WEBHOOK_URL")
        self.token = token if token is not None else conf.get("GRASSROOTS_NOTIFY_WEBHOOK_TOKEN")
        self.timeout = timeout if timeout is not None else conf.get("GRASSROOTS_NOTIFY_WEBHOOK_TIMEOUT")

    def send(self, message: Message) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise DeliveryError("GRASSROOTS_NOTIFY_WEBHOOK_URL is not set to an http(s) URL")
        payload = {
            "id": message.pk,
            "to": message.deliverable_address(),
            "text": message.deliverable_body(),
            "case": message.case.number if message.case_id else "",
            "channel": message.channel,
        }
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": f"grassroots-message-{message.pk}",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            self.url, data=json.dumps(payload, ensure_ascii=False).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as error:  # never echo the answer's body: it may quote the number
            raise DeliveryError(f"HTTP {error.code} {error.reason}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise DeliveryError(f"webhook unreachable: {reason}") from None
        if not 200 <= status < 300:
            raise DeliveryError(f"HTTP {status}")


def sms_channel() -> Channel:
    """The SMS transport GRASSROOTS_NOTIFY_SMS names: console (default), webhook, aliyun or tencent."""
    transport = conf.get("GRASSROOTS_NOTIFY_SMS")
    if transport == "webhook":
        return WebhookChannel()
    if transport in {"aliyun", "tencent"}:
        from grassroots.notify import gateways

        return gateways.AliyunSmsChannel() if transport == "aliyun" else gateways.TencentSmsChannel()
    return ConsoleChannel()


def channel_for(message: Message) -> Channel:
    """The transport for this message's channel, as configured now."""
    if message.channel == "inbox":
        return InboxChannel()
    if message.channel == "email":
        return EmailChannel()
    if message.channel == "wechat":
        from grassroots.notify.gateways import WeChatTemplateChannel

        return WeChatTemplateChannel()
    if message.channel == "wecom":
        from grassroots.notify.gateways import WeComRobotChannel

        return WeComRobotChannel()
    return sms_channel()
