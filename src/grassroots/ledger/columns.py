"""The columns of a ledger: their Chinese and English headers, and the other names offices use.

A community's own register rarely uses our headers: one says 名字 where the template says 姓名,
another 公民身份号码 or 手机号. `map_headers` recognises the usual synonyms (and a template's
bilingual header "姓名 / Name") so that most files need no mapping at all; the import page shows
the mapping for the user to confirm or correct.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    synonyms: tuple[str, ...] = ()
    required: bool = False

    @property
    def header(self) -> str:
        """The template's header: both languages, so a file reads in either."""
        return f"{self.zh} / {self.en}"


RESIDENT_COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", "Name", ("名字", "居民姓名", "人员姓名", "full name"), required=True),
    Column("id_number", "身份证号", "ID number", ("公民身份号码", "身份证号码", "身份证", "证件号码", "id")),
    Column("sex", "性别", "Sex", ("gender",)),
    Column("birth_date", "出生日期", "Birth date", ("出生年月日", "出生年月", "生日", "date of birth")),
    Column("phone", "联系电话", "Phone", ("手机号", "手机号码", "手机", "电话", "联系方式", "mobile")),
    Column("address", "住址", "Address", ("地址", "家庭住址", "楼-单元-室", "现住址")),
    Column("building", "楼号", "Building", ("楼栋", "楼栋号", "楼", "栋")),
    Column("entrance", "单元", "Entrance", ("单元号", "unit")),
    Column("room", "门牌", "Room", ("房号", "室", "门牌号", "房间号", "户室")),
    Column("relation", "与户主关系", "Relation to head", ("关系", "与户主关系名称", "relation")),
    Column("residence_type", "居住类型", "Residence type", ("人口类型", "户籍类型", "人户状态")),
    Column("moved_in", "入住日期", "Moved in", ("迁入日期", "入住时间", "迁入时间")),
    Column("no_sms", "不发短信", "No SMS", ()),
    Column("note", "备注", "Note", ("说明", "remarks")),
)

_ADDRESS_COLUMNS = tuple(c for c in RESIDENT_COLUMNS if c.key in ("address", "building", "entrance", "room"))
_PERSON_COLUMNS = (
    Column(
        "name", "姓名", "Name", ("名字", "党员姓名", "志愿者姓名", "人员姓名", "full name"), required=True
    ),
    Column("id_number", "身份证号", "ID number", ("公民身份号码", "身份证号码", "身份证", "证件号码", "id")),
    *_ADDRESS_COLUMNS,
)

HOUSEHOLD_COLUMNS: tuple[Column, ...] = (
    *_ADDRESS_COLUMNS,
    Column("note", "备注", "Note", ("说明", "户情况", "remarks")),
)

PARTY_MEMBER_COLUMNS: tuple[Column, ...] = (
    *_PERSON_COLUMNS,
    Column("branch", "党支部", "Party branch", ("所在支部", "支部", "所属支部", "branch"), required=True),
    Column("member_kind", "党员类型", "Member kind", ("类型", "党员类别", "kind")),
    Column("workplace", "工作单位", "Workplace", ("单位", "所在单位")),
    Column("joined_party_on", "入党日期", "Joined the party", ("入党时间",)),
    Column("registered_on", "报到日期", "Registered with the community", ("报到时间", "社区报到日期")),
)

VOLUNTEER_COLUMNS: tuple[Column, ...] = (
    *_PERSON_COLUMNS,
    Column("team", "志愿服务队", "Volunteer team", ("服务队", "队伍", "所在队伍", "team"), required=True),
    Column("skills", "技能", "Skills", ("特长", "专长", "skill")),
    Column("availability", "服务时间", "Availability", ("可服务时间", "空闲时间")),
    Column("joined_on", "加入日期", "Joined on", ("加入时间", "注册日期")),
)

UNIT_COLUMNS: tuple[Column, ...] = (
    Column("name", "单位名称", "Unit name", ("单位", "名称", "成员单位", "共建单位", "name"), required=True),
    Column("unit_kind", "单位类型", "Kind", ("类型", "单位性质", "kind")),
    Column("contact_name", "联系人", "Contact person", ("负责人", "contact")),
    Column("contact_phone", "联系电话", "Contact phone", ("电话", "办公电话", "手机号", "phone")),
    Column("offers", "可提供资源", "What it can offer", ("资源", "可提供服务", "共建资源", "offers")),
    Column("inside_community", "是否在社区内", "Inside the community", ("辖区内", "驻区单位")),
)

COLUMNS_BY_KIND: dict[str, tuple[Column, ...]] = {
    "residents": RESIDENT_COLUMNS,
    "households": HOUSEHOLD_COLUMNS,
    "party-members": PARTY_MEMBER_COLUMNS,
    "volunteers": VOLUNTEER_COLUMNS,
    "units": UNIT_COLUMNS,
}


def _plain(text: str) -> str:
    """A header as compared: full-width folded, lower case, without spaces, stars and brackets."""
    text = unicodedata.normalize("NFKC", str(text or "")).lower()
    return re.sub(r"[\s*＊:：()（）\[\]【】_.·-]", "", text)


def _names(column: Column) -> set[str]:
    return {_plain(name) for name in (column.key, column.zh, column.en, *column.synonyms)}


def column_for(header: str, columns: tuple[Column, ...]) -> Column | None:
    """The column a header means, if we know the name (or one part of "姓名 / Name" does)."""
    parts = [header, *re.split(r"[/／\n|]", str(header or ""))]
    for part in parts:
        plain = _plain(part)
        if not plain:
            continue
        for column in columns:
            if plain in _names(column):
                return column
    return None


def map_headers(headers: list[str], columns: tuple[Column, ...]) -> dict[str, int]:
    """Column key -> position in the file, for each header recognised (the first one wins)."""
    mapping: dict[str, int] = {}
    for position, header in enumerate(headers):
        column = column_for(header, columns)
        if column is not None and column.key not in mapping:
            mapping[column.key] = position
    return mapping


def find_header_row(rows: list[list], columns: tuple[Column, ...], *, look_at: int = 6) -> int:
    """Where the headers are: many ledgers start with a title line (和盛苑社区居民台账) above them."""
    best, best_count = 0, 0
    for index, row in enumerate(rows[:look_at]):
        count = len(map_headers([str(cell or "") for cell in row], columns))
        if count > best_count:
            best, best_count = index, count
    return best
