"""What every ledger kind but residents shares: a row's outcome, the plan of a file, reading cells.

A kind's `check` turns a Table into a `Plan` of `Row`s (new, changed, unchanged or rejected, with
the problems by column) without writing anything; its `write` writes the plan's good rows in the
caller's transaction. `runs` handles every kind alike through `LedgerKind`.

People named in a ledger of party members or volunteers are found in the register as the
resident import finds them: by the ID number's blind index, else by name at the address. A
person the register does not have is refused: such a ledger links people, it does not register
them (import them as residents first).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from grassroots.core import pii
from grassroots.ledger import cells
from grassroots.ledger.reading import Table
from grassroots.people import history
from grassroots.people.models import Person
from grassroots.people.services import ID_ERRORS
from grassroots.places.models import Community, Household

Progress = Callable[[int, int], None]
Address = tuple[int, int, str]

NEW, CHANGED, UNCHANGED, REJECTED = "new", "changed", "unchanged", "rejected"


def refuse_row(row, column: str, message: str) -> None:
    """A row's problem in one column: noted, and the row is rejected (every kind's rows use this)."""
    row.problems.append((column, message))
    row.action = REJECTED


@dataclass
class Row:
    """One row of a file: its number as Excel shows it, what it would do, what is wrong with it."""

    number: int
    action: str = NEW
    problems: list[tuple[str, str]] = field(default_factory=list)  # (column key, message)
    notes: list[tuple[str, str]] = field(default_factory=list)
    values: dict = field(default_factory=dict)  # the row's cells read, by column key
    target: object = None  # what the row changes in the register (a household, a person, a unit)

    refuse = refuse_row


@dataclass
class Plan:
    rows: list[Row]

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def rejected(self) -> list[Row]:
        return [row for row in self.rows if row.action == REJECTED]

    def good(self, *actions: str) -> list[Row]:
        return [row for row in self.rows if row.action in (actions or (NEW, CHANGED))]


@dataclass(frozen=True)
class LedgerKind:
    """How `runs` checks and writes one kind of file."""

    check: Callable[..., object]  # (table, community, *, create_households, progress) -> plan
    write: Callable[..., None]  # (plan, *, actor, community, source, batch_size, progress)


def cell(table_row: list, mapping: dict[str, int], key: str):
    position = mapping.get(key)
    if position is None or position >= len(table_row):
        return None
    return table_row[position]


def read(row: Row, reader, table_row: list, mapping: dict[str, int], key: str, default=None):
    """A cell read with its reader into row.values; a bad cell is noted on the row and gives the default."""
    try:
        value = reader(cell(table_row, mapping, key))
    except cells.CellError as error:
        row.refuse(key, str(error))
        value = default
    row.values[key] = value
    return value


def read_address(
    row, table_row: list, mapping: dict[str, int], *, required: bool = True, reader=None
) -> Address | None:
    """The row's address from one address column, or 楼号/单元/门牌 (a 门牌 alone may hold it all).

    `reader` reads one cell the caller's way (the residents' check has its own, faster `read`).
    """
    reader = reader or read
    if "address" in mapping and cells.text(cell(table_row, mapping, "address")):
        return reader(row, cells.address, table_row, mapping, "address")
    parts = [cell(table_row, mapping, key) for key in ("building", "entrance", "room")]
    if cells.text(parts[2]) and not (cells.text(parts[0]) or cells.text(parts[1])):
        # A 门牌 column alone often holds the whole address ("4-2-301"): read it as one.
        return reader(row, cells.address, table_row, mapping, "room")
    if all(cells.text(part) == "" for part in parts):
        if required:
            row.refuse("address", _("Please give the address (building-entrance-room, for example 4-2-301)."))
        return None
    try:
        return cells.address_parts(*parts)
    except cells.CellError as error:
        row.refuse("address", str(error))
        return None


def households_of(community: Community) -> dict[Address, Household]:
    return {
        (h.building.number, h.entrance, h.room): h
        for h in Household.objects.filter(building__community=community).select_related("building")
    }


def each_row(table: Table, progress: Progress | None):
    """(number, cells) for every row of the table, telling the progress every 1,000 rows."""
    total = len(table)
    for index, pair in enumerate(zip(table.row_numbers, table.rows, strict=True), start=1):
        yield pair
        if progress and index % 1000 == 0:
            progress(index, total)
    if progress:
        progress(total, total)


def each_good(plan: Plan, progress: Progress | None):
    """The plan's new and changed rows, in file order, telling the progress every 200 rows written."""
    good = plan.good()
    for done, row in enumerate(good, start=1):
        yield row
        if progress and done % 200 == 0:
            progress(done, len(good))


def row_by_row(write_row: Callable[..., None]) -> Callable[..., None]:
    """A kind's write from how one row is written (`write_row(row, actor=, community=)`, through the
    services): every new or changed row in file order, in the caller's transaction, the history
    rows the services write naming the run ("import #12")."""

    def write(
        plan: Plan,
        *,
        actor,
        community: Community,
        source: str,
        batch_size: int = 2000,
        progress: Progress | None = None,
    ) -> None:
        with history.through(source):
            for row in each_good(plan, progress):
                write_row(row, actor=actor, community=community)

    return write


def first_seen(rows: list[Row], key_of: Callable[[Row], object], column: str, message: str) -> None:
    """The second of two rows with the same key is refused, naming the first (a file lists it twice)."""
    seen: dict[object, int] = {}
    for row in rows:
        if row.action == REJECTED:
            continue
        key = key_of(row)
        if key is None:
            continue
        first = seen.setdefault(key, row.number)
        if first != row.number:
            row.refuse(column, message % {"row": first})


def find_people(
    rows: list[Row], table_rows: dict[int, list], mapping: dict[str, int], community: Community
) -> None:
    """Each row's person in the register (row.values["person"]): by ID number, else name at the address."""
    households = households_of(community)
    for row in rows:
        table_row = table_rows[row.number]
        name = cells.text(cell(table_row, mapping, "name"))
        row.values["name"] = name
        number = pii.normalise_id_number(read(row, cells.id_number, table_row, mapping, "id_number", ""))
        address = read_address(row, table_row, mapping, required=not number)
        row.values["id_hash"] = ""
        if number:
            try:
                pii.validate_id_number(number)
            except pii.IdNumberError as error:
                row.refuse("id_number", ID_ERRORS[str(error)]())
            else:
                row.values["id_hash"] = pii.id_hash(number)
        elif not name:
            row.refuse("name", _("Please enter the name."))
        household = households.get(address) if address else None
        if address and household is None and not number:
            row.refuse(
                "address",
                _("There is no household %(address)s in this community.")
                % {"address": "-".join(str(part) for part in address)},
            )
        row.values["household"] = household
    hashes = {row.values["id_hash"] for row in rows if row.values.get("id_hash")}
    by_hash = {
        person.id_number_hash: person
        for person in Person.objects.filter(id_number_hash__in=hashes).select_related("current_household")
    }
    household_ids = {row.values["household"].pk for row in rows if row.values.get("household")}
    at_address: dict[tuple[int, str], list[Person]] = {}
    for person in Person.objects.filter(community=community, current_household_id__in=household_ids):
        at_address.setdefault((person.current_household_id, person.name), []).append(person)
    for row in rows:
        if row.action == REJECTED:
            continue
        if row.values["id_hash"]:
            person = by_hash.get(row.values["id_hash"])
            if person is not None and person.community_id != community.pk:
                row.refuse("id_number", _("This ID number is registered in another community."))
                continue
        else:
            household = row.values["household"]
            found = at_address.get((household.pk, row.values["name"]), []) if household else []
            if len(found) > 1:
                row.refuse("name", _("Several people of this name live at this address: give the ID number."))
                continue
            person = found[0] if found else None
        if person is None:
            row.refuse("name", _("This person is not in the register: import them as residents first."))
            continue
        row.values["person"] = person
