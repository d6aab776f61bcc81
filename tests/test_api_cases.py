# ruff: noqa: F811 (fixtures imported from tests.test_api_helpers are parameters here)
"""Cases through the REST API: the same services as the pages, their refusals as HTTP answers.

Aunt Liu's water goes the whole loop through the API (report, register, dispatch,
acknowledge, resolve, verify, close); a transition not possible now is 409 with the reason;
two coordinators acting on what they saw is 409 for the second; bad input is 400 by field;
a case out of sight is 404.
"""

from __future__ import annotations

from grassroots.cases.models import Case, CaseEvent
from grassroots.cases.workflow import Status
from tests.test_api_helpers import (  # noqa: F401 (fixtures)
    HOTLINE_KEY,
    Api,
    _fresh_rate_limits,
    as_user,
    case_in_grid_a,
    case_in_grid_b,
    dispatch_to_volunteer,
    hotline,
    hotline_api,
    outsider_case,
)


def report_body(household_id: int | None = None, **overrides) -> dict:
    body = {
        "category": "utilities-water",
        "description": "刘阿姨家没有饮用水",
        "urgency": "urgent",
        "channel": "phone",
        "answers": {"has_drinking_water": "no", "can_move": "no"},
    }
    if household_id:
        body["household"] = household_id
    body.update(overrides)
    return body


def test_aunt_liu_water_goes_round_the_whole_loop(socialworker, volunteer, household_a):
    staff, hands = as_user(socialworker), as_user(volunteer)

    created = staff.post("/api/v1/cases/", report_body(household_a.pk))
    assert created.status_code == 201, created.content
    case = created.json()
    assert case["status"] == "reported" and case["household_address"] == "4-2-301"
    assert created["Location"] == f"/api/v1/cases/{case['id']}/"
    assert "register" in case["actions"]

    path = f"/api/v1/cases/{case['id']}"
    registered = staff.post(f"{path}/register/", {"version": case["version"]}).json()
    assert registered["status"] == "registered" and registered["resolution_due"]

    dispatched = staff.post(f"{path}/dispatch/", {"lead": f"person:{volunteer.person_id}"})
    assert dispatched.status_code == 200, dispatched.content
    assert dispatched.json()["lead"]["kind"] == "person"

    assert hands.post(f"{path}/acknowledge/").json()["status"] == "acknowledged"
    assert hands.post(f"{path}/resolve/", {"report": "送了两桶水"}).json()["status"] == "resolved"
    assert staff.post(f"{path}/verify/", {"satisfaction": "satisfied"}).json()["status"] == "verified"
    closed = staff.post(f"{path}/close/", {"note": "回访满意"}).json()
    assert closed["status"] == "closed"
    assert [event["action"] for event in closed["events"]] == [
        "report",
        "register",
        "dispatch",
        "acknowledge",
        "resolve",
        "verify",
        "close",
    ]


def test_an_action_not_possible_now_is_409_with_the_reason(socialworker, case_in_grid_a):
    response = as_user(socialworker).post(f"/api/v1/cases/{case_in_grid_a.pk}/close/")
    assert response.status_code == 409
    assert "close" in response.json()["detail"]
    assert Case.objects.get(pk=case_in_grid_a.pk).status == Status.REGISTERED


def test_acting_on_an_old_version_is_409_and_changes_nothing(secretary, socialworker, case_in_grid_a):
    seen = case_in_grid_a.version
    first = as_user(secretary).post(f"/api/v1/cases/{case_in_grid_a.pk}/urge/", {"version": seen})
    assert first.status_code == 200
    second = as_user(socialworker).post(
        f"/api/v1/cases/{case_in_grid_a.pk}/escalate/", {"version": seen, "reason": "需要街道协调"}
    )
    assert second.status_code == 409
    body = second.json()
    assert body["version"] == seen + 1 and body["status"] == "registered" and body["detail"]
    assert Case.objects.get(pk=case_in_grid_a.pk).escalated_at is None


def test_bad_input_is_400_by_field(socialworker, case_in_grid_a):
    api = as_user(socialworker)
    assert api.post(f"/api/v1/cases/{case_in_grid_a.pk}/reject/", {}).json() == {
        "reason": ["This field is required."]
    }
    missing = api.post("/api/v1/cases/", report_body(answers={}))
    assert missing.status_code == 400 and "answers" in missing.json()
    unknown = api.post("/api/v1/cases/", report_body(category="no-such-thing"))
    assert unknown.status_code == 400 and "category" in unknown.json()
    malformed = api.post(f"/api/v1/cases/{case_in_grid_a.pk}/dispatch/", {"lead": "nobody"})
    assert malformed.status_code == 400 and "lead" in malformed.json()  # the shape the schema states
    absent = api.post(f"/api/v1/cases/{case_in_grid_a.pk}/dispatch/", {"lead": "team:999999"})
    assert absent.status_code == 400 and "parties" in absent.json()  # well formed, but no such party


def test_a_case_not_flagged_as_a_duplicate_cannot_be_cleared_409(socialworker, case_in_grid_a):
    response = as_user(socialworker).post(f"/api/v1/cases/{case_in_grid_a.pk}/not_duplicate/")
    assert response.status_code == 409 and response.json()["detail"]


def test_page_size_outside_1_to_200_is_400_with_the_reason(socialworker, case_in_grid_a):
    api = as_user(socialworker)
    assert api.get("/api/v1/cases/", {"page_size": 200}).status_code == 200
    for wrong in ("0", "201", "-1", "ten"):
        response = api.get("/api/v1/cases/", {"page_size": wrong})
        assert response.status_code == 400 and response.json()["page_size"], wrong
    assert api.get("/api/v1/cases/", {"page": 0}).status_code == 404


def test_a_json_body_carries_no_photos_and_a_stray_photos_key_is_ignored(socialworker, case_in_grid_a):
    api = as_user(socialworker)
    response = api.post(f"/api/v1/cases/{case_in_grid_a.pk}/note/", {"note": "已电话联系", "photos": ["x"]})
    assert response.status_code == 200 and response.json()["attachments"] == []


def test_a_case_out_of_sight_is_404_for_reading_and_acting(socialworker, outsider_case, case_in_grid_a):
    api = as_user(socialworker)
    assert api.get(f"/api/v1/cases/{outsider_case.pk}/").status_code == 404
    assert api.post(f"/api/v1/cases/{outsider_case.pk}/register/").status_code == 404
    assert api.get("/api/v1/cases/999999/").status_code == 404
    assert api.get("/api/v1/cases/not-a-number/").status_code == 404
    assert outsider_case.events.count() == 1


def test_an_action_the_role_may_not_take_is_404_like_not_found(volunteer, case_in_grid_a, socialworker):
    case = dispatch_to_volunteer(case_in_grid_a, socialworker, volunteer)
    response = as_user(volunteer).post(f"/api/v1/cases/{case.pk}/register/")
    assert response.status_code in {404, 409}
    urged = as_user(volunteer).post(f"/api/v1/cases/{case.pk}/urge/")
    assert urged.status_code == 404


def test_the_whistle_summons_several_parties(secretary, community, volunteer, unitcontact, case_in_grid_a):
    response = as_user(secretary).post(
        f"/api/v1/cases/{case_in_grid_a.pk}/whistle/",
        {
            "lead": f"unit:{unitcontact.member_unit_id}",
            "parties": [f"person:{volunteer.person_id}"],
            "role_notes": {f"unit:{unitcontact.member_unit_id}": "物业公司"},
            "note": "楼道地砖破损，吹哨报到",
        },
    )
    assert response.status_code == 200, response.content
    parties = response.json()["assignments"]
    assert {p["party"]["kind"] for p in parties} == {"unit", "person"}
    assert [p["role_note"] for p in parties if p["is_lead"]] == ["物业公司"]


def test_merge_extend_and_decide(secretary, socialworker, volunteer, case_in_grid_a, community, household_a):
    staff = as_user(socialworker)
    duplicate = staff.post("/api/v1/cases/", report_body(household_a.pk)).json()
    merged = staff.post(f"/api/v1/cases/{duplicate['id']}/merge/", {"into": case_in_grid_a.pk})
    assert merged.status_code == 200 and merged.json()["merged_into"] == case_in_grid_a.number
    case = dispatch_to_volunteer(case_in_grid_a, socialworker, volunteer)
    extended = staff.post(f"/api/v1/cases/{case.pk}/extend/", {"minutes": 60, "reason": "等配件"})
    assert extended.json()["extension_requested_minutes"] == 60
    decided = as_user(secretary).post(f"/api/v1/cases/{case.pk}/decide_extension/", {"approve": True})
    assert decided.status_code == 200 and decided.json()["extension_requested_minutes"] is None


def test_notes_can_be_internal_and_the_resident_never_sees_them(
    socialworker, resident, case_in_grid_a, granny_wang
):
    staff = as_user(socialworker)
    staff.post(f"/api/v1/cases/{case_in_grid_a.pk}/note/", {"note": "已电话安抚", "public": True})
    staff.post(f"/api/v1/cases/{case_in_grid_a.pk}/note/", {"note": "内部：家属联系不上", "public": False})
    mine = as_user(resident).get(f"/api/v1/cases/{case_in_grid_a.pk}/").json()
    notes = [event["note"] for event in mine["events"]]
    assert "已电话安抚" in notes and "内部：家属联系不上" not in notes
    assert all(event["actor"] is None for event in mine["events"])
    staff_view = staff.get(f"/api/v1/cases/{case_in_grid_a.pk}/").json()
    assert "内部：家属联系不上" in [event["note"] for event in staff_view["events"]]


def test_lists_filter_like_the_board(socialworker, case_in_grid_a, case_in_grid_b, grid_a):
    api = as_user(socialworker)
    everything = api.get("/api/v1/cases/").json()
    assert everything["count"] == 2
    by_grid = api.get("/api/v1/cases/", {"grid": grid_a.pk}).json()
    assert [c["number"] for c in by_grid["results"]] == [case_in_grid_a.number]
    reported = api.get("/api/v1/cases/", {"status": "reported"}).json()
    assert [c["number"] for c in reported["results"]] == [case_in_grid_b.number]
    water = api.get("/api/v1/cases/", {"category": "utilities"}).json()
    assert water["count"] == 2
    assert api.get("/api/v1/cases/", {"overdue": "true"}).json()["count"] == 0
    assert api.get("/api/v1/cases/", {"status": "nonsense"}).status_code == 400
    assert api.get("/api/v1/cases/", {"page": 9}).status_code == 404


def test_a_moment_with_any_iso_offset_filters_and_one_before_year_1_is_400(socialworker, case_in_grid_a):
    """PostgreSQL takes offsets up to ±15:59 only; the filter hands it the moment in UTC."""
    api = as_user(socialworker)
    far_offset = api.get("/api/v1/cases/", {"reported_before": "0571-06-22T15:34:17-16:29"})
    assert far_offset.status_code == 200 and far_offset.json()["count"] == 0
    later = api.get("/api/v1/cases/", {"reported_before": "9999-12-31T23:59:59+23:59"})
    assert later.status_code == 200 and later.json()["count"] == 1
    too_early = api.get("/api/v1/cases/", {"reported_after": "0001-01-01T00:00:00+10:00"})
    assert too_early.status_code == 400 and too_early.json()["reported_after"]


def test_reports_count_one_timeline_entry_each(socialworker, household_a):
    as_user(socialworker).post("/api/v1/cases/", report_body(household_a.pk, register=True))
    case = Case.objects.get()
    assert case.status == Status.REGISTERED
    assert list(CaseEvent.objects.filter(case=case).values_list("action", flat=True)) == [
        "report",
        "register",
    ]


def test_after_photos_go_up_as_multipart_and_come_down_with_credentials(
    socialworker, volunteer, resident, case_in_grid_a, tmp_path, settings
):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    case = dispatch_to_volunteer(case_in_grid_a, socialworker, volunteer)
    hands = as_user(volunteer)
    hands.post(f"/api/v1/cases/{case.pk}/acknowledge/")
    photo = SimpleUploadedFile("after.png", buffer.getvalue(), content_type="image/png")
    response = hands.client.post(
        f"/api/v1/cases/{case.pk}/resolve/", {"report": "已送水", "photos": [photo]}, headers=hands.headers
    )
    assert response.status_code == 200, response.content
    attachment = response.json()["attachments"][-1]
    assert attachment["stage"] == "after" and attachment["content_type"] == "image/png"
    download = as_user(resident).get(attachment["download"])
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    assert b"".join(download.streaming_content) == buffer.getvalue()
    assert as_user(socialworker).get(f"/api/v1/cases/{case.pk}/attachments/999/").status_code == 404
    fake = SimpleUploadedFile("fake.png", b"not a picture", content_type="image/png")
    refused = hands.client.post(
        f"/api/v1/cases/{case.pk}/note/", {"note": "照片", "photos": [fake]}, headers=hands.headers
    )
    assert refused.status_code == 400


def test_the_case_list_costs_the_same_queries_for_more_cases(
    socialworker, volunteer, case_in_grid_a, household_a
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = as_user(socialworker)
    dispatch_to_volunteer(case_in_grid_a, socialworker, volunteer)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/cases/").status_code == 200
        return len(captured)

    queries()  # the first call of a token records when it was last used
    before = queries()
    for _ in range(5):
        created = api.post("/api/v1/cases/", report_body(household_a.pk, register=True)).json()
        api.post(f"/api/v1/cases/{created['id']}/dispatch/", {"lead": f"person:{volunteer.person_id}"})
    assert queries() == before


# --- the create answer, built from what was written ------------------------------------------------


def test_the_create_answer_is_the_case_as_a_get_shows_it(
    socialworker, gridworker, hotline, community, household_a, granny_wang
):
    """The 201 is built from the rows just written, not read back: it must be what a GET shows."""
    staff, grid, hotline_api = as_user(socialworker), as_user(gridworker), Api(key=HOTLINE_KEY)
    photo = "https://img.example.org/water.jpg"
    bodies = [
        (staff, report_body(household_a.pk)),
        (staff, report_body(household_a.pk, register=True)),  # a duplicate of the first, registered
        (
            staff,
            report_body(
                household_a.pk, register=True, media_urls=[photo], latitude="39.1", longitude="117.2"
            ),
        ),
        (
            staff,
            report_body(
                None, anonymous=True, reporter_phone="13812345678", location_note="4号楼 电话13812345678"
            ),
        ),
        (
            grid,
            report_body(household_a.pk, register=True, reporter_name="王秀兰", reporter_phone="13812345678"),
        ),
        (
            hotline_api,
            {
                "category": "utilities-power",
                "description": "12345转办：停电",
                "reporter_phone": "13812345678",
            },
        ),
    ]
    for api, body in bodies:
        created = api.post("/api/v1/cases/", body)
        assert created.status_code == 201, created.content
        answer = created.json()
        shown = api.get(created["Location"])
        assert shown.status_code == 200
        assert answer == shown.json(), body
    flagged = Case.objects.filter(suspected_duplicate__isnull=False).first()
    assert (
        flagged is not None and "not_duplicate" in staff.get(f"/api/v1/cases/{flagged.pk}/").json()["actions"]
    )
    assert Case.objects.get(attachments__url=photo).attachments.count() == 1


def test_a_report_and_its_registration_run_a_fixed_number_of_queries(socialworker, volunteer, household_a):
    """One create (report + register) costs the same queries with more cases, repeats and duplicates
    about: the duplicate check, the repeat rule and the rollups read a bounded number of rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = as_user(socialworker)
    body = report_body(household_a.pk, register=True)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.post("/api/v1/cases/", body).status_code == 201
        return len(captured)

    queries()  # the first call of a token records when it was last used
    before = queries()
    for _ in range(4):
        created = api.post("/api/v1/cases/", body).json()
        api.post(f"/api/v1/cases/{created['id']}/dispatch/", {"lead": f"person:{volunteer.person_id}"})
    assert queries() == before
    # The token, the community, the category and its questions, the household; the case, two timeline
    # entries and the registration's standing; the duplicate check's cases read ahead, the number, the
    # cases it looks at now (their ids: none new to read), the number written; the repeat rule, the
    # later repeats, the fact, the rollups (the case's group and month: one upsert each); the
    # answer's standing. (On SQLite and PostgreSQL alike; the transaction's savepoint counts as two.)
    assert before == 22
