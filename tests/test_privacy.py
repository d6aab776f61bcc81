"""PIPL duties: consent where sensitive data is entered, a person's own copy, requests, erasure, retention.

Each test states the rule as a resident or an inspector would check it: the findings are not
written without consent, the resident's page lists who saw their numbers, an erasure leaves no
name or number behind, and a period of keeping ends on its own in the worker's sweep.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from grassroots.api.models import IdempotencyRecord
from grassroots.care import services as care
from grassroots.care.models import Visit
from grassroots.config.env import env_days_by_kind
from grassroots.core import retention
from grassroots.core.models import AuditEvent
from grassroots.notify.models import Message
from grassroots.people.models import Consent, Person, PersonTag, RegistryChange
from grassroots.people.services import (
    PersonDetails,
    consent_on_file,
    consent_record,
    person_move_out,
    person_reveal,
    person_update,
)
from grassroots.privacy import services as privacy
from grassroots.privacy.models import DataRequest, Erasure, RequestStatus
from tests.factories import PersonFactory, PersonTagFactory, make_id_number, vulnerability_tag

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- consent where sensitive findings are entered ----------------------------------------------


def _visit_post(person, **extra) -> dict:
    return {"method": "home", "outcome": "visited", "person": person.pk, "health": "高血压，卧床", **extra}


def test_findings_about_a_person_without_consent_are_refused_and_kept_as_typed(
    household_a, granny_wang, socialworker
):
    response = client_for(socialworker).post(
        reverse("care-visit-new", args=[household_a.pk]), _visit_post(granny_wang)
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "高血压，卧床" in page and 'id="sensitive-notice"' in page
    assert not Visit.objects.exists() and not Consent.objects.exists()


def test_consent_given_on_the_visit_form_is_recorded_once(household_a, granny_wang, socialworker):
    client = client_for(socialworker)
    url = reverse("care-visit-new", args=[household_a.pk])
    assert client.post(url, _visit_post(granny_wang, consent_given="on")).status_code == 302
    consent = consent_on_file(granny_wang)
    assert (consent.given_by, consent.method, consent.recorded_by) == ("self", "verbal", socialworker)
    # Next time the consent is on file: findings need no tick.
    assert client.post(url, _visit_post(granny_wang, health="好转")).status_code == 302
    assert Consent.objects.count() == 1 and Visit.objects.count() == 2
    assert AuditEvent.objects.filter(kind="consent").count() == 1


def test_a_child_under_14_needs_a_guardian_with_a_name(household_a, socialworker):
    child = PersonFactory(
        household=household_a, name="王小宝", birth_date=timezone.localdate() - timedelta(days=9 * 365)
    )
    url = reverse("care-visit-new", args=[household_a.pk])
    client = client_for(socialworker)
    refused = client.post(url, _visit_post(child, consent_given="on", consent_given_by="self"))
    assert refused.status_code == 422 and "未满十四周岁" in refused.content.decode()
    unnamed = client.post(url, _visit_post(child, consent_given="on", consent_given_by="guardian"))
    assert unnamed.status_code == 422 and not Visit.objects.exists()
    named = client.post(
        url, _visit_post(child, consent_given="on", consent_given_by="guardian", guardian_name="王建国")
    )
    assert named.status_code == 302
    assert consent_on_file(child).guardian_name == "王建国"


def test_a_withdrawn_consent_stays_as_evidence_and_is_needed_again(granny_wang, gridworker):
    consent_record(actor=gridworker, person=granny_wang, given_by="self", method="written")
    client = client_for(gridworker)
    client.post(reverse("privacy-consent", args=[granny_wang.pk]), {"withdraw": "1"})
    assert consent_on_file(granny_wang) is None
    assert Consent.objects.get(person=granny_wang).withdrawn_at is not None


# --- what is held, for the person themself -----------------------------------------------------


def test_a_resident_reads_what_is_held_and_who_saw_their_numbers(resident, granny_wang, socialworker):
    PersonTagFactory(person=granny_wang, tag=vulnerability_tag("disabled"), level=2)
    person_reveal(actor=socialworker, person=granny_wang, field="phone", purpose="回访", ip_address=None)
    response = client_for(resident).get(reverse("privacy-mine"))
    page = response.content.decode()
    assert response.status_code == 200
    assert granny_wang.phone_masked in page and granny_wang.reveal("phone") not in page
    assert "回访" in page and socialworker.username in page  # who saw it, and why
    assert str(vulnerability_tag("disabled")) in page  # her own sensitive tag is hers to read

    download = client_for(resident).get(reverse("privacy-mine-file"))
    document = json.loads(download.content)
    accesses = next(section for section in document["sections"] if section["key"] == "accesses")
    assert any("回访" in row.values() for row in accesses["rows"])
    assert granny_wang.reveal("phone") not in download.content.decode()
    assert AuditEvent.objects.filter(kind="export", subject_id=str(granny_wang.pk)).exists()


def test_a_persons_copy_reads_their_registration_detail_by_detail(household_a, socialworker):
    from grassroots.people.services import person_register

    person = person_register(
        actor=socialworker,
        community_id=household_a.building.community_id,
        details=PersonDetails(
            name="刘秀兰", id_number=make_id_number(date(1950, 3, 9), sex="F"), phone="13912345678"
        ),
        household=household_a,
    )
    history = next(section for section in privacy.what_is_held(person) if section.key == "history")
    by_field = {row[3]: row for row in history.rows}  # at, by, action, field, from, to, through
    assert by_field["phone"][2:6] == ["register", "phone", "", "139****5678"]
    assert by_field["household"][2:6] == ["move_in", "household", "", household_a.address]
    assert "13912345678" not in json.dumps(history.rows, ensure_ascii=False, default=str)


def test_staff_have_no_my_data_page(socialworker):
    assert client_for(socialworker).get(reverse("privacy-mine")).status_code == 404


# --- requests ----------------------------------------------------------------------------------


def test_a_resident_files_a_request_that_the_office_answers_in_time(resident, granny_wang, socialworker):
    client = client_for(resident)
    empty = client.post(reverse("privacy-mine"), {"kind": "correction", "details": ""})
    assert empty.status_code == 422 and not DataRequest.objects.exists()
    client.post(reverse("privacy-mine"), {"kind": "correction", "details": "电话号码错了"})
    request = DataRequest.objects.get()
    assert request.due_at - request.received_at == timedelta(days=15)
    assert request.details == "电话号码错了"
    office = client_for(socialworker)
    assert "电话号码错了" in office.get(reverse("privacy-request", args=[request.pk])).content.decode()
    office.post(reverse("privacy-request", args=[request.pk]), {"status": "done", "decision": "已更正"})
    request.refresh_from_db()
    assert (request.status, request.closed_by) == (RequestStatus.DONE, socialworker)
    with pytest.raises(ValidationError):
        privacy.request_close(actor=socialworker, request=request, status="done", decision="again")


def test_a_refusal_needs_its_reason(granny_wang, socialworker):
    request = privacy.request_file(actor=socialworker, person=granny_wang, kind="erasure")
    with pytest.raises(ValidationError) as refused:
        privacy.request_close(actor=socialworker, request=request, status="refused", decision="")
    assert "decision" in refused.value.message_dict


def test_only_the_secretary_erases_and_never_a_current_resident(granny_wang, socialworker, secretary):
    request = privacy.request_file(actor=socialworker, person=granny_wang, kind="erasure")
    with pytest.raises(ValidationError, match="党委书记"):
        privacy.request_close(actor=socialworker, request=request, status="done", decision="删除")
    with pytest.raises(ValidationError, match="仍居住在本社区"):
        privacy.request_close(actor=secretary, request=request, status="done", decision="删除")
    assert not Erasure.objects.exists()


# --- erasure -----------------------------------------------------------------------------------


@pytest.fixture
def former_resident(household_a, socialworker) -> Person:
    """Aunt Liu: phone, ID number, a tag, a visit with findings and a phone change in her history."""
    liu = PersonFactory(
        household=household_a,
        name="刘桂芳",
        sex="F",
        id_number=make_id_number(date(1950, 1, 2), sex="F", serial=33),
    )
    person_update(
        actor=socialworker,
        person=liu,
        details=PersonDetails(name="刘桂芳", sex="F", id_number=liu.reveal("id_number"), phone="13611112222"),
    )
    PersonTagFactory(person=liu, tag=vulnerability_tag("living-alone"))
    consent_record(actor=socialworker, person=liu, given_by="self", method="verbal")
    care.visit_record(
        actor=socialworker, household=household_a, details=care.VisitDetails(person=liu, health="糖尿病")
    )
    person_move_out(actor=socialworker, person=liu, on=date(2021, 3, 1))
    return liu


def test_an_erasure_leaves_no_name_or_number_and_keeps_the_rows(former_resident, secretary):
    request = privacy.request_file(actor=secretary, person=former_resident, kind="erasure")
    privacy.request_close(actor=secretary, request=request, status="done", decision="已删除")
    liu = Person.objects.get(pk=former_resident.pk)
    assert (liu.name, liu.birth_date, liu.phone_encrypted, liu.id_number_hash) == (
        privacy.ERASED_NAME,
        None,
        "",
        "",
    )
    assert not PersonTag.objects.filter(person=liu).exists()
    assert Visit.objects.get(person=liu).health == ""
    history = RegistryChange.objects.filter(person=liu)
    assert history.exists() and not history.exclude(old_display="", new_display="", new_sealed="").exists()
    assert Erasure.objects.get(person=liu).request == request
    assert liu.residencies.count() == 1  # the dates of what happened stay
    with pytest.raises(ValidationError, match="已删除"):
        privacy.person_erase(actor=secretary, person=liu, reason="request")


# --- retention ---------------------------------------------------------------------------------


def test_the_sweep_erases_former_residents_after_their_period_only(
    former_resident, household_a, socialworker, granny_wang
):
    recent = PersonFactory(household=household_a, name="赵明")
    person_move_out(actor=socialworker, person=recent, on=timezone.localdate() - timedelta(days=30))
    ended = retention.enforce()
    assert ended["former_residents"] == 1
    assert Person.objects.get(pk=former_resident.pk).name == privacy.ERASED_NAME
    assert Person.objects.get(pk=recent.pk).name == "赵明"
    assert Person.objects.get(pk=granny_wang.pk).name == "王秀兰"  # living here: never
    assert retention.enforce()["former_residents"] == 0  # once is enough


def test_old_messages_and_idempotency_records_end_and_live_ones_stay(socialworker):
    long_ago = timezone.now() - timedelta(days=400)
    old_sent = Message.objects.create(
        recipient_key="t:1", channel="sms", body="旧", status="sent", created_at=long_ago
    )
    old_queued = Message.objects.create(
        recipient_key="t:2", channel="sms", body="待发", status="queued", created_at=long_ago
    )
    fresh = Message.objects.create(recipient_key="t:3", channel="sms", body="新", status="sent")
    IdempotencyRecord.objects.create(
        owner=socialworker, key="old", created_at=timezone.now() - timedelta(days=2)
    )
    IdempotencyRecord.objects.create(owner=socialworker, key="new")
    ended = retention.enforce()
    assert ended["messages"] == 1 and ended["idempotency"] == 1
    assert set(Message.objects.values_list("pk", flat=True)) == {old_queued.pk, fresh.pk}
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    assert old_sent.pk not in Message.objects.values_list("pk", flat=True)


def test_periods_are_settings_with_a_floor(settings):
    from grassroots.core.retention import check_retention_settings

    settings.GRASSROOTS_RETENTION_DAYS = {"messages": 90}
    assert check_retention_settings() == []
    assert {rule.kind: rule.days for rule in retention.status()}["messages"] == 90
    settings.GRASSROOTS_RETENTION_DAYS = {"messages": 5, "tweets": 10}
    assert {error.id for error in check_retention_settings()} == {
        "grassroots.core.E010",
        "grassroots.core.E011",
    }


def test_the_setting_reads_kind_equals_days(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("GRASSROOTS_RETENTION_DAYS", "messages=180, former_residents=1095")
    assert env_days_by_kind("GRASSROOTS_RETENTION_DAYS") == {"messages": 180, "former_residents": 1095}
    monkeypatch.setenv("GRASSROOTS_RETENTION_DAYS", "messages=soon")
    with pytest.raises(ImproperlyConfigured, match="messages=soon"):
        env_days_by_kind("GRASSROOTS_RETENTION_DAYS")


@override_settings(GRASSROOTS_RETENTION_DAYS={"former_residents": 365})
def test_a_shorter_period_is_obeyed(household_a, socialworker):
    moved = PersonFactory(household=household_a, name="孙丽")
    person_move_out(actor=socialworker, person=moved, on=timezone.localdate() - timedelta(days=400))
    assert retention.enforce()["former_residents"] == 1


def test_the_command_lists_the_periods_and_applies_them(former_resident, capsys):
    from django.core.management import call_command

    call_command("retention")
    listed = capsys.readouterr().out
    assert "former_residents" in listed and "1095" in listed and "messages" in listed
    call_command("retention", "apply")
    assert "former_residents: 1 ended" in capsys.readouterr().out
    assert Person.objects.get(pk=former_resident.pk).name == privacy.ERASED_NAME
