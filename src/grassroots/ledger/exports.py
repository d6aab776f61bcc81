"""Lists out to .xlsx (xlsxwriter): the residents and the cases, masked as their pages show them.

Every export names who made it and when on its first line (and in the page footer when printed),
and is written to the audit trail. A full export, with ID and phone numbers in clear, needs its
own capability (`ledger.export.unmasked`, held by fewer roles than revealing one number), a stated
purpose, and writes one personal-data access row per person and number, as revealing each number
on the person page would; its watermark line carries the purpose too.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass

import xlsxwriter
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.core import audit
from grassroots.core.authority import user_can
from grassroots.people.models import Person, PersonalDataAccess, PersonTag
from grassroots.people.search import matching_people, parse_query

UNMASKED = "ledger.export.unmasked"
MASKED = "ledger.export.view"


@dataclass(frozen=True)
class ResidentFilters:
    """What the residents list is narrowed by: the search box, a grid, a building, a status, a tag."""

    q: str = ""
    grid: int | None = None
    building: int | None = None
    status: str = ""
    tag: str = ""

    @classmethod
    def from_query(cls, query) -> ResidentFilters:
        def number(name: str) -> int | None:
            value = (query.get(name) or "").strip()
            return int(value) if value.isdigit() else None

        return cls(
            q=(query.get("q") or "").strip(),
            grid=number("grid"),
            building=number("building"),
            status=(query.get("status") or "").strip(),
            tag=(query.get("tag") or "").strip(),
        )

    def apply(self, people):
        if self.q:
            people = matching_people(people, parse_query(self.q))
        if self.grid:
            people = people.filter(current_household__grid_id=self.grid)
        if self.building:
            people = people.filter(current_household__building__number=self.building)
        if self.status:
            people = people.filter(status=self.status)
        if self.tag:
            people = people.filter(tags__tag__code=self.tag)
        return people.distinct()


def watermark(user, purpose: str = "") -> str:
    """The line every export starts with: who, when, and (for a full export) why."""
    when = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    line = _("Exported by %(user)s on %(when)s") % {"user": user.get_username(), "when": when}
    if purpose:
        line += " · " + _("purpose: %(purpose)s") % {"purpose": purpose}
    return line


@dataclass
class Sheet:
    """One sheet of an export: its title, its header row and its rows (any iterable of lists)."""

    title: str
    header: list[str]
    rows: Iterable[list]


def workbook(sheets: list[Sheet], mark: str) -> tuple[bytes, int]:
    """The .xlsx of the sheets, each starting with the watermark line (and printing it); rows written."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "constant_memory": True})
    italic = book.add_format({"italic": True, "font_color": "#555555"})
    bold = book.add_format({"bold": True})
    total = 0
    for part in sheets:
        sheet = book.add_worksheet(part.title[:31])
        sheet.set_header(f"&L{mark.replace('&', '&&')}")
        sheet.set_footer(f"&L{mark.replace('&', '&&')}&R&P / &N")
        sheet.write_string(0, 0, mark, italic)
        sheet.write_row(1, 0, part.header, bold)
        count = 0
        for count, row in enumerate(part.rows, start=1):
            sheet.write_row(count + 1, 0, ["" if cell is None else cell for cell in row])
        total += count
    book.close()
    return out.getvalue(), total


def _workbook(title: str, header: list[str], rows: Iterable[list], mark: str) -> tuple[bytes, int]:
    return workbook([Sheet(title, header, rows)], mark)


def _check_purpose(purpose: str) -> str:
    purpose = (purpose or "").strip()
    if len(purpose) < 2:
        raise ValidationError({"purpose": _("Please say why you need the full numbers.")})
    return purpose[:200]


def require_export(user, *, unmasked: bool, purpose: str = "") -> str:
    """Refuse an export the user may not make; returns the purpose of a full one, checked."""
    if not user_can(user, MASKED):
        raise PermissionDenied
    if not unmasked:
        return ""
    if not user_can(user, UNMASKED):
        raise PermissionDenied
    return _check_purpose(purpose)


def record_export(
    *,
    user,
    subject_type: str,
    list_name: str,
    rows: int,
    purpose: str = "",
    revealed: Iterable[tuple[Person, str]] = (),
    ip_address: str | None = None,
    **detail,
) -> None:
    """The export's audit event and, for a full one (a purpose), one access row per person and
    number written in clear, as revealing each on the person's page would."""
    with transaction.atomic():
        if purpose:
            PersonalDataAccess.objects.bulk_create(
                PersonalDataAccess(
                    user=user, person=person, field=field, purpose=purpose, ip_address=ip_address
                )
                for person, field in revealed
                if getattr(person, f"{field}_encrypted")
            )
        audit.record(
            audit.EXPORTED,
            actor=user,
            subject_type=subject_type,
            detail={"list": list_name, "rows": rows, "unmasked": bool(purpose), "purpose": purpose, **detail},
        )


def residents_queryset(user, filters: ResidentFilters, *, unmasked: bool):
    """The people the user may export: the search page's scope (the reveal scope for a full export)."""
    tags = PersonTag.objects.select_related("tag")
    if not user_can(user, "people.persontag.view_sensitive"):
        tags = tags.filter(tag__sensitive=False)
    people = Person.objects.visible_to(user, "reveal") if unmasked else Person.objects.visible_to(user)
    return (
        filters.apply(people)
        .select_related("current_household__building", "current_household__grid")
        .prefetch_related(Prefetch("tags", queryset=tags))
        .order_by(
            "current_household__building__number",
            "current_household__entrance",
            "current_household__room",
            "name",
            "id",
        )
    )


RESIDENT_HEADER = (
    "姓名 / Name",
    "性别 / Sex",
    "出生日期 / Birth date",
    "身份证号 / ID number",
    "联系电话 / Phone",
    "住址 / Address",
    "网格 / Grid",
    "状态 / Status",
    "标签 / Tags",
)


def _resident_row(person: Person, *, unmasked: bool) -> list:
    household = person.current_household
    return [
        person.name,
        person.get_sex_display(),
        person.birth_date.isoformat() if person.birth_date else "",
        person.reveal("id_number") if unmasked else person.id_number_masked,
        person.reveal("phone") if unmasked else person.phone_masked,
        household.address if household else "",
        household.grid.name if household else "",
        person.get_status_display(),
        "、".join(str(tag) for tag in person.tags.all()),
    ]


def export_residents(
    *,
    user,
    filters: ResidentFilters,
    unmasked: bool = False,
    purpose: str = "",
    ip_address: str | None = None,
) -> bytes:
    """The residents list as .xlsx; a full export is refused without the capability and a purpose."""
    purpose = require_export(user, unmasked=unmasked, purpose=purpose)
    people = list(residents_queryset(user, filters, unmasked=unmasked))
    content, count = _workbook(
        _("Residents"),
        list(RESIDENT_HEADER),
        (_resident_row(person, unmasked=unmasked) for person in people),
        watermark(user, purpose),
    )
    record_export(
        user=user,
        subject_type="people.person",
        list_name="residents",
        rows=count,
        purpose=purpose,
        revealed=((person, field) for person in people for field in ("id_number", "phone")),
        ip_address=ip_address,
    )
    return content


CASE_HEADER = (
    "编号 / Number",
    "报告时间 / Reported",
    "类别 / Category",
    "状态 / Status",
    "紧急程度 / Urgency",
    "渠道 / Channel",
    "网格 / Grid",
    "地点 / Place",
    "报告人 / Reporter",
    "报告人电话 / Reporter's phone",
)


def _case_place(case) -> str:
    if case.household_id:
        return case.household.address
    if case.building_id:
        return str(case.building)
    return case.location_note


def export_cases(*, user, cases) -> bytes:
    """The case list (already scoped and filtered by cases.selectors.case_list) as .xlsx, phones masked."""
    if not user_can(user, MASKED):
        raise PermissionDenied
    rows = (
        [
            case.number,
            timezone.localtime(case.reported_at).strftime("%Y-%m-%d %H:%M"),
            str(case.category) if case.category_id else "",
            case.get_status_display(),
            case.get_urgency_display(),
            case.get_channel_display(),
            case.grid.name if case.grid_id else "",
            _case_place(case),
            case.reporter_name,
            case.reporter_phone_masked,
        ]
        for case in cases
    )
    content, count = _workbook(_("Cases"), list(CASE_HEADER), rows, watermark(user))
    audit.record(
        audit.EXPORTED, actor=user, subject_type="cases.case", detail={"list": "cases", "rows": count}
    )
    return content
