"""The office's pages for serving party members: the link and QR code, the reports, who serves.

Only the roles that keep party membership (orgs.partymember.change: the secretary, social
workers, administrators) open them; the committee reads who reported, per unit, and the hours
each promised. A report outside the user's community is not found.
"""

from __future__ import annotations

from decimal import Decimal

import segno
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from grassroots.core.authority import user_can
from grassroots.core.forms import ServiceErrorsMixin
from grassroots.core.ids import parse_id
from grassroots.orgs import serving
from grassroots.orgs.models import PartyBranch, ServingReport, ServingReportStatus
from grassroots.places.models import Community

#: Serving members listed per page.
PAGE_SIZE = 50


def _require(user) -> None:
    if not user_can(user, "orgs.partymember.change"):
        raise Http404


def _link(request, community: Community) -> dict:
    url = request.build_absolute_uri(reverse("portal-serving", args=[community.code]))
    qr = segno.make(url, error="m").svg_inline(scale=4, dark="#1f2328", light="#ffffff")
    return {"community": community, "url": url, "qr": qr}


def serving_home(request):
    """The reports waiting, the link and QR code to hand out, and the serving members per unit."""
    _require(request.user)
    community = request.user.community
    year = timezone.localdate().year
    listed = serving.serving_members(request.user)
    unit_id = parse_id(request.GET.get("unit"))
    if unit_id is not None:
        listed = listed.filter(unit_id=unit_id)
    members = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    by_unit = serving.serving_by_unit(request.user)
    hours = serving.serving_hours(request.user, year)
    if hours is not None:
        per_unit = serving.serving_hours_by_unit(request.user, hours)
        for row in by_unit:
            row["hours"] = per_unit.get(
                (row["unit_id"], "" if row["unit_id"] else row["workplace"]), Decimal(0)
            )
        for member in members:
            member.hours_this_year = hours.get(member.person_id, Decimal(0))
    context = {
        "waiting": serving.waiting_reports(request.user)[:100],
        "by_unit": by_unit,
        "members": members,
        "unit_id": unit_id,
        "year": year,
        "ledger": hours is not None,
        "link": _link(request, community) if community else None,
    }
    return render(request, "orgs/serving.html", context)


class ConfirmForm(ServiceErrorsMixin, forms.Form):
    branch = forms.ModelChoiceField(label=_("branch they join"), queryset=PartyBranch.objects.none())
    person = forms.TypedChoiceField(
        label=_("who they are in the register"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, branches, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches
        self.fields["person"].choices = [
            ("", _("a new person (not living in the community)")),
            *((p.pk, f"{p.name} {p.current_household or ''}".strip()) for p in people),
        ]


class DeclineForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=200)


@require_http_methods(["GET", "POST"])
def serving_report_detail(request, pk: int):
    """One report: confirm it into a branch (linking the register's person) or decline it."""
    _require(request.user)
    report = get_object_or_404(ServingReport.objects.visible_to(request.user).select_related("unit"), pk=pk)
    people = list(
        serving.people_with_phone(request.user, report).select_related("current_household__building")
    )
    branches = PartyBranch.objects.visible_to(request.user).filter(community_id=report.community_id)
    decision = request.POST.get("decision") if request.method == "POST" else None
    confirm = ConfirmForm(request.POST if decision == "confirm" else None, branches=branches, people=people)
    decline = DeclineForm(request.POST if decision == "decline" else None)
    form = {"confirm": confirm, "decline": decline}.get(decision)
    if form is not None and form.is_valid():
        try:
            if decision == "confirm":
                chosen = next((p for p in people if p.pk == confirm.cleaned_data["person"]), None)
                serving.serving_report_confirm(
                    actor=request.user, report=report, branch=confirm.cleaned_data["branch"], person=chosen
                )
            else:
                serving.serving_report_decline(
                    actor=request.user, report=report, reason=decline.cleaned_data["reason"]
                )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return redirect("org-serving")
    context = {
        "report": report,
        "confirm": confirm,
        "decline": decline,
        "people": people,
        "pending": report.status == ServingReportStatus.PENDING,
    }
    return render(request, "orgs/serving_report.html", context, status=422 if form is not None else 200)
