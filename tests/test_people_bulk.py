"""Registering many people at once (people.bulk): what the ledger import writes reads back as
`person_register` writes it, with COPY on PostgreSQL as with bulk_create on SQLite.

The suite runs on both databases (CI runs it twice): on PostgreSQL `person_register_many` writes
with COPY, so the comparison with `person_register` is the comparison of a COPY-written person
with an ORM-written one; there the two bulk writers are also compared with each other.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from grassroots.accounts import system_actor
from grassroots.core import bulk as core_bulk
from grassroots.core import pii
from grassroots.people import bulk, history
from grassroots.people.models import Person, PersonNameKey, RegistryChange, Relation, Residency
from grassroots.people.search import search_people
from grassroots.people.services import (
    PersonDetails,
    person_check_details,
    person_register,
    person_register_many,
)
from tests.factories import make_id_number

pytestmark = pytest.mark.django_db

#: 阚 is read "kan" as a surname and "han" elsewhere: the person gets other-reading rows too.
KAN_ID = make_id_number(date(1951, 6, 7), sex="F", serial=71)
DETAILS = PersonDetails(name="阚秀英", id_number=KAN_ID, phone="139 0000 7171", note="独居")
SOURCE = "import #99"


def _as_read(person: Person) -> dict:
    """Everything the app reads of a person and of the rows that name them, ids and moments aside."""
    person = Person.objects.get(pk=person.pk)
    residency = Residency.objects.get(person=person)
    changes = RegistryChange.objects.filter(person=person).order_by("field", "action")
    return {
        "person": {
            field.attname: getattr(person, field.attname)
            for field in Person._meta.concrete_fields
            if field.attname
            not in {"id", "created_at", "updated_at", "id_number_encrypted", "phone_encrypted"}
        },
        "numbers": (person.reveal("id_number"), person.reveal("phone")),
        "found": (
            Person.objects.with_id_number(KAN_ID).get() == person,
            Person.objects.with_phone("13900007171").get() == person,
        ),
        "sealed": all(pii.is_sealed(v) for v in (person.id_number_encrypted, person.phone_encrypted)),
        "readings": sorted(PersonNameKey.objects.filter(person=person).values_list("pinyin", "initials")),
        "residency": (
            residency.household_id,
            residency.relation,
            residency.residence_type,
            residency.moved_in,
        ),
        "history by": {(c.actor_id, c.community_id) for c in changes},
        "history": [
            (c.action, c.field, c.old_display, c.new_display, c.old_sealed, c.new_sealed, c.reason, c.source)
            for c in changes
        ],
    }


def _registered_alone(actor, household) -> dict:
    """What `person_register` writes, read back; rolled back, so the same person can come again."""
    with transaction.atomic():
        with history.through(SOURCE):
            person = person_register(
                actor=actor,
                community_id=household.building.community_id,
                details=DETAILS,
                household=household,
                relation=Relation.HEAD,
                moved_in=date(2020, 5, 1),
            )
        read = _as_read(person)
        transaction.set_rollback(True)
    return read


def _new_resident(household) -> bulk.NewResident:
    return bulk.NewResident(
        details=DETAILS,
        derived=person_check_details(DETAILS),
        household_id=household.pk,
        address=household.address,
        relation=Relation.HEAD,
        moved_in=date(2020, 5, 1),
    )


def test_a_person_registered_in_bulk_reads_back_as_one_registered_alone(household_a):
    actor = system_actor()
    alone = _registered_alone(actor, household_a)
    assert person_register_many(
        actor=actor,
        community_id=household_a.building.community_id,
        residents=[_new_resident(household_a)],
        source=SOURCE,
    )
    person = Person.objects.get(name="阚秀英")
    in_bulk = _as_read(person)
    assert in_bulk == alone
    assert in_bulk["person"]["phone_masked"] == "139****7171" and in_bulk["readings"]  # 阚 read "han" too
    (registration,) = RegistryChange.objects.filter(person=person)  # one row, naming the household
    assert registration.household_id == household_a.pk
    assert {entry.field for entry in history.entries(registration)} >= {"id_number", "phone", "household"}


def test_on_postgresql_the_copy_and_the_orm_writers_write_the_same(household_a):
    """On SQLite the ORM writer is the only one, and the test above covers it."""
    actor, community_id = system_actor(), household_a.building.community_id
    writers = [bulk.write_orm]
    if connection.vendor == "postgresql":
        writers.append(bulk.write_copy)
    read = []
    for write in writers:
        with transaction.atomic():
            kwargs = {"batch_size": 100} if write is bulk.write_orm else {}
            write(
                [_new_resident(household_a)], actor=actor, community_id=community_id, source=SOURCE, **kwargs
            )
            read.append(_as_read(Person.objects.get(name="阚秀英")))
            transaction.set_rollback(True)
    assert all(one == read[0] for one in read)
    assert len(read) == (2 if connection.vendor == "postgresql" else 1)


def test_an_imported_person_shows_a_masked_phone_and_is_found_by_a_phone_fragment(
    client, household_a, socialworker
):
    person_register_many(
        actor=system_actor(),
        community_id=household_a.building.community_id,
        residents=[_new_resident(household_a)],
        source=SOURCE,
    )
    person = Person.objects.get(name="阚秀英")
    client.force_login(socialworker)
    page = client.get(reverse("person-detail", args=[person.pk])).content.decode()
    assert "139****7171" in page and "13900007171" not in page
    assert list(search_people(Person.objects.visible_to(socialworker), "7171")) == [person]


def test_a_row_the_database_refuses_leaves_none_of_the_batch(household_a):
    """Two residents with one ID number: the unique index refuses the second, the first goes too."""
    people, changes = Person.objects.count(), RegistryChange.objects.count()
    with pytest.raises(IntegrityError):
        person_register_many(
            actor=system_actor(),
            community_id=household_a.building.community_id,
            residents=[_new_resident(household_a), _new_resident(household_a)],
            source=SOURCE,
        )
    assert (Person.objects.count(), RegistryChange.objects.count()) == (people, changes)


def test_a_copy_that_leaves_out_a_required_column_is_refused_before_it_starts():
    with pytest.raises(ValueError, match="move_note"):
        core_bulk.copy_rows(
            Residency, ("person_id", "household_id", "relation", "residence_type", "moved_in"), []
        )


def test_the_fast_paths_of_pii_give_what_the_slow_ones_gave():
    key = pii._hash_key()
    assert pii.blind_index("id", KAN_ID) == hmac.new(key, f"id:{KAN_ID}".encode(), hashlib.sha256).hexdigest()
    assert pii.phone_tail_hash("13900007171") == pii.blind_index("phone-tail", "7171")
    assert pii.normalise_phone("１３９ 0000-7171") == pii.normalise_phone("13900007171") == "13900007171"
    assert pii.normalise_phone("+86 139 0000 7171") == "13900007171"
    assert pii.normalise_id_number(KAN_ID.lower()) == pii.normalise_id_number(f" {KAN_ID} ") == KAN_ID.upper()
    seal = pii.sealer()
    sealed = [seal("13900007171") for _ in range(2)]
    assert sealed[0] != sealed[1] and all(pii.decrypt(value) == "13900007171" for value in sealed)
    assert sealed[0].startswith(pii.current_prefix()) and seal("") == ""
