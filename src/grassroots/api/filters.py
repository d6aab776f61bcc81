"""Filters of the API's lists: the questions the board and the registry pages ask, as parameters."""

from __future__ import annotations

from datetime import UTC

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from grassroots.accounts.roles import user_can
from grassroots.cases.clock import overdue_q
from grassroots.cases.models import Case, Category, Channel, Urgency
from grassroots.cases.workflow import OPEN, Status
from grassroots.core.ids import MAX_ID
from grassroots.people.models import Person, PersonStatus, PersonTag
from grassroots.people.search import search_people
from grassroots.places.models import Building, Grid, Household


class StrictBooleanField(forms.NullBooleanField):
    """true/false (or 1/0); anything else is an error, not "no filter"."""

    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in {"true", "1"}:
            return True
        if text in {"false", "0"}:
            return False
        raise forms.ValidationError(_("Give true or false."), code="invalid")


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class IdField(forms.IntegerField):
    """A whole number that fits an id column (core.ids.MAX_ID): a 30-digit value is a 400, not a 500."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": MAX_ID})
class IntFilter(django_filters.NumberFilter):
    """An id or a number: a whole number, or 400."""

    field_class = IdField


class UtcDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 moment, in UTC before it reaches the database.

    PostgreSQL refuses offsets beyond ±15:59 that Python and ISO 8601 allow (a 500 on
    `?reported_before=...-16:29`); in UTC the moment is the same and every database takes it.
    A moment that has no UTC equivalent (before year 1) is a 400."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class MomentFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class StrictFilterSet(django_filters.FilterSet):
    """A filter given with an empty value is an error (400), except free text.

    django-filter would quietly ignore `?reported_before=`; the schema says the value is a
    date-time, so the API says so too.
    """

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name, flt in self.filters.items():
            if type(flt) is django_filters.CharFilter:
                continue
            values = self.data.getlist(name) if hasattr(self.data, "getlist") else [self.data.get(name)]
            if name in self.data and any(value in ("", None) for value in values):
                self.form.add_error(name, _("Give a value, or leave the parameter out."))
                valid = False
        return valid


class CaseFilter(StrictFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, help_text="Repeat for several.")
    open = BooleanFilter(method="filter_open", help_text="true: not closed, rejected or merged.")
    overdue = BooleanFilter(
        method="filter_overdue", help_text="Not yet resolved and past its resolution due (as `overdue`)."
    )
    escalated = BooleanFilter(field_name="escalated_at", lookup_expr="isnull", exclude=True)
    category = django_filters.CharFilter(
        method="filter_category", help_text="A category code (with its children)."
    )
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    grid = IntFilter(field_name="grid_id")
    building = IntFilter(field_name="building_id")
    household = IntFilter(field_name="household_id")
    number = django_filters.CharFilter(field_name="number", lookup_expr="iexact")
    reported_after = MomentFilter(field_name="reported_at", lookup_expr="gte")
    reported_before = MomentFilter(field_name="reported_at", lookup_expr="lt")
    ordering = django_filters.OrderingFilter(fields=["reported_at", "resolution_due", "number", "status"])

    class Meta:
        model = Case
        fields: list[str] = []

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(status__in=OPEN) if value else queryset.exclude(status__in=OPEN)

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = overdue_q(timezone.now())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def filter_category(self, queryset, name, value):
        return queryset.filter(Q(category__code=value) | Q(category__parent__code=value))


class ResidentFilter(StrictFilterSet):
    q = django_filters.CharFilter(
        method="filter_q", help_text="Name, surname, pinyin initials, phone tail or address (4-2-301)."
    )
    household = IntFilter(field_name="current_household_id")
    building = IntFilter(field_name="current_household__building_id")
    grid = IntFilter(field_name="current_household__grid_id")
    status = django_filters.ChoiceFilter(choices=PersonStatus.choices)
    tag = django_filters.CharFilter(method="filter_tag", help_text="A vulnerability tag code.")

    class Meta:
        model = Person
        fields: list[str] = []

    def filter_tag(self, queryset, name, value):
        """A sensitive tag filters only for roles that may see it; for anyone else it matches nobody,
        so that a count cannot tell who carries a tag the reader may not see."""
        tags = PersonTag.objects.filter(tag__code=value)
        if not user_can(getattr(self.request, "user", None), "people.persontag.view_sensitive"):
            tags = tags.filter(tag__sensitive=False)
        return queryset.filter(pk__in=tags.values("person_id"))

    def filter_q(self, queryset, name, value):
        matched = search_people(queryset, value, limit=200)
        return queryset.filter(pk__in=[person.pk for person in matched])


class GridFilter(StrictFilterSet):
    community = IntFilter(field_name="community_id")

    class Meta:
        model = Grid
        fields: list[str] = []


class BuildingFilter(StrictFilterSet):
    community = IntFilter(field_name="community_id")
    grid = IntFilter(field_name="grid_id")
    number = IntFilter(field_name="number")

    class Meta:
        model = Building
        fields: list[str] = []


class HouseholdFilter(StrictFilterSet):
    building = IntFilter(field_name="building_id")
    grid = IntFilter(field_name="grid_id")
    address = django_filters.CharFilter(method="filter_address", help_text='"4", "4-2" or "4-2-301".')

    class Meta:
        model = Household
        fields: list[str] = []

    def filter_address(self, queryset, name, value):
        parts = [part for part in value.replace("－", "-").split("-") if part]
        if not parts or not all(part.isdecimal() and len(part) < 9 for part in parts[:2]) or len(parts) > 3:
            return queryset.none()
        entrance = int(parts[1]) if len(parts) > 1 else None
        room = parts[2] if len(parts) > 2 else None
        return queryset.at_address(building=int(parts[0]), entrance=entrance, room=room)


class CategoryFilter(StrictFilterSet):
    parent = django_filters.CharFilter(field_name="parent__code", help_text="The parent category's code.")
    public = BooleanFilter()

    class Meta:
        model = Category
        fields: list[str] = []


class CommunityFilter(StrictFilterSet):
    code = django_filters.CharFilter()

    class Meta:
        from grassroots.places.models import Community

        model = Community
        fields: list[str] = []
