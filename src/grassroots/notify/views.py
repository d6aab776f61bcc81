"""The notification list (/notifications/): what the system told the signed-in user, in their language.

Each row shows when, the reason as a word (not its code), the text and a link to the case.
Opening the list marks the rows on screen as read, through notify.services.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from grassroots.accounts.roles import is_resident
from grassroots.notify import selectors, services

PER_PAGE = 30


@require_GET
def notification_list(request):
    """The user's own in-app messages, newest first, 30 a page; unread ones stand out once."""
    listing = selectors.notifications_for(user=request.user)
    page = Paginator(listing, PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    unread = {message.pk for message in rows if message.read_at is None}
    services.messages_mark_read(user=request.user, message_ids=unread)
    context = {
        "page": page,
        "rows": rows,
        "unread": unread,
        "resident": is_resident(request.user),
    }
    return render(request, "notify/notification_list.html", context)
