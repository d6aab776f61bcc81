"""The monthly reports' pages: the list (ask for one, subscribe), one report, its two downloads.

For the legs only (`insights.monthlyreport.view`: the secretary, the street office, administrators),
each through `MonthlyReport.objects.visible_to`: a street account reads its street's reports, a
secretary their community's. The files are in private storage and leave only through
`report_download`, which asks the same door; "not found" and "not yours" look the same.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from grassroots.accounts.roles import user_can
from grassroots.cases.figures import parse_month
from grassroots.insights import reports
from grassroots.insights.models import MonthlyReport, ReportStatus, ReportSubscription

PER_PAGE = 24


def _need(user, capability: str) -> None:
    if not user_can(user, capability):
        raise Http404


def _scope_key(street, community) -> str:
    return f"community:{community.pk}" if community is not None else f"street:{street.pk}"


def _scope_label(street, community) -> str:
    return (
        community.name
        if community is not None
        else _("%(street)s (all its communities)") % {"street": street.name}
    )


class ReportAskForm(forms.Form):
    """Which month of which scope (one the viewer may read): a month that has begun."""

    month = forms.CharField(
        label=gettext_lazy("Month"), widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"})
    )
    scope = forms.ChoiceField(label=gettext_lazy("For"))

    def __init__(self, *args, scopes, **kwargs):
        super().__init__(*args, **kwargs)
        self.scopes = {_scope_key(street, community): (street, community) for street, community in scopes}
        self.fields["scope"].choices = [
            (_scope_key(street, community), _scope_label(street, community)) for street, community in scopes
        ]

    def clean_month(self):
        month = parse_month(self.cleaned_data["month"])
        if month is None:
            raise forms.ValidationError(_("Write the month as 2026-11."))
        if month > timezone.localdate().replace(day=1):
            raise forms.ValidationError(_("That month has not begun yet."))
        return month

    def chosen(self):
        return self.scopes[self.cleaned_data["scope"]]


def _list_page(request, form: ReportAskForm, *, status: int = 200):
    user = request.user
    page = Paginator(reports.reports_for(user), PER_PAGE).get_page(request.GET.get("page"))
    subscribed = {
        _scope_key(s.street, s.community)
        for s in ReportSubscription.objects.filter(user=user).select_related("street", "community")
    }
    scopes = [
        {"key": _scope_key(street, community), "label": _scope_label(street, community)}
        for street, community in form.scopes.values()
    ]
    for scope in scopes:
        scope["subscribed"] = scope["key"] in subscribed
    context = {
        "page": page,
        "form": form,
        "scopes": scopes,
        "can_ask": user_can(user, "insights.monthlyreport.add"),
        "email": bool(user.email),
        # A report being made: the list asks for itself again until it is ready (htmx polling).
        "making": any(report.status == ReportStatus.PENDING for report in page.object_list),
        "list_url": reverse("monthly-reports") + (f"?page={page.number}" if page.number > 1 else ""),
    }
    return render(request, "insights/reports.html", context, status=status)


def report_list(request):
    """The reports the viewer may read, newest month first; ask for one; subscribe to a scope."""
    _need(request.user, "insights.monthlyreport.view")
    scopes = reports.scopes_for(request.user)
    default = reports.last_month(timezone.now()).strftime("%Y-%m")
    return _list_page(request, ReportAskForm(scopes=scopes, initial={"month": default}))


@require_POST
def report_ask(request):
    """Ask for a month's report now (made in the background; asked again, it is made again)."""
    _need(request.user, "insights.monthlyreport.add")
    form = ReportAskForm(request.POST, scopes=reports.scopes_for(request.user))
    if not form.is_valid():
        return _list_page(request, form, status=400)
    street, community = form.chosen()
    report = reports.report_request(
        month=form.cleaned_data["month"], street=street, community=community, requested_by=request.user
    )
    messages.success(request, _("The report is being made; this page shows it when it is ready."))
    return redirect("monthly-report", pk=report.pk)


@require_POST
def report_subscribe(request):
    """Have each new report of a scope mailed (a link), or not any more."""
    _need(request.user, "insights.monthlyreport.view")
    scopes = {
        _scope_key(street, community): (street, community)
        for street, community in reports.scopes_for(request.user)
    }
    chosen = scopes.get(request.POST.get("scope", ""))
    if chosen is None:
        raise Http404
    street, community = chosen
    mine = ReportSubscription.objects.filter(user=request.user, street=street, community=community)
    if request.POST.get("subscribe") == "1":
        if not mine.exists():
            ReportSubscription.objects.create(user=request.user, street=street, community=community)
        messages.success(
            request,
            _("You will be told of each new report of %(scope)s.")
            % {"scope": _scope_label(street, community)},
        )
    else:
        mine.delete()
        messages.success(
            request,
            _("You will no longer be told of new reports of %(scope)s.")
            % {"scope": _scope_label(street, community)},
        )
    return redirect("monthly-reports")


def report_detail(request, pk: int):
    """One report: its month, scope, state and downloads (the link the notice carries)."""
    _need(request.user, "insights.monthlyreport.view")
    report = get_object_or_404(reports.reports_for(request.user), pk=pk)
    context = {"report": report, "ready": report.status == ReportStatus.READY}
    return render(request, "insights/report.html", context)


def report_download(request, pk: int, kind: str):
    """One of a report's files, as an attachment, to who may read the report."""
    _need(request.user, "insights.monthlyreport.view")
    report = get_object_or_404(MonthlyReport.objects.visible_to(request.user), pk=pk)
    stored = {"xlsx": report.xlsx, "pdf": report.pdf}.get(kind)
    if stored is None or report.status != ReportStatus.READY or not stored.name:
        raise Http404
    content_type = {
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pdf": "application/pdf",
    }[kind]
    response = FileResponse(
        stored.open("rb"), as_attachment=True, filename=report.filename(kind), content_type=content_type
    )
    response["Cache-Control"] = "private, no-store"
    return response
