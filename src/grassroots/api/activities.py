"""Activities, sign-ups, the hours ledger and the three lists in the REST API, read-only.

Scoped exactly as the pages: every list and detail starts from `Model.objects.visible_to(request.user)`
(activities: the community's; sign-ups and ledger rows: the office's scope, everyone else their own;
needs, resources, projects: the office's, a grid worker's needs of their grids, a unit contact's
unit). Integrations never see them (no key scope opens them). People appear by id and name only.
A need carries only what the office wrote, never a visit's findings or a case's description.
"""

from __future__ import annotations

import django_filters
from rest_framework import serializers

from grassroots.activities.models import (
    Activity,
    ActivityStatus,
    HoursEntry,
    Need,
    NeedSource,
    NeedStatus,
    Project,
    ProjectStatus,
    Resource,
    Signup,
    SignupStatus,
    SourceKind,
)
from grassroots.api.filters import BooleanFilter, IntFilter, StrictFilterSet
from grassroots.api.views import ScopedReadViewSet

# --- serializers ----------------------------------------------------------------------------------


class PersonNameSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ActivitySerializer(serializers.ModelSerializer):
    theme = serializers.SlugRelatedField(slug_field="code", read_only=True)
    team_name = serializers.CharField(source="team.name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Activity
        fields = [
            "id",
            "community",
            "team",
            "team_name",
            "title",
            "theme",
            "description",
            "place",
            "starts_at",
            "ends_at",
            "capacity",
            "audience",
            "signup_deadline",
            "status",
            "cancel_reason",
        ]
        read_only_fields = fields


class SignupSerializer(serializers.ModelSerializer):
    person = PersonNameSerializer(read_only=True)

    class Meta:
        model = Signup
        fields = [
            "id",
            "activity",
            "person",
            "status",
            "signed_up_at",
            "promoted_at",
            "cancelled_at",
            "checked_in_at",
            "checkin_method",
            "checked_out_at",
            "hours",
            "confirmed_at",
        ]
        read_only_fields = fields


class HoursEntrySerializer(serializers.ModelSerializer):
    person = PersonNameSerializer(read_only=True)

    class Meta:
        model = HoursEntry
        fields = [
            "id",
            "community",
            "person",
            "source_kind",
            "source_id",
            "hours",
            "points",
            "note",
            "worked_at",
            "recorded_at",
            "corrects",
        ]
        read_only_fields = fields


class NeedSerializer(serializers.ModelSerializer):
    case_number = serializers.CharField(source="case.number", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Need
        fields = [
            "id",
            "community",
            "grid",
            "title",
            "description",
            "source",
            "case_number",
            "visit",
            "status",
            "raised_at",
        ]
        read_only_fields = fields


class ResourceSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Resource
        fields = [
            "id",
            "community",
            "unit",
            "unit_name",
            "title",
            "description",
            "capacity",
            "capacity_unit",
            "available_from",
            "available_until",
            "period_note",
            "active",
        ]
        read_only_fields = fields


class CommitmentSerializer(serializers.Serializer):
    resource = serializers.IntegerField(source="resource_id")
    unit = serializers.IntegerField(source="resource.unit_id")
    committed = serializers.IntegerField()
    delivered = serializers.IntegerField()


class ProjectSerializer(serializers.ModelSerializer):
    commitments = CommitmentSerializer(many=True, read_only=True)
    people = serializers.SerializerMethodField(help_text="Ids of the people who work on the project.")

    class Meta:
        model = Project
        fields = [
            "id",
            "community",
            "need",
            "title",
            "description",
            "status",
            "starts_on",
            "ends_on",
            "commitments",
            "people",
        ]
        read_only_fields = fields

    def get_people(self, project: Project) -> list[int]:
        return [row.person_id for row in project.crew.all()]


# --- filters --------------------------------------------------------------------------------------


class ActivityFilter(StrictFilterSet):
    community = IntFilter(field_name="community_id")
    team = IntFilter(field_name="team_id")
    status = django_filters.ChoiceFilter(choices=ActivityStatus.choices)

    class Meta:
        model = Activity
        fields: list[str] = []


class SignupFilter(StrictFilterSet):
    activity = IntFilter(field_name="activity_id")
    person = IntFilter(field_name="person_id")
    status = django_filters.ChoiceFilter(choices=SignupStatus.choices)

    class Meta:
        model = Signup
        fields: list[str] = []


class HoursEntryFilter(StrictFilterSet):
    person = IntFilter(field_name="person_id")
    source_kind = django_filters.ChoiceFilter(choices=SourceKind.choices)
    year = django_filters.NumberFilter(
        field_name="worked_at",
        lookup_expr="year",
        min_value=2000,
        max_value=2100,
        help_text="Work done in this year.",
    )

    class Meta:
        model = HoursEntry
        fields: list[str] = []


class NeedFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=NeedStatus.choices)
    source = django_filters.ChoiceFilter(choices=NeedSource.choices)
    grid = IntFilter(field_name="grid_id")

    class Meta:
        model = Need
        fields: list[str] = []


class ResourceFilter(StrictFilterSet):
    unit = IntFilter(field_name="unit_id")
    active = BooleanFilter()

    class Meta:
        model = Resource
        fields: list[str] = []


class ProjectFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=ProjectStatus.choices)
    need = IntFilter(field_name="need_id")

    class Meta:
        model = Project
        fields: list[str] = []


# --- viewsets -------------------------------------------------------------------------------------


class HandsReadViewSet(ScopedReadViewSet):
    api_tags = ["activities"]
    required_scope = None  # integrations never see them


class ActivityViewSet(HandsReadViewSet):
    """Activities of the community: theme, place, window, places, status."""

    model = Activity
    ordering = ("-starts_at", "-id")
    related = ("theme", "team")
    serializer_class = ActivitySerializer
    filterset_class = ActivityFilter


class SignupViewSet(HandsReadViewSet):
    """Sign-ups: the office's in its scope, a team leader's roll calls, everyone else their own."""

    model = Signup
    ordering = ("-signed_up_at", "-id")
    related = ("person",)
    serializer_class = SignupSerializer
    filterset_class = SignupFilter


class HoursEntryViewSet(HandsReadViewSet):
    """Rows of the service-hours ledger (append-only): the office's in its scope, everyone else their own."""

    model = HoursEntry
    ordering = ("-worked_at", "-id")
    related = ("person",)
    serializer_class = HoursEntrySerializer
    filterset_class = HoursEntryFilter


class NeedViewSet(HandsReadViewSet):
    """The needs list (需求清单)."""

    api_tags = ["three lists"]
    model = Need
    ordering = ("-raised_at", "-id")
    related = ("case",)
    serializer_class = NeedSerializer
    filterset_class = NeedFilter


class ResourceViewSet(HandsReadViewSet):
    """The resources list (资源清单): what member units offer."""

    api_tags = ["three lists"]
    model = Resource
    ordering = ("unit_id", "title", "id")
    related = ("unit",)
    serializer_class = ResourceSerializer
    filterset_class = ResourceFilter


class ProjectViewSet(HandsReadViewSet):
    """The projects list (项目清单): a need, the resources taken on and delivered, who works on it."""

    api_tags = ["three lists"]
    model = Project
    ordering = ("-starts_on", "-id")
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter

    def get_queryset(self):
        return super().get_queryset().prefetch_related("commitments__resource", "crew")
