"""What the API shows of each record, and what it accepts.

Personal data is shown exactly as the pages show it: phone and ID numbers only in their
masked form (the encrypted columns and hashes never leave the server), sensitive
vulnerability tags only to roles that may see them. Integrations never see people.
"""

from __future__ import annotations

import functools
from decimal import Decimal

from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from grassroots.accounts.roles import has_tasks, reads_numbers_in_full
from grassroots.api.authentication import api_client_of
from grassroots.cases.models import (
    Assignment,
    Attachment,
    Case,
    CaseEvent,
    Category,
    CategoryQuestion,
    Channel,
    Urgency,
)
from grassroots.cases.services import MAX_HOURS, PARTY_PATTERN
from grassroots.cases.workflow import REGISTRY, Input, Status
from grassroots.core.pii import mask_numbers
from grassroots.orgs.models import MemberUnit, PartyBranch, VolunteerTeam
from grassroots.people.models import Person, PersonTag, Residency
from grassroots.places.models import Building, Community, Grid, Household

# --- places ---------------------------------------------------------------------------------------


class CommunitySerializer(serializers.ModelSerializer):
    street = serializers.CharField(source="street.name", read_only=True)
    street_code = serializers.CharField(source="street.code", read_only=True)

    class Meta:
        model = Community
        fields = ["id", "code", "name", "street", "street_code", "address"]


class GridSerializer(serializers.ModelSerializer):
    class Meta:
        model = Grid
        fields = ["id", "community", "code", "name", "description"]


class BuildingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Building
        fields = ["id", "community", "grid", "number", "floors", "entrances", "latitude", "longitude"]


class HouseholdSerializer(serializers.ModelSerializer):
    address = serializers.CharField(read_only=True, help_text="building-entrance-room, e.g. 4-2-301")
    building_number = serializers.IntegerField(source="building.number", read_only=True)
    community = serializers.IntegerField(source="building.community_id", read_only=True)

    class Meta:
        model = Household
        fields = ["id", "community", "grid", "building", "building_number", "entrance", "room", "address"]


# --- people ---------------------------------------------------------------------------------------


class PersonTagSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="tag.code", read_only=True)
    name = serializers.CharField(source="tag.__str__", read_only=True)
    sensitive = serializers.BooleanField(source="tag.sensitive", read_only=True)

    class Meta:
        model = PersonTag
        fields = ["code", "name", "level", "since", "sensitive"]


class ResidencySerializer(serializers.ModelSerializer):
    address = serializers.CharField(source="household.address", read_only=True)

    class Meta:
        model = Residency
        fields = ["household", "address", "relation", "residence_type", "moved_in", "moved_out", "move_note"]


class ResidentSerializer(serializers.ModelSerializer):
    """A person of the registry, masked as on the person page (reveal stays a page action, audited)."""

    phone = serializers.CharField(source="phone_masked", read_only=True, help_text="Masked, e.g. 138****5678")
    id_number = serializers.CharField(
        source="id_number_masked", read_only=True, help_text="Masked, e.g. 120116********1234"
    )
    age = serializers.IntegerField(read_only=True, allow_null=True)
    household_address = serializers.SerializerMethodField()
    tags = PersonTagSerializer(many=True, read_only=True)

    class Meta:
        model = Person
        fields = [
            "id",
            "community",
            "name",
            "sex",
            "birth_date",
            "age",
            "id_number",
            "phone",
            "status",
            "current_household",
            "household_address",
            "tags",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_household_address(self, person: Person) -> str | None:
        return person.current_household.address if person.current_household_id else None


class ResidentDetailSerializer(ResidentSerializer):
    residencies = ResidencySerializer(many=True, read_only=True)

    class Meta(ResidentSerializer.Meta):
        fields = [*ResidentSerializer.Meta.fields, "residencies"]


# --- organisations --------------------------------------------------------------------------------


class PartyBranchSerializer(serializers.ModelSerializer):
    members = serializers.IntegerField(source="member_count", read_only=True)

    class Meta:
        model = PartyBranch
        fields = ["id", "community", "name", "members"]


class VolunteerTeamSerializer(serializers.ModelSerializer):
    volunteers = serializers.IntegerField(source="volunteer_count", read_only=True)

    class Meta:
        model = VolunteerTeam
        fields = ["id", "community", "name", "focus", "volunteers"]


class MemberUnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = MemberUnit
        fields = [
            "id",
            "community",
            "name",
            "kind",
            "contact_name",
            "contact_phone",
            "offers",
            "inside_community",
        ]


# --- categories -----------------------------------------------------------------------------------


class QuestionChoiceSerializer(serializers.Serializer):
    key = serializers.CharField()
    zh = serializers.CharField()
    en = serializers.CharField()


class CategoryQuestionSerializer(serializers.ModelSerializer):
    choices = QuestionChoiceSerializer(many=True, read_only=True)

    class Meta:
        model = CategoryQuestion
        fields = ["code", "label_zh", "label_en", "kind", "choices", "required", "order"]


class CategorySerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    name = serializers.CharField(source="__str__", read_only=True)
    questions = CategoryQuestionSerializer(many=True, read_only=True)

    class Meta:
        model = Category
        fields = [
            "id",
            "code",
            "parent",
            "name",
            "name_zh",
            "name_en",
            "urban_class",
            "response_minutes_urgent",
            "response_minutes_normal",
            "resolution_minutes_urgent",
            "resolution_minutes_normal",
            "working_time",
            "register_condition",
            "close_condition",
            "sensitive",
            "public",
            "questions",
        ]


# --- cases ----------------------------------------------------------------------------------------


class CategoryRefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = Category
        fields = ["id", "code", "name"]


class PartySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["user", "person", "team", "unit"])
    id = serializers.IntegerField()
    name = serializers.CharField()


def _party(assignment: Assignment) -> dict:
    return {"kind": assignment.party_kind, "id": assignment.party.pk, "name": assignment.party_name}


class AssignmentSerializer(serializers.ModelSerializer):
    party = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = ["id", "party", "is_lead", "role_note", "summoned_at", "acknowledged_at", "active"]

    @extend_schema_field(PartySerializer)
    def get_party(self, assignment: Assignment) -> dict:
        return _party(assignment)


class AttachmentSerializer(serializers.ModelSerializer):
    download = serializers.SerializerMethodField(help_text="Where to fetch the file (with your credentials).")

    class Meta:
        model = Attachment
        fields = [
            "id",
            "event",
            "stage",
            "url",
            "content_type",
            "size",
            "original_name",
            "uploaded_at",
            "download",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_download(self, attachment: Attachment) -> str | None:
        if not attachment.file:
            return None
        return f"/api/v1/cases/{attachment.case_id}/attachments/{attachment.pk}/"


class NumbersMaskedForReaders:
    """Free text with its phone and ID numbers masked for a reader who may not reveal numbers.

    The pages do the same (accounts.templatetags.privacy): a volunteer's app reads a resident's
    "call my son on 139..." masked, a social worker reads it as written.
    """

    masked_fields: tuple[str, ...] = ()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not reads_numbers_in_full(request.user):
            for field in self.masked_fields:
                if data.get(field):
                    data[field] = mask_numbers(data[field])
        return data


class CaseEventSerializer(NumbersMaskedForReaders, serializers.ModelSerializer):
    masked_fields = ("note",)

    actor = serializers.SerializerMethodField(help_text="Who acted (staff see names; others see the role).")

    class Meta:
        model = CaseEvent
        fields = [
            "id",
            "at",
            "action",
            "actor",
            "actor_role",
            "from_status",
            "to_status",
            "note",
            "changes",
            "public",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor(self, event: CaseEvent) -> str | None:
        if not self.context.get("staff_view"):
            return None
        if event.actor is None:  # a party through its SMS link (cases.links) is named as itself
            return event.actor_name or None
        return event.actor.display_name


class ReporterSerializer(serializers.Serializer):
    anonymous = serializers.BooleanField()
    person = serializers.IntegerField(allow_null=True)
    name = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True, help_text="Masked.")


class CaseSerializer(NumbersMaskedForReaders, serializers.ModelSerializer):
    masked_fields = ("description", "location_note")

    category = CategoryRefSerializer(read_only=True)
    household_address = serializers.SerializerMethodField()
    building_number = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    reporter = serializers.SerializerMethodField()
    lead = serializers.SerializerMethodField()
    merged_into = serializers.SlugRelatedField(slug_field="number", read_only=True, allow_null=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "community",
            "category",
            "description",
            "channel",
            "urgency",
            "status",
            "version",
            "reported_at",
            "registered_at",
            "response_due",
            "resolution_due",
            "responded_at",
            "resolved_at",
            "closed_at",
            "overdue",
            "grid",
            "building",
            "building_number",
            "household",
            "household_address",
            "location_note",
            "latitude",
            "longitude",
            "reporter",
            "lead",
            "satisfaction",
            "rework_count",
            "urge_count",
            "escalated_at",
            "merged_into",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_household_address(self, case: Case) -> str | None:
        return case.household.address if case.household_id else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_building_number(self, case: Case) -> int | None:
        return case.building.number if case.building_id else None

    @extend_schema_field(serializers.BooleanField())
    def get_overdue(self, case: Case) -> bool:
        return case.is_overdue(self.context.get("now") or timezone.now())

    @extend_schema_field(ReporterSerializer)
    def get_reporter(self, case: Case) -> dict:
        shown = not case.anonymous and self.context.get("show_people", True)
        person = case.reporter_person if shown and case.reporter_person_id else None
        phone = (person.phone_masked if person else "") or (case.reporter_phone_masked if shown else "")
        return {
            "anonymous": case.anonymous,
            "person": person.pk if person else None,
            "name": (person.name if person else case.reporter_name) if shown else "",
            "phone": phone,
        }

    @extend_schema_field(PartySerializer(allow_null=True))
    def get_lead(self, case: Case) -> dict | None:
        leads = getattr(case, "leads", None)
        lead = leads[0] if leads else (None if leads is not None else case.lead)
        return _party(lead) if lead else None


class CaseDetailSerializer(CaseSerializer):
    answers = serializers.JSONField(read_only=True)
    assignments = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField(help_text="The workflow actions you may take now.")

    class Meta(CaseSerializer.Meta):
        fields = [
            *CaseSerializer.Meta.fields,
            "answers",
            "plan",
            "resolution_report",
            "rejection_reason",
            "extension_requested_minutes",
            "assignments",
            "events",
            "attachments",
            "actions",
        ]

    @extend_schema_field(AssignmentSerializer(many=True))
    def get_assignments(self, case: Case) -> list:
        return AssignmentSerializer(case.assignments.all(), many=True, context=self.context).data

    @extend_schema_field(CaseEventSerializer(many=True))
    def get_events(self, case: Case) -> list:
        events = [e for e in case.events.all() if e.public or self.context.get("staff_view")]
        return CaseEventSerializer(events, many=True, context=self.context).data

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, case: Case) -> list:
        public_events = {e.pk for e in case.events.all() if e.public}
        attachments = [
            a
            for a in case.attachments.all()
            if self.context.get("staff_view") or a.event_id is None or a.event_id in public_events
        ]
        return AttachmentSerializer(attachments, many=True, context=self.context).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions(self, case: Case) -> list[str]:
        from grassroots.cases.services import actions_for

        return actions_for(self.context["request"].user, case)


def case_context(request) -> dict:
    """What the case serializers need to know about the caller."""
    client = api_client_of(request)
    user = request.user
    staff = client is None and has_tasks(user)
    return {"request": request, "staff_view": staff, "show_people": client is None, "now": timezone.now()}


# --- input: reporting a case ----------------------------------------------------------------------


class CaseReportSerializer(serializers.Serializer):
    """A new case. Integrations always report on their own channel, into their own community."""

    category = serializers.SlugField(help_text="The category's code (see /categories/).")
    description = serializers.CharField(max_length=4000)
    channel = serializers.ChoiceField(
        choices=[c for c in Channel.values if c not in {Channel.API, Channel.HOTLINE, Channel.PROACTIVE}],
        required=False,
        help_text="How the problem came in (people only; integrations use their own channel).",
    )
    urgency = serializers.ChoiceField(choices=Urgency.values, default=Urgency.NORMAL)
    community = serializers.IntegerField(
        required=False, help_text="Needed only when you work in several communities."
    )
    household = serializers.IntegerField(required=False, allow_null=True)
    building = serializers.IntegerField(required=False, allow_null=True)
    location_note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, min_value=-90, max_value=90
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, min_value=-180, max_value=180
    )
    reporter_name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    reporter_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    anonymous = serializers.BooleanField(default=False)
    answers = serializers.DictField(required=False, default=dict, help_text="Answers by question code.")
    media_urls = serializers.ListField(
        child=serializers.URLField(max_length=200), required=False, default=list, max_length=10
    )
    register = serializers.BooleanField(
        default=False, help_text="Coordinators: register at once (the clocks start)."
    )


# --- input: workflow actions ----------------------------------------------------------------------


class _Versioned(serializers.Serializer):
    version = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text="The case version you saw; if someone changed the case since, the answer is 409.",
    )


def _party_field(*, allow_blank: bool = False, **options) -> serializers.CharField:
    """A party as text ("team:3"): its shape is checked here and stated in the schema; whether it
    exists is the service's to say. A blank one (allowed where the party is optional) matches too."""
    pattern = f"^({PARTY_PATTERN.strip('^$')})?$" if allow_blank else PARTY_PATTERN
    message = _("A party is written “user:5”, “person:12”, “team:3” or “unit:7”.")
    return serializers.CharField(
        max_length=40, allow_blank=allow_blank, validators=[RegexValidator(pattern, message)], **options
    )


def _input_field(item: Input) -> serializers.Field:
    """The API's field for one declared input of an action (cases.workflow)."""
    required, help_text = item.required, item.help_text
    if item.kind == "note":
        return serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
    if item.kind == "text":
        return serializers.CharField(max_length=4000, required=required, help_text=help_text or None)
    if item.kind == "choice":
        return serializers.ChoiceField(choices=[value for value, _label in item.choices], required=required)
    if item.kind == "minutes":
        return serializers.IntegerField(min_value=item.min_value, max_value=item.max_value, required=required)
    if item.kind == "decision":
        return serializers.BooleanField(required=required)
    if item.kind == "public":
        return serializers.BooleanField(default=True, help_text=help_text or None)
    if item.kind == "case":
        return serializers.IntegerField(help_text=help_text or None, required=required)
    if item.kind == "party":
        if required:
            return _party_field(help_text=help_text or None)
        return _party_field(required=False, allow_blank=True, default="", help_text=help_text or None)
    if item.kind == "parties":
        if required:
            return serializers.ListField(
                child=_party_field(), min_length=1, max_length=20, help_text=help_text or None
            )
        return serializers.ListField(child=_party_field(), required=False, default=list, max_length=20)
    if item.kind == "role_notes":
        return serializers.DictField(
            child=serializers.CharField(max_length=100, allow_blank=True),
            required=False,
            default=dict,
            help_text=help_text or None,
        )
    if item.kind == "hours":
        return serializers.DecimalField(
            max_digits=4,
            decimal_places=1,
            min_value=Decimal("0.1"),
            max_value=MAX_HOURS,
            required=False,
            allow_null=True,
            default=None,
            help_text=help_text or None,
        )
    if item.kind == "photos":
        return serializers.ListField(
            child=serializers.FileField(),
            required=False,
            default=list,
            max_length=item.max_items,
            help_text=help_text or None,
        )
    raise ValueError(f"no API field for input kind {item.kind!r}")


@functools.cache
def action_input(name: str, *, with_photos: bool = False) -> type[serializers.Serializer]:
    """The request body of one case action, built from its declared inputs.

    Photos travel only in a multipart body (`with_photos`); a JSON body cannot hold a file,
    so its schema does not offer them."""
    declared = REGISTRY[name]
    inputs = [item for item in declared.inputs if with_photos or item.kind != "photos"]
    fields = {item.name: _input_field(item) for item in inputs}
    class_name = (
        "".join(part.title() for part in name.split("_")) + ("WithPhotos" if with_photos else "") + "Input"
    )
    return type(class_name, (_Versioned,), fields)


# --- auth and inbound -----------------------------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Bearer <token>`. Shown once.")
    expires_at = serializers.DateTimeField(allow_null=True)
    username = serializers.CharField()
    role = serializers.CharField()


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    role = serializers.CharField()
    community = serializers.IntegerField(allow_null=True)
    street = serializers.IntegerField(allow_null=True)
    grids = serializers.ListField(child=serializers.IntegerField())
    api_client = serializers.CharField(allow_null=True, help_text="The integration, when called with a key.")
    scopes = serializers.ListField(
        child=serializers.CharField(), help_text="The key's scopes (integrations)."
    )


class InboundMessageSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=["wechat", "sms"])
    sender = serializers.CharField(max_length=30, help_text="The sender's phone number.")
    text = serializers.CharField(max_length=4000)
    media_urls = serializers.ListField(
        child=serializers.URLField(max_length=200), required=False, default=list, max_length=10
    )
    received_at = serializers.DateTimeField(required=False, help_text="When the bridge received it.")


class InboundReplySerializer(serializers.Serializer):
    case_id = serializers.IntegerField()
    case_number = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.values)
    reply = serializers.CharField(help_text="The text to send back to the sender (Chinese).")
