"""Forms of the case screens. They only collect and shape input; the services decide.

Every action form carries the hidden `version` of the case the user saw, passed
to the service as `expected_version`, so that a second person acting on the same
case is told "someone else just did this" instead of silently overwriting.
"""

from __future__ import annotations

import functools
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from grassroots.cases import metrics
from grassroots.cases.figures import parse_month
from grassroots.cases.models import Case, Category, Channel, Urgency
from grassroots.cases.services import MAX_HOURS, Party
from grassroots.cases.workflow import REGISTRY, Input, Status
from grassroots.core.forms import FastSelect, IdChoiceField, ServiceErrorsMixin
from grassroots.people.forms import AddressField
from grassroots.people.models import Relation, Sex
from grassroots.places.models import Building, Community

#: Channels offered on the intake screen (the patrol form, the portal and the API set their own).
INTAKE_CHANNELS = [Channel.PHONE, Channel.WALK_IN, Channel.VISIT, Channel.WECHAT, Channel.HOTLINE]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


def grouped_categories(categories) -> list:
    """Choices for a <select>: top-level categories, each with its children under an <optgroup>."""
    categories = list(categories)
    children: dict[int, list[Category]] = {}
    for category in categories:
        if category.parent_id:
            children.setdefault(category.parent_id, []).append(category)
    known = {category.pk for category in categories}
    choices: list = [("", "—")]
    for category in categories:
        if category.parent_id and category.parent_id in known:
            continue
        kids = children.get(category.pk, [])
        if kids:
            label = _("%(name)s (in general)") % {"name": category}
            choices.append((str(category), [(category.pk, label), *[(kid.pk, str(kid)) for kid in kids]]))
        else:
            choices.append((category.pk, str(category)))
    return choices


class CategoryChoiceField(IdChoiceField):
    """A category <select> grouped as a tree; validation still goes through the queryset."""

    def __init__(self, queryset, **kwargs):
        super().__init__(queryset=queryset, **kwargs)
        self.widget.choices = grouped_categories(queryset)


def _questions_on_change(field) -> None:
    """Changing the category swaps in its extra questions (HTMX)."""
    field.widget.attrs.update(
        {"hx-get": reverse("case-questions"), "hx-target": "#questions", "hx-trigger": "change"}
    )


class _PlaceMixin(ServiceErrorsMixin, forms.Form):
    """Building, then household (loaded for the chosen building), or a point on the site plan."""

    building = IdChoiceField(queryset=None, required=False, label=_("Building"))
    household = IdChoiceField(queryset=None, required=False, label=_("Household"))
    location_note = forms.CharField(
        label=_("Where exactly"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. entrance 2, ground floor corridor")}),
    )
    plan_x = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=0, max_value=1000)
    plan_y = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=0, max_value=1000)

    def _setup_places(self, *, buildings, households) -> None:
        self.fields["building"].queryset = buildings
        self.fields["household"].queryset = households

    def clean(self):
        cleaned = super().clean()
        household, building = cleaned.get("household"), cleaned.get("building")
        if household and building and household.building_id != building.pk:
            cleaned["building"] = household.building
        return cleaned


class IntakeForm(_PlaceMixin):
    """Phone, walk-in and door-to-door intake: one form, a registered case at the end."""

    REPORTER_KINDS = [
        ("person", _("the resident found above")),
        ("other", _("someone else (name and phone)")),
        ("anonymous", _("anonymous")),
    ]

    category = CategoryChoiceField(queryset=Category.objects.none(), label=_("Category"))
    urgency = forms.ChoiceField(
        label=_("Urgency"),
        choices=Urgency.choices,
        initial=Urgency.NORMAL,
        widget=forms.RadioSelect,
    )
    description = forms.CharField(
        label=_("What is the problem?"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[(channel.value, channel.label) for channel in INTAKE_CHANNELS],
        initial=Channel.PHONE,
    )
    reporter_kind = forms.ChoiceField(
        label=_("Reported by"),
        choices=REPORTER_KINDS,
        initial="other",
        widget=forms.RadioSelect,
    )
    reporter_person = IdChoiceField(queryset=None, required=False, widget=forms.HiddenInput)
    reporter_name = forms.CharField(label=_("Caller's name"), max_length=50, required=False)
    reporter_phone = forms.CharField(
        label=_("Caller's phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )

    def __init__(self, *args, categories, people, buildings, households, place_required=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"] = CategoryChoiceField(queryset=categories, label=_("Category"))
        _questions_on_change(self.fields["category"])
        self.fields["reporter_person"].queryset = people
        self._setup_places(buildings=buildings, households=households)
        self.place_required = place_required

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("reporter_kind")
        if kind == "person" and not cleaned.get("reporter_person"):
            self.add_error("reporter_kind", _("Find the resident above first, or choose “someone else”."))
        if self.place_required and not (cleaned.get("household") or cleaned.get("building")):
            self.add_error("building", _("Choose the building (and household) in your grids."))
        return cleaned


class ReportForm(_PlaceMixin):
    """The patrol report (and a resident's own report): category, photo, place, description."""

    category = CategoryChoiceField(queryset=Category.objects.none(), label=_("What kind of problem?"))
    urgent = forms.BooleanField(label=_("Urgent: a danger now"), required=False)
    description = forms.CharField(
        label=_("What did you see?"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, categories, buildings, households, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"] = CategoryChoiceField(queryset=categories, label=_("What kind of problem?"))
        _questions_on_change(self.fields["category"])
        self._setup_places(buildings=buildings, households=households)


# --- actions on a case --------------------------------------------------------------------------------


class ActionForm(ServiceErrorsMixin, forms.Form):
    """Base of every action form: the version of the case the user acted on."""

    #: The inputs' names where the page calls them otherwise, or shows them above the form.
    service_field_aliases = {
        "photos": "__all__",
        "approve": "__all__",
        "public": "internal",
        "party": "__all__",
    }

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


def _form_field(item: Input) -> tuple[str, forms.Field] | None:
    """The page's field for one declared input: (its name on the page, the field); None: not a field."""
    label = item.label
    if item.kind in {"note", "text"}:
        widget = forms.TextInput() if item.rows == 0 else forms.Textarea(attrs={"rows": item.rows})
        return item.name, forms.CharField(label=label, required=False, widget=widget)
    if item.kind == "case":
        widget = forms.TextInput(attrs={"placeholder": item.placeholder, "autocomplete": "off"})
        return item.name, forms.CharField(label=label, max_length=40, required=False, widget=widget)
    if item.kind == "choice":
        return item.name, forms.ChoiceField(
            label=label, choices=item.choices, required=False, widget=forms.RadioSelect
        )
    if item.kind == "minutes":
        return item.name, forms.TypedChoiceField(
            label=label, choices=item.choices, coerce=int, initial=item.initial
        )
    if item.kind == "decision":  # two buttons, approve and refuse
        choices = [("approve", _("approve")), ("refuse", _("refuse"))]
        return page_field_name(item), forms.ChoiceField(choices=choices, widget=forms.HiddenInput)
    if item.kind == "public":  # the page asks the other way round: "internal"
        return page_field_name(item), forms.BooleanField(label=label, required=False)
    if item.kind == "party":
        return item.name, forms.CharField(required=False, widget=forms.HiddenInput)
    if item.kind == "hours":
        return item.name, forms.DecimalField(
            label=label,
            required=False,
            min_value=Decimal("0.1"),
            max_value=MAX_HOURS,
            decimal_places=1,
            widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
        )
    return None  # photos come as files; parties and role notes have the dispatch page


def _case_by_number(actor, field_name: str, number: str) -> Case:
    """Another case, by the number the user typed, among the cases they can see."""
    number = number.strip().upper()
    found = Case.objects.visible_to(actor).filter(number=number).first() if number else None
    if found is None:
        raise ValidationError({field_name: _("No such case.")})
    return found


def page_field_name(item: Input) -> str:
    """The name an input goes by on the page."""
    return {"decision": "decision", "public": "internal"}.get(item.kind, item.name)


@functools.cache
def action_form(name: str) -> type[ActionForm]:
    """The form of one declared action, built from its inputs (cached: the registry does not change)."""
    declared = REGISTRY[name]
    fields = dict(field for item in declared.inputs if (field := _form_field(item)) is not None)
    return type(f"{name.title().replace('_', '')}Form", (ActionForm,), fields)


def service_inputs(name: str, cleaned: dict, files: list, *, actor) -> dict:
    """The service's keywords from a valid page form: the page's names and shapes turned into the inputs."""
    declared = REGISTRY[name]
    values: dict = {}
    for item in declared.inputs:
        if item.kind == "decision":
            values[item.name] = cleaned[page_field_name(item)] == "approve"
        elif item.kind == "public":
            values[item.name] = not cleaned[page_field_name(item)]
        elif item.kind == "photos":
            values[item.name] = files
        elif item.kind == "party":
            raw = cleaned.get(item.name) or ""
            values[item.name] = Party.parse(raw) if raw else None
        elif item.kind == "case":
            values[item.name] = _case_by_number(actor, item.name, cleaned.get(item.name) or "")
        elif item.name in cleaned:
            values[item.name] = cleaned[item.name]
    return values


# --- filters shared by the board and the list ---------------------------------------------------------


class MonthField(forms.CharField):
    """A month typed as 2026-12 (a browser's type="month"), cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "2026-12"})

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        month = parse_month(text)
        if month is None:
            raise ValidationError(_("Give a month as 2026-12."))
        return month


class CaseFilterForm(forms.Form):
    """The filters of the supervision board and the case list (one function applies them)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=60,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Number, reporter, words or address (4-2-301)")}
        ),
    )
    # Filter lists can be long (a street's 800 handlers): drawn by FastSelect, not option by option.
    grid = IdChoiceField(
        queryset=None, required=False, label=_("Grid"), empty_label=_("all grids"), widget=FastSelect
    )
    category = IdChoiceField(
        queryset=None, required=False, label=_("Category"), empty_label=_("all categories")
    )
    handler = forms.ChoiceField(required=False, label=_("Handler"), widget=FastSelect)
    status = forms.ChoiceField(required=False, label=_("Status"), widget=FastSelect)
    duplicates = forms.BooleanField(required=False, label=_("likely duplicates only"))
    # One building (the site plan's click-through): carried in the query string, not typed.
    building = IdChoiceField(queryset=None, required=False, widget=forms.HiddenInput)
    # Safety hazards only (the site plan's hazard layer): carried in the query string too.
    hazard = forms.BooleanField(required=False, widget=forms.HiddenInput)
    # What a dashboard figure's click-through adds (cases.figures): the cases behind one number.
    community = IdChoiceField(
        queryset=None,
        required=False,
        label=_("Community"),
        empty_label=_("all communities"),
        widget=FastSelect,
    )
    channel = forms.ChoiceField(
        required=False,
        label=_("Channel"),
        choices=[("", _("all channels")), *Channel.choices],
        widget=FastSelect,
    )
    figure = forms.ChoiceField(required=False, label=_("Figure"), widget=forms.HiddenInput)
    # A hotspot's click-through (cases.hotspots): the cases behind it now.
    hotspot = forms.RegexField(
        regex=r"^\d+\.[bg]\d+\.c\d+$", required=False, max_length=60, widget=forms.HiddenInput
    )
    month_from = MonthField(required=False, label=_("From month"))
    month_to = MonthField(required=False, label=_("To month"))

    def __init__(
        self, *args, grids, categories, handlers, statuses, communities=None, buildings=None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = (
            communities if communities is not None else Community.objects.none()
        )
        self.fields["figure"].choices = [
            ("", "—"),
            *((name, metrics.label_of(name)) for name in metrics.FIGURE_LISTS),
        ]
        self.fields["grid"].queryset = grids
        self.fields["building"].queryset = buildings if buildings is not None else Building.objects.none()
        self.fields["category"] = CategoryChoiceField(
            queryset=categories, required=False, label=_("Category"), widget=FastSelect
        )
        self.fields["category"].widget.choices[0] = ("", _("all categories"))
        self.fields["handler"].choices = [("", _("all handlers")), *handlers]
        self.fields["status"].choices = [("", _("all statuses")), *statuses]


def status_choices(statuses) -> list[tuple[str, str]]:
    return [(status, Status(status).label) for status in statuses]


class NewResidentForm(ServiceErrorsMixin, forms.Form):
    """An unknown caller registered as a resident from the intake screen: name, phone, flat, sex.

    The name and phone are the intake form's own "someone else" fields (sent along by HTMX), so
    nothing is typed twice; the service's objections about a name or phone land beside them.
    """

    service_field_aliases = {
        "name": "reporter_name",
        "phone": "reporter_phone",
        "sex": "new_sex",
        "household": "new_address",
    }

    reporter_name = forms.CharField(label=_("Caller's name"), max_length=50)
    reporter_phone = forms.CharField(label=_("Caller's phone"), max_length=30, required=False)
    new_sex = forms.ChoiceField(label=_("sex"), choices=Sex.choices)
    new_address = AddressField()
    new_relation = forms.ChoiceField(
        label=_("relation to household head"), choices=Relation.choices, initial=Relation.OTHER
    )
