"""Member units from a ledger (共建单位台账): the units of the "big party committee" and what they offer.

A unit is the same unit when its name is the same within the community. New units and changed
ones are saved through orgs.services.org_save, as the organisation pages save them; an empty
cell never erases what the register holds. Member units have no registry history (they are not
people or households); the run's record names the file and its counts.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from grassroots.core import pii
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
    read,
    row_by_row,
)
from grassroots.orgs.models import MemberUnit, UnitKind
from grassroots.orgs.services import org_save
from grassroots.places.models import Community

_KINDS = {
    "机关": UnitKind.GOVERNMENT,
    "政府": UnitKind.GOVERNMENT,
    "机关单位": UnitKind.GOVERNMENT,
    "事业单位": UnitKind.GOVERNMENT,
    "学校": UnitKind.SCHOOL,
    "幼儿园": UnitKind.SCHOOL,
    "医院": UnitKind.HOSPITAL,
    "卫生院": UnitKind.HOSPITAL,
    "诊所": UnitKind.HOSPITAL,
    "社区卫生服务中心": UnitKind.HOSPITAL,
    "企业": UnitKind.ENTERPRISE,
    "公司": UnitKind.ENTERPRISE,
    "物业": UnitKind.PROPERTY,
    "物业公司": UnitKind.PROPERTY,
    "业委会": UnitKind.OWNERS,
    "业主委员会": UnitKind.OWNERS,
    "社会组织": UnitKind.SOCIAL,
    "其他": UnitKind.OTHER,
}

#: The fields a row may set, by column key (the kind has its own reader).
_FIELDS = ("unit_kind", "contact_name", "contact_phone", "offers", "inside_community")


def unit_kind(value) -> str:
    text = cells.text(value)
    if not text:
        return ""
    if text in _KINDS:
        return _KINDS[text]
    if text.lower() in UnitKind.values:
        return text.lower()
    raise cells.CellError(
        _("Unknown kind of unit: use 机关, 学校, 医院, 企业, 物业, 业委会, 社会组织 or 其他.")
    )


def contact_phone(value) -> str:
    text = cells.text(value)
    if text and not pii.phone_is_plausible(pii.normalise_phone(text)):
        raise cells.CellError(
            _("A phone number is 11 digits starting with 1, or a landline with its area code.")
        )
    return text[:30]


def inside(value) -> bool | None:
    return None if cells.text(value) == "" else cells.yes_no(value)


def _given(row: Row) -> dict:
    """The unit's fields the row gives (empty cells left out: they keep what the register holds)."""
    names = {"unit_kind": "kind"}
    return {names.get(key, key): row.values[key] for key in _FIELDS if row.values.get(key) not in ("", None)}


def check_units(
    table: Table, community: Community, *, create_households: bool = False, progress: Progress | None = None
) -> Plan:
    """Check every row; nothing is written."""
    mapping = table.mapping
    known = {unit.name.strip(): unit for unit in MemberUnit.objects.filter(community=community)}
    rows = []
    for number, table_row in each_row(table, progress):
        row = Row(number=number)
        row.values["name"] = cells.text(cell(table_row, mapping, "name"))[:100]
        read(row, unit_kind, table_row, mapping, "unit_kind", "")
        row.values["contact_name"] = cells.text(cell(table_row, mapping, "contact_name"))[:50]
        read(row, contact_phone, table_row, mapping, "contact_phone", "")
        row.values["offers"] = cells.text(cell(table_row, mapping, "offers"))
        read(row, inside, table_row, mapping, "inside_community")
        rows.append(row)
        if not row.values["name"]:
            row.refuse("name", _("Please give the unit's name."))
        if row.action == REJECTED:
            continue
        unit = row.target = known.get(row.values["name"])
        if unit is None:
            row.action = NEW
        else:
            differs = any(getattr(unit, field) != value for field, value in _given(row).items())
            row.action = CHANGED if differs else UNCHANGED
    first_seen(rows, lambda row: row.values["name"] or None, "name", _("The same unit as row %(row)d."))
    return Plan(rows)


def write_unit(row: Row, *, actor, community: Community) -> None:
    """The row's unit, new or changed, through org_save (as the organisation pages save it)."""
    unit = row.target or MemberUnit(name=row.values["name"], kind=UnitKind.OTHER)
    for field, value in _given(row).items():
        setattr(unit, field, value)
    org_save(actor=actor, instance=unit, community_id=community.pk)


UNITS = LedgerKind(check=check_units, write=row_by_row(write_unit))
