"""The notification list (/notifications/): what the system told the signed-in user, in their language.

Each row shows when, the reason as a word (not its code), the text and a link to the case.
Opening the list marks the rows on screen as read, through notify.services.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from grassroots.accounts.roles import is_resident
from grassroots.cases.models import Case
from grassroots.cases.permissions import is_coordinator
from grassroots.notify import selectors, services
from grassroots.notify.models import Message, MessageStatus

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


@require_POST
def notification_retry(request, pk: int):
    """ "Send again" on the case page: a coordinator of the case re-drives a message that failed."""
    message = get_object_or_404(Message, pk=pk, status=MessageStatus.FAILED, case__isnull=False)
    case = Case.objects.visible_to(request.user).filter(pk=message.case_id).first()
    if case is None or not is_coordinator(request.user):
        raise Http404
    services.messages_retry([message.pk])
    messages.info(request, _("The message is queued to be sent again."))
    return redirect("case-detail", number=case.number)
