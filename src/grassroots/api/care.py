"""Care in the REST API, read-only: the register, campaigns, visits, programmes and planned services.

Scoped exactly as the care pages: every list and detail starts from
`Model.objects.visible_to(request.user)` with the pages' capabilities (care.careprofile.view,
care.campaign.view, care.visit.view, care.programme.view, care.plannedservice.view). Volunteers
hold none of them (they see their own tasks on the pages), so their lists are empty and every
detail is 404; integrations never see care (no key scope opens it).

Findings (health, ability to look after oneself, mental state, family, difficulties, hazards,
needs, wellbeing), tier override reasons and service notes are shown only to roles holding
`care.careprofile.view_sensitive`, as on the pages; for everyone else these fields are null.
Opening one visit with its findings shown writes the CareRecordAccess row the visit page
writes; lists write none. People appear by name and masked phone only.
"""

from __future__ import annotations

import re

import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from grassroots.accounts.roles import user_can
from grassroots.api.filters import BooleanFilter, IntFilter, StrictFilterSet
from grassroots.api.views import ScopedReadViewSet
from grassroots.care import services as care_services
from grassroots.care.models import (
    Campaign,
    CareProfile,
    PlannedService,
    Programme,
    ProgrammeService,
    ServiceStatus,
    Tier,
    Visit,
)
from grassroots.core.audit import client_ip

SENSITIVE_CAPABILITY = "care.careprofile.view_sensitive"
#: The findings of a visit: null without SENSITIVE_CAPABILITY.
VISIT_FINDINGS = (
    "health",
    "self_care",
    "mood",
    "mood_note",
    "family",
    "difficulties",
    "hazards",
    "hazard_note",
    "needs",
    "wellbeing",
)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def may_see_findings(user) -> bool:
    return user_can(user, SENSITIVE_CAPABILITY)


def _user_name(user) -> str | None:
    return user.display_name if user is not None else None


def _address(household) -> str | None:
    return household.address if household is not None else None


# --- serializers ----------------------------------------------------------------------------------


class CarePersonSerializer(serializers.Serializer):
    """A person as the care pages show them: name and masked phone."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    phone = serializers.CharField(source="phone_masked", help_text="Masked, e.g. 138****5678")


class SensitiveFieldsMixin:
    """Sets the `sensitive_fields` to null unless the caller may see care findings."""

    sensitive_fields: tuple[str, ...] = ()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not may_see_findings(request.user):
            for name in self.sensitive_fields:
                data[name] = None
        return data


class CareProfileSerializer(SensitiveFieldsMixin, serializers.ModelSerializer):
    """An entry of the care register. `override_reason` is null without care.careprofile.view_sensitive."""

    sensitive_fields = ("override_reason",)

    person = CarePersonSerializer(read_only=True)
    household_address = serializers.SerializerMethodField()
    computed_tier = serializers.CharField(
        read_only=True, help_text="By the rules: high, key, general or empty."
    )
    override_tier = serializers.CharField(
        read_only=True, help_text="Set by a worker: high, key, general or empty."
    )
    override_reason = serializers.CharField(read_only=True, allow_null=True)
    responsible = serializers.SerializerMethodField(
        help_text="The usual visitor's name (null: the grid worker)."
    )

    class Meta:
        model = CareProfile
        fields = [
            "id",
            "person",
            "community",
            "household",
            "household_address",
            "grid",
            "tier",
            "computed_tier",
            "override_tier",
            "override_reason",
            "override_at",
            "frequency_days",
            "on_register",
            "responsible",
            "last_contact_at",
            "next_due_on",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_household_address(self, profile: CareProfile) -> str | None:
        return _address(profile.household)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_responsible(self, profile: CareProfile) -> str | None:
        return _user_name(profile.responsible)


class CampaignSerializer(serializers.ModelSerializer):
    target_tags = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    running = serializers.SerializerMethodField(help_text="true: today is within the campaign's dates.")

    class Meta:
        model = Campaign
        fields = [
            "id",
            "community",
            "name",
            "starts_on",
            "ends_on",
            "running",
            "target_tags",
            "target_min_age",
            "target_grids",
            "note",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_running(self, campaign: Campaign) -> bool:
        return campaign.is_running()


class VisitSerializer(SensitiveFieldsMixin, serializers.ModelSerializer):
    """A visit. The findings (health, self_care, mood, mood_note, family, difficulties, hazards,
    hazard_note, needs, wellbeing) are null without care.careprofile.view_sensitive."""

    sensitive_fields = VISIT_FINDINGS

    person = CarePersonSerializer(read_only=True, allow_null=True)
    household_address = serializers.SerializerMethodField()
    visitor = serializers.SerializerMethodField(help_text="The visitor's name.")
    health = serializers.CharField(read_only=True, allow_null=True)
    self_care = serializers.CharField(read_only=True, allow_null=True)
    mood = serializers.CharField(read_only=True, allow_null=True)
    mood_note = serializers.CharField(read_only=True, allow_null=True)
    family = serializers.CharField(read_only=True, allow_null=True)
    difficulties = serializers.CharField(read_only=True, allow_null=True)
    hazards = serializers.ListField(child=serializers.CharField(), read_only=True, allow_null=True)
    hazard_note = serializers.CharField(read_only=True, allow_null=True)
    needs = serializers.CharField(read_only=True, allow_null=True)
    wellbeing = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Visit
        fields = [
            "id",
            "community",
            "household",
            "household_address",
            "grid",
            "person",
            "campaign",
            "visitor",
            "visited_at",
            "method",
            "outcome",
            *VISIT_FINDINGS,
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_household_address(self, visit: Visit) -> str | None:
        return _address(visit.household)

    @extend_schema_field(serializers.CharField())
    def get_visitor(self, visit: Visit) -> str:
        return _user_name(visit.visitor) or ""


class ProgrammeServiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProgrammeService
        fields = ["id", "kind", "name", "times", "period", "hours", "active", "order"]
        read_only_fields = fields


class ProgrammeSerializer(serializers.ModelSerializer):
    team_name = serializers.CharField(source="team.name", read_only=True, allow_null=True, default=None)
    services = ProgrammeServiceSerializer(many=True, read_only=True)

    class Meta:
        model = Programme
        fields = ["id", "community", "name", "description", "team", "team_name", "active", "services"]
        read_only_fields = fields


class PlannedServiceSerializer(SensitiveFieldsMixin, serializers.ModelSerializer):
    """A service planned for an enrolled household. `notes` and `missed_reason` are null without
    care.careprofile.view_sensitive. `overdue` is derived: planned and past its due date."""

    sensitive_fields = ("notes", "missed_reason")

    programme = serializers.IntegerField(source="enrolment.programme_id", read_only=True)
    programme_name = serializers.CharField(source="enrolment.programme.name", read_only=True)
    service_name = serializers.CharField(source="service.name", read_only=True)
    kind = serializers.CharField(source="service.kind", read_only=True)
    person = serializers.SerializerMethodField()
    household_address = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    volunteer = CarePersonSerializer(read_only=True, allow_null=True)
    notes = serializers.CharField(read_only=True, allow_null=True)
    missed_reason = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = PlannedService
        fields = [
            "id",
            "enrolment",
            "programme",
            "programme_name",
            "service",
            "service_name",
            "kind",
            "community",
            "household",
            "household_address",
            "grid",
            "person",
            "window_start",
            "due_on",
            "status",
            "overdue",
            "done_at",
            "volunteer",
            "hours",
            "notes",
            "missed_reason",
        ]
        read_only_fields = fields

    @extend_schema_field(CarePersonSerializer(allow_null=True))
    def get_person(self, planned: PlannedService) -> dict | None:
        person = planned.enrolment.person
        return CarePersonSerializer(person).data if person is not None else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_household_address(self, planned: PlannedService) -> str | None:
        return _address(planned.household)

    @extend_schema_field(serializers.BooleanField())
    def get_overdue(self, planned: PlannedService) -> bool:
        return planned.is_overdue(self.context.get("today"))


# --- filters --------------------------------------------------------------------------------------


def _filter_month(queryset, field: str, value: str):
    match = _MONTH.match(value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        return queryset.none()
    return queryset.filter(**{f"{field}__year": int(match.group(1)), f"{field}__month": int(match.group(2))})


class CareProfileFilter(StrictFilterSet):
    grid = IntFilter(field_name="grid_id")
    household = IntFilter(field_name="household_id")
    tier = django_filters.ChoiceFilter(choices=Tier.choices)

    class Meta:
        model = CareProfile
        fields: list[str] = []


class CampaignFilter(StrictFilterSet):
    community = IntFilter(field_name="community_id")

    class Meta:
        model = Campaign
        fields: list[str] = []


class VisitFilter(StrictFilterSet):
    grid = IntFilter(field_name="grid_id")
    household = IntFilter(field_name="household_id")
    campaign = IntFilter(field_name="campaign_id")
    month = django_filters.CharFilter(method="filter_month", help_text="Visited in this month: YYYY-MM.")

    class Meta:
        model = Visit
        fields: list[str] = []

    def filter_month(self, queryset, name, value):
        return _filter_month(queryset, "visited_at", value)


class ProgrammeFilter(StrictFilterSet):
    community = IntFilter(field_name="community_id")
    active = BooleanFilter()

    class Meta:
        model = Programme
        fields: list[str] = []


class PlannedServiceFilter(StrictFilterSet):
    grid = IntFilter(field_name="grid_id")
    household = IntFilter(field_name="household_id")
    programme = IntFilter(field_name="enrolment__programme_id")
    status = django_filters.ChoiceFilter(choices=ServiceStatus.choices)
    month = django_filters.CharFilter(method="filter_month", help_text="Due in this month: YYYY-MM.")

    class Meta:
        model = PlannedService
        fields: list[str] = []

    def filter_month(self, queryset, name, value):
        return _filter_month(queryset, "due_on", value)


# --- viewsets -------------------------------------------------------------------------------------


class CareReadViewSet(ScopedReadViewSet):
    api_tags = ["care"]
    required_scope = None  # integrations never see care


class CareProfileViewSet(CareReadViewSet):
    """The care register in your scope: people on it, most at risk first."""

    model = CareProfile
    ordering = ("risk", "next_due_on", "id")
    related = ("person", "household__building", "responsible")
    serializer_class = CareProfileSerializer
    filterset_class = CareProfileFilter

    def get_queryset(self):
        return super().get_queryset().on_register()


class CampaignViewSet(CareReadViewSet):
    """Knock-on-the-door campaigns in your scope (a grid worker sees their community's)."""

    model = Campaign
    ordering = ("-starts_on", "-id")
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilter

    def get_queryset(self):
        return super().get_queryset().prefetch_related("target_tags", "target_grids")


class VisitViewSet(CareReadViewSet):
    """Visits in your scope, latest first. Opening one with its findings shown is logged."""

    model = Visit
    ordering = ("-visited_at", "-id")
    related = ("person", "household__building", "visitor")
    serializer_class = VisitSerializer
    filterset_class = VisitFilter

    def retrieve(self, request, *args, **kwargs):
        visit = self.get_object()
        if may_see_findings(request.user):
            care_services.access_log(
                user=request.user,
                community_id=visit.community_id,
                what="visit",
                person_id=visit.person_id,
                household_id=visit.household_id,
                visit_id=visit.pk,
                ip_address=client_ip(request),
            )
        return Response(self.get_serializer(visit).data)


class ProgrammeViewSet(CareReadViewSet):
    """Care programmes in your scope (a grid worker sees their community's), with their services."""

    model = Programme
    ordering = ("community_id", "name", "id")
    related = ("team",)
    serializer_class = ProgrammeSerializer
    filterset_class = ProgrammeFilter

    def get_queryset(self):
        return super().get_queryset().prefetch_related("services")


class PlannedServiceViewSet(CareReadViewSet):
    """Services planned for enrolled households in your scope, by due date."""

    model = PlannedService
    ordering = ("due_on", "id")
    related = ("service", "enrolment__programme", "enrolment__person", "household__building", "volunteer")
    serializer_class = PlannedServiceSerializer
    filterset_class = PlannedServiceFilter

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}
