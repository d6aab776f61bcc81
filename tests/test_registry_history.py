"""The register's history: every service write leaves a row per changed field (a registration one
row for all its details), numbers sealed and masked.

The history is written with the change in one transaction, so a refused change leaves no row,
and a phone number in a row reads masked while the full value stays sealed with the data key.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from grassroots.core import pii
from grassroots.people import history
from grassroots.people.models import PersonStatus, RegistryChange, Relation, ResidenceType
from grassroots.people.services import (
    PersonDetails,
    person_move_in,
    person_move_out,
    person_register,
    person_update,
)
from tests.factories import make_id_number

pytestmark = pytest.mark.django_db

LIU_ID = make_id_number(date(1950, 3, 9), sex="F", serial=11)


def _register(actor, household, **details):
    return person_register(
        actor=actor,
        community_id=household.building.community_id,
        details=PersonDetails(name="刘秀兰", sex="F", id_number=LIU_ID, phone="13912345678", **details),
        household=household,
        relation=Relation.HEAD,
        residence_type=ResidenceType.PERMANENT,
        moved_in=date(2020, 5, 1),
    )


def test_registering_is_one_row_read_as_each_detail_and_the_move_in(socialworker, household_a):
    with history.through("person-new"):
        person = _register(socialworker, household_a)
    row = RegistryChange.objects.get(person=person)  # one row, however many details
    assert (row.action, row.household_id, row.source, row.actor_id) == (
        "register",
        household_a.pk,
        "person-new",
        socialworker.pk,
    )
    lines = {entry.field: entry for entry in history.entries(row)}
    assert set(lines) == {"name", "sex", "birth_date", "id_number", "phone", "status", "household"}
    assert lines["name"].new_display == "刘秀兰" and lines["name"].action == "register"
    assert lines["phone"].new_display == "139****5678" and lines[
        "id_number"
    ].new_display == pii.mask_id_number(LIU_ID)
    assert (lines["household"].action, lines["household"].new_display) == ("move_in", household_a.address)
    assert lines["household"].reason.endswith("2020-05-01")
    assert json.loads(row.new_sealed) == {"id_number": LIU_ID, "phone": "13912345678"}
    with connection.cursor() as cursor:
        cursor.execute("select new_display, new_sealed from people_registrychange where id = %s", [row.pk])
        shown, sealed = cursor.fetchone()
    assert pii.is_sealed(sealed) and all(number not in shown + sealed for number in ("1391234", LIU_ID))


def test_the_history_tab_shows_a_registration_line_by_line(socialworker, household_a):
    with history.through("import #7"):
        person = _register(socialworker, household_a)
    with translation.override("en"):
        for page in (
            history.history_for(socialworker, person=person),
            history.history_for(socialworker, household=household_a),
        ):
            lines = {line.field: line for line in page.rows}
            assert lines["phone"].new_shown == "139****5678" and lines["phone"].action_label == "registered"
            assert lines["sex"].new_shown == "female" and lines["status"].new_shown == "living here"
            assert lines["household"].action_label == "moved in"
            assert {line.source_label for line in page.rows} == {"import #7"}


def test_the_rows_of_a_detail_each_that_registrations_wrote_before_still_read(socialworker, household_a):
    person = _register(socialworker, household_a)
    RegistryChange.objects.all().delete()
    for field, new in (("name", "刘秀兰"), ("phone", "13912345678")):
        history.record_for(person, action="register", field=field, actor=socialworker, new=new)
    with translation.override("en"):
        lines = history.history_for(socialworker, person=person).rows
    assert {(line.field, line.new_shown, line.action_label) for line in lines} == {
        ("name", "刘秀兰", "registered"),
        ("phone", "139****5678", "registered"),
    }


def test_a_changed_phone_is_kept_sealed_and_shown_masked(socialworker, household_a):
    person = _register(socialworker, household_a)
    person_update(
        actor=socialworker,
        person=person,
        details=PersonDetails(name="刘秀兰", sex="F", id_number=LIU_ID, phone="13700001111"),
    )
    row = RegistryChange.objects.get(person=person, action="edit")
    assert (row.field, row.old_display, row.new_display) == ("phone", "139****5678", "137****1111")
    assert (row.old_sealed, row.new_sealed) == ("13912345678", "13700001111")
    with connection.cursor() as cursor:
        cursor.execute("select old_sealed, new_sealed from people_registrychange where id = %s", [row.pk])
        stored = cursor.fetchone()
    assert all("1391234" not in value and "1370000" not in value for value in stored)
    assert row.source == history.OTHER_SOURCE


def test_an_unchanged_save_records_nothing(socialworker, household_a):
    person = _register(socialworker, household_a)
    before = RegistryChange.objects.count()
    person_update(
        actor=socialworker,
        person=person,
        details=PersonDetails(name="刘秀兰", sex="F", id_number=LIU_ID, phone="139 1234 5678"),
    )
    assert RegistryChange.objects.count() == before


def test_a_refused_change_leaves_no_row(socialworker, household_a):
    person = _register(socialworker, household_a)
    before = RegistryChange.objects.count()
    with pytest.raises(ValidationError):
        person_update(
            actor=socialworker, person=person, details=PersonDetails(name="刘秀兰", sex="F", phone="12")
        )
    assert RegistryChange.objects.count() == before


def test_moving_house_and_death_are_history_not_overwrites(socialworker, household_a, household_b):
    person = _register(socialworker, household_a)
    person_move_in(
        actor=socialworker,
        person=person,
        household=household_b,
        relation=Relation.OTHER,
        residence_type=ResidenceType.PERMANENT,
        on=date(2024, 1, 2),
    )
    person_move_out(actor=socialworker, person=person, on=date(2025, 2, 3), status=PersonStatus.DECEASED)
    moves = [  # the registration's move in is a line of its one row
        (entry.action, row.household_id)
        for row in RegistryChange.objects.filter(person=person).order_by("id")
        for entry in history.entries(row)
        if entry.field == "household"
    ]
    assert moves == [
        ("move_in", household_a.pk),
        ("move_out", household_a.pk),
        ("move_in", household_b.pk),
        ("death", household_b.pk),
    ]
    death_status = RegistryChange.objects.get(person=person, action="death", field="status")
    assert (death_status.old_display, death_status.new_display) == (
        PersonStatus.LIVING,
        PersonStatus.DECEASED,
    )


def test_a_row_names_the_screen_or_import_in_words_not_its_code():
    from django.utils import translation

    with translation.override("en"):
        assert history.source_label("person-move-out") == "recording a move out or a death"
        assert history.source_label("import #12") == "import #12"
        assert history.source_label(history.OTHER_SOURCE) == "the system"
        assert history.source_label("import #x") == "import #x"  # not a run: shown as it is
    with translation.override("zh-hans"):
        assert history.source_label("person-move-out") != "recording a move out or a death"
