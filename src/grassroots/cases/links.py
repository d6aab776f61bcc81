"""One-tap links: work reaches a summoned party that has no account, through its SMS.

A dispatch or a whistle texts each summoned party without an account (notify writes the
SMS); the text carries a link to a phone page where the party reports for duty, adds a
note or a photo, and reports the work done with its hours, without signing in. The case
services then act with exactly the relations the link proves (the summoned party, and the
lead when it leads), and the timeline names the party, not a social worker.

The rules of a link, in one place:

- **Signed, stored hashed.** The secret is an HMAC of a random salt under the server's secret
  key; the row keeps the salt and the secret's SHA-256. Only the SMS carries the secret (the
  stored message text shows it masked, `LINK_MASK`); the server derives it again to send it.
- **Single-purpose.** A link serves one assignment of one case, for one purpose, and a purpose
  allows a fixed set of actions (`PURPOSE_ACTIONS`): a link can never act on another case, nor
  take an action its purpose does not list, whatever is posted.
- **Expiring and revocable.** It expires (`GRASSROOTS_TASK_LINK_DAYS`, 7 by default, and never
  before the case's resolution is due plus a day, at most 30 days), the case's coordinators can
  revoke it, and it dies with its assignment (a dispatch to someone else releases it) or when the
  case is final.
- **Forwarded use is logged.** Every use is a `PartyLinkUse` row with the device's keyed hash
  (browser + address family, never the address); a use from another device than the first is
  flagged on the row, on the link (`other_device_at`, shown on the case page) and in the log.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import ipaddress
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from grassroots.cases.models import Assignment, LinkPurpose, PartyLink, PartyLinkUse
from grassroots.cases.workflow import ASSIGNEE, FINAL, LEAD, Action

logger = logging.getLogger("grassroots.cases.links")

#: What each purpose lets the link's holder do: the workflow still decides whether it is allowed now.
PURPOSE_ACTIONS: dict[str, frozenset[str]] = {
    LinkPurpose.TASK: frozenset({Action.ACKNOWLEDGE, Action.NOTE, Action.RESOLVE}),
}
#: Where the phone page lives; the secret is the last part of the path.
LINK_PREFIX = "/portal/t/"
#: How the stored message text shows the secret: only the SMS carries it.
LINK_MASK = "****"
MAX_DAYS = 30


class LinkRefused(PermissionDenied):
    """The link cannot be used (expired, revoked, released, the case done, or not for this)."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


#: Why a link is refused, in the holder's words (the phone page shows them).
REASONS = {
    "unknown": _("This link is not valid. Please check that it was copied whole."),
    "expired": _("This link has expired. Please call the community for a new one."),
    "revoked": _("This link was withdrawn by the community. Please call the community."),
    "released": _("This task was passed to someone else. Thank you all the same."),
    "closed": _("This case is finished. Thank you for your help."),
    "purpose": _("This link cannot do that."),
}


def _secret(link: PartyLink) -> str:
    digest = salted_hmac("grassroots.cases.links", f"{link.purpose}:{link.salt}", algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()  # 24 characters, 144 bits


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def link_path(link: PartyLink) -> str:
    """The path of the phone page with the link's secret: only for the SMS being sent, never stored."""
    return f"{LINK_PREFIX}{_secret(link)}/"


def masked_path() -> str:
    """The same path as the stored message text shows it."""
    return f"{LINK_PREFIX}{LINK_MASK}/"


def _expiry(assignment: Assignment, now):
    days = int(getattr(settings, "GRASSROOTS_TASK_LINK_DAYS", 7))
    expires = now + timedelta(days=days)
    due = assignment.case.resolution_due
    if due is not None and due + timedelta(days=1) > expires:
        expires = due + timedelta(days=1)
    return min(expires, now + timedelta(days=MAX_DAYS))


def party_link_for(*, assignment: Assignment, holder_name: str, purpose: str = LinkPurpose.TASK) -> PartyLink:
    """The live link of this assignment for this purpose, or a new one (an urge reuses the dispatch's).

    Called by notify while it writes the SMS, in the same transaction.
    """
    now = timezone.now()
    live = (
        PartyLink.objects.filter(
            assignment=assignment, purpose=purpose, revoked_at__isnull=True, expires_at__gt=now
        )
        .order_by("-issued_at", "-id")
        .first()
    )
    if live is not None:
        return live
    link = PartyLink(
        case_id=assignment.case_id,
        assignment=assignment,
        purpose=purpose,
        holder_name=holder_name[:100],
        salt=secrets.token_hex(16),
        issued_at=now,
        expires_at=_expiry(assignment, now),
    )
    link.secret_hash = secret_hash(_secret(link))
    link.save()
    return link


def find_link(secret: str) -> PartyLink | None:
    """The link a secret opens (whatever its state), or None; the caller throttles the misses."""
    if not secret or len(secret) > 64:
        return None
    return (
        PartyLink.objects.select_related("assignment", "case__category", "case__community")
        .filter(secret_hash=secret_hash(secret), purpose=LinkPurpose.TASK)
        .first()
    )


def refusal(link: PartyLink, *, now=None) -> str:
    """Why the link cannot be used now ("" when it can): the one rule the page and the services ask."""
    now = now or timezone.now()
    if link.revoked_at is not None:
        return "revoked"
    if now >= link.expires_at:
        return "expired"
    if not link.assignment.active:
        return "released"
    if link.case.status in FINAL:
        return "closed"
    return ""


@dataclass(frozen=True)
class Proof:
    """What a live link proves for one action: the relations to act with, and who acts."""

    relations: frozenset[str]
    link: PartyLink


def prove(link: PartyLink, *, case_id: int, action: str) -> Proof:
    """The relations a link proves for `action` on case `case_id`, read again from the database.

    Inside the service's transaction: a link revoked a moment ago no longer works. Raises
    LinkRefused for another case, an action outside the purpose, or a link that cannot be used.
    """
    # Locked: a coordinator withdrawing it at this moment waits, or finds it used.
    fresh = (
        PartyLink.objects.select_for_update(of=("self",))
        .select_related("assignment", "case")
        .filter(pk=link.pk)
        .first()
    )
    if fresh is None or fresh.case_id != case_id or fresh.assignment.case_id != case_id:
        raise LinkRefused("purpose")
    if action not in PURPOSE_ACTIONS.get(fresh.purpose, ()):
        raise LinkRefused("purpose")
    reason = refusal(fresh)
    if reason:
        raise LinkRefused(reason)
    relations = {ASSIGNEE} | ({LEAD} if fresh.assignment.is_lead else set())
    return Proof(frozenset(relations), fresh)


def party_of(link: PartyLink) -> str:
    """The party the link acts for, as the timeline's changes name parties ("person:12")."""
    assignment = link.assignment
    return f"{assignment.party_kind}:{getattr(assignment, f'{assignment.party_kind}_id')}"


# --- devices and uses ---------------------------------------------------------------------------------


def device_of(request) -> str:
    """A keyed hash of the browser and the address family: tells a forwarded link, keeps no address."""
    from grassroots.core.audit import client_ip

    agent = request.META.get("HTTP_USER_AGENT", "")[:400]
    family = "?"
    with contextlib.suppress(ValueError):
        family = str(ipaddress.ip_address(client_ip(request) or "").version)
    return salted_hmac("grassroots.cases.links.device", f"{agent}|{family}", algorithm="sha256").hexdigest()[
        :64
    ]


def record_use(link: PartyLink, *, device: str, what: str) -> PartyLinkUse:
    """Log one use; the first use fixes the device, a use from another one is flagged (a forwarded link)."""
    now = timezone.now()
    with transaction.atomic():
        PartyLink.objects.filter(pk=link.pk, first_used_at__isnull=True).update(
            first_used_at=now, first_device=device
        )
        fresh = PartyLink.objects.get(pk=link.pk)
        other = fresh.first_device != device
        if other and fresh.other_device_at is None:
            PartyLink.objects.filter(pk=link.pk, other_device_at__isnull=True).update(other_device_at=now)
        use = PartyLinkUse.objects.create(
            link=fresh, at=now, what=what[:24], device=device, other_device=other
        )
    if other:
        logger.warning(
            "one-tap link %s of case %s used from another device than its first use", link.pk, link.case_id
        )
    link.first_used_at, link.first_device = fresh.first_used_at, fresh.first_device
    return use


def party_link_revoke(*, actor, link: PartyLink) -> PartyLink:
    """A coordinator of the case withdraws a link (a wrong number, a lost phone); it opens nothing after."""
    from grassroots.cases.permissions import coordinates

    if actor is None or not coordinates(actor, link.case):
        raise PermissionDenied
    now = timezone.now()
    PartyLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=now, revoked_by=actor)
    link.refresh_from_db()
    return link
