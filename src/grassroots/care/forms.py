"""Forms of the care pages. They only parse input: the services validate and write."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from grassroots.care.models import HAZARDS, Method, Mood, Outcome, SelfCare, ServiceKind, SituationNote, Tier
from grassroots.core.forms import IsoDateInput, ServiceErrorsMixin
from grassroots.people.models import ConsentGiver, ConsentMethod

#: The findings that are sensitive personal information (PIPL art. 28): entering one about a person
#: needs their consent on file, or given now on the form.
SENSITIVE_FINDINGS = ("health", "mood_note", "family", "difficulties", "needs")

VISIT_OUTCOMES = [(value, label) for value, label in Outcome.choices if value != Outcome.PENDING]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class VisitForm(ServiceErrorsMixin, forms.Form):
    """What a visitor records, on a phone, in the stairwell. Only the outcome is required."""

    client_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    campaign = forms.IntegerField(widget=forms.HiddenInput, required=False)
    method = forms.ChoiceField(label=_("How"), choices=Method.choices, widget=forms.RadioSelect)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=VISIT_OUTCOMES, widget=forms.RadioSelect)
    visited_at = forms.DateTimeField(
        label=_("When"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    person = forms.TypedChoiceField(label=_("Whom"), coerce=int, required=False, empty_value=None)
    health = forms.CharField(label=_("Health"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    self_care = forms.ChoiceField(
        label=_("Ability to look after oneself"), choices=[("", "—"), *SelfCare.choices], required=False
    )
    mood = forms.ChoiceField(label=_("Mental state"), choices=[("", "—"), *Mood.choices], required=False)
    mood_note = forms.CharField(label=_("About the mental state"), required=False, max_length=300)
    family = forms.CharField(
        label=_("Family members and who supports them"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    difficulties = forms.CharField(
        label=_("Living difficulties"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    hazards = forms.MultipleChoiceField(
        label=_("Hazards in the home"), choices=HAZARDS, required=False, widget=forms.CheckboxSelectMultiple
    )
    hazard_note = forms.CharField(label=_("About the hazards"), required=False, max_length=300)
    needs = forms.CharField(label=_("Needs"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    consent_given = forms.BooleanField(
        label=_("They were told what is written down and why, and agreed"), required=False
    )
    consent_given_by = forms.ChoiceField(
        label=_("Who agreed"), choices=ConsentGiver.choices, required=False, widget=forms.RadioSelect
    )
    consent_method = forms.ChoiceField(
        label=_("How they agreed"), choices=ConsentMethod.choices, required=False, widget=forms.RadioSelect
    )
    guardian_name = forms.CharField(label=_("Guardian's name"), required=False, max_length=50)
    wellbeing = forms.TypedChoiceField(
        label=_("Wellbeing"),
        choices=[("", "—"), *[(str(n), str(n)) for n in range(1, 6)]],
        coerce=int,
        empty_value=None,
        required=False,
    )
    add_tags = forms.MultipleChoiceField(
        label=_("Add tags to the person"), required=False, widget=forms.CheckboxSelectMultiple
    )
    set_tier = forms.ChoiceField(
        label=_("Change the person's tier"), choices=[("", _("keep as it is")), *Tier.choices], required=False
    )
    tier_reason = forms.CharField(label=_("Why the tier changes"), required=False, max_length=300)
    photos = MultipleFileField(label=_("Photos"), required=False)
    raise_case = forms.BooleanField(label=_("Raise a case from this finding"), required=False)
    case_category = forms.TypedChoiceField(label=_("Category"), coerce=int, required=False, empty_value=None)
    case_description = forms.CharField(
        label=_("What needs doing"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    case_urgent = forms.BooleanField(label=_("Urgent"), required=False)

    def __init__(self, *args, members=(), tags=(), categories=(), staff=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", "—"), *[(p.id, p.name) for p in members]]
        self.fields["add_tags"].choices = [(tag.code, str(tag)) for tag in tags]
        self.fields["case_category"].choices = [("", "—"), *[(c.id, c.full_name) for c in categories]]
        if not staff:
            for name in ("add_tags", "set_tier", "tier_reason"):
                del self.fields[name]
        if not self.is_bound:
            self.initial.setdefault("consent_given_by", ConsentGiver.SELF)
            self.initial.setdefault("consent_method", ConsentMethod.VERBAL)
            self.initial.setdefault("method", Method.HOME)
            self.initial.setdefault("outcome", Outcome.VISITED)
            self.initial.setdefault("visited_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))

    def clean(self):
        data = super().clean()
        if data.get("raise_case"):
            if not data.get("case_category"):
                self.add_error("case_category", _("Choose the category of the case."))
            if not (data.get("case_description") or "").strip():
                self.add_error("case_description", _("Please describe what needs doing."))
        if data.get("consent_given"):
            data["consent_given_by"] = data.get("consent_given_by") or ConsentGiver.SELF
            data["consent_method"] = data.get("consent_method") or ConsentMethod.VERBAL
        if data.get("set_tier") and len((data.get("tier_reason") or "").strip()) < 2:
            self.add_error("tier_reason", _("Please give the reason for changing the tier."))
        return data

    def sensitive_entered(self) -> bool:
        return any((self.cleaned_data.get(name) or "").strip() for name in SENSITIVE_FINDINGS)


class CampaignForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label=pgettext_lazy("a thing's", "Name"), max_length=100)
    starts_on = forms.DateField(label=_("Starts on"), widget=IsoDateInput())
    ends_on = forms.DateField(label=_("Ends on"), widget=IsoDateInput())
    tags = forms.MultipleChoiceField(label=_("Tags"), required=False, widget=forms.CheckboxSelectMultiple)
    min_age = forms.IntegerField(label=_("Minimum age"), required=False, min_value=0, max_value=120)
    grids = forms.MultipleChoiceField(label=_("Grids"), required=False, widget=forms.CheckboxSelectMultiple)
    households = forms.CharField(
        label=_("Hand-picked households"),
        required=False,
        help_text=_("Addresses such as 4-2-101, separated by spaces or commas."),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, tags=(), grids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tags"].choices = [(tag.code, str(tag)) for tag in tags]
        self.fields["grids"].choices = [(str(grid.id), grid.name) for grid in grids]


class AssignForm(ServiceErrorsMixin, forms.Form):
    visitor = forms.TypedChoiceField(label=_("Visitor"), coerce=int, required=False, empty_value=None)
    households = forms.TypedMultipleChoiceField(coerce=int, required=False)
    grid = forms.IntegerField(required=False)

    def __init__(self, *args, visitors=(), households=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visitor"].choices = [("", _("nobody")), *[(u.id, _user_label(u)) for u in visitors]]
        self.fields["households"].choices = [(h, h) for h in households]


def _user_label(user) -> str:
    return f"{user.display_name} · {user.get_role_display()}"


class TierForm(ServiceErrorsMixin, forms.Form):
    tier = forms.ChoiceField(
        label=_("Tier"), choices=[("", _("as the rules say")), *Tier.choices], required=False
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)


class SituationForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("What changed"), choices=SituationNote.Kind.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class EnrolForm(ServiceErrorsMixin, forms.Form):
    programme = forms.TypedChoiceField(label=_("Programme"), coerce=int)
    person = forms.TypedChoiceField(label=_("Main person"), coerce=int, required=False, empty_value=None)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
    starts_on = forms.DateField(label=_("Starts on"), widget=IsoDateInput())
    team = forms.TypedChoiceField(label=_("Team responsible"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, programmes=(), members=(), teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].choices = [(p.id, p.name) for p in programmes]
        self.fields["person"].choices = [("", "—"), *[(p.id, p.name) for p in members]]
        self.fields["team"].choices = [("", _("the programme's team")), *[(t.id, t.name) for t in teams]]
        if not self.is_bound:
            self.initial.setdefault("starts_on", timezone.localdate().isoformat())


class DoneForm(ServiceErrorsMixin, forms.Form):
    at = forms.DateTimeField(
        label=_("When"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    hours = forms.DecimalField(label=_("Hours"), required=False, min_value=0, max_value=24, decimal_places=1)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class MissedForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(label=_("Why it was missed"), max_length=300)


SERVICE_KINDS = ServiceKind.choices
