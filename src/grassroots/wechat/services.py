"""What a follower's message does: bind their phone, report a problem, add to it, unbind.

Every message gets a short Chinese reply (the passive reply WeChat shows at once):

- "绑定 13800000000": a code goes to that phone by SMS (through notify, as every SMS: the per-phone
  limit, retries, the dead letter), valid CODE_MINUTES; the follower answers with the six digits.
  The reply is the same whether or not a resident has that number, so nobody can try numbers
  against the register. At most CODES_PER_HOUR requests an hour per follower and per phone, and
  CODE_TRIES wrong codes end a request.
- a text or a photo from a bound follower becomes a case reported by the resident (channel WeChat,
  their household as the place, the inbound category; staff recategorise at registration), or, when
  their previous message went to a case that is still being handled (reported, registered, in hand)
  less than GRASSROOTS_WECHAT_THREAD_HOURS ago, a note (and the photo) on that case: people send a
  problem in several messages. The reply names the case number.
- from a follower who is not bound, no case is made: the reply says how to bind, and to phone the
  community (or 110/119/120) when it is urgent. The account cannot know who or where they are, and
  the template messages could not reach them through a resident's record; a resident not in the
  register phones or comes in, as before.
- "解绑": the binding is deleted (and on unsubscribing too).

The actor is the system actor (accounts.system_actor), with the resident as the reporter, so the
resident hears of the case's progress as any reporter does (and by WeChat, notify.followers).
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone

from grassroots.accounts import system_actor
from grassroots.api.inbound import inbound_category, reply_text, resident_with_phone
from grassroots.cases import services as cases
from grassroots.cases.models import Case, Channel
from grassroots.cases.workflow import UNRESOLVED, Status
from grassroots.core import pii
from grassroots.notify import conf
from grassroots.notify.models import MessageReason
from grassroots.notify.services import sms_write
from grassroots.places.models import Community
from grassroots.wechat.models import BindingRequest, Follower, Inbound, openid_hash

logger = logging.getLogger("grassroots.wechat")

CODE_MINUTES = 10
CODE_TRIES = 5
CODES_PER_HOUR = 3
#: A case a new message may still add to: reported, registered or in hand (not yet resolved).
THREAD_STATUSES = frozenset({Status.REPORTED}) | UNRESOLVED
#: The longest text taken from one message (WeChat allows 2048 characters).
MAX_TEXT = 2000

_BIND = re.compile(r"^\s*(?:绑定|綁定|bind)\s*[:：]?\s*(\+?[\d\- ]{5,20})\s*$", re.IGNORECASE)
_CODE = re.compile(r"^\s*(\d{6})\s*$")
_UNBIND = re.compile(r"^\s*(?:解绑|解除绑定|unbind)\s*$", re.IGNORECASE)


def account_community() -> Community:
    """The community whose residents follow the account (GRASSROOTS_WECHAT_COMMUNITY, its code)."""
    code = conf.get("GRASSROOTS_WECHAT_COMMUNITY")
    community = Community.objects.filter(code=code).first() if code else None
    if community is None:
        raise ImproperlyConfigured("GRASSROOTS_WECHAT_COMMUNITY does not name a community's code.")
    return community


# --- replies (to the follower: Chinese) ---------------------------------------------------------------


def how_to_bind(community: Community) -> str:
    return (
        f"【{community.name}】您好！请先绑定您在社区登记的手机号码：回复“绑定 手机号码”，"
        "例如“绑定 13800000000”，再回复短信中的6位验证码。绑定后，您发来的文字和图片将登记为诉求，"
        "办理进度会通过本公众号通知您。如遇紧急情况，请直接拨打社区电话或110、119、120。"
    )


def _added_text(case: Case) -> str:
    return f"【{case.community.name}】已补充到您的诉求（编号{case.number}），社区工作人员会一并处理。"


UNSUPPORTED = "目前只能接收文字和图片消息。请用文字描述您遇到的问题，也可以发送照片。"


# --- the entry point -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Incoming:
    """One message or event from WeChat, as the callback parsed it (wechatpy's message, reduced)."""

    key: str  # "msg:<MsgId>", or for an event "event:<follower hash>:<CreateTime>:<event>"
    openid: str
    kind: str  # text, image, event, or another message type
    text: str = ""
    media_id: str = ""
    event: str = ""
    msg_id: str = ""  # for TEMPLATESENDJOBFINISH: the template message's msgid
    status: str = ""  # for TEMPLATESENDJOBFINISH: success / failed:user block / failed: system failed


def receive(incoming: Incoming) -> str:
    """Do what the message asks and return the reply text ("" for none). Once per key.

    A repeat of a key already handled gets the first reply again; two deliveries of the same
    message at once are serialised by the key's unique index (the second waits, then finds it).
    """
    community = account_community()
    found = Inbound.objects.filter(key=incoming.key).first()
    if found is not None:
        return found.reply
    try:
        with transaction.atomic():
            row = Inbound.objects.create(key=incoming.key[:120], community=community)
            reply, case = _handle(incoming, community)
            row.reply, row.case = reply, case
            row.save(update_fields=["reply", "case"])
    except IntegrityError:  # the same message, handled meanwhile by another request
        found = Inbound.objects.filter(key=incoming.key).first()
        if found is None:
            raise
        return found.reply
    return reply


def _handle(incoming: Incoming, community: Community) -> tuple[str, Case | None]:
    hashed = openid_hash(incoming.openid)
    if incoming.kind == "event":
        return _event(incoming, community, hashed), None
    if incoming.kind == "text":
        text = incoming.text.strip()[:MAX_TEXT]
        if match := _BIND.match(text):
            return bind_start(community=community, follower_hash=hashed, phone=match.group(1)), None
        if _UNBIND.match(text):
            return unbind(follower_hash=hashed, community=community), None
        if (match := _CODE.match(text)) and _pending(hashed) is not None:
            return bind_confirm(community=community, openid=incoming.openid, code=match.group(1)), None
        if not text:
            return UNSUPPORTED, None
        return report(community=community, follower_hash=hashed, text=text)
    if incoming.kind == "image":
        return report(community=community, follower_hash=hashed, media_id=incoming.media_id)
    return UNSUPPORTED, None


def _event(incoming: Incoming, community: Community, hashed: str) -> str:
    event = incoming.event.lower()
    if event == "subscribe":
        if Follower.objects.filter(openid_hash=hashed).exists():
            return f"【{community.name}】欢迎回来！您已绑定，可以直接发送文字或图片反映问题。"
        return how_to_bind(community)
    if event == "unsubscribe":  # the follower left: the binding's purpose is over
        Follower.objects.filter(openid_hash=hashed).delete()
        BindingRequest.objects.filter(openid_hash=hashed).delete()
        return ""
    if event == "templatesendjobfinish":
        _template_receipt(incoming)
        return ""
    return ""


def _template_receipt(incoming: Incoming) -> None:
    """WeChat's report on a template message: delivered, or refused by the follower (blocked)."""
    from grassroots.notify.services import Receipt, receipts_record

    if not incoming.msg_id:
        return
    status = incoming.status.strip().lower()
    receipts_record(
        transport="wechat",
        receipts=[
            Receipt(
                message_id=None,
                provider_ref=incoming.msg_id[:64],
                delivered=status == "success",
                code=incoming.status[:40],
            )
        ],
    )


# --- binding -----------------------------------------------------------------------------------------------


def _code_hash(follower_hash: str, code: str) -> str:
    return pii.blind_index("wechat-bind-code", f"{follower_hash}:{code}")


def _pending(follower_hash: str) -> BindingRequest | None:
    return (
        BindingRequest.objects.filter(openid_hash=follower_hash, closed_at__isnull=True)
        .order_by("-created_at", "-pk")
        .first()
    )


def bind_start(*, community: Community, follower_hash: str, phone: str) -> str:
    """Send a code to the phone, when a resident of the community has it; the same reply either way."""
    digits = pii.normalise_phone(phone)
    if not (pii.phone_is_plausible(digits) and pii.phone_is_mobile(digits)):
        return "请回复“绑定 手机号码”，例如“绑定 13800000000”（须是手机号码）。"
    now = timezone.now()
    hour_ago = now - timedelta(hours=1)
    phone_hash = pii.phone_hash(digits)
    recent = BindingRequest.objects.filter(created_at__gte=hour_ago)
    if (
        recent.filter(openid_hash=follower_hash)[:CODES_PER_HOUR].count() >= CODES_PER_HOUR
        or recent.filter(phone_hash=phone_hash)[:CODES_PER_HOUR].count() >= CODES_PER_HOUR
    ):
        return "验证码请求过于频繁，请一小时后再试。"
    BindingRequest.objects.filter(openid_hash=follower_hash, closed_at__isnull=True).update(closed_at=now)
    person = resident_with_phone(community, digits)
    code = f"{secrets.randbelow(10**6):06d}"
    request = BindingRequest.objects.create(
        community=community,
        openid_hash=follower_hash,
        phone_hash=phone_hash,
        person=person,
        code_hash=_code_hash(follower_hash, code),
        expires_at=now + timedelta(minutes=CODE_MINUTES),
    )
    if person is not None:
        sms_write(
            digits=digits,
            name=person.name,
            reason=MessageReason.VERIFY,
            subject="微信绑定验证码",
            body=(
                f"【{community.name}】您正在绑定社区微信公众号，验证码{code}，{CODE_MINUTES}分钟内有效。"
                "如非本人操作，请忽略本短信。"
            ),
            key=f"wechat-bind:{request.pk}",
        )
    return (
        f"如果 {pii.mask_phone(digits)} 已在社区登记，验证码短信马上就到。"
        f"请在{CODE_MINUTES}分钟内直接回复短信中的6位验证码。"
    )


def bind_confirm(*, community: Community, openid: str, code: str) -> str:
    """The follower's answer to the code: bound, or wrong (tries left), expired, too many tries."""
    follower_hash = openid_hash(openid)
    now = timezone.now()
    with transaction.atomic():
        request = (
            BindingRequest.objects.select_for_update()
            .filter(openid_hash=follower_hash, closed_at__isnull=True)
            .order_by("-created_at", "-pk")
            .first()
        )
        if request is None:
            return how_to_bind(community)
        if request.expires_at <= now:
            BindingRequest.objects.filter(pk=request.pk).update(closed_at=now)
            return "验证码已过期，请重新回复“绑定 手机号码”获取新的验证码。"
        request.attempts += 1
        right = request.person_id is not None and hmac.compare_digest(
            request.code_hash, _code_hash(follower_hash, code)
        )
        if not right:
            left = CODE_TRIES - request.attempts
            request.closed_at = now if left <= 0 else None
            request.save(update_fields=["attempts", "closed_at"])
            if left <= 0:
                return "验证码错误次数过多，本次绑定已失效。请重新回复“绑定 手机号码”获取新的验证码。"
            return f"验证码不正确，您还可以再试{left}次。"
        request.closed_at = now
        request.save(update_fields=["attempts", "closed_at"])
        Follower.objects.update_or_create(
            openid_hash=follower_hash,
            defaults={
                "openid": openid,
                "person_id": request.person_id,
                "community": community,
                "bound_at": now,
                "last_case": None,
                "last_message_at": None,
            },
        )
    return (
        f"【{community.name}】绑定成功！今后您发来的文字和图片将登记为诉求，办理进度会通过本公众号通知您。"
        "回复“解绑”可以解除绑定。"
    )


def unbind(*, follower_hash: str, community: Community) -> str:
    deleted, _ = Follower.objects.filter(openid_hash=follower_hash).delete()
    BindingRequest.objects.filter(openid_hash=follower_hash, closed_at__isnull=True).update(
        closed_at=timezone.now()
    )
    if not deleted:
        return how_to_bind(community)
    return f"【{community.name}】已解除绑定，您的微信不再接收诉求进度通知。需要时可重新回复“绑定 手机号码”。"


# --- reporting ----------------------------------------------------------------------------------------------


def _open_thread(follower: Follower, now) -> Case | None:
    """The case the follower's previous message went to, if it is still being handled and recent."""
    if follower.last_case_id is None or follower.last_message_at is None:
        return None
    window = timedelta(hours=conf.get("GRASSROOTS_WECHAT_THREAD_HOURS"))
    if now - follower.last_message_at > window:
        return None
    case = Case.objects.select_related("community").filter(pk=follower.last_case_id).first()
    return case if case is not None and case.status in THREAD_STATUSES else None


PHOTO_TEXT = "（居民通过微信发来一张图片）"


def report(
    *, community: Community, follower_hash: str, text: str = "", media_id: str = ""
) -> tuple[str, Case | None]:
    """A bound follower's text or photo: a new case, or an addition to the one they are writing about."""
    follower = (
        Follower.objects.select_for_update(of=("self",))
        .select_related("person__current_household")
        .filter(openid_hash=follower_hash, community=community)
        .first()
    )
    if follower is None:
        return how_to_bind(community), None
    now = timezone.now()
    actor = system_actor()
    case = _open_thread(follower, now)
    if case is not None:
        cases.case_note(actor=actor, case=case, note=text or PHOTO_TEXT)
        reply = _added_text(case)
    else:
        person = follower.person
        details = cases.ReportDetails(
            category=inbound_category(),
            description=text or PHOTO_TEXT,
            channel=Channel.WECHAT,
            reporter_person=person,
            reporter_name=person.name,
            household=person.current_household if person.current_household_id else None,
        )
        case = cases.case_report(actor=actor, community=community, details=details, note="微信公众号消息")
        reply = reply_text(case)
    Follower.objects.filter(pk=follower.pk).update(last_case=case, last_message_at=now)
    if media_id:
        case_id = case.pk
        transaction.on_commit(lambda: _queue_photo(case_id, media_id))
    return reply, case


def _queue_photo(case_id: int, media_id: str) -> None:
    from grassroots.wechat.tasks import fetch_photo

    try:
        fetch_photo.enqueue(case_id, media_id)
    except Exception:
        logger.exception("could not queue the photo of a WeChat message for case %s", case_id)
