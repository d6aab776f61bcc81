"""Forms of the activities pages: built from the services' inputs, showing the services' objections."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from grassroots.activities.models import Audience, Theme
from grassroots.core.forms import ServiceErrorsMixin
from grassroots.orgs.models import Skill


class LocalDateTimeInput(forms.DateTimeInput):
    """A browser date-and-time picker (type="datetime-local"), its value always written ISO."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


_DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class ActivityForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    theme = forms.ModelChoiceField(
        label=_("Theme"), queryset=Theme.objects.filter(active=True), empty_label=None
    )
    team = forms.TypedChoiceField(label=_("Run by"), coerce=int, required=False, empty_value=None)
    place = forms.CharField(label=_("Place"), max_length=200)
    starts_at = forms.DateTimeField(
        label=_("Starts at"), widget=LocalDateTimeInput(), input_formats=_DATETIME_FORMATS
    )
    ends_at = forms.DateTimeField(
        label=_("Ends at"), widget=LocalDateTimeInput(), input_formats=_DATETIME_FORMATS
    )
    capacity = forms.IntegerField(label=_("Places"), min_value=1, max_value=1000)
    audience = forms.ChoiceField(label=_("Open to"), choices=Audience.choices, initial=Audience.BOTH)
    signup_deadline = forms.DateTimeField(
        label=_("Sign-up deadline"), widget=LocalDateTimeInput(), input_formats=_DATETIME_FORMATS
    )
    skills = forms.ModelMultipleChoiceField(
        label=_("Skills wanted"),
        queryset=Skill.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, teams=(), office: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(team.pk, team.name) for team in teams]
        if office:
            choices = [("", _("the community office")), *choices]
        else:
            self.fields["team"].required = True
        self.fields["team"].choices = choices


class HoursForm(ServiceErrorsMixin, forms.Form):
    hours = forms.DecimalField(label=_("Hours"), min_value=0, max_value=24, decimal_places=1, required=False)


class RedeemForm(ServiceErrorsMixin, forms.Form):
    points = forms.DecimalField(label=_("Points"), min_value=0, max_digits=8, decimal_places=1)
    note = forms.CharField(label=_("Exchanged for"), max_length=200)


class CorrectForm(ServiceErrorsMixin, forms.Form):
    hours = forms.DecimalField(
        label=_("Correct hours"),
        min_value=0,
        max_value=24,
        decimal_places=1,
        required=False,
        help_text=_("Empty: the entry is only reversed."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)
