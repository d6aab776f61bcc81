"""Households from a ledger (户台账): the flats of the community, by address, with the office's note.

A household is the same household when the address is the same (building-entrance-room, in
whichever form the file writes it). A new address at a known building creates the household
(people.services.household_at_address, its history row "household created"); a known one with
another note changes the note (household_set_note). An empty note cell never erases the note.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from grassroots.ledger import cells
from grassroots.ledger.reading import Table
from grassroots.ledger.rows import (
    CHANGED,
    NEW,
    REJECTED,
    UNCHANGED,
    LedgerKind,
    Plan,
    Progress,
    Row,
    cell,
    each_row,
    first_seen,
    households_of,
    read_address,
    row_by_row,
)
from grassroots.people import services
from grassroots.places.models import Building, Community


def check_households(
    table: Table, community: Community, *, create_households: bool = False, progress: Progress | None = None
) -> Plan:
    """Check every row; nothing is written."""
    mapping = table.mapping
    buildings = {b.number: b for b in Building.objects.filter(community=community)}
    known = households_of(community)
    rows = []
    for number, table_row in each_row(table, progress):
        row = Row(number=number)
        address = read_address(row, table_row, mapping)
        row.values["note"] = cells.text(cell(table_row, mapping, "note"))
        rows.append(row)
        if address is None:
            continue
        row.values["address"] = address
        building_number, entrance, room = address
        building = buildings.get(building_number)
        if building is None:
            row.refuse(
                "address",
                _("There is no building %(number)s in this community.") % {"number": building_number},
            )
        elif entrance < 1 or entrance > building.entrances:
            row.refuse(
                "address",
                _("Building %(number)s has only %(count)d entrances.")
                % {"number": building_number, "count": building.entrances},
            )
        elif len(room) > 16:
            row.refuse("address", _("Write the address as building-entrance-room, for example 4-2-301."))
        household = known.get(address)
        if row.action == REJECTED:
            continue
        row.target = household
        if household is None:
            row.action = NEW
        elif row.values["note"] and row.values["note"] != household.note:
            row.action = CHANGED
        else:
            row.action = UNCHANGED
    first_seen(
        rows,
        lambda row: row.values.get("address"),
        "address",
        _("The same address as row %(row)d."),
    )
    return Plan(rows)


def write_household(row: Row, *, actor, community: Community) -> None:
    """Create the row's household if it is new, and change its note if the row gives another."""
    household = row.target
    if household is None:
        building_number, entrance, room = row.values["address"]
        household = services.household_at_address(
            actor=actor,
            community_id=community.pk,
            building_number=building_number,
            entrance=entrance,
            room=room,
        )
    if row.values["note"] and row.values["note"] != household.note:
        services.household_set_note(actor=actor, household=household, note=row.values["note"])


HOUSEHOLDS = LedgerKind(check=check_households, write=row_by_row(write_household))
