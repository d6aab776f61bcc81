"""Reading one cell as what it means: text, a date, a sex, a relation, an address.

Excel hands over numbers where an office typed digits (a phone becomes 13900000001.0) and, worse,
keeps an 18-digit ID number typed into a number cell only to 15 significant digits: such a number
is lost, and the office must format the column as text and type it again. Each reader returns
the value or raises CellError with the message for that cell.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache

from django.utils.translation import gettext as _

from grassroots.people.models import Relation, ResidenceType, Sex


class CellError(ValueError):
    """What is wrong with one cell, in words for the office."""


def text(cell) -> str:
    """A cell as text: integral numbers without ".0", dates as YYYY-MM-DD, None as ""."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "1" if cell else ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell).strip()


def id_number(cell) -> str:
    """An ID number, refused when Excel stored it as a number (it then lost its last digits)."""
    if isinstance(cell, float | int) and not isinstance(cell, bool) and abs(cell) >= 10**15:
        raise CellError(
            _("Excel stored this ID number as a number and lost its last digits: format the column as text.")
        )
    return text(cell)


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def a_date(cell) -> date | None:
    """A date from a date cell or text such as 1950-01-31, 1950/1/31, 1950年1月31日 or 19500131."""
    if cell is None or cell == "":
        return None
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    value = text(cell)
    for pattern in _DATE_PATTERNS:
        match = pattern.match(value)
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:
                break
    raise CellError(_("Not a date: write it as 1950-01-31."))


_SEXES = {
    "男": Sex.MALE,
    "m": Sex.MALE,
    "male": Sex.MALE,
    "女": Sex.FEMALE,
    "f": Sex.FEMALE,
    "female": Sex.FEMALE,
}


def sex(cell) -> str:
    value = text(cell).lower()
    if not value:
        return ""
    if value not in _SEXES:
        raise CellError(_("Write the sex as 男 or 女 (M or F)."))
    return _SEXES[value]


_RELATIONS = {
    "户主": Relation.HEAD,
    "本人": Relation.HEAD,
    "配偶": Relation.SPOUSE,
    "妻": Relation.SPOUSE,
    "夫": Relation.SPOUSE,
    "妻子": Relation.SPOUSE,
    "丈夫": Relation.SPOUSE,
    "子女": Relation.CHILD,
    "子": Relation.CHILD,
    "女": Relation.CHILD,
    "儿子": Relation.CHILD,
    "女儿": Relation.CHILD,
    "儿媳": Relation.CHILD_IN_LAW,
    "女婿": Relation.CHILD_IN_LAW,
    "孙子": Relation.GRANDCHILD,
    "孙女": Relation.GRANDCHILD,
    "外孙": Relation.GRANDCHILD,
    "外孙女": Relation.GRANDCHILD,
    "孙子女": Relation.GRANDCHILD,
    "父亲": Relation.PARENT,
    "母亲": Relation.PARENT,
    "父母": Relation.PARENT,
    "兄弟姐妹": Relation.SIBLING,
    "租户": Relation.TENANT,
    "租客": Relation.TENANT,
    "其他": Relation.OTHER,
}


def relation(cell) -> str:
    """A relation to the household head, in the words offices use (户主, 配偶, 儿子...) or our codes."""
    value = text(cell)
    if not value:
        return Relation.OTHER
    if value in _RELATIONS:
        return _RELATIONS[value]
    if value.lower() in Relation.values:
        return value.lower()
    raise CellError(_("Unknown relation: use 户主, 配偶, 子女, 父母, 孙子女, 兄弟姐妹, 租户 or 其他."))


_RESIDENCE_TYPES = {
    "户籍": ResidenceType.REGISTERED,
    "户籍人口": ResidenceType.REGISTERED,
    "常住": ResidenceType.PERMANENT,
    "常住人口": ResidenceType.PERMANENT,
    "人户分离": ResidenceType.PERMANENT,
    "流动": ResidenceType.MIGRANT,
    "流动人口": ResidenceType.MIGRANT,
}


def residence_type(cell) -> str:
    value = text(cell)
    if not value:
        return ResidenceType.PERMANENT
    if value in _RESIDENCE_TYPES:
        return _RESIDENCE_TYPES[value]
    if value.lower() in ResidenceType.values:
        return value.lower()
    raise CellError(_("Unknown residence type: use 户籍, 常住 or 流动."))


_YES = {"1", "是", "y", "yes", "true", "✓", "√"}
_NO = {"", "0", "否", "n", "no", "false", "✗", "×"}


def yes_no(cell) -> bool:
    value = text(cell).lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise CellError(_("Write 是 or 否 (yes or no)."))


ADDRESS = re.compile(
    r"^(\d{1,4})\s*(?:号楼|号|栋|幢|楼|[-－—/])\s*(\d{1,2})\s*(?:单元|门|[-－—/])\s*([0-9A-Za-z]{1,8})\s*(?:室|号)?$"
)


def address(cell) -> tuple[int, int, str]:
    """Building, entrance and room from 4-2-301, 4号楼2单元301室 or 4栋2单元301."""
    return _address_of(text(cell))


@lru_cache(maxsize=65536)
def _address_of(value: str) -> tuple[int, int, str]:
    """`address` of a cell's text: a ledger names each household once a member (read once)."""
    value = re.sub(r"\s", "", value)
    match = ADDRESS.match(value)
    if not match:
        raise CellError(_("Write the address as building-entrance-room, for example 4-2-301."))
    return int(match.group(1)), int(match.group(2)), match.group(3)


def address_parts(building, entrance, room) -> tuple[int, int, str]:
    """The address from three columns (楼号, 单元, 门牌), each perhaps with its unit (4号楼, 2单元)."""
    numbers = [
        re.sub(r"(号楼|号|栋|幢|楼|单元|门|室)$", "", text(part)) for part in (building, entrance, room)
    ]
    if not (numbers[0].isdigit() and numbers[1].isdigit() and re.fullmatch(r"[0-9A-Za-z]{1,8}", numbers[2])):
        raise CellError(_("Write the address as building-entrance-room, for example 4-2-301."))
    return int(numbers[0]), int(numbers[1]), numbers[2]
