"""Reads of the notify app: a user's own notification list (their in-app messages)."""

from __future__ import annotations

from django.db.models import QuerySet

from grassroots.notify.models import Message, MessageChannel


def notifications_for(*, user) -> QuerySet[Message]:
    """The user's in-app messages, newest first: only their own, whatever their role (deny by default)."""
    return (
        Message.objects.filter(recipient=user, channel=MessageChannel.INBOX)
        .select_related("case")
        .order_by("-created_at", "-id")
    )


def unread_count_for(*, user) -> int:
    """The header's badge: bounded, never a count over all of a user's messages."""
    return Message.objects.unread_count_for(user)
