"""Who is told what, and delivery with retries.

Writing comes first: for each case event the messages are written (status
"queued") in one transaction, and only after it commits are their deliveries
queued. A message is therefore never lost: if the queue is down, the periodic
sweep finds the row and queues it again. Delivery claims the row with a
conditional update, so a message is sent once even if its task runs twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from grassroots.accounts.models import User
from grassroots.accounts.roles import (
    is_grid_worker,
    is_legs,
    is_mouth,
    is_party_committee,
    is_resident,
    is_street_office,
    is_system,
    role_filter,
)
from grassroots.activities.models import Activity
from grassroots.cases import links
from grassroots.cases.models import Case, CaseEvent
from grassroots.cases.workflow import REGISTRY
from grassroots.core import pii
from grassroots.notify import conf
from grassroots.notify.channels import channel_for, scrub_phones
from grassroots.notify.gateways import DeferDelivery, PermanentDeliveryError, UncertainDeliveryError
from grassroots.notify.models import Message, MessageChannel, MessageReason, MessageStatus
from grassroots.notify.texts import Text, _clip, compose, compose_call, link
from grassroots.people.models import Person

logger = logging.getLogger("grassroots.notify")

#: How long a claimed ("sending") message belongs to its worker before the sweep may retry it.
MIN_LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)


# --- recipients ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """Someone to tell: an account (in-app, plus e-mail), else a phone number (SMS).

    `problem` is set when there is no way to reach them; a failed message is written
    anyway so that the case page shows who could not be told.
    """

    key: str
    name: str
    user: object | None = None
    phone: str = ""
    takes_sms: bool = True  # False for a landline or a phone marked "no SMS": a coordinator calls instead
    resident: bool = False  # links to the resident portal rather than the staff case page
    role: str = ""  # lead / supporter, for handlers
    problem: str = ""
    assignment: object | None = None  # a summoned party reached by phone: its SMS carries a one-tap link
    person_id: int | None = None  # the resident they are, when known: a WeChat follower may be bound to them


def _user(user, *, role: str = "") -> Recipient:
    return Recipient(
        key=f"user:{user.pk}",
        name=user.display_name,
        user=user,
        resident=is_resident(user),
        role=role,
        person_id=getattr(user, "person_id", None),
    )


def _phone(
    digits: str, *, name: str, resident: bool, role: str = "", label: str = "", no_sms: bool = False
) -> Recipient:
    """Someone reached only by phone; whether an SMS can reach it is decided from the number itself."""
    digits = pii.normalise_phone(digits)
    if not digits:
        return Recipient(key=f"none:{label}", name=name, role=role, problem="没有账号，也没有电话号码")
    return Recipient(
        key=f"phone:{pii.phone_hash(digits)}",
        name=name,
        phone=digits,
        takes_sms=pii.phone_is_mobile(digits) and not no_sms,
        resident=resident,
        role=role,
    )


def _person(person, *, resident: bool, role: str = "") -> list[Recipient]:
    """A person: their own account when they have one, else their phone."""
    account = User.objects.filter(person=person, is_active=True).first()
    if account is not None:
        return [_user(account, role=role)]
    if person.status == "deceased":
        return [Recipient(key=f"none:person:{person.pk}", name=person.name, role=role, problem="已故")]
    return [
        replace(
            _phone(
                pii.decrypt(person.phone_encrypted),
                name=person.name,
                resident=resident,
                role=role,
                label=f"person:{person.pk}",
                no_sms=person.no_sms,
            ),
            person_id=person.pk,
        )
    ]


def _party(assignment, *, role: str) -> list[Recipient]:
    """A summoned party, with its assignment when it is reached by phone (cases.links: its one-tap link)."""
    return [
        replace(recipient, assignment=assignment) if recipient.user is None and recipient.phone else recipient
        for recipient in _party_recipients(assignment, role=role)
    ]


def _party_recipients(assignment, *, role: str) -> list[Recipient]:
    """A summoned party: a staff user; a person; a team (its leader); a unit (contacts, else its phone)."""
    if assignment.user_id:
        return [_user(assignment.user, role=role)] if assignment.user.is_active else []
    if assignment.person_id:
        return _person(assignment.person, resident=False, role=role)
    if assignment.team_id:
        team = assignment.team
        if team.leader_id is None:
            return [Recipient(key=f"none:team:{team.pk}", name=team.name, role=role, problem="队伍没有队长")]
        return _person(team.leader, resident=False, role=role)
    unit = assignment.unit
    contacts = list(User.objects.filter(member_unit=unit, is_active=True).order_by("pk"))
    if contacts:
        return [_user(contact, role=role) for contact in contacts]
    return [
        _phone(
            unit.contact_phone,
            name=unit.contact_name or unit.name,
            resident=False,
            role=role,
            label=f"unit:{unit.pk}",
        )
    ]


#: The most reports merged into one case whose reporters hear of its progress.
MERGED_REPORTERS = 20


def _reporter(case) -> list[Recipient]:
    """The reporter, and the reporters of the reports merged into this case: they follow it too."""
    recipients = _own_reporter(case)
    merged = case.duplicates.filter(status="merged").select_related("reporter_user", "reporter_person")
    for duplicate in merged.order_by("pk")[:MERGED_REPORTERS]:
        recipients += _own_reporter(duplicate)
    unique: dict[str, Recipient] = {}
    for recipient in recipients:
        unique.setdefault(recipient.key, recipient)
    return list(unique.values())


def _own_reporter(case) -> list[Recipient]:
    """The reporter: their account, else the reporting person (account or phone), else the phone given."""
    if case.anonymous:
        return []
    if case.reporter_user_id and case.reporter_user.is_active:
        return [_user(case.reporter_user)]
    if case.reporter_person_id:
        return _person(case.reporter_person, resident=True)
    if case.reporter_phone_encrypted:
        return [
            _phone(
                pii.decrypt(case.reporter_phone_encrypted), name=case.reporter_name or "反映人", resident=True
            )
        ]
    return []


def _parties(case, specs: Iterable[str] | None = None) -> list[Recipient]:
    """Active parties of the case (optionally only those named "kind:id" in specs)."""
    recipients: list[Recipient] = []
    wanted = set(specs) if specs is not None else None
    for assignment in case.assignments.filter(active=True).select_related(
        "user", "person", "team__leader", "unit"
    ):
        spec = f"{assignment.party_kind}:{assignment.party.pk}"
        if wanted is not None and spec not in wanted:
            continue
        recipients += _party(assignment, role="lead" if assignment.is_lead else "supporter")
    return recipients


def _legs(case, *, street: bool) -> list[Recipient]:
    """The community Party committee (secretaries) and, for an escalated case, the street office."""
    condition = role_filter(is_party_committee) & Q(community_id=case.community_id)
    if street:
        condition |= role_filter(is_street_office) & Q(street_id=case.community.street_id)
    return [_user(user) for user in User.objects.filter(condition, is_active=True).order_by("pk")]


def _street(case) -> list[Recipient]:
    users = User.objects.filter(
        role_filter(is_street_office), street_id=case.community.street_id, is_active=True
    )
    return [_user(user) for user in users.order_by("pk")]


def _coordinators(case, event=None) -> list:
    """Who phones a person no SMS can reach: the case's coordinator, never nobody.

    The first of: the staff member who took this action; who entered the case; the lead,
    when a coordinator leads it; the grid workers of the case's grid; the community's
    social and grid workers; its secretaries.
    """
    coordinates = is_mouth | is_legs
    actor = getattr(event, "actor", None) if event is not None else None
    leads = case.assignments.filter(active=True, is_lead=True, user__isnull=False).select_related("user")
    lead = leads.first()
    for user in (actor, case.created_by, lead.user if lead else None):
        if user is not None and user.is_active and coordinates(user) and not is_system(user):
            return [user]
    active = User.objects.filter(is_active=True).order_by("pk")
    for condition in (
        role_filter(is_grid_worker) & Q(grids=case.grid_id) if case.grid_id else None,
        role_filter(is_mouth) & Q(community_id=case.community_id),
        role_filter(is_party_committee) & Q(community_id=case.community_id),
    ):
        users = list(active.filter(condition)) if condition is not None else []
        if users:
            return users
    return []


#: The actions that name the parties of a case (their changes hold "lead" and "supporters").
SUMMONING_ACTIONS = ("dispatch", "whistle")


def _newly_summoned(event) -> list[str]:
    """Parties named by this dispatch/whistle that the previous one did not name."""

    def named(changes: dict) -> set[str]:
        return {spec for spec in [changes.get("lead", ""), *changes.get("supporters", [])] if spec}

    previous = (
        CaseEvent.objects.filter(case_id=event.case_id, action__in=SUMMONING_ACTIONS, pk__lt=event.pk)
        .order_by("-pk")
        .first()
    )
    before = named(previous.changes) if previous is not None else set()
    return sorted(named(event.changes) - before)


#: Who an action's notice goes to (cases.workflow declares each action's notice by audience).
def _case_coordinators(case, event) -> list[Recipient]:
    """The case's coordinators (notify's rule of who phones for a case), told in their inbox only."""
    return [
        replace(_user(user), key=f"follow-up:user:{user.pk}")  # beside their other message of the event
        for user in _coordinators(case, event)
    ]


AUDIENCES = {
    "coordinators": _case_coordinators,
    "reporter": lambda case, event: _reporter(case),
    "parties": lambda case, event: _parties(case),
    "new_parties": lambda case, event: _parties(case, _newly_summoned(event)),
    "street": lambda case, event: _street(case),
}


def recipients_for(event) -> tuple[str, list[Recipient]]:
    """(kind of message, who is told) for a case event, as its action declares; kind "" when nobody is."""
    declared = REGISTRY.get(event.action)
    notice = declared.notice_for(event) if declared is not None else None
    if notice is None:
        return "", []
    return notice.kind, AUDIENCES[notice.audience](event.case, event)


# --- writing messages ------------------------------------------------------------------------------------


#: The messages to a summoned party whose SMS carries its one-tap link (cases.links).
ONE_TAP_KINDS = frozenset({"dispatched", "whistled", "urged", "reopened"})


def _one_tap(recipient: Recipient, kind: str) -> bool:
    """A party without an account, texted about its task: the SMS carries the link to its phone page."""
    return recipient.assignment is not None and recipient.takes_sms and kind in ONE_TAP_KINDS


def _link_path(case, recipient: Recipient, kind: str = "") -> str:
    if recipient.resident:
        return f"/portal/follow/{case.public_token}/"  # opens the case: no number and digits to type
    if recipient.user is not None:
        return f"/cases/{case.number}/"
    if _one_tap(recipient, kind):
        return links.masked_path()  # the secret is put in only as the SMS is sent
    return ""  # a handler reached only by SMS, about something else, has no page to open


def _messages_for(case, recipient: Recipient, *, kind: str, note: str, event=None) -> list[Message]:
    now = timezone.now()
    common = {
        "case": case,
        "event": event,
        "reason": kind,
        "recipient": recipient.user,
        "recipient_key": recipient.key,
        "recipient_name": recipient.name[:100],
        "created_at": now,
        "next_attempt_at": now,
    }

    def make(channel: str) -> Message:
        text = compose(
            kind,
            case=case,
            channel=channel,
            link_path=_link_path(case, recipient, kind),
            role=recipient.role,
            note=note,
            one_tap=_one_tap(recipient, kind),
        )
        return Message(channel=channel, subject=text.subject[:200], body=text.body, **common)

    if recipient.problem:
        message = make(MessageChannel.SMS)
        message.status = MessageStatus.FAILED
        message.last_error = recipient.problem
        message.next_attempt_at = None
        message.address_masked = "—"
        return [message]
    wechat = _wechat_message(recipient, kind, make)
    if recipient.user is not None:
        inbox = make(MessageChannel.INBOX)
        inbox.address_masked = recipient.user.username
        inbox.status, inbox.sent_at, inbox.transport, inbox.next_attempt_at = (
            MessageStatus.SENT,
            now,
            "inbox",
            None,
        )
        messages = [inbox]
        if conf.get("GRASSROOTS_NOTIFY_EMAIL") and recipient.user.email:
            email = make(MessageChannel.EMAIL)
            email.address = email.address_masked = recipient.user.email
            messages.append(email)
        return [*messages, *wechat]
    if wechat:
        return wechat  # in place of the SMS: free for the resident, and it reaches a landline's household
    sms = make(MessageChannel.SMS)
    sms.set_phone(recipient.phone)
    if not recipient.takes_sms:
        return _call_instead(case, recipient, sms, event=event)
    if _one_tap(recipient, kind):
        sms.party_link = links.party_link_for(assignment=recipient.assignment, holder_name=recipient.name)
    return [sms]


def _wechat_message(recipient: Recipient, kind: str, make) -> list[Message]:
    """A template message to the WeChat follower bound to this resident, when the reason has a template.

    Only residents hear by WeChat (their own cases' progress); a reason without an approved
    template goes as before (SMS or inbox), so nothing is left unsaid for want of a template.
    """
    from grassroots.notify import followers
    from grassroots.notify.gateways import wechat_templates

    if not recipient.resident or kind not in wechat_templates():
        return []
    key = followers.follower_of(MessageChannel.WECHAT, recipient.person_id)
    if key is None:
        return []
    message = make(MessageChannel.WECHAT)
    message.recipient_key = key[:120]
    message.recipient = None
    message.address_masked = f"微信：{recipient.name}"[:254]
    return [message]


def sms_write(*, digits: str, name: str, reason: str, subject: str, body: str, key: str) -> int:
    """One SMS that belongs to no case (a verification code), written now and sent after commit.

    It goes through the configured SMS transport and `deliver` like every SMS: the per-phone limit,
    the retries with back-off, the dead letter. Its id.
    """
    now = timezone.now()
    message = Message(
        reason=reason,
        recipient_key=key[:120],
        recipient_name=name[:100],
        channel=MessageChannel.SMS,
        subject=subject[:200],
        body=body,
        created_at=now,
        next_attempt_at=now,
    )
    message.set_phone(pii.normalise_phone(digits))
    message.save()
    transaction.on_commit(lambda: _enqueue_all([message.pk]))
    return message.pk


def _call_instead(case, recipient: Recipient, sms: Message, *, event=None) -> list[Message]:
    """An SMS for a phone that cannot take one: kept as "rerouted", and a coordinator is asked to call.

    The coordinator's notice is in-app (their notification list), with the number masked, what
    the message said and a link to the case, so the person is still told, by voice.
    """
    coordinators = _coordinators(case, event)
    sms.next_attempt_at = None
    if not coordinators:
        sms.status, sms.last_error = MessageStatus.FAILED, "不能接收短信，也没有可以代为致电的社区工作人员"
        return [sms]
    names = "、".join(user.display_name for user in coordinators)
    sms.status = MessageStatus.REROUTED
    sms.last_error = f"不能接收短信（{_why_no_sms(recipient)}），已请{names}致电"[:500]
    notices = []
    for user in coordinators:
        text = compose_call(
            case=case,
            name=recipient.name,
            phone_masked=sms.address_masked,
            what=sms.body,
            link_path=f"/cases/{case.number}/",
        )
        notices.append(
            _call_notice(
                case=case,
                event_id=getattr(event, "pk", None),
                user=user,
                key=f"call:{recipient.key}:user:{user.pk}",
                text=text,
                at=sms.created_at,
            )
        )
    return [sms, *notices]


def _why_no_sms(recipient: Recipient) -> str:
    """Why no SMS was sent, as the case page says it: staff marked the mobile, or it is no mobile."""
    if pii.phone_is_mobile(recipient.phone):
        return "已标注不发短信"
    return "固定电话" if recipient.phone.startswith("0") else "不是手机号码"


def _write(
    case, recipients: list[Recipient], *, kind: str, note: str = "", event=None, actor_id=None
) -> list[int]:
    """Save the messages (one per recipient and channel) and queue the outgoing ones after commit."""
    seen: set[str] = set()
    messages: list[Message] = []
    for recipient in recipients:
        if recipient.user is not None and recipient.user.pk == actor_id:
            continue  # nobody is told about what they did themselves
        if recipient.key in seen:
            continue
        seen.add(recipient.key)
        messages += _messages_for(case, recipient, kind=kind, note=note, event=event)
    if group_takes(kind):
        messages.append(_group_message(case, kind=kind, note=note, event=event))
    with transaction.atomic():
        for message in messages:
            message.save()
    outgoing = [message.pk for message in messages if message.status == MessageStatus.QUEUED]
    transaction.on_commit(lambda: _enqueue_all(outgoing))
    return [message.pk for message in messages]


def _enqueue_all(message_ids: list[int]) -> None:
    from grassroots.notify.tasks import enqueue_delivery

    for message_id in message_ids:
        enqueue_delivery(message_id)


def notify_case_event(event_id: int) -> list[int]:
    """Write (and queue) the messages a committed case event calls for. Safe to call twice."""
    event = CaseEvent.objects.select_related("case__category", "case__community").filter(pk=event_id).first()
    if event is None or Message.objects.filter(event=event).exists():
        return []
    kind, recipients = recipients_for(event)
    follow_up = _follow_up_for(event)
    told = bool(kind and (recipients or group_takes(kind)))  # the staff's group hears of it too
    if not told and follow_up is None:
        return []
    note = event.case.rejection_reason if kind == "rejected" else event.note
    written: list[int] = []
    try:
        with transaction.atomic():
            if told:
                written += _write(
                    event.case, recipients, kind=kind, note=note, event=event, actor_id=event.actor_id
                )
            if follow_up is not None:
                written += _write(
                    event.case, follow_up[1], kind=follow_up[0], event=event, actor_id=event.actor_id
                )
    except IntegrityError:  # announced concurrently by someone else: their messages stand
        return []
    return written


def _follow_up_for(event) -> tuple[str, list[Recipient]] | None:
    """(kind, who) of the action's second message, to the staff's inbox; None when it declares none."""
    declared = REGISTRY.get(event.action)
    notice = declared.follow_up if declared is not None else None
    if notice is None:
        return None
    recipients = [r for r in AUDIENCES[notice.audience](event.case, event) if r.user is not None]
    return (notice.kind, recipients) if recipients else None


def notify_case_overdue(case_id: int) -> list[int]:
    """Tell the legs (and the group, when it takes overdue alerts) that a case is past its due time.

    Called once per case, by the sweep.
    """
    case = Case.objects.select_related("category", "community").get(pk=case_id)
    return _write(case, _legs(case, street=case.escalated_at is not None), kind="overdue")


# --- the monthly report -----------------------------------------------------------------------------------


def report_text(report) -> tuple[str, str]:
    """(subject, body) of a monthly report's notice: a link to sign in and download, never the file
    (whoever reads the mailbox could read an attachment; the link asks who they are)."""
    base = conf.get("GRASSROOTS_PUBLIC_URL")
    subject = f"月报：{report.scope_name} {report.period:%Y-%m}"
    body = (
        f"{report.scope_name} {report.period:%Y年%m月}的月报（Excel 和 PDF）已生成。"
        f"请登录后查看和下载：{base}/dashboard/reports/{report.pk}/"
    )
    return subject, body


def notify_report_ready(report_id: int) -> list[int]:
    """Tell the subscribers of a monthly report's scope that it is ready: in their notification list
    and, with GRASSROOTS_NOTIFY_EMAIL, by e-mail (delivered, retried and dead-lettered like any
    message). Only subscribers who may read the report now; once each (a repeat writes nothing)."""
    from grassroots.insights.models import MonthlyReport, ReportSubscription

    report = MonthlyReport.objects.select_related("street", "community").filter(pk=report_id).first()
    if report is None:
        return []
    subscriptions = ReportSubscription.objects.filter(street_id=report.street_id).select_related("user")
    if report.community_id:
        subscriptions = subscriptions.filter(community_id=report.community_id)
    else:
        subscriptions = subscriptions.filter(community__isnull=True)
    subject, body = report_text(report)
    now = timezone.now()
    messages: list[Message] = []
    for subscription in subscriptions.order_by("pk"):
        user = subscription.user
        if not MonthlyReport.objects.visible_to(user).filter(pk=report.pk).exists():
            continue  # moved to another street or role since they subscribed
        key = f"report:{report.pk}:user:{user.pk}"
        if Message.objects.filter(reason=MessageReason.REPORT, recipient_key=key).exists():
            continue
        common = {
            "reason": MessageReason.REPORT,
            "recipient": user,
            "recipient_key": key,
            "recipient_name": user.display_name[:100],
            "subject": subject,
            "body": body,
            "created_at": now,
        }
        messages.append(
            Message(
                channel=MessageChannel.INBOX,
                address_masked=user.username,
                status=MessageStatus.SENT,
                sent_at=now,
                transport="inbox",
                **common,
            )
        )
        if conf.get("GRASSROOTS_NOTIFY_EMAIL") and user.email:
            messages.append(
                Message(
                    channel=MessageChannel.EMAIL,
                    address=user.email,
                    address_masked=user.email,
                    next_attempt_at=now,
                    **common,
                )
            )
    with transaction.atomic():
        for message in messages:
            message.save()
    outgoing = [message.pk for message in messages if message.status == MessageStatus.QUEUED]
    transaction.on_commit(lambda: _enqueue_all(outgoing))
    return [message.pk for message in messages]


# --- the staff's WeCom group ------------------------------------------------------------------------------


def group_takes(kind: str) -> bool:
    """A group robot is configured and GRASSROOTS_WECOM_REASONS names this kind of message."""
    return bool(conf.get("GRASSROOTS_WECOM_ROBOT_KEY")) and kind in conf.get("GRASSROOTS_WECOM_REASONS")


def group_text(case, *, kind: str, note: str = "") -> str:
    """The group's markdown: reason, case number, category, grid, urgency, due, what was said, link.

    Nothing that names how to reach a person: no reporter, no phone, no ID, no description (it may
    hold any of them); the note of an urge or whistle is staff's own words, phones masked. A
    sensitive category is not named at all.
    """
    from django.utils import translation

    with translation.override("zh-hans"):
        reason = str(MessageReason(kind).label) if kind in MessageReason.values else kind
        category = "（保密类别）" if case.category.sensitive else case.category.name_zh
        urgency = str(case.get_urgency_display())
    due = timezone.localtime(case.resolution_due).strftime("%m-%d %H:%M") if case.resolution_due else "—"
    lines = [
        f"**{reason}** · {case.number}",
        f"> 类别：{category}",
        f"> 网格：{case.grid.name if case.grid_id else '—'} · 紧急程度：{urgency} · 期限：{due}",
    ]
    if note and not case.category.sensitive:
        lines.append(f"> 说明：{scrub_phones(' '.join(note.split()))[:200]}")
    base = conf.get("GRASSROOTS_PUBLIC_URL")
    lines.append(f"[打开诉求]({base}/cases/{case.number}/)")
    return scrub_phones("\n".join(lines))


def _group_message(case, *, kind: str, note: str, event=None) -> Message:
    now = timezone.now()
    return Message(
        case=case,
        event=event,
        reason=kind,
        recipient_key="wecom:group",
        recipient_name="企业微信群",
        address_masked="企业微信群",
        channel=MessageChannel.WECOM,
        subject=f"{case.number}",
        body=group_text(case, kind=kind, note=note),
        created_at=now,
        next_attempt_at=now,
    )


def summary_text(*, day) -> str:
    """The daily summary for the group: per community, cases reported today, open, overdue, resolved."""
    from grassroots.cases.clock import RUNNING, overdue_q  # one definition of open and overdue
    from grassroots.places.models import Community

    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    end = start + timedelta(days=1)
    lines = [f"**每日汇总** · {day:%Y-%m-%d}"]
    for community in Community.objects.order_by("pk")[:50]:
        cases = Case.objects.filter(community=community)
        reported = cases.filter(reported_at__gte=start, reported_at__lt=end).count()
        resolved = cases.filter(resolved_at__gte=start, resolved_at__lt=end).count()
        open_ = cases.filter(status__in=RUNNING).count()
        overdue = cases.filter(status__in=RUNNING).filter(overdue_q(timezone.now())).count()
        lines.append(
            f"> {community.name}：今日新增 {reported}，今日办结 {resolved}，在办 {open_}，超期 {overdue}"
        )
    return "\n".join(lines)


def post_daily_summary(*, now: datetime | None = None) -> int | None:
    """Write (once a day, after GRASSROOTS_WECOM_SUMMARY_HOUR local time) the group's daily summary.

    Run by the periodic sweep; the unique key "wecom-summary:<day>" makes a second sweep, or a
    second worker, a no-op. Its id, or None when nothing was written.
    """
    hour = conf.get("GRASSROOTS_WECOM_SUMMARY_HOUR")
    if hour < 0 or not group_takes(MessageReason.SUMMARY):
        return None
    local = timezone.localtime(now or timezone.now())
    if local.hour < hour:
        return None
    key = f"wecom-summary:{local.date():%Y-%m-%d}"
    # Over the partial unique index of the summaries (reason "summary"): one row a day to look at.
    if Message.objects.filter(
        reason=MessageReason.SUMMARY, recipient_key=key, channel=MessageChannel.WECOM
    ).exists():
        return None
    message = Message(
        reason=MessageReason.SUMMARY,
        recipient_key=key,
        recipient_name="企业微信群",
        address_masked="企业微信群",
        channel=MessageChannel.WECOM,
        subject=key,
        body=summary_text(day=local.date()),
        next_attempt_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:  # another worker wrote today's summary
        return None
    transaction.on_commit(lambda: _enqueue_all([message.pk]))
    return message.pk


# --- delivery receipts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    """One delivery report from a gateway: which message (our id or its reference), and the outcome."""

    message_id: int | None
    provider_ref: str
    delivered: bool
    code: str = ""


def receipts_record(*, transport: str, receipts: Iterable[Receipt]) -> int:
    """Mark sent SMS delivered, or failed with the gateway's code (then coordinators are asked to call).

    Only a message of this transport that is "sent" changes, or, named by our out-id, one waiting
    for a retry after an attempt whose answer was lost (the report proves the gateway had it, so it
    is not sent again); a repeated report, or one for another installation's message, changes
    nothing. The number of messages changed.
    """
    changed = 0
    sent = Q(transport=transport, status=MessageStatus.SENT)
    # An attempt whose answer was lost but which the gateway did send: its report settles it.
    answer_lost = Q(status=MessageStatus.QUEUED, maybe_sent=True, channel=MessageChannel.SMS)
    for receipt in receipts:
        if receipt.message_id is not None:
            condition = Q(pk=receipt.message_id) & (sent | answer_lost)
        elif receipt.provider_ref:
            condition = Q(provider_ref=receipt.provider_ref) & sent
        else:
            continue
        message = Message.objects.filter(condition).select_related("case").first()
        if message is None:
            continue
        now = timezone.now()
        settled = {"transport": transport, "maybe_sent": False, "next_attempt_at": None}
        if message.sent_at is None:
            settled["sent_at"] = now
        if receipt.delivered:
            changed += Message.objects.filter(condition, pk=message.pk).update(
                status=MessageStatus.DELIVERED, delivered_at=now, **settled
            )
            continue
        text = scrub_phones(f"{transport} receipt: not delivered ({receipt.code or '?'})")[:500]
        if Message.objects.filter(condition, pk=message.pk).update(
            status=MessageStatus.FAILED, last_error=text, **settled
        ):
            changed += 1
            logger.warning("message %s was not delivered: %s", message.pk, text)
            _ask_to_call_about(message)
    return changed


# --- delivery --------------------------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """Wait after the n-th failed attempt: RETRY_SECONDS * 2**(n-1), at most six hours."""
    seconds = conf.get("GRASSROOTS_NOTIFY_RETRY_SECONDS") * 2 ** max(attempts - 1, 0)
    return min(timedelta(seconds=seconds), MAX_BACKOFF)


def _lease() -> timedelta:
    return max(MIN_LEASE, timedelta(seconds=3 * conf.get("GRASSROOTS_NOTIFY_WEBHOOK_TIMEOUT")))


@dataclass(frozen=True)
class Outcome:
    """What one delivery attempt did: sent, retry (at `retry_at`), failed, or skipped."""

    status: str
    retry_at: datetime | None = None


def deliver(message_id: int) -> Outcome:
    """Try to send one message once. Idempotent: only a queued, due message is claimed and sent."""
    now = timezone.now()
    claimed = (
        Message.objects.filter(pk=message_id, status=MessageStatus.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(status=MessageStatus.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + _lease())
    )
    if not claimed:
        return Outcome("skipped")
    message = Message.objects.select_related("case__community", "recipient").get(pk=message_id)
    channel = channel_for(message)
    try:
        reference = channel.send(message)
    except DeferDelivery as wait:  # the phone's hourly limit: wait, this attempt does not count
        Message.objects.filter(pk=message_id, status=MessageStatus.SENDING).update(
            status=MessageStatus.QUEUED,
            attempts=F("attempts") - 1,
            last_error=scrub_phones(str(wait))[:500],
            next_attempt_at=wait.retry_at,
        )
        return Outcome("retry", wait.retry_at)
    except Exception as error:  # any other failure of a transport is retried, unless it says it is final
        if isinstance(error, UncertainDeliveryError):
            Message.objects.filter(pk=message_id).update(maybe_sent=True)
        return _failed(message, error, permanent=isinstance(error, PermanentDeliveryError))
    Message.objects.filter(pk=message_id, status=MessageStatus.SENDING).update(
        status=MessageStatus.SENT,
        sent_at=timezone.now(),
        transport=channel.name,
        next_attempt_at=None,
        maybe_sent=False,
        provider_ref=(reference or "")[:64] if isinstance(reference, str) else "",
    )
    return Outcome("sent")


def _failed(message: Message, error: Exception, *, permanent: bool = False) -> Outcome:
    text = scrub_phones(f"{type(error).__name__}: {error}")[:500]
    if permanent or message.attempts >= conf.get("GRASSROOTS_NOTIFY_MAX_ATTEMPTS"):
        Message.objects.filter(pk=message.pk).update(
            status=MessageStatus.FAILED, last_error=text, next_attempt_at=None
        )
        logger.warning("message %s failed for good after %s attempts: %s", message.pk, message.attempts, text)
        _ask_to_call_about(message)
        return Outcome("failed")
    retry_at = timezone.now() + backoff(message.attempts)
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.QUEUED, last_error=text, next_attempt_at=retry_at
    )
    logger.info("message %s attempt %s failed (%s); next at %s", message.pk, message.attempts, text, retry_at)
    return Outcome("retry", retry_at)


def messages_retry(message_ids) -> list[int]:
    """Queue failed (or waiting) messages again now, with their attempts counted afresh; their ids.

    The one re-drive, from the admin's action and the case page's "send again" alike.
    """
    from grassroots.notify.tasks import enqueue_delivery

    ids = list(
        Message.objects.filter(pk__in=message_ids, status__in=[MessageStatus.FAILED, MessageStatus.QUEUED])
        .exclude(channel=MessageChannel.INBOX)
        .values_list("pk", flat=True)
    )
    Message.objects.filter(pk__in=ids).update(
        status=MessageStatus.QUEUED, next_attempt_at=timezone.now(), attempts=0
    )
    for pk in ids:
        enqueue_delivery(pk)
    return ids


def _call_notice(*, case, event_id, user, key: str, text, at) -> Message:
    """A "please call" notice in a coordinator's notification list (delivered as it is written)."""
    return Message(
        case=case,
        event_id=event_id,
        reason=MessageReason.CALL,
        recipient=user,
        recipient_key=key[:120],
        recipient_name=user.display_name[:100],
        address_masked=user.username,
        channel=MessageChannel.INBOX,
        transport="inbox",
        subject=text.subject[:200],
        body=text.body,
        status=MessageStatus.SENT,
        created_at=at,
        sent_at=at,
    )


def _ask_to_call_about(message: Message) -> None:
    """An SMS or e-mail about a case that failed for good: its coordinators and the secretary are told.

    After a long gateway outage nobody would otherwise know that a resident was never told; the
    notice is in the coordinators' notification list, like a "call instead" for a landline, and
    the message itself stays failed until someone sends it again (`messages_retry`).
    """
    if message.case_id is None or message.channel in {MessageChannel.INBOX, MessageChannel.WECOM}:
        return  # a group's alert that failed shows on the case page; there is nobody to phone
    case = message.case
    secretaries = User.objects.filter(
        role_filter(is_party_committee), community_id=case.community_id, is_active=True
    ).order_by("pk")
    told = {user.pk: user for user in [*_coordinators(case), *secretaries]}  # the legs watch it too
    notices = []
    for user in told.values():
        if user.pk == message.recipient_id:
            continue
        text = compose_call(
            case=case,
            name=message.recipient_name,
            phone_masked=message.address_masked,
            what=message.body,
            link_path=f"/cases/{case.number}/",
            why=f"的{message.get_channel_display()}多次发送失败",
        )
        notices.append(
            _call_notice(
                case=case,
                event_id=message.event_id,
                user=user,
                key=f"undelivered:{message.pk}:user:{user.pk}",
                text=text,
                at=timezone.now(),
            )
        )
    Message.objects.bulk_create(notices, ignore_conflicts=True)  # a retried message that fails again


def requeue_due_messages(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """The safety net, run by the periodic sweep: queue again what no task is going to deliver.

    - a message claimed by a worker that died mid-send (its lease ran out) goes back to queued;
    - a queued message whose time came and went without a task running it (the queue lost it,
      or the backend cannot schedule retries) is queued again.

    With a backend that schedules retries itself, a message gets a grace period
    (GRASSROOTS_NOTIFY_RESCUE_SECONDS) before it counts as lost. Queuing one twice is
    harmless: delivery sends a message once.
    """
    from grassroots.notify.tasks import backend_schedules_retries, enqueue_delivery

    now = now or timezone.now()
    Message.objects.filter(status=MessageStatus.SENDING, next_attempt_at__lt=now).update(
        status=MessageStatus.QUEUED, next_attempt_at=now
    )
    grace = (
        timedelta(seconds=conf.get("GRASSROOTS_NOTIFY_RESCUE_SECONDS"))
        if backend_schedules_retries()
        else None
    )
    cutoff = now - grace if grace else now
    due = list(
        Message.objects.filter(status=MessageStatus.QUEUED, next_attempt_at__lte=cutoff)
        .order_by("next_attempt_at")
        .values_list("pk", "next_attempt_at")[:limit]
    )
    requeued = []
    for pk, due_at in due:
        # Move the due time to now so that the next sweep gives this task its grace period again.
        if Message.objects.filter(pk=pk, status=MessageStatus.QUEUED, next_attempt_at=due_at).update(
            next_attempt_at=now
        ):
            enqueue_delivery(pk)
            requeued.append(pk)
    return requeued


def messages_mark_read(*, user, message_ids: Iterable[int]) -> int:
    """The recipient saw these in-app messages on their notification list; only their own are marked."""
    return Message.objects.filter(
        pk__in=list(message_ids), recipient=user, channel=MessageChannel.INBOX, read_at__isnull=True
    ).update(read_at=timezone.now())


def message_mark_read(*, user, message: Message) -> None:
    """The recipient opened an in-app message."""
    if message.recipient_id == user.pk and message.read_at is None:
        Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=timezone.now())


def messages_mark_all_read(*, user) -> int:
    """ "Mark all read": every unread in-app message of the user, in one update over its inbox index."""
    return Message.objects.unread_for(user).update(read_at=timezone.now())


# --- activities: cancelled, changed, a place from the waiting list ---------------------------------------


def _activity_text(kind: str, activity, note: str) -> Text:
    """What an activity's participants are told (Chinese, the residents' language), with its link."""
    sign = f"【{activity.community.name}】"
    when = timezone.localtime(activity.starts_at).strftime("%m月%d日 %H:%M")
    url = link(f"/activities/{activity.pk}/")
    title = _clip(activity.title, 30)
    if kind == MessageReason.ACTIVITY_CANCELLED:
        body = f"{sign}您报名的活动“{title}”（{when}）已取消。原因：{_clip(note, 60)}。{url}"
        return Text(f"活动已取消：{title}", scrub_phones(body))
    if kind == MessageReason.ACTIVITY_CHANGED:
        body = f"{sign}您报名的活动“{title}”时间地点有变：{when}，{_clip(activity.place, 40)}。{url}"
        return Text(f"活动有变：{title}", scrub_phones(body))
    body = f"{sign}候补成功：您已获得活动“{title}”（{when}，{_clip(activity.place, 40)}）的名额。{url}"
    return Text(f"候补成功：{title}", scrub_phones(body))


def _activity_messages(activity, recipient: Recipient, kind: str, note: str) -> list[Message]:
    """One person's messages about an activity: in-app (and e-mail) with an account, else an SMS."""
    now = timezone.now()
    text = _activity_text(kind, activity, note)
    common = {
        "reason": kind,
        "recipient": recipient.user,
        "recipient_key": recipient.key,
        "recipient_name": recipient.name[:100],
        "subject": text.subject[:200],
        "body": text.body,
        "created_at": now,
        "next_attempt_at": now,
    }
    if recipient.problem:
        return [
            Message(
                channel=MessageChannel.SMS,
                **{**common, "next_attempt_at": None},
                status=MessageStatus.FAILED,
                last_error=recipient.problem,
                address_masked="—",
            )
        ]
    if recipient.user is not None:
        inbox = Message(channel=MessageChannel.INBOX, **{**common, "next_attempt_at": None})
        inbox.address_masked = recipient.user.username
        inbox.status, inbox.sent_at, inbox.transport = MessageStatus.SENT, now, "inbox"
        messages = [inbox]
        if conf.get("GRASSROOTS_NOTIFY_EMAIL") and recipient.user.email:
            messages.append(
                Message(
                    channel=MessageChannel.EMAIL,
                    address=recipient.user.email,
                    address_masked=recipient.user.email,
                    **common,
                )
            )
        return messages
    sms = Message(channel=MessageChannel.SMS, **common)
    sms.set_phone(recipient.phone)
    if not recipient.takes_sms:
        sms.status, sms.next_attempt_at = MessageStatus.FAILED, None
        sms.last_error = f"不能接收短信（{_why_no_sms(recipient)}）"
    return [sms]


def notify_activity(*, activity_id: int, kind: str, person_ids: Iterable[int], note: str = "") -> list[int]:
    """Tell the people signed up for an activity that it was cancelled or changed, or that they got a place.

    Each person through their account's inbox (and e-mail), else an SMS to their phone; written in
    one transaction and queued after commit.
    """
    activity = Activity.objects.select_related("community").filter(pk=activity_id).first()
    if activity is None:
        return []
    messages: list[Message] = []
    for person in Person.objects.filter(pk__in=list(person_ids)).order_by("pk"):
        for recipient in _person(person, resident=False):
            messages += _activity_messages(activity, recipient, kind, note)
    with transaction.atomic():
        for message in messages:
            message.save()
    outgoing = [message.pk for message in messages if message.status == MessageStatus.QUEUED]
    transaction.on_commit(lambda: _enqueue_all(outgoing))
    return [message.pk for message in messages]
