"""The REST API: the registry, organisations, categories and cases, read through `visible_to`.

Every list and detail starts from `Model.objects.visible_to(request.user)`, the same door
the pages use, so what a role cannot see is simply absent (an empty list, or 404). Every
write is one call of a service in cases.services, the functions the pages call; their
refusals come back as 400 (field errors), 404 (not visible), 409 (not possible now, or
someone else changed the case first).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiRequest, OpenApiResponse
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import (
    action,
    api_view,
    authentication_classes,
    permission_classes,
    renderer_classes,
)
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from grassroots.accounts.roles import is_eyes, is_resident, role_of, user_can, user_scope
from grassroots.api import serializers as s
from grassroots.api.authentication import ApiKeyAuthentication, BearerAuthentication, api_client_of
from grassroots.api.exceptions import exception_handler
from grassroots.api.filters import (
    BuildingFilter,
    CaseFilter,
    CategoryFilter,
    CommunityFilter,
    GridFilter,
    HouseholdFilter,
    ResidentFilter,
)
from grassroots.api.idempotency import idempotent
from grassroots.api.inbound import receive_message, resident_with_phone
from grassroots.api.models import ApiToken, Scope
from grassroots.api.pagination import ApiPagination
from grassroots.api.permissions import ANY_SCOPE, ApiAccess
from grassroots.api.schema import ApiSchema, document
from grassroots.api.throttling import InboundThrottle, TokenThrottle
from grassroots.cases import services
from grassroots.cases.models import Assignment, Attachment, Case, CaseEvent, Channel
from grassroots.cases.selectors import categories_for, lead_prefetch
from grassroots.cases.uploads import IMAGE_TYPES
from grassroots.cases.workflow import CaseAction, case_perform, on_register
from grassroots.core import pii
from grassroots.core.ids import parse_id
from grassroots.orgs.models import MemberUnit, PartyBranch, VolunteerTeam
from grassroots.people.models import Person, PersonTag, Residency
from grassroots.places.models import Building, Community, Grid, Household

# --- the common base ------------------------------------------------------------------------------


class ApiMixin:
    """Authentication, permission, rendering and error handling shared by every endpoint.

    Set here rather than in settings.REST_FRAMEWORK, so the API behaves the same
    whatever the project-wide DRF defaults are.
    """

    authentication_classes = [BearerAuthentication, ApiKeyAuthentication, SessionAuthentication]
    permission_classes = [ApiAccess]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    throttle_classes: list = []
    pagination_class = ApiPagination
    filter_backends = [DjangoFilterBackend]
    versioning_class = None
    schema = ApiSchema()

    def get_exception_handler(self):
        return exception_handler


class ScopedReadViewSet(ApiMixin, viewsets.ReadOnlyModelViewSet):
    """A read-only resource: `visible_to(user)` first, then filters and pagination."""

    model: type = None
    related: tuple[str, ...] = ()
    ordering: tuple[str, ...] = ("id",)

    def get_queryset(self):
        queryset = self.model.objects.visible_to(self.request.user).order_by(*self.ordering)
        if self.related:
            queryset = queryset.select_related(*self.related)
        return queryset


# --- places ---------------------------------------------------------------------------------------


class CommunityViewSet(ScopedReadViewSet):
    """Communities in your scope."""

    api_tags = ["places"]

    ordering = ("code", "id")
    model = Community
    related = ("street",)
    serializer_class = s.CommunitySerializer
    filterset_class = CommunityFilter
    required_scope = Scope.REGISTRY_READ


class GridViewSet(ScopedReadViewSet):
    """Grids (网格) in your scope."""

    api_tags = ["places"]

    ordering = ("community_id", "code", "id")
    model = Grid
    serializer_class = s.GridSerializer
    filterset_class = GridFilter
    required_scope = Scope.REGISTRY_READ


class BuildingViewSet(ScopedReadViewSet):
    """Buildings (楼栋) in your scope."""

    api_tags = ["places"]

    ordering = ("community_id", "number", "id")
    model = Building
    serializer_class = s.BuildingSerializer
    filterset_class = BuildingFilter
    required_scope = Scope.REGISTRY_READ


class HouseholdViewSet(ScopedReadViewSet):
    """Households (户) in your scope, with their short address 4-2-301."""

    api_tags = ["places"]

    ordering = ("building__number", "entrance", "room", "id")
    model = Household
    related = ("building",)
    serializer_class = s.HouseholdSerializer
    filterset_class = HouseholdFilter
    required_scope = Scope.REGISTRY_READ


# --- people ---------------------------------------------------------------------------------------


class ResidentViewSet(ScopedReadViewSet):
    """People of the registry in your scope, phone and ID numbers masked. Never for integrations."""

    api_tags = ["people"]

    model = Person
    filterset_class = ResidentFilter
    required_scope = None  # integrations never see people

    def get_serializer_class(self):
        return s.ResidentDetailSerializer if self.action == "retrieve" else s.ResidentSerializer

    def get_queryset(self):
        user = self.request.user
        tags = PersonTag.objects.select_related("tag")
        if not user_can(user, "people.persontag.view_sensitive"):
            tags = tags.filter(tag__sensitive=False)
        queryset = (
            Person.objects.visible_to(user)
            .select_related("current_household__building")
            .prefetch_related(Prefetch("tags", queryset=tags))
            .order_by("name", "id")
        )
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                Prefetch("residencies", queryset=Residency.objects.select_related("household__building"))
            )
        return queryset.distinct() if self.request.query_params.get("tag") else queryset


# --- organisations --------------------------------------------------------------------------------


class PartyBranchViewSet(ScopedReadViewSet):
    """Party branches (党支部), with their number of members."""

    api_tags = ["organisations"]

    ordering = ("community_id", "name", "id")
    model = PartyBranch
    serializer_class = s.PartyBranchSerializer
    required_scope = None

    def get_queryset(self):
        return super().get_queryset().annotate(member_count=Count("members"))


class VolunteerTeamViewSet(ScopedReadViewSet):
    """Volunteer service teams, with their number of volunteers."""

    api_tags = ["organisations"]

    ordering = ("community_id", "name", "id")
    model = VolunteerTeam
    serializer_class = s.VolunteerTeamSerializer
    required_scope = None

    def get_queryset(self):
        return super().get_queryset().annotate(volunteer_count=Count("volunteers"))


class MemberUnitViewSet(ScopedReadViewSet):
    """Member units of the "big party committee" (大党委) and what they offer."""

    api_tags = ["organisations"]

    ordering = ("community_id", "kind", "name", "id")
    model = MemberUnit
    serializer_class = s.MemberUnitSerializer
    required_scope = None


# --- categories -----------------------------------------------------------------------------------


class CategoryViewSet(ApiMixin, viewsets.ReadOnlyModelViewSet):
    """The kinds of problem, with time limits and the extra questions to answer when reporting."""

    api_tags = ["cases"]

    serializer_class = s.CategorySerializer
    filterset_class = CategoryFilter
    required_scope = Scope.REGISTRY_READ

    def get_queryset(self):
        return (
            categories_for(user=self.request.user)
            .select_related("parent")
            .prefetch_related("questions")
            .order_by("sort_order", "code")
        )


# --- cases ----------------------------------------------------------------------------------------


def _not_found():
    return Http404(_("Not found."))


def _visible_place(model, user, pk, field: str, *, related: tuple[str, ...] = ()):
    if pk is None:
        return None
    place = model.objects.visible_to(user).filter(pk=pk).select_related(*related).first()
    if place is None:
        raise DjangoValidationError({field: _("No such place.")})
    return place


def _reporting_community(user, client, wanted: int | None) -> Community:
    """Where a new case goes: the key's community, the user's, or (street, admin) the one asked for."""
    if client is not None:
        own = client.community
    elif user.community_id:
        own = user.community
    elif user.person_id:
        own = user.person.community
    else:
        own = None
    if wanted is None or (own is not None and wanted == own.pk):
        if own is None:
            raise DjangoValidationError({"community": _("Say which community the case belongs to.")})
        return own
    if client is not None or user_scope(user).level in {"community", "grid", "household", "none"}:
        raise DjangoValidationError({"community": _("You report into your own community only.")})
    community = Community.objects.visible_to(user).filter(pk=wanted).first()
    if community is None:
        raise DjangoValidationError({"community": _("No such community.")})
    return community


def _default_channel(user) -> str:
    """Residents report on the web channel and patrollers on patrol, as on their own pages."""
    if is_resident(user):
        return Channel.WEB
    return Channel.PATROL if is_eyes(user) else Channel.API


def _service_inputs(declared: CaseAction, actor, data: dict) -> dict:
    """The service's keywords from a valid API body: parties parsed, another case found by id."""
    values: dict = {}
    for item in declared.inputs:
        if item.name not in data:  # photos, in a JSON body: the service's default (none)
            continue
        value = data[item.name]
        if item.kind == "party":
            value = services.Party.parse(value) if value else None
        elif item.kind == "parties":
            value = [services.Party.parse(text) for text in value or []]
        elif item.kind == "case":
            value = Case.objects.visible_to(actor).filter(pk=value).first()
            if value is None:
                raise DjangoValidationError({item.name: _("No such case.")})
        values[item.name] = value
    return values


#: The photos a multipart body may carry: what cases.uploads reads (by content, not by name).
PHOTO_ENCODING = {"photos": {"contentType": ", ".join(IMAGE_TYPES.values())}}


def _action_view(declared: CaseAction):
    name = declared.name
    input_class = s.action_input(name)
    photos = declared.takes_photos
    multipart_class = s.action_input(name, with_photos=True) if photos else None

    def handler(self, request, pk=None):
        case = self.get_object()
        multipart = photos and request.content_type.startswith("multipart/")
        data = self.validated(multipart_class if multipart else input_class, request.data)
        try:
            changed = case_perform(
                actor=request.user,
                case=case,
                action=name,
                expected_version=data.get("version"),
                **_service_inputs(declared, request.user, data),
            )
        except DjangoPermissionDenied:
            raise _not_found() from None
        return Response(self.detail_data(changed.pk, fallback=changed))

    handler.__name__ = f"act_{name}"  # not `name`: "dispatch" would replace the view's dispatch()
    handler.__doc__ = f"{str(declared.label).capitalize()}: the `{name}` action of the case workflow."
    handler = idempotent(handler)
    handler.idempotent_operation = True
    handler.conflict_operation = True
    handler = document(
        tags=["case actions"],
        operation_id=f"cases_{name}",
        summary=str(declared.label),
        request={
            "application/json": input_class,
            **(
                {"multipart/form-data": OpenApiRequest(multipart_class, encoding=PHOTO_ENCODING)}
                if photos
                else {}
            ),
        },
        responses={200: s.CaseDetailSerializer},
    )(handler)
    parsers = [JSONParser, MultiPartParser] if photos else [JSONParser]
    return action(detail=True, methods=["post"], url_path=name, parser_classes=parsers)(handler)


class CaseViewSet(ApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Cases in your scope (coordinators), or those you reported or handle (everyone else).

    Integrations see the cases they reported. Each workflow action is its own POST; the
    optional `version` in its body makes it fail with 409 if the case changed meanwhile.
    """

    filterset_class = CaseFilter
    required_scope = Scope.CASES_READ
    #: Filled in for every action of the registry by `_install_action` below.
    required_scopes = {"create": Scope.CASES_REPORT}

    def get_serializer_class(self):
        return s.CaseSerializer if self.action == "list" else s.CaseDetailSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), **s.case_context(self.request)}

    def get_queryset(self):
        queryset = (
            Case.objects.visible_to(self.request.user)
            .select_related("category", "household__building", "building", "reporter_person", "merged_into")
            .order_by("-reported_at", "-id")
        )
        if self.action == "list":
            return queryset.prefetch_related(lead_prefetch())
        return queryset.prefetch_related(
            Prefetch(
                "assignments", queryset=Assignment.objects.select_related("user", "person", "team", "unit")
            ),
            Prefetch("events", queryset=CaseEvent.objects.select_related("actor")),
            "attachments",
        )

    def detail_data(self, pk: int, *, fallback: Case | None = None) -> dict:
        self.action = "retrieve"
        case = self.get_queryset().filter(pk=pk).first() or fallback
        return s.CaseDetailSerializer(case, context=self.get_serializer_context()).data

    @staticmethod
    def validated(serializer_class, data) -> dict:
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @document(
        tags=["cases"],
        request=s.CaseReportSerializer,
        responses={201: s.CaseDetailSerializer},
        description=(
            "Report a problem. It enters the closed loop as `reported` (coordinators may "
            "`register` at once). Integrations report into their community on their own channel."
        ),
    )
    @idempotent
    def create(self, request):
        data = self.validated(s.CaseReportSerializer, request.data)
        user, client = request.user, api_client_of(request)
        if data["register"] and (client is not None or not user_can(user, "cases.case.view")):
            raise DjangoValidationError({"register": _("Only coordinators register cases.")})
        if client is not None and data.get("channel"):
            raise DjangoValidationError({"channel": _("Your key reports on its own channel.")})
        community = _reporting_community(user, client, data.get("community"))
        category = categories_for(user=user).filter(code=data["category"]).first()
        if category is None:
            raise DjangoValidationError({"category": _("No such category.")})
        # The case's building and grid are the household's (cases.services._place): read with it.
        household = _visible_place(
            Household, user, data.get("household"), "household", related=("building", "grid")
        )
        building = _visible_place(Building, user, data.get("building"), "building")
        # A hotline transfer names the caller by phone: link them when they are a resident.
        caller = None
        if client is not None and data["reporter_phone"] and not data["anonymous"]:
            caller = resident_with_phone(community, pii.normalise_phone(data["reporter_phone"]))
        details = services.ReportDetails(
            reporter_person=caller,
            category=category,
            description=data["description"],
            channel=client.channel if client else data.get("channel") or _default_channel(user),
            urgency=data["urgency"],
            reporter_name=data["reporter_name"],
            reporter_phone=data["reporter_phone"],
            anonymous=data["anonymous"],
            household=household,
            building=building,
            location_note=data["location_note"],
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            answers=data["answers"],
            media_urls=data["media_urls"],
        )
        try:
            case = services.case_report(
                actor=user, community=community, details=details, register=data["register"], hold=True
            )
        except DjangoPermissionDenied:
            raise exceptions.PermissionDenied(_("You may not report cases.")) from None
        # The answer is the case as a GET would show it, built from the rows just written (the case
        # holds its timeline, attachments and parties: cases.services.case_report) rather than read back.
        body = s.CaseDetailSerializer(case, context=self.get_serializer_context()).data
        return Response(
            body, status=status.HTTP_201_CREATED, headers={"Location": f"/api/v1/cases/{case.pk}/"}
        )

    create.idempotent_operation = True

    @document(
        tags=["cases"],
        responses={(200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The file itself.")},
        parameters=[OpenApiParameter("attachment_id", int, OpenApiParameter.PATH)],
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>[0-9]+)",
        filter_backends=[],
        pagination_class=None,
    )
    def attachment(self, request, pk=None, attachment_id=None):
        """Download a photo or file of a case you can see (no public media links)."""
        case = self.get_object()
        attachment = get_object_or_404(Attachment, case=case, pk=attachment_id)
        if not attachment.file:
            raise _not_found()
        hidden = attachment.event_id and not attachment.event.public
        if hidden and not s.case_context(request)["staff_view"]:
            raise _not_found()
        return FileResponse(
            attachment.file.open("rb"),
            content_type=attachment.content_type or "application/octet-stream",
            filename=attachment.original_name or None,
        )

    def perform_content_negotiation(self, request, force=False):
        if self.action == "attachment":  # the file says its own type; errors are JSON
            return JSONRenderer(), JSONRenderer.media_type
        return super().perform_content_negotiation(request, force)

    def get_object(self):
        """The case by id among those you can see; anything else is 404 (JSON, like every error)."""
        pk = parse_id(self.kwargs.get("pk"))
        if pk is None:
            raise _not_found()
        queryset = (
            self.get_queryset() if self.action == "retrieve" else Case.objects.visible_to(self.request.user)
        )
        return get_object_or_404(queryset, pk=pk)


def _install_action(declared: CaseAction) -> None:
    """Every action of the registry is a POST of its own: /cases/{id}/{action}/."""
    if declared.internal:
        return
    setattr(CaseViewSet, f"act_{declared.name}", _action_view(declared))
    CaseViewSet.required_scopes[f"act_{declared.name}"] = Scope.CASES_ACT


on_register(_install_action)


@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@authentication_classes([])
@permission_classes([AllowAny])
@renderer_classes([JSONRenderer])
def not_found(request, *args, **kwargs):
    """Anything else under /api/v1/: a JSON 404 like every other error of the API."""
    return Response({"detail": _("Not found.")}, status=status.HTTP_404_NOT_FOUND)


not_found.cls.schema = ApiSchema()
not_found.cls.api_exclude = True


# --- who am I, tokens -----------------------------------------------------------------------------


class MeView(ApiMixin, APIView):
    """Who the API takes you for: your role, where you work, and (integrations) your key's scopes."""

    required_scope = ANY_SCOPE
    pagination_class = None
    filter_backends: list = []

    @document(tags=["auth"], responses={200: s.MeSerializer})
    def get(self, request):
        user, client = request.user, api_client_of(request)
        data = {
            "username": user.username,
            "name": user.display_name,
            "role": role_of(user),
            "community": user.community_id,
            "street": user.street_id,
            "grids": sorted(user.grids.values_list("id", flat=True)),
            "api_client": client.name if client else None,
            "scopes": list(client.scopes) if client else [],
        }
        return Response(data)


class TokenView(ApiMixin, APIView):
    """A personal API token for a username and password; DELETE revokes the token in use."""

    throttle_classes = [TokenThrottle]
    throttled_methods = {"POST"}
    pagination_class = None
    filter_backends: list = []

    def initialize_request(self, request, *args, **kwargs):
        self.issuing = request.method == "POST"  # anyone may ask; no session, so no CSRF
        return super().initialize_request(request, *args, **kwargs)

    def get_authenticators(self):
        return [] if getattr(self, "issuing", False) else super().get_authenticators()

    def get_permissions(self):
        if self.request.method == "POST":
            return [AllowAny()]
        return super().get_permissions()

    def get_throttles(self):
        return super().get_throttles() if self.request.method in self.throttled_methods else []

    @document(
        tags=["auth"],
        request=s.TokenRequestSerializer,
        responses={201: s.TokenSerializer},
        auth=[],
        description="Throttled per address. The token is shown once; it expires after "
        "`GRASSROOTS_API_TOKEN_DAYS` days (30 by default).",
    )
    def post(self, request):
        serializer = s.TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if user is None or not user.is_active or hasattr(user, "api_client"):
            raise DjangoValidationError(_("Unable to sign in with this username and password."))
        days = int(getattr(settings, "GRASSROOTS_API_TOKEN_DAYS", 30) or 0)
        token, raw = ApiToken.issue(user, days=days or None)
        body = {
            "token": raw,
            "expires_at": token.expires_at,
            "username": user.username,
            "role": role_of(user),
        }
        return Response(s.TokenSerializer(body).data, status=status.HTTP_201_CREATED)

    @document(tags=["auth"], responses={204: None})
    def delete(self, request):
        if not isinstance(request.auth, ApiToken):
            raise exceptions.ValidationError({"detail": _("You are not signed in with a token.")})
        ApiToken.objects.filter(pk=request.auth.pk).update(revoked_at=timezone.now())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- inbound messages -----------------------------------------------------------------------------


class InboundMessageView(ApiMixin, APIView):
    """A WeChat or SMS message, passed on by a messaging bridge, becomes a reported case.

    The sender is looked up by phone among the people of the key's community and linked
    as the reporter; the answer carries the case number and a reply for the bridge to send.
    """

    required_scope = Scope.INBOUND
    clients_only = True
    throttle_classes = [InboundThrottle]
    pagination_class = None
    filter_backends: list = []

    @document(
        tags=["inbound"],
        request=s.InboundMessageSerializer,
        responses={201: s.InboundReplySerializer},
    )
    @idempotent
    def post(self, request):
        serializer = s.InboundMessageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case, reply = receive_message(client=api_client_of(request), **serializer.validated_data)
        body = {"case_id": case.pk, "case_number": case.number, "status": case.status, "reply": reply}
        return Response(body, status=status.HTTP_201_CREATED)

    post.idempotent_operation = True
