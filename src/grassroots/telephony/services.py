"""The writes of the phone line: a call event from the switchboard, signing on and off, a call-back.

`call_event` is the one write path of a call: the switchboard's events arrive in any order and may
arrive twice (a retried curl), so each event moves the call forward only (ringing → answered →
ended; ringing → missed) and a repeated or late event changes nothing. A call that ends without
being answered is missed. A missed call from a resident of the care register's high-risk tier
becomes a call-back task: the call is marked "call-back due" and the workers on duty (else the
community's mouth) get a "call-back due" notice in their inbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.accounts.models import User
from grassroots.accounts.roles import is_mouth, role_filter, user_can
from grassroots.api.inbound import resident_with_phone
from grassroots.api.models import ApiClient
from grassroots.care.models import CareProfile, Tier
from grassroots.core import pii
from grassroots.notify.models import Message, MessageChannel, MessageReason, MessageStatus
from grassroots.telephony.models import (
    ACTIVE_STATUSES,
    DUTY_HOURS,
    Call,
    CallBack,
    CallStatus,
    Line,
    LineDuty,
)


class CallEvent:
    RINGING, ANSWERED, ENDED, MISSED = "ringing", "answered", "ended", "missed"
    ALL = (RINGING, ANSWERED, ENDED, MISSED)


#: What switchboards send for a number they do not know (withheld, anonymous): a call without a number.
WITHHELD = {"", "anonymous", "unknown", "private", "restricted", "unavailable", "withheld"}
#: How far from now an event's time may be (a switchboard's clock, a queued retry).
PAST_LIMIT, FUTURE_LIMIT = timedelta(days=1), timedelta(minutes=5)
#: Order of the states: an event never moves a call back.
_RANK = {CallStatus.RINGING: 0, CallStatus.ANSWERED: 1, CallStatus.ENDED: 2, CallStatus.MISSED: 2}


@dataclass(frozen=True)
class CallEventResult:
    call: Call
    created: bool
    changed: bool


def _caller_digits(caller: str) -> str:
    if caller.strip().lower() in WITHHELD:
        return ""
    digits = pii.normalise_phone(caller)
    if not pii.phone_is_plausible(digits):
        raise ValidationError({"caller": _("This does not look like a phone number.")})
    return digits


def _check_time(at: datetime | None, now: datetime) -> datetime:
    if at is None:
        return now
    if not (now - PAST_LIMIT <= at <= now + FUTURE_LIMIT):
        raise ValidationError({"time": _("Give a time within the last day.")})
    return min(at, now)


def line_for_code(*, community_id: int, code: str) -> Line:
    line = Line.objects.filter(community_id=community_id, code=code, active=True).first()
    if line is None:
        raise ValidationError({"line": _("No active line with this code in the community of this key.")})
    return line


def call_event(
    *,
    client: ApiClient,
    call_id: str,
    line: str,
    event: str,
    caller: str = "",
    at: datetime | None = None,
    _retry: bool = True,
) -> CallEventResult:
    """Record one switchboard event of a call (see the module docstring for the order of events)."""
    if event not in CallEvent.ALL:
        raise ValidationError({"event": _("Unknown event.")})
    now = timezone.now()
    at = _check_time(at, now)
    the_line = line_for_code(community_id=client.community_id, code=line)
    digits = _caller_digits(caller)
    try:
        with transaction.atomic():
            call = Call.objects.select_for_update().filter(line=the_line, call_id=call_id).first()
            created = call is None
            if created:
                call = _new_call(the_line, call_id=call_id, digits=digits, at=at)
            changed = _advance(call, event, at) or created
            if changed:
                call.updated_at = now
                call.save()
                if call.status == CallStatus.MISSED:
                    _call_back_if_at_risk(call)
    except IntegrityError:  # the same new call announced twice at once: the other one wrote it
        if not _retry:
            raise
        return call_event(
            _retry=False, client=client, call_id=call_id, line=line, event=event, caller=caller, at=at
        )
    return CallEventResult(call=call, created=created, changed=changed)


def _new_call(line: Line, *, call_id: str, digits: str, at: datetime) -> Call:
    call = Call(
        community_id=line.community_id, line=line, call_id=call_id, status=CallStatus.RINGING, rang_at=at
    )
    call.set_caller(digits)
    call.person = resident_with_phone(line.community, digits) if digits else None
    return call


def _advance(call: Call, event: str, at: datetime) -> bool:
    """Move the call to the event's state if that is forward; False when it changes nothing."""
    if event == CallEvent.ENDED and call.answered_at is None:
        event = CallEvent.MISSED  # it rang and nobody answered
    target = CallStatus(event)
    if call.pk is not None and _RANK[target] <= _RANK[CallStatus(call.status)]:
        return False
    call.status = target
    if target == CallStatus.ANSWERED:
        call.answered_at = at
    elif target in (CallStatus.ENDED, CallStatus.MISSED):
        call.ended_at = at
    return True


def is_high_risk(person_id: int | None) -> bool:
    """The care register's high-risk tier (`care.models.Tier.HIGH`), computed or set by a worker."""
    return bool(person_id) and CareProfile.objects.filter(person_id=person_id, tier=Tier.HIGH).exists()


def on_duty(line: Line, *, now: datetime | None = None):
    """The users signed on to the line now (their shift not over)."""
    now = now or timezone.now()
    return User.objects.filter(
        is_active=True,
        line_duties__line=line,
        line_duties__ended_at__isnull=True,
        line_duties__started_at__gte=now - timedelta(hours=DUTY_HOURS),
    ).distinct()


def _call_back_if_at_risk(call: Call) -> None:
    """A missed call from a high-risk resident: a call-back task, in the inbox of who answers the line."""
    if call.callback or not is_high_risk(call.person_id):
        return
    call.callback = CallBack.DUE
    call.save(update_fields=["callback"])
    told = list(on_duty(call.line).order_by("pk")) or list(
        User.objects.filter(role_filter(is_mouth), community_id=call.community_id, is_active=True).order_by(
            "pk"
        )
    )
    at = timezone.localtime(call.rang_at).strftime("%H:%M")
    name = call.person.name if call.person else ""
    body = (
        f"未接来电：{name}（关爱名册高风险）{call.caller_masked} 于 {at} 来电"
        f"（{call.line.name}）未接通，请尽快回拨。回拨后在“待回拨”中标记。"
    )
    now = timezone.now()
    Message.objects.bulk_create(
        [
            Message(
                reason=MessageReason.CALLBACK,
                recipient=user,
                recipient_key=f"missed-call:{call.pk}:user:{user.pk}",
                recipient_name=user.display_name[:100],
                address_masked=user.username,
                channel=MessageChannel.INBOX,
                transport="inbox",
                subject=f"待回拨：{name}",
                body=body,
                status=MessageStatus.SENT,
                created_at=now,
                sent_at=now,
            )
            for user in told
        ]
    )


# --- duty -------------------------------------------------------------------------------------------


def _line_to_take(actor: User, line_id) -> Line:
    if not user_can(actor, "telephony.line.take"):
        raise PermissionDenied
    line = Line.objects.visible_to(actor).filter(pk=line_id, active=True).first()
    if line is None:
        raise PermissionDenied
    return line


@transaction.atomic
def line_sign_on(*, actor: User, line_id) -> LineDuty:
    """The actor is on duty for the line: its calls pop on their screen. Signing on twice is once."""
    line = _line_to_take(actor, line_id)
    now = timezone.now()
    LineDuty.objects.filter(
        line=line, user=actor, ended_at__isnull=True, started_at__lt=now - timedelta(hours=DUTY_HOURS)
    ).update(ended_at=now)  # a forgotten shift ends before a new one starts
    duty, _created = LineDuty.objects.get_or_create(
        line=line, user=actor, ended_at=None, defaults={"started_at": now}
    )
    return duty


@transaction.atomic
def line_sign_off(*, actor: User, line_id) -> int:
    """The actor's duty on the line ends (their own only)."""
    line = _line_to_take(actor, line_id)
    return LineDuty.objects.filter(line=line, user=actor, ended_at__isnull=True).update(
        ended_at=timezone.now()
    )


@transaction.atomic
def call_called_back(*, actor: User, call_id) -> Call:
    """The missed caller was called back: the task is done, by whom and when."""
    if not user_can(actor, "telephony.call.call_back"):
        raise PermissionDenied
    call = Call.objects.visible_to(actor).select_for_update().filter(pk=call_id).first()
    if call is None or call.callback != CallBack.DUE:
        raise PermissionDenied
    call.callback = CallBack.DONE
    call.called_back_at = timezone.now()
    call.called_back_by = actor
    call.save(update_fields=["callback", "called_back_at", "called_back_by"])
    return call


def active_q() -> Q:
    """A call on screen: ringing or answered, and not older than ACTIVE_FOR (its end event lost)."""
    from grassroots.telephony.models import ACTIVE_FOR

    return Q(status__in=ACTIVE_STATUSES, rang_at__gte=timezone.now() - ACTIVE_FOR)


def just_ended_q() -> Q:
    """An answered call that ended less than ENDED_SHOWN_FOR ago: still on screen, marked ended.

    A missed call is not: it was never talked to, and it goes to the call-back list instead.
    """
    from grassroots.telephony.models import ENDED_SHOWN_FOR

    return Q(
        status=CallStatus.ENDED, answered_at__isnull=False, ended_at__gte=timezone.now() - ENDED_SHOWN_FOR
    )
