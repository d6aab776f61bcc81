"""The phone line's screen pop (issue 12.1): the switchboard's call events, duty, the panel, call-backs.

The story: Granny Wang (王秀兰, 4-2-301, disabled, high risk in the care register) lives with her
granddaughter; she phones the community's line. The social worker on duty for the line sees her
household, tags, open cases and last visits pop up, and opens a case from the call. A missed call
of hers becomes a call-back task; a call is kept a year.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from grassroots.accounts import roles
from grassroots.accounts.models import Role
from grassroots.api.clients import apiclient_create
from grassroots.api.models import Scope
from grassroots.care import services as care
from grassroots.care.models import CareProfile, Tier
from grassroots.cases.models import Category, Channel
from grassroots.cases.services import ReportDetails, case_report
from grassroots.core import pii, retention
from grassroots.notify.models import Message, MessageReason
from grassroots.people.models import Relation
from grassroots.telephony import services
from grassroots.telephony.models import ENDED_SHOWN_FOR, Call, CallBack, CallStatus, Line, LineDuty
from grassroots.telephony.services import line_sign_on
from grassroots.telephony.views import sse_event
from tests.factories import PersonFactory, PersonTagFactory, user_for, vulnerability_tag
from tests.test_api_helpers import Api, _fresh_rate_limits, as_user  # noqa: F401

pytestmark = pytest.mark.django_db

SWITCHBOARD_KEY = "test-switchboard-key-0123456789"
GRANNY_PHONE = "13812345678"
CALLS = "/api/v1/telephony/calls/"


@pytest.fixture
def line(community) -> Line:
    return Line.objects.create(community=community, code="office", name="社区服务热线", number="022-25210000")


@pytest.fixture
def switchboard(community, line):
    apiclient_create(name="asterisk", community=community, scopes=[Scope.TELEPHONY], key=SWITCHBOARD_KEY)
    return Api(key=SWITCHBOARD_KEY)


@pytest.fixture
def granny_at_risk(granny_wang, household_a, socialworker):
    """Granny Wang: disabled (a sensitive tag), high risk, visited last week, a granddaughter at home."""
    PersonTagFactory(person=granny_wang, tag=vulnerability_tag("disabled"), level=1)
    CareProfile.objects.create(
        person=granny_wang,
        community=household_a.building.community,
        household=household_a,
        grid=household_a.grid,
        on_register=True,
        computed_tier=Tier.HIGH,
        tier=Tier.HIGH,
    )
    care.visit_record(
        actor=socialworker,
        household=household_a,
        details=care.VisitDetails(person=granny_wang, health="卧床"),
    )
    PersonFactory(
        name="王小雨", sex="F", phone="13900004444", household=household_a, relation=Relation.GRANDCHILD
    )
    return granny_wang


def ring(
    api: Api, call_id: str = "1733540000.17", *, event: str = "ringing", caller: str = GRANNY_PHONE, **extra
):
    return api.post(CALLS, {"call_id": call_id, "caller": caller, "line": "office", "event": event, **extra})


def desk(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the API: accept, refuse, idempotent --------------------------------------------------------------


def test_a_ringing_call_is_recorded_with_the_number_sealed(switchboard, granny_wang, line):
    response = ring(switchboard)
    assert response.status_code == 201, response.content
    assert response.json() | {"id": 0} == {
        "id": 0,
        "call_id": "1733540000.17",
        "line": "office",
        "status": "ringing",
        "changed": True,
        "known_caller": True,
        "callback": "",
    }
    call = Call.objects.get()
    assert (call.line, call.community_id, call.person) == (line, line.community_id, granny_wang)
    assert GRANNY_PHONE not in call.caller_encrypted and pii.is_sealed(call.caller_encrypted)
    assert call.caller_hash == pii.phone_hash(GRANNY_PHONE) and call.caller_masked == "138****5678"
    assert call.caller_number() == GRANNY_PHONE


def test_the_call_moves_forward_only(switchboard, granny_wang):
    assert ring(switchboard).status_code == 201
    answered = ring(switchboard, event="answered")
    assert (answered.status_code, answered.json()["status"], answered.json()["changed"]) == (
        200,
        "answered",
        True,
    )
    again = ring(switchboard, event="ringing")  # late, or a retry: nothing changes
    assert (again.json()["status"], again.json()["changed"]) == ("answered", False)
    ended = ring(switchboard, event="ended")
    assert ended.json()["status"] == "ended"
    call = Call.objects.get()
    assert call.answered_at is not None and call.ended_at >= call.answered_at
    assert ring(switchboard, event="answered").json() | {"id": 0} == ended.json() | {
        "id": 0,
        "changed": False,
    }


def test_a_call_that_ends_unanswered_is_missed(switchboard, granny_wang):
    ring(switchboard)
    assert ring(switchboard, event="ended").json()["status"] == "missed"
    assert Call.objects.get().status == CallStatus.MISSED


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"line": "nowhere"}, "line"),
        ({"caller": "12"}, "caller"),
        ({"event": "transferred"}, "event"),
        ({"call_id": "1 2; drop"}, "call_id"),
        ({"time": "2020-01-01T00:00:00Z"}, "time"),
    ],
)
def test_a_wrong_event_is_refused_with_its_reason(switchboard, body, field):
    with translation.override("en"):
        response = ring(switchboard, **body)
    assert response.status_code == 400
    assert list(response.json()) == [field], response.json()
    assert not Call.objects.exists()


def test_a_withheld_number_is_a_call_without_a_caller(switchboard, socialworker, line):
    response = ring(switchboard, caller="anonymous")
    assert response.status_code == 201 and response.json()["known_caller"] is False
    assert Call.objects.get().caller_encrypted == ""


def test_only_a_switchboard_key_with_the_telephony_scope_may_call(community, line, switchboard, socialworker):
    assert Api().post(CALLS, {}).status_code == 401
    assert Api(key="not-a-key").post(CALLS, {}).status_code == 401
    # A key without the telephony scope (a WeChat bridge's):
    apiclient_create(
        name="wechat bridge", community=community, scopes=[Scope.INBOUND], key="bridge-key-0123456789"
    )
    assert ring(Api(key="bridge-key-0123456789")).status_code == 403
    assert ring(as_user(socialworker)).status_code == 403  # people do not report calls
    assert not Call.objects.exists()


def test_a_line_of_another_community_is_not_found(switchboard, other_community):
    Line.objects.create(community=other_community, code="theirs", name="他们的热线")
    with translation.override("en"):
        response = ring(switchboard, line="theirs")
    assert response.status_code == 400 and "No active line" in response.json()["line"][0]


def test_a_retried_event_with_its_idempotency_key_answers_the_same(switchboard, granny_wang):
    first = switchboard.post(
        CALLS,
        {"call_id": "c-17", "caller": GRANNY_PHONE, "line": "office", "event": "ringing"},
        **{"Idempotency-Key": "c17-ringing"},
    )
    again = switchboard.post(
        CALLS,
        {"call_id": "c-17", "caller": GRANNY_PHONE, "line": "office", "event": "ringing"},
        **{"Idempotency-Key": "c17-ringing"},
    )
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    other = switchboard.post(
        CALLS,
        {"call_id": "c-17", "caller": GRANNY_PHONE, "line": "office", "event": "answered"},
        **{"Idempotency-Key": "c17-ringing"},
    )
    assert other.status_code == 422
    assert Call.objects.filter(call_id="c-17").count() == 1


# --- missed calls: the call-back task -----------------------------------------------------------------


def test_a_missed_call_from_a_high_risk_resident_is_a_call_back_for_who_is_on_duty(
    switchboard, granny_at_risk, socialworker, gridworker, line
):
    line_sign_on(actor=socialworker, line_id=line.pk)
    ring(switchboard)
    answer = ring(switchboard, event="missed").json()
    assert (answer["status"], answer["callback"]) == ("missed", "due")
    notice = Message.objects.get(reason=MessageReason.CALLBACK)
    assert notice.recipient == socialworker and notice.channel == "inbox" and notice.case is None
    assert "王秀兰" in notice.body and "138****5678" in notice.body and GRANNY_PHONE not in notice.body
    ring(switchboard, event="ended")  # a late "ended" changes nothing, tells nobody twice
    assert Message.objects.filter(reason=MessageReason.CALLBACK).count() == 1
    # The inbox shows it as a call-back due; the list of missed calls offers "called back".
    page = desk(socialworker).get("/telephony/callbacks/")
    assert "王秀兰" in page.content.decode() and GRANNY_PHONE not in page.content.decode()
    call = Call.objects.get()
    assert desk(socialworker).post(f"/telephony/calls/{call.pk}/called-back/").status_code == 302
    call.refresh_from_db()
    assert (call.callback, call.called_back_by) == (CallBack.DONE, socialworker)


def test_with_nobody_on_duty_the_call_back_goes_to_the_communitys_mouth(
    switchboard, granny_at_risk, socialworker, gridworker, secretary
):
    ring(switchboard, event="missed")
    told = set(
        Message.objects.filter(reason=MessageReason.CALLBACK).values_list("recipient__username", flat=True)
    )
    assert told == {"socialworker", "gridworker"}


def test_a_missed_call_from_someone_not_at_risk_is_recorded_without_a_task(
    switchboard, granny_wang, socialworker
):
    ring(switchboard, event="missed")
    assert Call.objects.get().callback == ""
    assert not Message.objects.filter(reason=MessageReason.CALLBACK).exists()


# --- the panel, per role -------------------------------------------------------------------------------


def _panel(user) -> str:
    response = desk(user).get("/telephony/panel/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_social_worker_on_duty_sees_the_callers_household_cases_and_visits(
    switchboard, granny_at_risk, socialworker, household_a, line
):
    case = case_report(
        actor=socialworker,
        community=line.community,
        details=ReportDetails(
            category=Category.objects.get(code="repairs"),
            description="水管漏水",
            channel=Channel.PHONE,
            reporter_person=granny_at_risk,
            household=household_a,
        ),
        register=True,
    )
    assert "No call" in _panel_en(socialworker)  # on duty for nothing yet
    line_sign_on(actor=socialworker, line_id=line.pk)
    ring(switchboard)
    html = _panel_en(socialworker)
    assert "Incoming call" in html and "王秀兰" in html and "4-2-301" in html
    assert "138****5678" in html and GRANNY_PHONE not in html
    assert "王小雨" in html and "139****4444" in html and "13900004444" not in html  # who lives with her
    assert "disabled" in html  # a sensitive tag, for a social worker who may read it
    assert case.number in html and "Recent care visits" in html
    call = Call.objects.get()
    assert f"/cases/intake/?call={call.pk}&amp;person={granny_at_risk.pk}" in html
    ring(switchboard, event="answered")
    assert "On the phone" in _panel_en(socialworker)
    ring(switchboard, event="ended")
    assert "Call ended at" in _panel_en(socialworker)
    Call.objects.update(ended_at=timezone.now() - ENDED_SHOWN_FOR - timedelta(seconds=1))
    assert "No call" in _panel_en(socialworker)


def _panel_en(user) -> str:
    response = desk(user).get("/telephony/panel/", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    return response.content.decode()


def test_sensitive_tags_only_for_roles_that_may_read_them(
    switchboard, granny_at_risk, socialworker, line, monkeypatch
):
    line_sign_on(actor=socialworker, line_id=line.pk)
    ring(switchboard)
    capabilities = roles.ROLE_CAPABILITIES[Role.SOCIAL_WORKER] - {"people.persontag.view_sensitive"}
    monkeypatch.setitem(roles.ROLE_CAPABILITIES, Role.SOCIAL_WORKER, capabilities)
    html = _panel_en(socialworker)
    assert "王秀兰" in html and "disabled" not in html


def test_a_grid_worker_sees_only_callers_of_their_grids(switchboard, granny_at_risk, community, grid_b, line):
    other_grid = user_for(Role.GRID_WORKER, community=community, grids=[grid_b], username="grid-b")
    line_sign_on(actor=other_grid, line_id=line.pk)
    ring(switchboard)
    html = _panel_en(other_grid)
    assert "Incoming call" in html and "138****5678" in html
    assert "王秀兰" not in html and "not in the register you can see" in html


def test_only_the_mouth_may_take_a_line(line, volunteer, patroller, street_user, outsider):
    for user in (volunteer, patroller, street_user):
        assert desk(user).post(f"/telephony/lines/{line.pk}/sign-on/").status_code == 404
        assert desk(user).get("/telephony/panel/").status_code == 404
    # A social worker of another community takes their own lines, never ours.
    assert desk(outsider).post(f"/telephony/lines/{line.pk}/sign-on/").status_code == 404
    assert not LineDuty.objects.exists()


def test_the_panel_survives_a_reload_while_the_call_lasts(switchboard, granny_at_risk, socialworker, line):
    client = desk(socialworker)
    assert client.post(f"/telephony/lines/{line.pk}/sign-on/").status_code == 302
    ring(switchboard)
    for _reload in range(2):
        page = client.get("/cases/intake/", headers={"Accept-Language": "en"}).content.decode()
        assert 'id="screenpop"' in page and "王秀兰" in page and "screenpop.js" in page
    ring(switchboard, event="answered")
    assert "On the phone" in client.get("/cases/intake/", headers={"Accept-Language": "en"}).content.decode()
    ring(switchboard, event="ended")
    page = client.get("/cases/intake/", headers={"Accept-Language": "en"}).content.decode()
    assert "Call ended at" in page and "王秀兰" in page and "New case from this call" in page
    Call.objects.update(ended_at=timezone.now() - ENDED_SHOWN_FOR - timedelta(seconds=1))
    page = client.get("/cases/intake/", headers={"Accept-Language": "en"}).content.decode()
    assert "No call on your lines" in page
    assert client.post(f"/telephony/lines/{line.pk}/sign-off/").status_code == 302
    assert 'id="screenpop"' not in client.get("/cases/intake/").content.decode()


def test_new_case_from_this_call_starts_the_intake_with_caller_place_and_channel(
    switchboard, granny_at_risk, socialworker, line
):
    ring(switchboard)
    call = Call.objects.get()
    page = desk(socialworker).get(f"/cases/intake/?call={call.pk}").content.decode()
    assert f'name="reporter_person" value="{granny_at_risk.pk}"' in page
    assert re.search(r'<input[^>]*name="reporter_kind"[^>]*value="person"[^>]*checked', page)
    assert f'<option value="{granny_at_risk.current_household_id}" selected' in page
    assert '<option value="phone" selected' in page


def test_an_unknown_callers_number_starts_the_form_for_a_worker_who_reads_numbers(
    switchboard, socialworker, line, community
):
    ring(switchboard, caller="13700001234")
    call = Call.objects.get()
    page = desk(socialworker).get(f"/cases/intake/?call={call.pk}").content.decode()
    assert 'value="13700001234"' in page


def test_another_communitys_call_opens_nothing(switchboard, granny_wang, outsider):
    ring(switchboard)
    call = Call.objects.get()
    page = desk(outsider).get(f"/cases/intake/?call={call.pk}").content.decode()
    assert "王秀兰" not in page and "13812345678" not in page


# --- the stream ------------------------------------------------------------------------------------


def test_the_stream_sends_the_panel_at_once_then_each_change(
    switchboard, granny_at_risk, socialworker, line, settings
):
    settings.GRASSROOTS_SCREENPOP_STREAM_SECONDS = 3
    line_sign_on(actor=socialworker, line_id=line.pk)
    response = desk(socialworker).get("/telephony/stream/", headers={"Accept-Language": "en"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/event-stream")
    events = iter(response.streaming_content)
    first = next(events).decode()
    assert first.startswith("retry: 1000\nevent: pop\ndata: ") and "No call on your lines" in first
    ring(switchboard)  # the phone rings while the stream is open
    started = timezone.now()
    second = next(events).decode()
    assert second.startswith("event: pop\n") and "王秀兰" in second and GRANNY_PHONE not in second
    assert timezone.now() - started < timedelta(seconds=1)
    assert all(line.startswith("data: ") for line in second.rstrip("\n").splitlines()[1:])
    rest = b"".join(events).decode()  # ends after its seconds, for EventSource to reconnect
    assert rest.endswith("event: bye\ndata: \n\n")
    response.close()


def test_server_sent_events_keep_each_line_of_the_data():
    assert sse_event("pop", "<p>\n  一\n</p>") == "event: pop\ndata: <p>\ndata:   一\ndata: </p>\n\n"


def test_the_stream_is_for_the_desk_only(volunteer, resident):
    for user in (volunteer, resident):
        assert desk(user).get("/telephony/stream/").status_code == 404
    assert Client().get("/telephony/stream/").status_code == 302  # to the sign-in page


# --- keeping ------------------------------------------------------------------------------------------


def test_calls_are_kept_a_year(switchboard, granny_wang, line):
    rule = next(rule for rule in retention.RULES if rule.kind == "calls")
    assert (rule.default_days, rule.minimum_days) == (365, 30)
    ring(switchboard, "old")
    ring(switchboard, "recent")
    Call.objects.filter(call_id="old").update(rang_at=timezone.now() - timedelta(days=366))
    Call.objects.filter(call_id="recent").update(rang_at=timezone.now() - timedelta(days=364))
    assert retention.enforce()["calls"] == 1
    assert list(Call.objects.values_list("call_id", flat=True)) == ["recent"]


def test_the_sealed_caller_is_registered_for_key_rotation():
    from grassroots.core.keys import SEALED_COLUMNS

    assert any(column.label.startswith("telephony.Call") for column in SEALED_COLUMNS)


def test_services_refuse_a_call_back_twice(switchboard, granny_at_risk, socialworker):
    ring(switchboard, event="missed")
    call = Call.objects.get()
    services.call_called_back(actor=socialworker, call_id=call.pk)
    with pytest.raises(services.PermissionDenied):
        services.call_called_back(actor=socialworker, call_id=call.pk)
