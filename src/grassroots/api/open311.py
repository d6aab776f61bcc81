"""Open311 GeoReport v2 at /open311/v2/: discovery, services, requests and tokens, in JSON and XML.

A jurisdiction is a community (`jurisdiction_id` = its code; optional when the server has
one community, or when the api_key says which). A service is a public, active category
(`service_code` = its code); its extra questions are the service's attributes. A service
request is a case: `service_request_id` is the case number, `status` is open or closed,
`status_notes` the latest note meant for the public, `agency_responsible` the lead team,
unit or role (never a person's name), `expected_datetime` the resolution due time.

Reading is public, as the spec intends, and shows only what is fit to publish: cases of
public, non-sensitive categories, without the reporter. Writing needs an integration's
api_key (form body or query string) with the `open311` scope; the case is created through
cases.services.case_report like any other, on the key's channel ("api" or "hotline"),
so the community's coordinators see it at once.

Errors follow the spec: 404 for an unknown service code, request or token, 403 for a
missing or invalid api_key, 400 for anything else, each as a list of {code, description}.
An empty parameter counts as absent.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db.models import Max, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt

from grassroots.accounts.roles import VOLUNTEER_PUBLIC_NAME, public_office_name
from grassroots.api.authentication import client_for_key
from grassroots.api.idempotency import claim, fingerprint, replay_response, settle
from grassroots.api.inbound import resident_with_phone
from grassroots.api.models import ApiClient, Scope
from grassroots.api.open311_render import render, render_errors
from grassroots.api.throttling import Open311PostThrottle
from grassroots.cases import services
from grassroots.cases.models import Assignment, Attachment, Case, CaseEvent, Category, QuestionKind
from grassroots.cases.workflow import NOTE_PUBLIC, OPEN, REGISTRY, Status
from grassroots.core import pii
from grassroots.core.ids import parse_id
from grassroots.core.language import in_reader_language
from grassroots.places.models import Community, Household

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-01-01T00:00:00+08:00"
DEFAULT_DAYS = 90
MAX_RESULTS = 1000

DATATYPES = {
    QuestionKind.TEXT: "text",
    QuestionKind.NUMBER: "number",
    QuestionKind.DATE: "datetime",
    QuestionKind.SINGLE: "singlevaluelist",
    QuestionKind.MULTIPLE: "multivaluelist",
}


def public_note_actions() -> list[str]:
    """Timeline entries whose note is written for the public (as the registry declares them)."""
    return sorted(name for name, declared in REGISTRY.items() if declared.note_audience == NOTE_PUBLIC)


class Open311Error(Exception):
    def __init__(self, status: int, *descriptions: str):
        self.status = status
        self.descriptions = descriptions or ("",)
        super().__init__(status, *descriptions)


# --- parameters -----------------------------------------------------------------------------------


def param(request: HttpRequest, name: str, *, body: bool = False) -> str | None:
    """A parameter's value; an empty one is exactly an absent one. A NUL character is refused (400):
    no text field holds one, and PostgreSQL refuses to store it."""
    value = request.POST.get(name) if body and name in request.POST else request.GET.get(name)
    value = (value or "").strip()
    if "\x00" in value:
        raise Open311Error(400, f"{name} contains a NUL character.")
    return value or None


def _list_param(request: HttpRequest, name: str) -> list[str]:
    value = param(request, name)
    return [part.strip() for part in value.split(",") if part.strip()] if value else []


def _moment(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    moment = None
    try:
        moment = parse_datetime(value)
        if moment is None and parse_date(value) is not None:
            moment = datetime.combine(parse_date(value), datetime.min.time())
    except ValueError:
        moment = None
    if moment is None:
        raise Open311Error(
            400, f"{name} must be a date and time in ISO 8601 (e.g. 2026-01-31T09:00:00+08:00)."
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _positive_int(value: str | None, name: str, *, default: int, maximum: int | None = None) -> int:
    if value is None:
        return default
    if not value.isdecimal() or len(value) > 9 or int(value) < 1:
        raise Open311Error(400, f"{name} must be a positive whole number.")
    number = int(value)
    return min(number, maximum) if maximum else number


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with the offset, in the server's time zone: 2026-01-31T09:00:00+08:00."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def jurisdiction(request: HttpRequest, *, client: ApiClient | None = None, required: bool = True):
    """The community that `jurisdiction_id` names; or the key's; or the only one there is."""
    code = param(request, "jurisdiction_id", body=request.method == "POST")
    if code is not None:
        community = Community.objects.filter(code__iexact=code).first()
        if community is None:
            raise Open311Error(400, f"Unknown jurisdiction_id {code!r}.")
        return community
    if client is not None:
        return client.community
    communities = list(Community.objects.order_by("pk")[:2])
    if len(communities) == 1:
        return communities[0]
    if required:
        raise Open311Error(400, "jurisdiction_id is required: this server serves several communities.")
    return None


# --- what is published ----------------------------------------------------------------------------


def public_categories():
    return Category.objects.filter(public=True, active=True, sensitive=False).select_related("parent")


def public_cases(community: Community | None):
    """Cases fit to publish: of public, non-sensitive categories (Open311 reads are anonymous)."""
    cases = Case.objects.filter(category__public=True, category__sensitive=False)
    if community is not None:
        cases = cases.filter(community=community)
    return (
        cases.select_related(
            "category", "household__building", "building", "grid", "community", "merged_into"
        )
        .annotate(updated=Max("events__at"))
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.filter(is_lead=True, active=True).select_related(
                    "user__member_unit",
                    "person__volunteer",
                    "person__party_membership__branch",
                    "team",
                    "unit",
                ),
                to_attr="leads",
            ),
            Prefetch(
                "events",
                queryset=CaseEvent.objects.filter(public=True, action__in=public_note_actions())
                .exclude(note="")
                .order_by("at", "id"),
                to_attr="public_notes",
            ),
            Prefetch(
                "attachments",
                queryset=Attachment.objects.exclude(url="").filter(
                    Q(event__isnull=True) | Q(event__public=True)
                ),
                to_attr="media",
            ),
        )
    )


def agency_responsible(case: Case) -> str:
    """The lead team, unit or role: an office the public may address, never a person's name."""
    lead = case.leads[0] if case.leads else None
    if lead is None:
        return ""
    if lead.team_id:
        return lead.team.name
    if lead.unit_id:
        return lead.unit.name
    if lead.user_id:
        user = lead.user
        if user.member_unit_id:
            return user.member_unit.name
        return in_reader_language(*public_office_name(user))
    try:
        return lead.person.party_membership.branch.name
    except ObjectDoesNotExist:
        return in_reader_language(*VOLUNTEER_PUBLIC_NAME)


def status_notes(case: Case) -> str:
    if case.status == Status.MERGED and case.merged_into_id:
        return in_reader_language(
            f"已与 {case.merged_into.number} 合并办理", f"Merged into {case.merged_into.number}"
        )
    # Staff write public notes for the public, but a phone number can slip into one.
    return pii.redact_numbers(case.public_notes[-1].note) if case.public_notes else ""


def _coordinate(case: Case, name: str) -> float | None:
    value = getattr(case, name)
    if value is None and case.building_id:
        value = getattr(case.building, name)
    return float(value) if value is not None else None


def _public_place(case: Case) -> tuple[str, float | None, float | None]:
    """(address, lat, long) an anonymous reader may have: coarse where a home is concerned.

    A problem in someone's home is placed at its grid only, without coordinates (a building tells
    a stranger where an elderly person living alone can be found); a problem in a building's
    common parts or outdoors at the building or the point where it was reported.
    """
    if case.household_id:
        return (case.grid.name if case.grid_id else case.community.name), None, None
    if case.building_id:
        return str(case.building.number), _coordinate(case, "latitude"), _coordinate(case, "longitude")
    return (
        pii.redact_numbers(case.location_note),
        _coordinate(case, "latitude"),
        _coordinate(case, "longitude"),
    )


def request_document(case: Case, *, precise: bool = False) -> dict:
    """One service request, with the spec's fields in the spec's order.

    Anyone may read requests, so by default they carry only what is published: the category,
    the summary a coordinator approved (never the description as typed), the status and public
    notes without numbers, and a coarse place (_public_place); no photos. A client with a valid
    api_key of the case's community (the hotline that passed the case on) gets the description,
    the household address and its id, the coordinates and the media.
    """
    household = case.household if case.household_id and precise else None
    if precise:
        address = (
            household.address
            if household
            else (str(case.building.number) if case.building_id else case.location_note)
        )
        lat, long = _coordinate(case, "latitude"), _coordinate(case, "longitude")
        description, media = case.description, (case.media[0].url if case.media else "")
    else:
        address, lat, long = _public_place(case)
        description, media = case.public_summary, ""
    return {
        "service_request_id": case.number,
        "status": "open" if case.status in OPEN else "closed",
        "status_notes": status_notes(case),
        "service_name": str(case.category),
        "service_code": case.category.code,
        "description": description,
        "agency_responsible": agency_responsible(case),
        "service_notice": "",
        "requested_datetime": iso(case.reported_at),
        "updated_datetime": iso(case.updated or case.reported_at),
        "expected_datetime": iso(case.resolution_due),
        "address": address,
        "address_id": str(household.pk) if household else "",
        "zipcode": "",
        "lat": lat,
        "long": long,
        "media_url": media,
    }


def service_document(category: Category) -> dict:
    group = category.parent if category.parent_id else category
    return {
        "service_code": category.code,
        "service_name": str(category),
        "description": category.full_name,
        "metadata": bool(getattr(category, "question_count", 0)),
        "type": "realtime",
        "keywords": category.parent.code if category.parent_id else "",
        "group": str(group),
    }


def attribute_document(question, order: int) -> dict:
    datatype = DATATYPES.get(question.kind, "string")
    return {
        "variable": True,
        "code": question.code,
        "datatype": datatype,
        "required": question.required,
        "datatype_description": "ISO 8601 date, e.g. 2026-01-31" if datatype == "datetime" else None,
        "order": order,
        "description": question.label,
        "values": [{"key": key, "name": name} for key, name in question.choice_labels()],
    }


# --- the views ------------------------------------------------------------------------------------


def open311_view(*methods: str):
    """Wrap a view: allowed methods, the format, and Open311Error as the spec's error list."""

    def decorate(function):
        def view(request: HttpRequest, *args, fmt: str, **kwargs) -> HttpResponse:
            allowed = {*methods, "HEAD"} if "GET" in methods else set(methods)
            if request.method not in allowed:
                response = render_errors([(405, f"{request.method} is not allowed here.")], fmt, status=405)
                response["Allow"] = ", ".join(sorted(allowed))
                return response
            try:
                return function(request, *args, fmt=fmt, **kwargs)
            except Open311Error as error:
                return render_errors(
                    [(error.status, text) for text in error.descriptions], fmt, status=error.status
                )

        view.__name__ = function.__name__
        view.__doc__ = function.__doc__
        return login_not_required(csrf_exempt(view))

    return decorate


@open311_view("GET")
def discovery(request: HttpRequest, *, fmt: str) -> HttpResponse:
    """Where the endpoint is, what it speaks, and whom to ask for a key."""
    document = {
        "changeset": CHANGESET,
        "contact": getattr(
            settings,
            "GRASSROOTS_OPEN311_CONTACT",
            "Ask the community office (社区居委会) for help with this API.",
        ),
        "key_service": getattr(
            settings,
            "GRASSROOTS_OPEN311_KEY_SERVICE",
            "API keys are issued by the community's administrator (see docs/open311.md).",
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": request.build_absolute_uri("/open311/v2"),
                "changeset": CHANGESET,
                "type": getattr(settings, "GRASSROOTS_OPEN311_TYPE", "production"),
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render("discovery", document, fmt)


@open311_view("GET")
def service_list(request: HttpRequest, *, fmt: str) -> HttpResponse:
    """The public categories, each a service."""
    from django.db.models import Count

    jurisdiction(request, required=False)
    categories = (
        public_categories().annotate(question_count=Count("questions")).order_by("sort_order", "code")
    )
    return render("services", [service_document(category) for category in categories], fmt)


@open311_view("GET")
def service_definition(request: HttpRequest, code: str, *, fmt: str) -> HttpResponse:
    """A service's attributes: the category's extra questions, with datatypes and values."""
    jurisdiction(request, required=False)
    category = public_categories().filter(code=code).prefetch_related("questions").first()
    if category is None:
        raise Open311Error(404, f"Unknown service_code {code!r}.")
    attributes = [attribute_document(question, n) for n, question in enumerate(category.questions.all(), 1)]
    return render("service_definition", {"service_code": category.code, "attributes": attributes}, fmt)


@open311_view("GET", "POST")
def service_requests(request: HttpRequest, *, fmt: str) -> HttpResponse:
    """GET: requests of the last 90 days (at most 1000 a page); POST: a new request (api_key)."""
    if request.method == "POST":
        return create_request(request, fmt=fmt)
    ids = _list_param(request, "service_request_id")
    if ids:
        community = jurisdiction(request, required=False)
        cases = public_cases(community).filter(number__in=[i.upper() for i in ids[:MAX_RESULTS]])
        precise = _precise_for(request)
        return render(
            "service_requests",
            [request_document(case, precise=precise(case)) for case in cases.order_by("-reported_at")],
            fmt,
        )
    community = jurisdiction(request)
    cases = public_cases(community)
    codes = _list_param(request, "service_code")
    if codes:
        known = set(public_categories().filter(code__in=codes).values_list("code", flat=True))
        unknown = [code for code in codes if code not in known]
        if unknown:
            raise Open311Error(404, f"Unknown service_code {unknown[0]!r}.")
        cases = cases.filter(category__code__in=codes)
    start = _moment(param(request, "start_date"), "start_date")
    end = _moment(param(request, "end_date"), "end_date")
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS)
    if end is None:
        end = start + timedelta(days=DEFAULT_DAYS)
    if end < start:
        raise Open311Error(400, "end_date is before start_date.")
    if end - start > timedelta(days=DEFAULT_DAYS):
        raise Open311Error(400, "start_date and end_date may not span more than 90 days.")
    cases = cases.filter(reported_at__gte=start, reported_at__lte=end)
    statuses = _list_param(request, "status")
    if statuses:
        if not set(statuses) <= {"open", "closed"}:
            raise Open311Error(400, "status must be open, closed, or both (comma-separated).")
        if statuses == ["open"] or set(statuses) == {"open"}:
            cases = cases.filter(status__in=OPEN)
        elif set(statuses) == {"closed"}:
            cases = cases.exclude(status__in=OPEN)
    page = _positive_int(param(request, "page"), "page", default=1)
    size = _positive_int(param(request, "page_size"), "page_size", default=MAX_RESULTS, maximum=MAX_RESULTS)
    offset = (page - 1) * size
    rows = cases.order_by("-reported_at", "-id")[offset : offset + size]
    precise = _precise_for(request)
    return render("service_requests", [request_document(case, precise=precise(case)) for case in rows], fmt)


@open311_view("GET")
def service_request(request: HttpRequest, request_id: str, *, fmt: str) -> HttpResponse:
    """One request, still as a list of one (the spec's shape)."""
    community = jurisdiction(request, required=False)
    case = public_cases(community).filter(number__iexact=request_id).first()
    if case is None:
        raise Open311Error(404, f"Unknown service_request_id {request_id!r}.")
    return render("service_requests", [request_document(case, precise=_precise_for(request)(case))], fmt)


@open311_view("GET")
def token(request: HttpRequest, token: str, *, fmt: str) -> HttpResponse:
    """The service_request_id behind a token given when a request was submitted."""
    community = jurisdiction(request, required=False)
    cases = Case.objects.filter(public_token=token, category__public=True, category__sensitive=False)
    if community is not None:
        cases = cases.filter(community=community)
    case = cases.first()
    if case is None:
        raise Open311Error(404, f"Unknown token {token!r}.")
    return render("service_requests", [{"service_request_id": case.number, "token": case.public_token}], fmt)


# --- POST requests --------------------------------------------------------------------------------

ATTRIBUTE = re.compile(r"^attribute\[(?P<code>[^\]]+)\](?P<many>\[\])?$")


@dataclass
class Place:
    household: Household | None = None
    building: object = None
    note: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None


def _coordinates(request: HttpRequest) -> tuple[Decimal | None, Decimal | None]:
    lat, long = param(request, "lat", body=True), param(request, "long", body=True)
    if lat is None and long is None:
        return None, None
    if lat is None or long is None:
        raise Open311Error(400, "lat and long go together: give both.")
    try:
        latitude, longitude = Decimal(lat), Decimal(long)
    except InvalidOperation:
        raise Open311Error(400, "lat and long must be decimal degrees (WGS84).") from None
    if not (
        latitude.is_finite() and longitude.is_finite() and -90 <= latitude <= 90 and -180 <= longitude <= 180
    ):
        raise Open311Error(400, "lat must be within ±90 and long within ±180.")
    return round(latitude, 6), round(longitude, 6)


def _place(request: HttpRequest, community: Community) -> Place:
    """lat/long, address_string or address_id: the spec asks for at least one."""
    place = Place()
    place.latitude, place.longitude = _coordinates(request)
    households = Household.objects.filter(building__community=community).select_related("building")
    address_id = param(request, "address_id", body=True)
    address = param(request, "address_string", body=True)
    if address_id is not None:
        household_id = parse_id(address_id)
        place.household = households.filter(pk=household_id).first() if household_id else None
        if place.household is None:
            raise Open311Error(400, f"Unknown address_id {address_id!r}.")
    elif address is not None:
        match = re.fullmatch(r"(\d{1,4})(?:[-－](\d{1,2})(?:[-－](\w{1,16}))?)?", address)
        if match:
            number, entrance, room = match.groups()
            if room:
                place.household = households.filter(
                    building__number=int(number), entrance=int(entrance), room=room
                ).first()
            if place.household is None:
                place.building = community.buildings.filter(number=int(number)).first()
        if place.household is None and place.building is None:
            place.note = address[:200]
    elif place.latitude is None:
        raise Open311Error(400, "A location is required: lat and long, address_string or address_id.")
    return place


def _answers(request: HttpRequest, category: Category) -> dict:
    kinds = {question.code: question.kind for question in category.questions.all()}
    answers: dict = {}
    for key in request.POST:
        match = ATTRIBUTE.match(key)
        if not match:
            continue
        code = match.group("code")
        values = [value.strip() for value in request.POST.getlist(key) if value.strip()]
        if not values:
            continue
        if kinds.get(code) == QuestionKind.MULTIPLE:
            answers[code] = values
        elif kinds.get(code) == QuestionKind.DATE:
            moment = parse_datetime(values[0]) if "T" in values[0] else None
            answers[code] = timezone.localtime(moment).date().isoformat() if moment else values[0][:10]
        else:
            answers[code] = values[0]
    return answers


def _media_urls(request: HttpRequest) -> list[str]:
    url = param(request, "media_url", body=True)
    if url is None:
        return []
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise Open311Error(400, "media_url must be an http or https URL.") from None
    if len(url) > 200:
        raise Open311Error(400, "media_url is longer than 200 characters.")
    return [url]


def _reporter_name(request: HttpRequest) -> str:
    first, last = param(request, "first_name", body=True) or "", param(request, "last_name", body=True) or ""
    if re.search(r"[\u3400-\u9fff]", first + last):
        return f"{last}{first}"[:50]
    return f"{first} {last}".strip()[:50]


def _service_notice(case: Case) -> str:
    response, _resolution = case.category.limits(case.urgency)
    hours = max(1, round(response / 60))
    return in_reader_language(
        f"诉求已收到，社区将在约{hours}小时内响应。",
        f"Received. The community responds within about {hours} hour(s).",
    )


def _precise_for(request: HttpRequest):
    """Whether the reader may see a case's household address: a valid key of the case's community."""
    raw = param(request, "api_key")
    client = client_for_key(raw) if raw else None
    community_id = client.community_id if client is not None else None
    return lambda case: community_id is not None and case.community_id == community_id


def _client(request: HttpRequest) -> ApiClient | None:
    raw = param(request, "api_key", body=True)
    client = client_for_key(raw) if raw else None
    request.api_client = client
    return client


#: Identical keyless requests within this window are one report (windows are fixed, not sliding).
IMPLICIT_KEY_WINDOW_SECONDS = 600


def implicit_key(print_: str) -> str:
    """The Idempotency-Key a keyless request is given: its content, in a ten-minute window."""
    return f"implicit:{print_[:64]}:{int(time.time()) // IMPLICIT_KEY_WINDOW_SECONDS}"


def create_request(request: HttpRequest, *, fmt: str) -> HttpResponse:
    client = _client(request)
    throttle = Open311PostThrottle()
    if not throttle.allow_request(request, None):
        wait = int(throttle.wait())
        response = render_errors([(429, f"Too many requests: try again in {wait} seconds.")], fmt, status=429)
        response["Retry-After"] = str(wait)
        return response
    if client is None or not client.has_scope(Scope.OPEN311):
        raise Open311Error(403, "Invalid api_key received: can't proceed with create_request.")
    community = jurisdiction(request, client=client)
    if community.pk != client.community_id:
        raise Open311Error(403, "This api_key is not valid for this jurisdiction_id.")
    key = (request.headers.get("Idempotency-Key") or "").strip()
    data = {name: request.POST.getlist(name) for name in request.POST if name != "api_key"}
    print_ = fingerprint("POST", request.path, data)
    # Without a key, the same request again within a few minutes (a client retrying, a double
    # click) is the same report: it gets the first answer instead of a second case.
    key = key or implicit_key(print_)
    record = None
    if key:
        outcome = claim(owner=client.user, key=key, method="POST", path=request.path, print_=print_)
        if outcome.refusal:
            code, message = outcome.refusal
            raise Open311Error(code if code in {400, 409, 422} else 400, message)
        if outcome.replay:
            return replay_response(outcome.replay)
        record = outcome.record
    try:
        response = _create(request, client=client, community=community, fmt=fmt)
    except BaseException:
        if record is not None:
            record.delete()
        raise
    if record is not None:
        settle(
            record,
            status_code=response.status_code,
            content=response.content.decode(),
            content_type=response["Content-Type"],
        )
    return response


def _create(request: HttpRequest, *, client: ApiClient, community: Community, fmt: str) -> HttpResponse:
    code = param(request, "service_code", body=True)
    if code is None:
        raise Open311Error(400, "service_code is required.")
    category = public_categories().filter(code=code).prefetch_related("questions").first()
    if category is None:
        raise Open311Error(404, f"Unknown service_code {code!r}.")
    place = _place(request, community)
    phone = param(request, "phone", body=True) or ""
    person = resident_with_phone(community, pii.normalise_phone(phone)) if phone else None
    description = param(request, "description", body=True) or ""
    if len(description) > 4000:
        raise Open311Error(400, "description is longer than 4000 characters.")
    details = services.ReportDetails(
        category=category,
        description=description or str(category),
        channel=client.channel,
        reporter_person=person,
        reporter_name=_reporter_name(request),
        reporter_phone=phone,
        household=place.household,
        building=place.building,
        location_note=place.note,
        latitude=place.latitude,
        longitude=place.longitude,
        answers=_answers(request, category),
        media_urls=_media_urls(request),
    )
    try:
        case = services.case_report(
            actor=client.user, community=community, details=details, note="Open311 · " + client.name
        )
    except ValidationError as error:
        messages = (
            [f"{name}: {message}" for name, items in error.message_dict.items() for message in items]
            if hasattr(error, "error_dict")
            else list(error.messages)
        )
        raise Open311Error(400, *messages) from None
    except PermissionDenied:
        raise Open311Error(403, "This api_key may not submit requests.") from None
    # GeoReport v2: the answer carries the id when the request is created at once (it always is
    # here), a token only when it is not; so never both.
    document = [
        {
            "service_request_id": case.number,
            "service_notice": _service_notice(case),
            "account_id": param(request, "account_id", body=True),
        }
    ]
    return render("service_requests", document, fmt, status=201)
