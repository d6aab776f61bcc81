"""Serving party members report to the community (issue 10.2): from the community's link, without
an account; the office confirms the report into a branch (linking the register's person by the
phone, or entering a new one) or declines it; the committee sees who reported, per unit, with the
hours promised. The phone is sealed and masked; strangers see nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from grassroots.core import pii
from grassroots.orgs.models import (
    PartyMember,
    PartyMemberKind,
    ServingReport,
    ServingReportStatus,
    Skill,
    Volunteer,
)
from grassroots.orgs.serving import (
    serving_by_unit,
    serving_report_confirm,
    serving_report_decline,
    serving_report_submit,
)
from grassroots.people.models import Person, PersonStatus
from tests.factories import MemberUnitFactory, PartyBranchFactory

pytestmark = pytest.mark.django_db

FIRST_AID = "electrical"

FORM = {
    "name": "赵志强",
    "sex": "M",
    "phone": "139 0000 1111",
    "workplace": "区卫健委",
    "origin_branch": "区卫健委机关党支部",
    "commitment_hours": "24",
    "note": "周末可以参加助老服务",
}


def _client(user=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def _report(community, **changes) -> ServingReport:
    values = {**FORM, "commitment_hours": 24, **changes}
    return serving_report_submit(community=community, **values)


def test_a_serving_member_reports_from_the_link_without_an_account(community):
    client = _client()
    page = client.get(f"/portal/serving/{community.code}/")
    assert page.status_code == 200 and 'id="serving-notice"' in page.content.decode()
    sent = client.post(f"/portal/serving/{community.code}/", FORM)
    assert 'id="serving-sent"' in sent.content.decode()
    report = ServingReport.objects.get()
    assert report.status == ServingReportStatus.PENDING and report.commitment_hours == 24
    assert report.phone_masked == "139****1111"
    assert (
        "13900001111" not in report.phone_encrypted and pii.decrypt(report.phone_encrypted) == "13900001111"
    )


def test_bad_answers_are_named_and_what_was_typed_stays(community):
    response = _client().post(
        f"/portal/serving/{community.code}/", {**FORM, "origin_branch": "", "commitment_hours": "0"}
    )
    body = response.content.decode()
    assert response.status_code == 200 and not ServingReport.objects.exists()
    assert 'id="field-origin_branch"' in body and "has-error" in body
    assert 'value="赵志强"' in body and "周末可以参加助老服务" in body


def test_a_second_report_from_the_same_phone_waits_as_one(community):
    _report(community)
    with pytest.raises(ValidationError) as refused:
        _report(community, name="赵志强（再次）")
    assert "phone" in refused.value.message_dict
    assert ServingReport.objects.count() == 1


def test_the_link_is_throttled_per_address(community):
    client = _client()
    for index in range(5):
        client.post(f"/portal/serving/{community.code}/", {**FORM, "phone": f"1390000{index:04d}"})
    assert ServingReport.objects.count() == 5
    assert (
        client.post(f"/portal/serving/{community.code}/", {**FORM, "phone": "13900009999"}).status_code == 429
    )
    assert ServingReport.objects.count() == 5


def test_confirming_enters_a_new_person_as_a_serving_member_of_the_branch(socialworker, community):
    unit = MemberUnitFactory(community=community, name="区卫健委")
    report = _report(community, unit=unit, skills=[Skill.objects.get(code=FIRST_AID)])
    branch = PartyBranchFactory(community=community)
    member = serving_report_confirm(actor=socialworker, report=report, branch=branch)
    assert member.kind == PartyMemberKind.SERVING and member.branch == branch and member.unit == unit
    assert member.commitment_hours == 24 and member.origin_branch == "区卫健委机关党支部"
    assert member.registered_on == timezone.localdate()
    assert member.person.status == PersonStatus.NOT_RESIDENT and member.person.phone_masked == "139****1111"
    assert list(Volunteer.objects.get(person=member.person).skills.values_list("code", flat=True)) == [
        FIRST_AID
    ]
    report.refresh_from_db()
    assert report.status == ServingReportStatus.CONFIRMED and report.member == member
    with pytest.raises(ValidationError):  # decided once
        serving_report_decline(actor=socialworker, report=report, reason="重复")
    assert serving_by_unit(socialworker) == [
        {"unit_id": unit.pk, "unit__name": "区卫健委", "workplace": "区卫健委", "members": 1, "promised": 24}
    ]


def test_confirming_links_the_resident_with_that_phone(socialworker, community, granny_wang):
    report = _report(community, name="王秀兰", sex="F", phone="13812345678")
    serving_report_confirm(
        actor=socialworker, report=report, branch=PartyBranchFactory(community=community), person=granny_wang
    )
    assert PartyMember.objects.get().person == granny_wang
    assert Person.objects.count() == 1


def test_the_office_of_another_community_and_the_hands_cannot_decide(outsider, volunteer, community):
    report = _report(community)
    branch = PartyBranchFactory(community=community)
    for user in (outsider, volunteer):
        with pytest.raises(PermissionDenied):
            serving_report_confirm(actor=user, report=report, branch=branch)
        assert _client(user).get(f"/orgs/serving/{report.pk}/").status_code == 404
    assert not PartyMember.objects.exists()


def test_the_office_page_lists_the_waiting_report_and_declines_it_with_a_reason(secretary, community):
    report = _report(community)
    client = _client(secretary)
    page = client.get("/orgs/serving/").content.decode()
    assert (
        f"/orgs/serving/{report.pk}/" in page
        and "<svg" in page
        and f"/portal/serving/{community.code}/" in page
    )
    assert "13900001111" not in page
    refused = client.post(f"/orgs/serving/{report.pk}/", {"decision": "decline", "reason": ""})
    assert refused.status_code == 422
    client.post(f"/orgs/serving/{report.pk}/", {"decision": "decline", "reason": "不是党员"})
    report.refresh_from_db()
    assert report.status == ServingReportStatus.DECLINED and report.decline_reason == "不是党员"


def test_the_office_confirms_on_the_report_page(socialworker, community):
    report = _report(community)
    branch = PartyBranchFactory(community=community)
    client = _client(socialworker)
    done = client.post(
        f"/orgs/serving/{report.pk}/", {"decision": "confirm", "branch": branch.pk, "person": ""}
    )
    assert done.status_code == 302
    assert PartyMember.objects.get().branch == branch
    page = client.get("/orgs/serving/").content.decode()
    assert "赵志强" in page


def test_the_committee_sees_this_years_ledger_hours_against_the_promise(secretary, community, volunteer):
    """Per member and per unit: the year's hours in the ledger beside the hours promised, each member
    linked to their ledger rows; last year's hours do not count."""
    from datetime import datetime, timedelta
    from decimal import Decimal

    from grassroots.activities import hours as ledger
    from grassroots.activities.hours import Work
    from tests.factories import PartyMemberFactory, PersonFactory

    unit = MemberUnitFactory(community=community, name="区卫健委")
    branch = PartyBranchFactory(community=community)
    first = PartyMemberFactory(
        person=PersonFactory(name="赵志强"), branch=branch, kind="serving", unit=unit, commitment_hours=20
    )
    second = PartyMemberFactory(
        person=PersonFactory(name="钱丽"), branch=branch, kind="serving", unit=unit, commitment_hours=10
    )
    now = timezone.now()
    last_year = timezone.make_aware(datetime(now.year - 1, 6, 1, 9))
    for source_id, (member, hours, at) in enumerate(
        [
            (first, "3", now),
            (first, "1.5", now - timedelta(minutes=1)),
            (second, "4", now),
            (second, "9", last_year),
        ],
        start=1,
    ):
        ledger.hours_record(
            actor=secretary,
            work=Work(
                person=member.person,
                community_id=community.pk,
                source_kind="case",
                source_id=source_id,
                hours=Decimal(hours),
                worked_at=at,
            ),
        )
    client = Client()
    client.force_login(secretary)
    page = client.get("/orgs/serving/").content.decode()
    assert f'href="/activities/hours/people/{first.person_id}/?year={now.year}">4.5</a>' in page
    assert f'href="/activities/hours/people/{second.person_id}/?year={now.year}">4.0</a>' in page, page[
        page.find('id="serving-members"') :
    ]
    assert '<td class="serving-hours">8.5 / 30</td>' in page
    only_unit = client.get(f"/orgs/serving/?unit={unit.pk}").content.decode()
    assert "赵志强" in only_unit and "钱丽" in only_unit
    other = client.get(f"/orgs/serving/?unit={MemberUnitFactory(community=community).pk}").content.decode()
    assert "赵志强" not in other
