"""Residents from a ledger: every row checked before anything is written, then written in bulk.

`check_residents` reads each row into the details people.services checks (`person_check_details`,
the same rules as the intake screen), resolves its address to a household, finds duplicates in
the file and matches in the register (by the ID number's blind index, else by address and name),
and decides what the row would do: new, changed, unchanged or rejected. Nothing is written.

`write_residents` writes a checked plan: new people in bulk (people.services.person_register_many),
changed ones through the ordinary services (person_update, person_move_in), all in the caller's
transaction and named in the history by the run ("import #12"). An empty cell never erases what
the register holds (a ledger without a phone column keeps everybody's phone).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.core import bulk, pii
from grassroots.ledger import cells
from grassroots.ledger.reading import Table
from grassroots.ledger.rows import Plan, cell, read_address, refuse_row
from grassroots.people import history, services
from grassroots.people.models import Person, PhoneKind, RegistryChange, phone_kind_of
from grassroots.places.models import Building, Community, Household

Progress = Callable[[int, int], None]
Address = tuple[int, int, str]

NEW, CHANGED, UNCHANGED, REJECTED = "new", "changed", "unchanged", "rejected"


@dataclass
class ResidentRow:
    """One row of the file as the import understands it."""

    number: int  # the row number Excel shows
    details: services.PersonDetails | None = None
    derived: dict = field(default_factory=dict)
    address: Address | None = None
    relation: str = ""
    residence_type: str = ""
    moved_in: date | None = None
    id_hash: str = ""
    person_id: int | None = None
    moves: bool = False  # the person lives elsewhere in the register: a move into this household
    action: str = NEW
    problems: list[tuple[str, str]] = field(default_factory=list)  # (column key, message)
    notes: list[tuple[str, str]] = field(default_factory=list)  # warnings that do not stop the row

    refuse = refuse_row


@dataclass
class ResidentPlan(Plan):
    rows: list[ResidentRow]
    households: dict[Address, int]  # the household id of every address of the community
    missing_households: set[Address]  # to create (asked for, and the building exists)
    buildings: dict[int, Building]


#: What each reader makes of an empty cell (the same for every row: not read again each time).
_BLANK = {
    reader: reader(None)
    for reader in (
        cells.sex,
        cells.a_date,
        cells.id_number,
        cells.yes_no,
        cells.relation,
        cells.residence_type,
    )
}


def _read(row: ResidentRow, reader, table_row, mapping, key: str, default=None):
    """A cell read with its reader; a bad cell is noted on the row and gives the default."""
    value = cell(table_row, mapping, key)
    if (value is None or value == "") and reader in _BLANK:
        return _BLANK[reader]
    try:
        return reader(value)
    except cells.CellError as error:
        row.refuse(key, str(error))
        return default


def _address(row: ResidentRow, table_row, mapping) -> Address | None:
    return read_address(row, table_row, mapping, reader=_read)


def read_row(number: int, table_row: list, mapping: dict[str, int]) -> ResidentRow:
    """The row's cells read and its details checked by the people services' own rules."""
    row = ResidentRow(number=number)
    details = services.PersonDetails(
        name=cells.text(cell(table_row, mapping, "name")),
        sex=_read(row, cells.sex, table_row, mapping, "sex", ""),
        birth_date=_read(row, cells.a_date, table_row, mapping, "birth_date"),
        id_number=_read(row, cells.id_number, table_row, mapping, "id_number", ""),
        phone=cells.text(cell(table_row, mapping, "phone")),
        note=cells.text(cell(table_row, mapping, "note")),
        no_sms=_read(row, cells.yes_no, table_row, mapping, "no_sms", False),
    )
    row.relation = _read(row, cells.relation, table_row, mapping, "relation", "")
    row.residence_type = _read(row, cells.residence_type, table_row, mapping, "residence_type", "")
    row.moved_in = _read(row, cells.a_date, table_row, mapping, "moved_in")
    row.address = _address(row, table_row, mapping)
    try:
        row.derived = services.person_check_details(details)
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            for message in messages:
                row.refuse(key, message)
    row.details = details
    number_of_id = pii.normalise_id_number(details.id_number)
    row.id_hash = pii.id_hash(number_of_id) if number_of_id and not row.problems else ""
    phone = pii.normalise_phone(details.phone)
    if phone and phone_kind_of(phone) == PhoneKind.LANDLINE:
        row.notes.append(("phone", _("A landline: it cannot receive text messages.")))
    return row


@dataclass
class _Places:
    buildings: dict[int, Building]
    households: dict[Address, int]  # household ids: a community has thousands, no models needed

    @classmethod
    def of(cls, community: Community) -> _Places:
        buildings = {b.number: b for b in Building.objects.filter(community=community)}
        households = {
            (number, entrance, room): pk
            for pk, number, entrance, room in Household.objects.filter(
                building__community=community
            ).values_list("pk", "building__number", "entrance", "room")
        }
        return cls(buildings, households)


def _resolve_address(row: ResidentRow, places: _Places, missing: set[Address], create: bool) -> None:
    if row.address is None or row.action == REJECTED:
        return
    if row.address in places.households:
        return
    building_number, entrance, _room = row.address
    building = places.buildings.get(building_number)
    if building is None:
        row.refuse(
            "address", _("There is no building %(number)s in this community.") % {"number": building_number}
        )
    elif entrance < 1 or entrance > building.entrances:
        row.refuse(
            "address",
            _("Building %(number)s has only %(count)d entrances.")
            % {"number": building_number, "count": building.entrances},
        )
    elif create:
        missing.add(row.address)
    else:
        row.refuse(
            "address",
            _("There is no household %(address)s: correct the address, or create missing households.")
            % {"address": "-".join(str(part) for part in row.address)},
        )


def _duplicates_in_file(rows: list[ResidentRow]) -> None:
    """The second of two rows for one person (same ID number, or same address and name) is refused."""
    by_id: dict[str, int] = {}
    by_address: dict[tuple, int] = {}
    for row in rows:
        if row.details is None:
            continue
        if row.id_hash:
            first = by_id.setdefault(row.id_hash, row.number)
            if first != row.number:
                row.refuse("id_number", _("The same ID number as row %(row)d.") % {"row": first})
        elif row.address is not None and row.details.name.strip():
            key = (row.address, row.details.name.strip())
            first = by_address.setdefault(key, row.number)
            if first != row.number:
                row.refuse("name", _("The same name at the same address as row %(row)d.") % {"row": first})


def _chunks(items: list, size: int = 5000):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _known_id_hashes(hashes: list[str]) -> dict[str, tuple[int, int]]:
    """(person id, community id) of each blind index the register holds, whatever the community."""
    known: dict[str, tuple[int, int]] = {}
    for chunk in _chunks(hashes):
        # "not blank" as the unique index says it, so that PostgreSQL looks the hashes up in it.
        found = Person.objects.filter(id_number_hash__in=chunk).exclude(id_number_hash="")
        for pk, community_id, id_hash in found.values_list("pk", "community_id", "id_number_hash"):
            known[id_hash] = (pk, community_id)
    return known


def _match_registry(rows: list[ResidentRow], community: Community, places: _Places) -> None:
    """Each row's person in the register: by ID number, else by address and name (one without an ID)."""
    known = _known_id_hashes([row.id_hash for row in rows if row.id_hash and row.action != REJECTED])
    at_address: dict[tuple[int, str], list[tuple[int, str]]] = {}
    for pk, household_id, name, id_hash in Person.objects.filter(
        community=community, current_household__isnull=False
    ).values_list("pk", "current_household_id", "name", "id_number_hash"):
        at_address.setdefault((household_id, name), []).append((pk, id_hash))
    for row in rows:
        if row.action == REJECTED:
            continue
        if row.id_hash in known:
            pk, community_id = known[row.id_hash]
            if community_id != community.pk:
                row.refuse("id_number", _("This ID number is registered in another community."))
            else:
                row.person_id = pk
            continue
        household_id = places.households.get(row.address)
        if household_id is None:
            continue
        candidates = at_address.get((household_id, row.details.name.strip()), [])
        if row.id_hash:  # a number the register does not know: only a person without one is the same
            candidates = [c for c in candidates if not c[1]]
        if len(candidates) > 1:
            row.refuse("name", _("Several people of this name live at this address: give the ID number."))
        elif candidates:
            row.person_id = candidates[0][0]


def merged_details(person: Person, row: ResidentRow, before: dict | None = None) -> services.PersonDetails:
    """What the person's details become: the file's values where it has one, the register's elsewhere.

    `before` is `history.person_details(person)` when the caller has it (each opens two numbers).
    """
    before = history.person_details(person) if before is None else before
    details = row.details
    return replace(
        details,
        sex=details.sex or row.derived.get("sex") or before["sex"],
        birth_date=details.birth_date or row.derived.get("birth_date") or before["birth_date"],
        id_number=pii.normalise_id_number(details.id_number) or before["id_number"],
        phone=pii.normalise_phone(details.phone) or before["phone"],
        note=details.note or before["note"],
        no_sms=details.no_sms or before["no_sms"],
    )


#: The details an import compares with the register's (the status is the register's own business).
_COMPARED = ("name", "sex", "birth_date", "id_number", "phone", "note", "no_sms")


def _compare(rows: list[ResidentRow], places: _Places) -> None:
    """For rows of people already registered: changed (details or household) or unchanged."""
    matched = [row for row in rows if row.person_id and row.action != REJECTED]
    for chunk in _chunks(matched, 2000):
        people = Person.objects.in_bulk([row.person_id for row in chunk])
        for row in chunk:
            person = people[row.person_id]
            before = history.person_details(person)
            after = merged_details(person, row, before)
            differs = any(before[key] != getattr(after, key) for key in _COMPARED)
            household_id = places.households.get(row.address)
            row.moves = household_id is None or person.current_household_id != household_id
            row.action = CHANGED if (differs or row.moves) else UNCHANGED


def check_residents(
    table: Table,
    community: Community,
    *,
    create_households: bool = False,
    progress: Progress | None = None,
) -> ResidentPlan:
    """Check every row of the table; nothing is written."""
    with bulk.without_cyclic_gc():
        mapping = table.mapping
        places = _Places.of(community)
        missing: set[Address] = set()
        rows = []
        total = len(table)
        numbered = zip(table.row_numbers, table.rows, strict=True)
        for index, (number, table_row) in enumerate(numbered, start=1):
            row = read_row(number, table_row, mapping)
            _resolve_address(row, places, missing, create_households)
            rows.append(row)
            if progress and index % 1000 == 0:
                progress(index, total)
        _duplicates_in_file(rows)
        _match_registry(rows, community, places)
        _compare(rows, places)
        if progress:
            progress(total, total)
    return ResidentPlan(rows, places.households, missing, places.buildings)


def _create_households(plan: ResidentPlan, *, actor, community: Community, source: str) -> None:
    """The missing households the user asked for, each with its history row."""
    services._require(actor, "places.household.add")
    wanted = {row.address for row in plan.rows if row.action != REJECTED}
    created = [
        Household(
            building=plan.buildings[number],
            grid_id=plan.buildings[number].grid_id,
            entrance=entrance,
            room=room,
        )
        for number, entrance, room in sorted(plan.missing_households & wanted)
    ]
    Household.objects.bulk_create(created)
    for household in created:
        plan.households[(household.building.number, household.entrance, household.room)] = household.pk
    history_rows = [
        history.change_row(
            community_id=community.pk,
            household_id=household.pk,
            action="household_create",
            actor=actor,
            field="household",
            new=household.address,
            source=source,
        )
        for household in created
    ]
    RegistryChange.objects.bulk_create(history_rows)


#: How many new people are written at a time (the progress bar moves at each).
WRITE_CHUNK = 10_000


def _new_resident(row: ResidentRow, plan: ResidentPlan) -> services.NewResident:
    household_id = plan.households.get(row.address)
    return services.NewResident(
        details=row.details,
        derived=row.derived,
        household_id=household_id,
        address="-".join(str(part) for part in row.address) if household_id else "",
        relation=row.relation or "other",
        residence_type=row.residence_type or "permanent",
        moved_in=row.moved_in,
        id_hash=row.id_hash,
    )


def write_residents(
    plan: ResidentPlan,
    *,
    actor,
    community: Community,
    source: str,
    batch_size: int = 2000,
    progress: Progress | None = None,
) -> None:
    """Write every row that is not rejected; the caller holds the transaction."""
    with bulk.without_cyclic_gc():
        _write(
            plan, actor=actor, community=community, source=source, batch_size=batch_size, progress=progress
        )


def _write(
    plan: ResidentPlan, *, actor, community: Community, source: str, batch_size: int, progress
) -> None:
    _create_households(plan, actor=actor, community=community, source=source)
    new = [row for row in plan.rows if row.action == NEW]
    changed = [row for row in plan.rows if row.action == CHANGED]
    total, done = len(new) + len(changed), 0
    with history.through(source):
        for chunk in _chunks(new, WRITE_CHUNK):
            services.person_register_many(
                actor=actor,
                community_id=community.pk,
                residents=[_new_resident(row, plan) for row in chunk],
                source=source,
                batch_size=batch_size,
            )
            done += len(chunk)
            if progress:
                progress(done, total)
        for row in changed:
            _write_change(row, plan, actor=actor)
            done += 1
            if progress and done % 200 == 0:
                progress(done, total)
    if progress:
        progress(total, total)


def _write_change(row: ResidentRow, plan: ResidentPlan, *, actor) -> None:
    person = Person.objects.get(pk=row.person_id)
    before = history.person_details(person)
    details = merged_details(person, row, before)
    if any(before[key] != getattr(details, key) for key in _COMPARED):
        person = services.person_update(actor=actor, person=person, details=details)
    if row.moves:
        services.person_move_in(
            actor=actor,
            person=person,
            household=Household.objects.select_related("building").get(pk=plan.households[row.address]),
            relation=row.relation or "other",
            residence_type=row.residence_type or "permanent",
            on=row.moved_in or timezone.localdate(),
        )
