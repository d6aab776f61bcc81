# ruff: noqa: F811 (fixtures imported from tests.test_api_helpers are parameters here)
"""Open311 GeoReport v2, endpoint by endpoint, in both formats, against the spec's shapes.

Each contract test reads the JSON and parses the XML with xml.etree, and checks the
element names the spec gives (discovery, services, service_definition, service_requests,
errors), the defaults (90 days, at most 1000), the errors (404 unknown service, request or
token; 403 bad api_key; 400 anything else, each as a list of code and description), and
that an empty parameter counts as absent.
"""

from __future__ import annotations

import json
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.utils import timezone

from grassroots.api.models import ApiClient
from grassroots.cases.models import Attachment, Case, CaseEvent, Category
from grassroots.cases.services import (
    ReportDetails,
    case_acknowledge,
    case_close,
    case_note,
    case_report,
    case_resolve,
    case_verify,
)
from grassroots.cases.workflow import Status
from tests.factories import VolunteerTeamFactory
from tests.test_api_helpers import (  # noqa: F401 (fixtures)
    HOTLINE_KEY,
    _fresh_rate_limits,
    case_in_grid_a,
    case_in_grid_b,
    dispatch_to_volunteer,
    hotline,
    sensitive_case,
)

FORMATS = ["json", "xml"]
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
]


def get(path: str, fmt: str, params: dict | None = None, **extra):
    return Client().get(f"/open311/v2/{path}.{fmt}", params or {}, headers={"Accept-Language": "en"}, **extra)


def post(fmt: str, data: dict, query: str = "", **headers):
    return Client().post(
        f"/open311/v2/requests.{fmt}{query}", data, headers={"Accept-Language": "en", **headers}
    )


def parse(response, fmt: str):
    """The document as plain data, and (XML) the root element, for element-name checks."""
    if fmt == "json":
        assert response["Content-Type"].startswith("application/json")
        return json.loads(response.content), None
    assert response["Content-Type"].startswith("text/xml")
    root = ElementTree.fromstring(response.content)  # noqa: S314 (our own response, in a test)
    return None, root


def children(element) -> list[str]:
    return [child.tag for child in element]


def xml_errors(root) -> list[tuple[str, str]]:
    assert root.tag == "errors"
    assert all(children(error) == ["code", "description"] for error in root)
    return [(error.findtext("code"), error.findtext("description")) for error in root]


def assert_error(response, fmt: str, status: int) -> None:
    assert response.status_code == status, response.content
    data, root = parse(response, fmt)
    if fmt == "json":
        assert isinstance(data, list) and data
        assert all(set(item) == {"code", "description"} and item["code"] == status for item in data)
        assert all(item["description"] for item in data)
    else:
        errors = xml_errors(root)
        assert errors and all(code == str(status) and text for code, text in errors)


@pytest.fixture
def published(community, socialworker, volunteer, case_in_grid_a, case_in_grid_b, sensitive_case):
    """An open case with a public note and a lead team, a closed one, and a sensitive one (never shown)."""
    team = VolunteerTeamFactory(community=community, name="送水服务队")
    volunteer.person.volunteer.teams.add(team)
    case = dispatch_to_volunteer(case_in_grid_a, socialworker, volunteer)
    case.assignments.filter(is_lead=True).update(person=None, team=team)
    case_note(actor=socialworker, case=case, note="志愿者已出发送水")
    case_note(actor=socialworker, case=case, note="内部：注意老人听力不好", public=False)
    Attachment.objects.create(case=case, url="https://img.example.org/water.jpg", stage="before")
    closed = case_report(
        actor=socialworker,
        community=community,
        details=ReportDetails(
            category=Category.objects.get(code="utilities-power"), description="楼道灯不亮", channel="phone"
        ),
        register=True,
    )
    closed = dispatch_to_volunteer(closed, socialworker, volunteer)
    closed = case_acknowledge(actor=volunteer, case=closed)
    closed = case_resolve(actor=volunteer, case=closed, report="已更换灯泡")
    closed = case_verify(actor=socialworker, case=closed, satisfaction="satisfied")
    closed = case_close(actor=socialworker, case=closed)
    return {"open": case, "closed": closed, "reported": case_in_grid_b, "sensitive": sensitive_case}


# --- discovery ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_endpoint_and_its_formats(fmt, db):
    response = get("discovery", fmt)
    assert response.status_code == 200
    data, root = parse(response, fmt)
    if fmt == "json":
        assert set(data) == {"changeset", "contact", "key_service", "endpoints"}
        endpoint = data["endpoints"][0]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["formats"] == ["text/xml", "application/json"]
        assert endpoint["url"].endswith("/open311/v2")
    else:
        assert root.tag == "discovery"
        assert children(root) == ["changeset", "contact", "key_service", "endpoints"]
        endpoint = root.find("endpoints/endpoint")
        assert children(endpoint) == ["specification", "url", "changeset", "type", "formats"]
        assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]


# --- services -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_public_categories(fmt, db):
    response = get("services", fmt)
    assert response.status_code == 200
    public = set(
        Category.objects.filter(public=True, active=True, sensitive=False).values_list("code", flat=True)
    )
    data, root = parse(response, fmt)
    if fmt == "json":
        assert all(list(service) == SERVICE_FIELDS for service in data)
        codes = {service["service_code"] for service in data}
        water = next(service for service in data if service["service_code"] == "utilities-water")
        assert water["metadata"] is True and water["type"] == "realtime"
        assert water["group"] == "water, electricity, gas and heating"
    else:
        assert root.tag == "services"
        assert all(child.tag == "service" and children(child) == SERVICE_FIELDS for child in root)
        codes = {child.findtext("service_code") for child in root}
        water = next(child for child in root if child.findtext("service_code") == "utilities-water")
        assert water.findtext("metadata") == "true"
    assert codes == public
    assert not codes & set(Category.objects.filter(sensitive=True).values_list("code", flat=True))


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_service_definition_lists_the_questions_as_attributes(fmt, db):
    response = get("services/utilities-water", fmt)
    assert response.status_code == 200
    data, root = parse(response, fmt)
    if fmt == "json":
        assert data["service_code"] == "utilities-water"
        attributes = data["attributes"]
        assert all(list(attribute) == ATTRIBUTE_FIELDS for attribute in attributes)
        first = attributes[0]
        assert first["code"] == "has_drinking_water" and first["datatype"] == "singlevaluelist"
        assert first["required"] is True and first["variable"] is True and first["order"] == 1
        assert first["values"] == [{"key": "yes", "name": "yes"}, {"key": "no", "name": "no"}]
    else:
        assert root.tag == "service_definition"
        assert children(root) == ["service_code", "attributes"]
        attribute = root.find("attributes/attribute")
        assert children(attribute) == ATTRIBUTE_FIELDS
        assert attribute.findtext("datatype") == "singlevaluelist"
        values = attribute.findall("values/value")
        assert [(v.findtext("key"), v.findtext("name")) for v in values] == [("yes", "yes"), ("no", "no")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_datatypes_follow_the_question_kinds(fmt, db):
    data, root = parse(get("services/utilities-heating", fmt), fmt)
    kind = (
        data["attributes"][0]["datatype"] if fmt == "json" else root.findtext("attributes/attribute/datatype")
    )
    assert kind == "number"


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_or_sensitive_service_is_404(fmt, db):
    assert_error(get("services/no-such-service", fmt), fmt, 404)
    sensitive = Category.objects.filter(sensitive=True).first()
    assert_error(get(f"services/{sensitive.code}", fmt), fmt, 404)


# --- GET requests -------------------------------------------------------------------------------------


def requests_of(response, fmt: str) -> list[dict]:
    assert response.status_code == 200, response.content
    data, root = parse(response, fmt)
    if fmt == "json":
        assert all(list(item) == REQUEST_FIELDS for item in data)
        return data
    assert root.tag == "service_requests"
    assert all(child.tag == "request" and children(child) == REQUEST_FIELDS for child in root)
    return [{field: child.findtext(field) for field in REQUEST_FIELDS} for child in root]


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_publish_public_cases_with_mapped_fields(fmt, published, household_a, hotline):
    rows = {row["service_request_id"]: row for row in requests_of(get("requests", fmt), fmt)}
    # Anyone may read: a problem at home is placed at its grid only, never the building or the flat,
    # and nothing the resident typed is shown, nor their photos.
    anonymous = rows[published["open"].number]
    assert anonymous["address"] == "第一网格" and not anonymous["address_id"]
    assert not anonymous["lat"] and not anonymous["long"] and not anonymous["media_url"]
    assert not anonymous["description"]
    # The community's own integration (a valid api_key) gets the household.
    keyed = get("requests", fmt, {"api_key": HOTLINE_KEY})
    rows = {row["service_request_id"]: row for row in requests_of(keyed, fmt)}
    assert set(rows) == {published["open"].number, published["closed"].number, published["reported"].number}
    row = rows[published["open"].number]
    assert row["status"] == "open" and row["service_code"] == "utilities-water"
    assert row["status_notes"] == "志愿者已出发送水"  # the latest public note, never the internal one
    assert row["agency_responsible"] == "送水服务队"
    assert row["address"] == "4-2-301" and row["address_id"] == str(household_a.pk)
    assert row["media_url"] == "https://img.example.org/water.jpg"
    assert row["requested_datetime"].endswith("+08:00")
    assert row["expected_datetime"] == timezone.localtime(published["open"].resolution_due).isoformat(
        timespec="seconds"
    )
    assert rows[published["closed"].number]["status"] == "closed"
    assert rows[published["closed"].number]["status_notes"] == "已更换灯泡"
    assert published["sensitive"].number not in rows


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_filter_by_status_code_id_and_dates(fmt, published):
    opened = requests_of(get("requests", fmt, {"status": "open"}), fmt)
    assert published["closed"].number not in {row["service_request_id"] for row in opened}
    closed = requests_of(get("requests", fmt, {"status": "closed"}), fmt)
    assert [row["service_request_id"] for row in closed] == [published["closed"].number]
    both = requests_of(get("requests", fmt, {"status": "open,closed"}), fmt)
    assert len(both) == 3
    power = requests_of(get("requests", fmt, {"service_code": "utilities-power"}), fmt)
    assert {row["service_code"] for row in power} == {"utilities-power"}
    ids = f"{published['open'].number},{published['closed'].number}"
    assert len(requests_of(get("requests", fmt, {"service_request_id": ids, "status": "open"}), fmt)) == 2
    tomorrow = (timezone.now() + timedelta(days=1)).isoformat()
    assert requests_of(get("requests", fmt, {"start_date": tomorrow}), fmt) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_default_to_the_last_90_days(fmt, published):
    Case.objects.filter(pk=published["closed"].pk).update(reported_at=timezone.now() - timedelta(days=91))
    rows = requests_of(get("requests", fmt), fmt)
    assert published["closed"].number not in {row["service_request_id"] for row in rows}
    old = (timezone.now() - timedelta(days=100)).isoformat()
    rows = requests_of(get("requests", fmt, {"start_date": old}), fmt)
    assert published["closed"].number in {row["service_request_id"] for row in rows}


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_page_and_page_size(fmt, published):
    first = requests_of(get("requests", fmt, {"page_size": 2}), fmt)
    second = requests_of(get("requests", fmt, {"page_size": 2, "page": 2}), fmt)
    assert len(first) == 2 and len(second) == 1
    assert {row["service_request_id"] for row in first} & {
        row["service_request_id"] for row in second
    } == set()
    huge = requests_of(get("requests", fmt, {"page_size": 5000}), fmt)
    assert len(huge) == 3  # capped at 1000, never refused


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_empty_parameter_is_an_absent_one(fmt, published):
    plain = requests_of(get("requests", fmt), fmt)
    blank = requests_of(
        get(
            "requests",
            fmt,
            {
                "status": "",
                "service_code": "",
                "start_date": "",
                "end_date": "",
                "page": "",
                "jurisdiction_id": "",
            },
        ),
        fmt,
    )
    assert blank == plain


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_parameters_are_400_and_unknown_codes_404(fmt, published):
    assert_error(get("requests", fmt, {"status": "pending"}), fmt, 400)
    assert_error(get("requests", fmt, {"start_date": "yesterday"}), fmt, 400)
    assert_error(get("requests", fmt, {"page": "0"}), fmt, 400)
    old = (timezone.now() - timedelta(days=200)).isoformat()
    assert_error(get("requests", fmt, {"start_date": old, "end_date": timezone.now().isoformat()}), fmt, 400)
    assert_error(get("requests", fmt, {"jurisdiction_id": "NOWHERE"}), fmt, 400)
    assert_error(get("requests", fmt, {"service_code": "no-such-service"}), fmt, 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_jurisdiction_is_required_only_with_several_communities(fmt, published, other_community):
    assert_error(get("requests", fmt), fmt, 400)
    rows = requests_of(get("requests", fmt, {"jurisdiction_id": "HSY"}), fmt)
    assert len(rows) == 3
    assert requests_of(get("requests", fmt, {"jurisdiction_id": "XG"}), fmt) == []


# --- one request, tokens --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_request_is_still_a_list_of_one(fmt, published):
    number = published["open"].number
    rows = requests_of(get(f"requests/{number}", fmt), fmt)
    assert [row["service_request_id"] for row in rows] == [number]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_or_unpublished_request_is_404(fmt, published):
    assert_error(get("requests/HSY-20000101-0001", fmt), fmt, 404)
    assert_error(get(f"requests/{published['sensitive'].number}", fmt), fmt, 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_token_gives_the_request_id(fmt, published):
    case = published["reported"]
    response = get(f"tokens/{case.public_token}", fmt)
    assert response.status_code == 200
    data, root = parse(response, fmt)
    if fmt == "json":
        assert data == [{"service_request_id": case.number, "token": case.public_token}]
    else:
        assert root.tag == "service_requests"
        assert children(root.find("request")) == ["service_request_id", "token"]
        assert root.findtext("request/service_request_id") == case.number
    assert_error(get("tokens/nosuchtoken", fmt), fmt, 404)


# --- POST requests ----------------------------------------------------------------------------------------


def water_request(**overrides) -> dict:
    data = {
        "api_key": HOTLINE_KEY,
        "service_code": "utilities-water",
        "address_string": "4-2-301",
        "description": "居民来电：家中停水，老人行动不便",
        "first_name": "秀兰",
        "last_name": "王",
        "phone": "13812345678",
        "attribute[has_drinking_water]": "no",
        "attribute[can_move]": "no",
        "media_url": "https://img.example.org/pipe.jpg",
        "account_id": "caller-42",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_creates_a_case_on_the_hotline_channel(fmt, hotline, household_a, granny_wang, socialworker):
    response = post(fmt, water_request())
    assert response.status_code == 201, response.content
    data, root = parse(response, fmt)
    if fmt == "json":
        # The spec: the id when created at once, a token only when not; never both.
        assert list(data[0]) == ["service_request_id", "service_notice", "account_id"]
        number, account = data[0]["service_request_id"], data[0]["account_id"]
    else:
        assert root.tag == "service_requests"
        assert children(root.find("request")) == ["service_request_id", "service_notice", "account_id"]
        number, account = root.findtext("request/service_request_id"), root.findtext("request/account_id")
    assert account == "caller-42"
    case = Case.objects.get(number=number)
    assert case.channel == "hotline" and case.status == Status.REPORTED
    assert case.household == household_a and case.reporter_person == granny_wang
    assert case.answers == {"has_drinking_water": "no", "can_move": "no"}
    assert case.reporter_name == "王秀兰" and case.reporter_phone_masked == "138****5678"
    assert list(case.attachments.values_list("url", flat=True)) == ["https://img.example.org/pipe.jpg"]
    # The coordinators see it at once.
    assert Case.objects.visible_to(socialworker).filter(pk=case.pk).exists()
    assert CaseEvent.objects.get(case=case).actor == hotline.user


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_takes_the_api_key_from_the_query_string(fmt, hotline):
    data = water_request(api_key=None)
    response = post(fmt, data, query=f"?api_key={HOTLINE_KEY}")
    assert response.status_code == 201


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_without_a_valid_key_is_403(fmt, hotline):
    assert_error(post(fmt, water_request(api_key=None)), fmt, 403)
    assert_error(post(fmt, water_request(api_key="wrong")), fmt, 403)
    ApiClient.objects.filter(pk=hotline.pk).update(scopes=["cases:read"])
    assert_error(post(fmt, water_request()), fmt, 403)
    assert Case.objects.count() == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_with_another_jurisdiction_is_403(fmt, hotline, other_community):
    assert_error(post(fmt, water_request(jurisdiction_id="XG")), fmt, 403)


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_errors(fmt, hotline, household_a):
    assert_error(post(fmt, water_request(service_code="no-such-service")), fmt, 404)
    assert_error(post(fmt, water_request(service_code=None)), fmt, 400)
    assert_error(post(fmt, water_request(address_string=None)), fmt, 400)  # no location at all
    assert_error(post(fmt, water_request(**{"attribute[can_move]": None})), fmt, 400)  # required answer
    assert_error(post(fmt, water_request(lat="91", long="117.7")), fmt, 400)
    assert_error(post(fmt, water_request(address_string=None, address_id="999999")), fmt, 400)
    assert_error(post(fmt, water_request(media_url="not a url")), fmt, 400)
    assert_error(post(fmt, water_request(phone="12")), fmt, 400)
    assert Case.objects.count() == 0


def test_post_by_coordinates_or_address_id(hotline, household_b):
    by_point = post("json", water_request(address_string=None, lat="38.98", long="117.71"))
    assert by_point.status_code == 201
    case = Case.objects.get(number=json.loads(by_point.content)[0]["service_request_id"])
    assert float(case.latitude) == pytest.approx(38.98) and case.household is None
    by_id = post("json", water_request(address_string=None, address_id=str(household_b.pk)))
    case = Case.objects.get(number=json.loads(by_id.content)[0]["service_request_id"])
    assert case.household == household_b and case.grid == household_b.grid


def test_post_is_idempotent_with_a_key(hotline, household_a):
    first = post("json", water_request(), **{"Idempotency-Key": "call-20261128-001"})
    again = post("json", water_request(), **{"Idempotency-Key": "call-20261128-001"})
    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1
    other = post("json", water_request(description="另一件事"), **{"Idempotency-Key": "call-20261128-001"})
    assert_error(other, "json", 422)


def test_the_same_keyless_request_again_is_the_same_report(hotline, household_a):
    """50 identical POSTs without an Idempotency-Key (a retrying client) made 50 cases (issue 13.12)."""
    answers = [post("json", water_request()) for _ in range(5)]
    assert {answer.status_code for answer in answers} == {201}
    assert len({answer.content for answer in answers}) == 1
    assert [answer.get("Idempotent-Replayed") for answer in answers[1:]] == ["true"] * 4
    assert Case.objects.count() == 1
    assert post("json", water_request(description="另一件事：楼道灯坏了")).status_code == 201
    assert Case.objects.count() == 2


def test_post_is_throttled_with_retry_after(hotline, settings):
    settings.GRASSROOTS_API_THROTTLE_RATES = {"open311_post": "2/min"}
    assert post("json", water_request(description="一楼停水")).status_code == 201
    assert post("json", water_request(description="二楼停水")).status_code == 201
    third = post("json", water_request(description="三楼停水"))
    assert_error(third, "json", 429)
    assert int(third["Retry-After"]) >= 1
    assert Case.objects.count() == 2


def test_other_methods_are_refused_in_the_spec_shape(db):
    response = Client().delete("/open311/v2/services.json")
    assert_error(response, "json", 405)
    assert "GET" in response["Allow"]


def test_rejected_and_merged_requests_are_closed_with_a_note(published, socialworker):
    from grassroots.cases.services import case_merge

    duplicate = case_report(
        actor=socialworker,
        community=published["open"].community,
        details=ReportDetails(
            category=Category.objects.get(code="utilities-power"), description="7号楼又停电", channel="phone"
        ),
    )
    case_merge(actor=socialworker, case=duplicate, into=published["reported"])
    row = requests_of(get(f"requests/{duplicate.number}", "json"), "json")[0]
    assert row["status"] == "closed"
    assert published["reported"].number in row["status_notes"]


def test_the_xml_is_utf8_with_a_declaration(published):
    response = get("requests", "xml")
    assert response.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert "志愿者已出发送水" in response.content.decode()


def test_the_request_list_costs_the_same_queries_for_more_cases(published, socialworker, community):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert get("requests", "json").status_code == 200
        return len(captured)

    before = queries()
    for n in range(5):
        case_report(
            actor=socialworker,
            community=community,
            details=ReportDetails(
                category=Category.objects.get(code="utilities-power"),
                description=f"停电 {n}",
                channel="phone",
            ),
        )
    assert queries() == before
