"""Forms for people: they collect input and hand it to people.services, which decides."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from grassroots.core.forms import IsoDateInput, ServiceErrorsMixin
from grassroots.people.models import Person, PersonStatus, Relation, ResidenceType, Sex, VulnerabilityTag
from grassroots.people.services import PersonDetails, person_check_details, person_check_not_duplicate


class PersonDetailsForm(ServiceErrorsMixin, forms.ModelForm):
    """Name, sex, birth date and the two sensitive numbers, typed in clear and stored encrypted.

    The numbers are write-only: left empty on an existing person, they keep their stored value.
    """

    id_number = forms.CharField(
        label=_("ID number"),
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    sex = forms.ChoiceField(label=_("sex"), choices=[("", "—"), *Sex.choices], required=False)

    class Meta:
        model = Person
        fields = ["community", "name", "sex", "birth_date", "no_sms", "note"]
        widgets = {"birth_date": IsoDateInput()}

    def details(self) -> PersonDetails:
        data = self.cleaned_data
        return PersonDetails(
            name=data.get("name") or "",
            sex=data.get("sex") or "",
            birth_date=data.get("birth_date"),
            id_number=data.get("id_number") or "",
            phone=data.get("phone") or "",
            note=data.get("note") or "",
            no_sms=bool(data.get("no_sms")),
        )

    def clean(self):
        cleaned = super().clean()
        try:
            derived = person_check_details(self.details())
            if not self.errors:
                person_check_not_duplicate(
                    details=self.details(),
                    birth_date=self.cleaned_data.get("birth_date") or derived.get("birth_date"),
                    household=self.instance.current_household if self.instance.pk else None,
                    exclude_id=self.instance.pk,
                )
        except ValidationError as error:
            self.add_service_errors(error)
        return cleaned


class StaffPersonForm(PersonDetailsForm):
    """The person's details on the staff screens: the community is the worker's, never typed."""

    class Meta(PersonDetailsForm.Meta):
        fields = ["name", "sex", "birth_date", "no_sms", "note"]


def _today():
    from django.utils import timezone

    return timezone.localdate()


class AddressField(forms.CharField):
    """A flat as workers write it, 4-2-301 (building, entrance, room): one box that fits a phone."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Address (building-entrance-room)"))
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": "4-2-301", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def clean(self, value):
        from grassroots.people.search import parse_query

        value = super().clean(value)
        if not value:
            return None
        query = parse_query(value)
        if query.kind != "address" or query.entrance is None or not query.room:
            raise ValidationError(_("Write the address as building-entrance-room, for example 4-2-301."))
        return query


class MoveFields(forms.Form):
    """Where and how a person moves in: the flat, their relation to its head, since when."""

    address = AddressField()
    relation = forms.ChoiceField(label=_("relation to household head"), choices=Relation.choices)
    residence_type = forms.ChoiceField(
        label=_("residence type"), choices=ResidenceType.choices, initial=ResidenceType.PERMANENT
    )
    on = forms.DateField(label=_("moved in"), widget=IsoDateInput(), initial=_today)
    move_note = forms.CharField(label=_("note on the move"), max_length=200, required=False)


class RegisterForm(StaffPersonForm):
    """Register a person: their details and the flat they live in (found, or created there)."""

    address = AddressField()
    relation = MoveFields.base_fields["relation"]
    residence_type = MoveFields.base_fields["residence_type"]
    on = MoveFields.base_fields["on"]


class MoveInForm(ServiceErrorsMixin, MoveFields):
    service_field_aliases = {"household": "address"}


class MoveOutForm(ServiceErrorsMixin, forms.Form):
    """A move away or a death: the residency is closed, never deleted."""

    status = forms.ChoiceField(
        label=_("what happened"),
        choices=[(PersonStatus.MOVED_OUT, _("moved out")), (PersonStatus.DECEASED, _("died"))],
        widget=forms.RadioSelect,
        initial=PersonStatus.MOVED_OUT,
    )
    on = forms.DateField(label=_("on"), widget=IsoDateInput(), initial=_today)
    note = forms.CharField(label=_("note on the move"), max_length=200, required=False)


class TagForm(ServiceErrorsMixin, forms.Form):
    """Put a tag on a person: which, its level where it has one, since when, and why."""

    tag = forms.ModelChoiceField(label=_("tag"), queryset=VulnerabilityTag.objects.none())
    level = forms.IntegerField(label=_("level"), min_value=1, max_value=9, required=False)
    since = forms.DateField(label=_("since"), widget=IsoDateInput(), required=False)
    note = forms.CharField(label=_("reason"), max_length=200, required=False)

    def __init__(self, *args, tags, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].queryset = tags


class UntagForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(label=_("why it no longer applies"), max_length=200)


class RelationForm(ServiceErrorsMixin, forms.Form):
    relation = forms.ChoiceField(
        label=_("relation to household head"),
        choices=[choice for choice in Relation.choices if choice[0] != Relation.HEAD],
    )


class HeadForm(ServiceErrorsMixin, forms.Form):
    """Make a member the head; the former head is then (for example) the spouse."""

    person = forms.TypedChoiceField(label=_("new head of household"), coerce=int)
    former_head_relation = forms.ChoiceField(
        label=_("the former head is now"),
        choices=[choice for choice in Relation.choices if choice[0] != Relation.HEAD],
        initial=Relation.SPOUSE,
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [(person.pk, person.name) for person in members]


class BuildingHeadForm(ServiceErrorsMixin, forms.Form):
    """Choose the building head among the people who live in the building (or nobody)."""

    person = forms.TypedChoiceField(label=_("building head"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, residents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [
            ("", "—"),
            *((p.pk, f"{p.name} {p.current_household}") for p in residents),
        ]


class _MembersForm(ServiceErrorsMixin, forms.Form):
    """A relation box per current member (`member_<id>`), the flat they go to, the date and a note.

    The service names its objections about the members "members"; they show above the boxes.
    """

    address = AddressField()
    on = forms.DateField(label=_("moved in"), widget=IsoDateInput(), initial=_today)
    note = forms.CharField(label=_("note on the move"), max_length=200, required=False)
    service_field_aliases = {"household": "address", "members": "__all__"}
    #: The first choice of every member's box; "" is "stays" on a split, none on a merge.
    blank_choice: tuple[str, str] | None = None

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = list(members)
        choices = list(Relation.choices)
        if self.blank_choice:
            choices.insert(0, self.blank_choice)
        for person in self.members:
            self.fields[f"member_{person.pk}"] = forms.ChoiceField(
                label=person.name, choices=choices, required=not self.blank_choice
            )

    def member_fields(self):
        return [self[f"member_{person.pk}"] for person in self.members]

    def relations(self) -> dict[int, str]:
        """Person id → relation in the household they join, for the members who move."""
        chosen = ((person.pk, self.cleaned_data.get(f"member_{person.pk}")) for person in self.members)
        return {pk: relation for pk, relation in chosen if relation}


class SplitForm(_MembersForm):
    """Split a household: for each member, "stays" or their relation in the new flat."""

    blank_choice = ("", _("stays here"))
    remaining_head = forms.TypedChoiceField(
        label=_("head of those who stay (when the head leaves)"),
        coerce=int,
        required=False,
        empty_value=None,
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, members=members, **kwargs)
        self.fields["remaining_head"].choices = [("", "—"), *((p.pk, p.name) for p in self.members)]


class MergeForm(_MembersForm):
    """Merge a household into another: everyone moves, each with their relation to its head."""
