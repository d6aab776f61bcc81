"""Care findings sealed at rest (issue 13.4): what a visit found is ciphertext in the database.

`select health from care_visit` used to show "瘫痪在床" to anyone with a copy of the database.
The findings (health, mental state, family, difficulties, hazards, needs), changes of situation
and the reasons for a tier set by hand are now sealed with the data key like ID numbers; the
application reads and writes plain text, and `grassroots keys rotate` re-seals them.
"""

from __future__ import annotations

import base64
import importlib
from io import StringIO

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection

from grassroots.care import services
from grassroots.care.models import SituationNote, Visit
from grassroots.core import pii

pytestmark = pytest.mark.django_db

FINDINGS = {
    "health": "瘫痪在床，高血压",
    "mood_note": "情绪低落，常独自流泪",
    "family": "儿子残疾，孙女脑瘫",
    "difficulties": "家中没有饮用水",
    "hazard_note": "楼梯无扶手",
    "needs": "送水、陪诊",
}


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name(column)} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


@pytest.fixture
def visit(socialworker, household_a, granny_wang) -> Visit:
    visit, _ = services.visit_record(
        actor=socialworker,
        household=household_a,
        details=services.VisitDetails(person=granny_wang, **FINDINGS),
    )
    return visit


def test_the_findings_are_ciphertext_in_the_database_and_plain_to_the_application(visit):
    for field, text in FINDINGS.items():
        stored = _raw("care_visit", field, visit.pk)
        assert stored.startswith(f"v2:{pii.current_key_id()}:"), field
        assert text not in stored and text[:2] not in stored
    again = Visit.objects.get(pk=visit.pk)
    assert {field: getattr(again, field) for field in FINDINGS} == FINDINGS


def test_an_empty_finding_stays_empty(socialworker, household_a, granny_wang):
    visit, _ = services.visit_record(
        actor=socialworker, household=household_a, details=services.VisitDetails(person=granny_wang)
    )
    assert _raw("care_visit", "health", visit.pk) == ""


def test_a_change_of_situation_is_sealed_too(visit, socialworker):
    note = SituationNote.objects.create(
        profile=_profile(visit), kind="hospital", note="因心衰住院", by=socialworker
    )
    assert "心衰" not in _raw("care_situationnote", "note", note.pk)
    assert SituationNote.objects.get(pk=note.pk).note == "因心衰住院"


def _profile(visit):
    from grassroots.care.models import CareProfile

    return CareProfile.objects.get_or_create(
        person=visit.person, defaults={"community": visit.community, "household": visit.household}
    )[0]


def test_findings_written_in_clear_before_the_migration_are_sealed_by_it(visit):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE care_visit SET health = %s WHERE id = %s", ["独居，行动不便", visit.pk])
    assert Visit.objects.get(pk=visit.pk).health == "独居，行动不便"  # read as it is until sealed
    migration = importlib.import_module("grassroots.care.migrations.0005_sealed_findings")
    migration.seal_what_was_written_in_clear(django_apps, None)
    assert "独居" not in _raw("care_visit", "health", visit.pk)
    assert Visit.objects.get(pk=visit.pk).health == "独居，行动不便"


def test_rotation_reseals_the_findings(visit, settings):
    old_key = settings.GRASSROOTS_DATA_KEY
    settings.GRASSROOTS_DATA_KEY = base64.urlsafe_b64encode(b"r" * 48).decode()
    settings.GRASSROOTS_RETIRED_DATA_KEYS = [old_key]
    output = StringIO()
    call_command("keys", "rotate", stdout=output)
    assert "care.Visit.health: 1/1" in output.getvalue()
    assert _raw("care_visit", "family", visit.pk).startswith(f"v2:{pii.current_key_id()}:")
    settings.GRASSROOTS_RETIRED_DATA_KEYS = []
    assert Visit.objects.get(pk=visit.pk).family == FINDINGS["family"]
