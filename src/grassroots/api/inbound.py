"""A message from a resident's phone (WeChat, SMS), passed on by a bridge, becomes a case.

The sender's number is looked up among the people of the bridge's community (by its
keyed hash, nothing decrypted); when exactly one person has it, they are linked as the
reporter and their household as the place. The case goes in as `reported` under the
"other" category, for the social worker to recategorise at registration; the reply is
the text the bridge sends back (Chinese: it goes to the resident).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.api.models import ApiClient
from grassroots.cases import services
from grassroots.cases.models import Case, Category, Channel
from grassroots.core import pii
from grassroots.people.models import Person, PersonStatus

#: How a bridge's channel is recorded on the case (SMS counts as a phone contact until
#: cases.Channel has an "sms" value of its own).
CHANNELS = {"wechat": Channel.WECHAT, "sms": "sms" if "sms" in Channel.values else Channel.PHONE}
CHANNEL_WORDS = {"wechat": "微信", "sms": "短信"}


def inbound_category() -> Category:
    code = getattr(settings, "GRASSROOTS_INBOUND_CATEGORY", "other")
    category = Category.objects.filter(code=code, active=True).first()
    if category is None:
        raise ImproperlyConfigured(f"The inbound category {code!r} does not exist or is not active.")
    return category


def resident_with_phone(community, phone: str) -> Person | None:
    """The one person of the community with this number (living here first), or None."""
    people = list(
        Person.objects.filter(community=community).with_phone(phone).select_related("current_household")[:5]
    )
    living = [person for person in people if person.status == PersonStatus.LIVING]
    candidates = living or people
    return candidates[0] if len(candidates) == 1 else None


def reply_text(case: Case) -> str:
    return (
        f"【{case.community.name}】您反映的问题已收到，编号{case.number}。"
        "社区工作人员会尽快处理并与您联系。如遇紧急情况，请直接拨打社区电话或110、119、120。"
    )


def receive_message(
    *,
    client: ApiClient,
    channel: str,
    sender: str,
    text: str,
    media_urls: list[str] = (),
    received_at: datetime | None = None,
) -> tuple[Case, str]:
    phone = pii.normalise_phone(sender)
    if not pii.phone_is_plausible(phone):
        raise ValidationError({"sender": _("This does not look like a phone number.")})
    now = timezone.now()
    if received_at is not None and not (now - timedelta(days=7) <= received_at <= now + timedelta(minutes=5)):
        raise ValidationError({"received_at": _("Give a time within the last seven days.")})
    person = resident_with_phone(client.community, phone)
    details = services.ReportDetails(
        category=inbound_category(),
        description=text,
        channel=CHANNELS[channel],
        reporter_person=person,
        reporter_phone=phone,
        household=person.current_household if person and person.current_household_id else None,
        media_urls=list(media_urls),
        reported_at=min(received_at, now) if received_at else None,
    )
    note = f"{CHANNEL_WORDS[channel]}消息，经 {client.name} 转入"
    try:
        case = services.case_report(actor=client.user, community=client.community, details=details, note=note)
    except ValidationError as error:
        if hasattr(error, "error_dict") and "reporter_phone" in error.error_dict:
            raise ValidationError({"sender": error.error_dict.pop("reporter_phone")}) from None
        raise
    return case, reply_text(case)
