"""The register's history: every service write leaves a row per changed field, numbers sealed and masked.

The history is written with the change in one transaction, so a refused change leaves no row,
and a phone number in a row reads masked while the full value stays sealed with the data key.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

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


def test_registering_records_each_detail_and_the_move_in(socialworker, household_a):
    with history.through("person-new"):
        person = _register(socialworker, household_a)
    rows = {row.field: row for row in RegistryChange.objects.filter(person=person)}
    assert {"name", "sex", "birth_date", "id_number", "phone", "household"} <= set(rows)
    assert rows["name"].new_display == "刘秀兰" and rows["name"].action == "register"
    assert rows["household"].action == "move_in" and rows["household"].household_id == household_a.pk
    assert all(row.source == "person-new" and row.actor_id == socialworker.pk for row in rows.values())


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
    moves = list(
        RegistryChange.objects.filter(person=person, field="household")
        .order_by("id")
        .values_list("action", "household_id")
    )
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
