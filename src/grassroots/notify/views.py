"""The inbox (/notifications/): what the system told the signed-in user, in their language.

Each row shows when, the reason as a word (not its code), the text and a link to the case. New
tasks, urges, overdue alerts, call-backs due and "please call" notices all land here. A row stays
unread until the user marks it read, marks all read, or follows its link; the header's badge
(fetched by HTMX after the page, so it costs no page a query) counts the unread ones, capped.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from grassroots.accounts.roles import is_resident
from grassroots.cases.models import Case
from grassroots.cases.permissions import is_coordinator
from grassroots.notify import selectors, services
from grassroots.notify.models import BADGE_CAP, Message, MessageChannel, MessageStatus

PER_PAGE = 30


@require_GET
def notification_list(request):
    """The user's own in-app messages, newest first, 30 a page; unread ones marked "new"."""
    unread_only = request.GET.get("unread") == "1"
    listing = selectors.notifications_for(user=request.user)
    if unread_only:
        listing = listing.filter(read_at__isnull=True)
    page = Paginator(listing, PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    context = {
        "page": page,
        "rows": rows,
        "unread": {message.pk for message in rows if message.read_at is None},
        "unread_only": unread_only,
        "resident": is_resident(request.user),
    }
    return render(request, "notify/notification_list.html", context)


def _own(request, pk: int) -> Message:
    """One of the user's own in-app messages, or 404 (another's reads as none at all)."""
    return get_object_or_404(Message, pk=pk, recipient=request.user, channel=MessageChannel.INBOX)


def _back(request):
    page = request.POST.get("page", "")
    query = f"?page={page}" if page.isdigit() else ""
    return redirect(f"{reverse('notification-list')}{query}")


@require_POST
def notification_read(request, pk: int):
    """ "Mark read" on one row."""
    services.message_mark_read(user=request.user, message=_own(request, pk))
    return _back(request)


@require_POST
def notification_read_all(request):
    """ "Mark all read"."""
    count = services.messages_mark_all_read(user=request.user)
    if count:
        messages.info(request, _("All notifications are marked read."))
    return _back(request)


@require_GET
def notification_open(request, pk: int):
    """Follow a row's link: it counts as read, and the case opens (the portal's page for a resident)."""
    message = _own(request, pk)
    services.message_mark_read(user=request.user, message=message)
    if message.case_id is None:
        return redirect("notification-list")
    number = Case.objects.filter(pk=message.case_id).values_list("number", flat=True).first()
    if number is None:
        return redirect("notification-list")
    return redirect("portal-case" if is_resident(request.user) else "case-detail", number=number)


@never_cache
@require_GET
def notification_badge(request):
    """The header's unread badge (HTMX, after the page): a count bounded at 99, "99+" beyond."""
    count = selectors.unread_count_for(user=request.user)
    return render(request, "notify/_badge.html", {"unread_count": count, "cap": BADGE_CAP})


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
