"""Forms of the resident portal. They collect and check input; cases.services decides and writes.

Categories offered: the public, active ones, plus one discreet choice, "I need someone to
talk to", which files the problem under psychological support when that category is in use.
That category is not public (it stays off Open311 and other lists), but a resident who needs it
should not have to phone and say it out loud; the case stays sensitive, so only the roles that
handle it (and the reporter) ever see it.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from grassroots.cases.models import Category, Satisfaction
from grassroots.cases.questions import clean_answers
from grassroots.cases.uploads import check_upload
from grassroots.core import pii
from grassroots.core.forms import IdChoiceField, ServiceErrorsMixin
from grassroots.places.models import Building, Community

#: The category the discreet "someone to talk to" choice files under, when it exists and is active.
TALK_CATEGORY_CODE = "psychological"
TALK = "talk"
#: Placed in the description when a resident asks for someone to talk to and writes nothing more.
TALK_DEFAULT_DESCRIPTION = _("The resident would like someone to talk to.")

HOME = "home"
ELSEWHERE = "elsewhere"


def talk_category() -> Category | None:
    return Category.objects.filter(code=TALK_CATEGORY_CODE, active=True).first()


def category_label(category: Category) -> str:
    """How the portal names a category: the discreet wording for psychological support."""
    if category.code == TALK_CATEGORY_CODE:
        return str(_("Someone to talk to"))
    return str(category)


def category_choices(categories: list[Category], *, talk: bool) -> list:
    """Public categories grouped under their parents (a parent is offered as "other ...")."""
    children: dict[int, list[Category]] = {}
    for category in categories:
        if category.parent_id:
            children.setdefault(category.parent_id, []).append(category)
    choices: list = [("", _("Choose what it is about"))]
    loose: list[tuple[str, str]] = []
    for category in categories:
        if category.parent_id:
            if category.parent_id not in {c.pk for c in categories}:
                loose.append((str(category.pk), str(category)))
            continue
        kids = children.get(category.pk, [])
        if kids:
            group = [(str(kid.pk), str(kid)) for kid in kids]
            group.append((str(category.pk), _("Something else: %(name)s") % {"name": category}))
            choices.append((str(category), group))
        else:
            loose.append((str(category.pk), str(category)))
    if talk:
        loose.append((TALK, _("I need someone to talk to")))
    if loose:
        choices.append((_("Other matters"), loose))
    return choices


class QuestionRow:
    """One extra question of a category, with what the resident typed and what is wrong with it."""

    def __init__(self, question, data, errors: list[str]):
        self.question = question
        self.name = f"q_{question.code}"
        self.kind = question.kind
        self.label = question.label
        self.required = question.required
        self.choices = question.choice_labels()
        if data is None:
            self.values: list[str] = []
        elif hasattr(data, "getlist"):
            self.values = [value for value in data.getlist(self.name) if value != ""]
        else:
            raw = data.get(self.name)
            self.values = raw if isinstance(raw, list) else ([raw] if raw not in (None, "") else [])
        self.value = self.values[0] if self.values else ""
        quoted = f"“{question.label}”"
        self.errors = [message for message in errors if quoted in message]


class ReportForm(ServiceErrorsMixin, forms.Form):
    """A problem, as a resident or a visitor tells it. The visitor also gives a name and a phone."""

    mark_required = True  # the public is shown which answers are needed

    #: The service's names for what this form calls otherwise.
    service_field_aliases = {"photos": "photo", "reporter_phone": "phone", "household": "building"}

    category = forms.ChoiceField(label=_("What is it about?"))
    description = forms.CharField(
        label=_("What is the problem?"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    place = forms.ChoiceField(
        label=_("Where?"), required=False, widget=forms.RadioSelect, choices=[(HOME, ""), (ELSEWHERE, "")]
    )
    community = IdChoiceField(
        label=_("Community"), queryset=Community.objects.none(), required=False, empty_label=None
    )
    building = IdChoiceField(
        label=_("Building"), queryset=Building.objects.none(), required=False, empty_label="—"
    )
    location_note = forms.CharField(
        label=_("Where exactly?"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"placeholder": _("For example: entrance 2, the stairs to the 3rd floor")}
        ),
    )
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
    name = forms.CharField(
        label=_("Your name"),
        required=False,
        max_length=50,
        error_messages={"required": _("Please tell us your name.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Your phone number"),
        required=False,
        max_length=20,
        error_messages={"required": _("Please give a phone number we can call you back on.")},
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_(
            "We call you back on it. Its last four digits and the case number let you follow the case."
        ),
    )
    # Not rendered: carries the messages about the category's extra questions.
    answers = forms.Field(required=False)

    def __init__(self, *args, resident_person=None, communities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.resident_person = resident_person
        self.household = resident_person.current_household if resident_person else None
        self.talk = talk_category()
        self.categories = list(
            Category.objects.filter(public=True, active=True, sensitive=False).order_by("sort_order", "code")
        )
        self.fields["category"].choices = category_choices(self.categories, talk=self.talk is not None)
        if resident_person is not None:
            self.communities = [resident_person.community]
            self.fields["place"].choices = [(HOME, _("At my home")), (ELSEWHERE, _("Somewhere else"))]
            if self.household is None:
                self.fields["place"].choices = [(ELSEWHERE, _("Somewhere else"))]
            self.fields["place"].initial = HOME if self.household else ELSEWHERE
            del self.fields["name"], self.fields["phone"], self.fields["community"]
        else:
            self.communities = list(communities or [])
            del self.fields["place"]
            self.fields["name"].required = True
            self.fields["phone"].required = True
            self.fields["community"].queryset = Community.objects.filter(
                pk__in=[c.pk for c in self.communities]
            )
            if len(self.communities) == 1:
                self.fields["community"].initial = self.communities[0].pk
        several = len(self.communities) > 1
        self.fields["building"].queryset = Building.objects.filter(
            community__in=[c.pk for c in self.communities]
        ).select_related("community")
        self.fields["building"].label_from_instance = (
            (lambda building: f"{building.community} · {building}") if several else str
        )
        self.chosen_category: Category | None = None
        self.question_errors: list[str] = []

    @property
    def several_communities(self) -> bool:
        return len(self.communities) > 1

    def category_groups(self) -> list[tuple[str, list[tuple[str, str, bool]]]]:
        """The category choices for the template: (group label or "", [(value, label, selected)])."""
        current = str(self["category"].value() or "")
        groups = []
        for value, label in self.fields["category"].choices:
            if isinstance(label, list | tuple):
                groups.append((str(value), [(str(v), str(lab), str(v) == current) for v, lab in label]))
            else:
                groups.append(("", [(str(value), str(label), str(value) == current)]))
        return groups

    # --- the chosen category and its questions ------------------------------------------------

    def category_from(self, raw: str) -> Category | None:
        if raw == TALK:
            return self.talk
        return next((c for c in self.categories if str(c.pk) == raw), None)

    def question_rows(self) -> list[QuestionRow]:
        raw = self.data.get("category", "") if self.is_bound else ""
        category = self.chosen_category or self.category_from(raw)
        if category is None:
            return []
        return [
            QuestionRow(question, self.data if self.is_bound else None, self.question_errors)
            for question in category.questions.all()
        ]

    def raw_answers(self, category: Category) -> dict:
        answers: dict = {}
        for question in category.questions.all():
            name = f"q_{question.code}"
            if question.kind == "multiple":
                answers[question.code] = [value for value in self.data.getlist(name) if value != ""]
            else:
                answers[question.code] = self.data.get(name, "")
        return answers

    # --- cleaning -------------------------------------------------------------------------------

    def clean_category(self):
        category = self.category_from(self.cleaned_data["category"])
        if category is None:
            raise ValidationError(_("Choose what it is about."))
        self.chosen_category = category
        return self.cleaned_data["category"]

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo:
            check_upload(photo)
        return photo

    def clean_phone(self):
        raw = self.cleaned_data.get("phone", "")
        digits = pii.normalise_phone(raw)
        if raw and not pii.phone_is_plausible(digits):
            raise ValidationError(
                _(
                    "This does not look like a phone number: "
                    "a mobile (11 digits) or a landline with its area code."
                )
            )
        return digits

    def clean(self):
        cleaned = super().clean()
        category = self.chosen_category
        description = (cleaned.get("description") or "").strip()
        if not description:
            if category is not None and category.code == TALK_CATEGORY_CODE:
                cleaned["description"] = str(TALK_DEFAULT_DESCRIPTION)
            else:
                self.add_error("description", _("Please describe the problem."))
        if category is not None:
            try:
                cleaned["answers"] = clean_answers(category, self.raw_answers(category))
            except ValidationError as error:
                self.question_errors = error.messages
                self.add_error("answers", error.messages)
        at_home = self.resident_person is not None and cleaned.get("place") == HOME and self.household
        if self.resident_person is not None and cleaned.get("place") == HOME and not self.household:
            self.add_error("place", _("Your account is not linked to a household: say where it is."))
        community = self._community(cleaned)
        cleaned["community"] = community
        building = cleaned.get("building")
        if at_home:
            cleaned["building"] = None
        elif building is not None and community is not None and building.community_id != community.pk:
            self.add_error("building", _("This building belongs to another community."))
        elif building is None and not (cleaned.get("location_note") or "").strip():
            self.add_error("location_note", _("Please say where it is."))
        return cleaned

    def _community(self, cleaned) -> Community | None:
        if self.resident_person is not None:
            return self.resident_person.community
        community = cleaned.get("community")
        if community is None and len(self.communities) == 1:
            return self.communities[0]
        if community is None and "community" not in self.errors:
            self.add_error("community", _("Choose your community."))
        return community


class FollowForm(forms.Form):
    """The case number and the last four digits of the phone used to report it."""

    mark_required = True  # the public is shown which answers are needed

    number = forms.CharField(
        label=_("Case number"),
        max_length=30,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "placeholder": "HSY-20260101-0001"}
        ),
    )
    digits = forms.CharField(
        label=_("Last four digits of your phone number"),
        max_length=4,
        min_length=4,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]{4}", "maxlength": "4"}
        ),
    )

    def clean_number(self) -> str:
        return "".join(self.cleaned_data["number"].split()).upper()

    def clean_digits(self) -> str:
        digits = self.cleaned_data["digits"].strip()
        if not (len(digits) == 4 and digits.isdigit()):
            raise ValidationError(_("Type the last four digits of the phone number, for example 5678."))
        return digits


class RatingForm(forms.Form):
    """The resident's verdict on the work done, with an optional word."""

    mark_required = True  # the public is shown which answers are needed

    satisfaction = forms.ChoiceField(
        label=_("Are you satisfied with how it was solved?"),
        choices=Satisfaction.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose one of the three answers.")},
    )
    note = forms.CharField(
        label=_("Anything to add? (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
