"""Many new people at once (the ledger import): the rows `person_register` writes, in bulk.

For each new person `person_columns` gives the person's stored values and `_Related` the values
of its other rows (other pinyin readings, the residency, the registration's one history row,
people.history.registration_values), computed once for both writers: `write_copy` sends them
with COPY on PostgreSQL (the people's ids taken first, so that the other rows can name them),
`write_orm` makes models of them for bulk_create elsewhere. A person written either way reads
back the same (tests/test_people_bulk.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.utils import timezone

from grassroots.core import bulk, pii
from grassroots.people import history
from grassroots.people.models import (
    Person,
    PersonNameKey,
    PersonStatus,
    RegistryChange,
    Relation,
    ResidenceType,
    Residency,
    id_number_columns,
    phone_columns,
)
from grassroots.people.search import other_readings, pinyin_keys

if TYPE_CHECKING:
    from grassroots.people.services import PersonDetails

#: The person columns a new person's row holds (the id aside), in the order COPY sends them.
PERSON_COLUMNS = (
    "community_id",
    "current_household_id",
    "status",
    "name",
    "name_pinyin",
    "name_initials",
    "sex",
    "birth_date",
    "note",
    "no_sms",
    "id_number_encrypted",
    "id_number_hash",
    "id_number_masked",
    "phone_encrypted",
    "phone_hash",
    "phone_tail_hash",
    "phone_masked",
    "phone_kind",
    "created_at",
    "updated_at",
)
NAME_KEY_COLUMNS = ("person_id", "pinyin", "initials")
RESIDENCY_COLUMNS = ("person_id", "household_id", "relation", "residence_type", "moved_in", "move_note")


@dataclass(frozen=True)
class NewResident:
    """One row of an import to register: details already checked by `person_check_details`.

    `address` is the household's (4-2-301), for its history row; `id_hash` the ID number's
    blind index when the caller has already taken it (the ledger's check), else it is taken here.
    """

    details: PersonDetails
    derived: dict
    household_id: int | None = None
    address: str = ""
    relation: str = Relation.OTHER
    residence_type: str = ResidenceType.PERMANENT
    moved_in: date | None = None
    id_hash: str = ""


def detail_columns(
    details: PersonDetails, derived: dict, *, seal: Callable[[str], str] | None = None, id_hash: str = ""
) -> dict:
    """The person columns that the details decide (an ID number or phone only when given)."""
    name = details.name.strip()
    pinyin, initials = pinyin_keys(name)
    columns = {
        "name": name,
        "name_pinyin": pinyin,
        "name_initials": initials,
        "sex": details.sex or derived["sex"],
        "birth_date": details.birth_date or derived.get("birth_date"),
        "note": details.note,
        "no_sms": details.no_sms,
    }
    if details.id_number:
        columns.update(id_number_columns(details.id_number, seal=seal, id_hash=id_hash))
    if details.phone:
        columns.update(phone_columns(details.phone, seal=seal))
    return columns


def details_after(columns: dict, details: PersonDetails) -> dict:
    """The followed details (people.history) of a person just given `details`, without decrypting."""
    return {
        "name": columns["name"],
        "sex": columns["sex"],
        "birth_date": columns["birth_date"],
        "id_number": pii.normalise_id_number(details.id_number),
        "phone": pii.normalise_phone(details.phone),
        "no_sms": columns["no_sms"],
        "note": columns["note"],
        "status": columns["status"],
    }


def blank_number_columns() -> dict:
    """The number columns of a person without one: what a model's defaults give (all blank)."""
    return {**id_number_columns(""), **phone_columns("")}


def person_columns(
    resident: NewResident, *, community_id: int, seal: Callable[[str], str], now, blank: dict | None = None
) -> dict:
    """Every stored value of a new person's row but the id (PERSON_COLUMNS).

    `blank` is `blank_number_columns()`, taken once for a batch by a caller that has many people.
    """
    return {
        **(blank_number_columns() if blank is None else blank),
        "community_id": community_id,
        "current_household_id": resident.household_id,
        "status": PersonStatus.LIVING if resident.household_id else PersonStatus.NOT_RESIDENT,
        "created_at": now,
        "updated_at": now,
        **detail_columns(resident.details, resident.derived, seal=seal, id_hash=resident.id_hash),
    }


class _Related:
    """The values of a new person's other rows, for one batch (what repeats is worked out once)."""

    def __init__(self, *, actor, source: str, at) -> None:
        self.actor = actor
        self.source = source
        self.at = at  # the batch's one moment: its rows read in the order they were written
        self.today = timezone.localdate()
        self.readings: dict[str, list[tuple[str, str]]] = {}
        self.reasons: dict[tuple[str, date], str] = {}

    def keys(self, pk: int, columns: dict) -> list[tuple]:
        """The other pinyin readings of the name (NAME_KEY_COLUMNS)."""
        name = columns["name"]
        if name not in self.readings:
            self.readings[name] = other_readings(name)
        return [(pk, pinyin, initials) for pinyin, initials in self.readings[name]]

    def residency(self, pk: int, resident: NewResident) -> tuple | None:
        """The stay in the household (RESIDENCY_COLUMNS), if the person has one."""
        if resident.household_id is None:
            return None
        moved_in = resident.moved_in or self.today
        return (pk, resident.household_id, resident.relation, resident.residence_type, moved_in, "")

    def registration(self, pk: int, columns: dict, resident: NewResident) -> tuple:
        """The registration's history row (history.CHANGE_COLUMNS, its numbers still in clear)."""
        reason = ""
        if resident.household_id is not None:
            moved_in = resident.moved_in or self.today
            reason_key = (resident.relation, moved_in)
            if reason_key not in self.reasons:
                self.reasons[reason_key] = history.move_in_reason(Relation(resident.relation).label, moved_in)
            reason = self.reasons[reason_key]
        return history.registration_values(
            community_id=columns["community_id"],
            person_id=pk,
            household_id=resident.household_id,
            after=details_after(columns, resident.details),
            address=resident.address,
            reason=reason,
            actor=self.actor,
            source=self.source,
            at=self.at,
        )


def write_orm(
    residents: list[NewResident], *, actor, community_id: int, source: str, batch_size: int
) -> None:
    """The rows with bulk_create (SQLite): models made of the same values."""
    seal, now, blank = pii.sealer(), timezone.now(), blank_number_columns()
    people = [
        Person(**person_columns(r, community_id=community_id, seal=seal, now=now, blank=blank))
        for r in residents
    ]
    Person.objects.bulk_create(people, batch_size=batch_size)
    related = _Related(actor=actor, source=source, at=now)
    keys, residencies, changes = [], [], []
    for person, resident in zip(people, residents, strict=True):
        columns = vars(person)
        keys += [
            PersonNameKey(**dict(zip(NAME_KEY_COLUMNS, key, strict=True)))
            for key in related.keys(person.pk, columns)
        ]
        residency = related.residency(person.pk, resident)
        if residency is not None:
            residencies.append(Residency(**dict(zip(RESIDENCY_COLUMNS, residency, strict=True))))
        changes.append(history.change_model(related.registration(person.pk, columns, resident), actor))
    PersonNameKey.objects.bulk_create(keys, batch_size=batch_size)
    Residency.objects.bulk_create(residencies, batch_size=batch_size)
    RegistryChange.objects.bulk_create(changes, batch_size=batch_size)


def write_copy(residents: list[NewResident], *, actor, community_id: int, source: str) -> list[int]:
    """The rows with COPY (PostgreSQL): ids first, then each table's rows streamed as they are made.

    A registration row's numbers are sealed here (COPY runs no field's `get_db_prep_save`).
    Returns the new people's ids, in the order of `residents` (the district generator's rows
    that name them: tags, cases, visits).
    """
    seal, now, blank = pii.sealer(), timezone.now(), blank_number_columns()
    ids = bulk.allocate_ids(Person, len(residents))  # before the COPY: no other query during one
    made: list[tuple[int, dict, NewResident]] = []

    def people() -> Iterator[tuple]:
        for pk, resident in zip(ids, residents, strict=True):
            columns = person_columns(resident, community_id=community_id, seal=seal, now=now, blank=blank)
            made.append((pk, columns, resident))  # kept for the rows that name the person
            yield (pk, *[columns[name] for name in PERSON_COLUMNS])

    bulk.copy_rows(Person, ("id", *PERSON_COLUMNS), people())
    related = _Related(actor=actor, source=source, at=now)
    bulk.copy_rows(
        PersonNameKey, NAME_KEY_COLUMNS, (key for pk, c, _r in made for key in related.keys(pk, c))
    )
    residencies = (related.residency(pk, resident) for pk, _c, resident in made)
    bulk.copy_rows(
        Residency, RESIDENCY_COLUMNS, (residency for residency in residencies if residency is not None)
    )

    def changes() -> Iterator[tuple]:  # made while the database takes them
        for pk, columns, resident in made:
            values = related.registration(pk, columns, resident)
            yield (*values[:8], seal(values[8]), *values[9:])  # nothing before: old_sealed stays ""

    bulk.copy_rows(RegistryChange, history.CHANGE_COLUMNS, changes())
    return ids
