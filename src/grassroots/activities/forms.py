"""Forms of the activities pages: built from the services' inputs, showing the services' objections."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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
    capacity = forms.IntegerField(
        label=pgettext_lazy("activity capacity", "Places"), min_value=1, max_value=1000
    )
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


class CancelActivityForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(label=_("Why it is cancelled"), max_length=200)


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


# --- the three lists --------------------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class NeedForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(label=_("What is needed"), max_length=120)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Everyone who reads the needs list reads this: write nothing of anyone's health or family."
        ),
    )


class NeedStatusForm(ServiceErrorsMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=())
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        from grassroots.activities.models import NeedStatus

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = NeedStatus.choices


class OfferForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(label=_("What is offered"), max_length=120)
    capacity = forms.IntegerField(label=_("How much"), min_value=1, max_value=100_000)
    capacity_unit = forms.CharField(
        label=_("Counted in"), max_length=20, help_text=_("For example 人次, hours, times.")
    )
    available_from = forms.DateField(label=_("Available from"), widget=DateInput())
    available_until = forms.DateField(label=_("Available until"), widget=DateInput(), required=False)
    period_note = forms.CharField(
        label=_("When"), max_length=100, required=False, help_text=_("For example: Saturday mornings.")
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    active = forms.BooleanField(label=_("Still offered"), required=False, initial=True)


class ProjectForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(label=_("Project"), max_length=120)
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput())
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput(), required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ProjectUpdateForm(ServiceErrorsMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=())
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput())
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput(), required=False)

    def __init__(self, *args, **kwargs):
        from grassroots.activities.models import ProjectStatus

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = ProjectStatus.choices


class TakeResourceForm(ServiceErrorsMixin, forms.Form):
    resource = forms.TypedChoiceField(label=_("Resource"), coerce=int, choices=())
    committed = forms.IntegerField(label=_("Committed"), min_value=1, max_value=100_000)

    def __init__(self, *args, resources=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resource"].choices = [
            (r.pk, f"{r.unit.name} · {r.title} ({r.capacity} {r.capacity_unit})") for r in resources
        ]


class DeliverForm(ServiceErrorsMixin, forms.Form):
    commitment = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**62)
    delivered = forms.IntegerField(label=_("Delivered"), min_value=0, max_value=100_000)


class AddPersonForm(ServiceErrorsMixin, forms.Form):
    person = forms.TypedChoiceField(label=_("Who works on it"), coerce=int, choices=())

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [(p.pk, p.name) for p in people]


class WorkForm(ServiceErrorsMixin, forms.Form):
    person = forms.TypedChoiceField(label=_("Who"), coerce=int, choices=())
    hours = forms.DecimalField(label=_("Hours"), min_value=0.1, max_value=24, decimal_places=1)
    worked_on = forms.DateField(label=_("Worked on"), widget=DateInput())
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [(p.pk, p.name) for p in people]
