"""The page a serving party member reports on (在职党员到社区报到), from the community's link or QR.

Public: no account is needed, and it is throttled per address like the report form. It shows
nothing of the register: it only takes what the sender types and hands it to
orgs.serving.serving_report_submit; the office decides afterwards.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from grassroots.core.audit import client_ip
from grassroots.core.forms import ServiceErrorsMixin
from grassroots.orgs.models import MemberUnit, Skill
from grassroots.orgs.serving import MOST_HOURS, serving_report_submit
from grassroots.people.models import Sex
from grassroots.places.models import Community
from grassroots.portal.throttle import count_attempt, report_limit, retry_after, too_many


class ServingReportForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, widget=forms.RadioSelect)
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    unit = forms.ModelChoiceField(
        label=_("Your unit, if it is one of the community's member units"),
        queryset=MemberUnit.objects.none(),
        required=False,
        empty_label="—",
    )
    workplace = forms.CharField(label=_("Where you work"), max_length=100, required=False)
    origin_branch = forms.CharField(label=_("Your party organisation at work"), max_length=100)
    commitment_hours = forms.IntegerField(
        label=_("Hours you promise a year"), min_value=1, max_value=MOST_HOURS, initial=20
    )
    skills = forms.ModelMultipleChoiceField(
        label=_("What you can do"),
        queryset=Skill.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("What you would like to do"), max_length=200, required=False)

    def __init__(self, *args, community: Community, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = MemberUnit.objects.filter(community=community).order_by("name")


@login_not_required
@require_http_methods(["GET", "POST"])
def serving_report(request, code: str):
    """The form, then a thank-you page; a second report from the same phone is refused kindly."""
    community = get_object_or_404(Community, code=code)
    ip = client_ip(request)
    if request.method == "POST":
        wait = retry_after(report_limit(), ip)
        if wait:
            return too_many(request, wait)
    form = ServingReportForm(request.POST or None, community=community)
    if request.method == "POST" and form.is_valid():
        try:
            serving_report_submit(community=community, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            count_attempt(report_limit(), ip)
            return render(request, "portal/serving_thanks.html", {"community": community})
    return render(request, "portal/serving.html", {"form": form, "community": community})
