"""More lists out to .xlsx: households, the organisations, care visits and the care register.

Each reads through the same scoped queries as the page it copies (a grid worker's file holds
their grids only), masks what the page masks, starts with the watermark line and is written to
the audit trail (ledger.exports: `require_export`, `workbook`, `record_export`). A full export of
the households (the heads' phone numbers in clear) follows the residents' rule: its own
capability, a stated purpose, one personal-data access row per number. A visit's findings
(health, family, difficulties ...) go into the file only for a role that reads them on the visit
page, and then each visit exported is written to the care-record access log, as opening it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.care import selectors as care_selectors
from grassroots.care.models import CareRecordAccess, Visit
from grassroots.core.authority import user_can
from grassroots.ledger.exports import Sheet, record_export, require_export, watermark, workbook
from grassroots.orgs.models import MemberUnit, PartyBranch, PartyMember, Volunteer, VolunteerTeam
from grassroots.people.models import Person, Relation
from grassroots.places.models import Household


def _number(query, name: str) -> int | None:
    value = (query.get(name) or "").strip()
    return int(value) if value.isdigit() else None


# --- households ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class HouseholdFilters:
    """The household lists' narrowing: a grid (the grid page) or a building (the building page)."""

    grid: int | None = None
    building: int | None = None

    @classmethod
    def from_query(cls, query) -> HouseholdFilters:
        return cls(grid=_number(query, "grid"), building=_number(query, "building"))

    def apply(self, households):
        if self.grid:
            households = households.filter(grid_id=self.grid)
        if self.building:
            households = households.filter(building_id=self.building)
        return households


HOUSEHOLD_HEADER = [
    "住址 / Address",
    "网格 / Grid",
    "户主 / Head",
    "户主电话 / Head's phone",
    "人数 / Residents",
    "备注 / Note",
]


def export_households(
    *,
    user,
    filters: HouseholdFilters,
    unmasked: bool = False,
    purpose: str = "",
    ip_address: str | None = None,
) -> bytes:
    """The households as the grid and building pages list them, with the head (their phone masked)."""
    purpose = require_export(user, unmasked=unmasked, purpose=purpose)
    heads = Person.objects.visible_to(user, "reveal") if unmasked else Person.objects.visible_to(user)
    heads = heads.filter(residencies__moved_out__isnull=True, residencies__relation=Relation.HEAD)
    households = list(
        filters.apply(Household.objects.visible_to(user))
        .select_related("building", "grid")
        .annotate(member_count=Count("members", distinct=True))
        .prefetch_related(Prefetch("members", queryset=heads, to_attr="heads"))
        .order_by("building__number", "entrance", "room")
    )
    revealed = [(head, "phone") for household in households for head in household.heads[:1]]

    def row(household: Household) -> list:
        head = household.heads[0] if household.heads else None
        phone = (head.reveal("phone") if unmasked else head.phone_masked) if head else ""
        return [
            household.address,
            household.grid.name,
            head.name if head else "",
            phone,
            household.member_count,
            household.note,
        ]

    content, count = workbook(
        [Sheet(_("Households"), HOUSEHOLD_HEADER, (row(h) for h in households))], watermark(user, purpose)
    )
    record_export(
        user=user,
        subject_type="places.household",
        list_name="households",
        rows=count,
        purpose=purpose,
        revealed=revealed,
        ip_address=ip_address,
    )
    return content


# --- organisations ------------------------------------------------------------------------------


def _branch_sheet(user) -> Sheet:
    branches = PartyBranch.objects.visible_to(user).order_by("name")
    members = []
    if user_can(user, "orgs.partymember.view"):
        members = (
            PartyMember.objects.visible_to(user)
            .select_related("branch", "person__current_household__building")
            .order_by("branch__name", "person__name")
        )
    by_branch: dict[int, list[PartyMember]] = {}
    for member in members:
        by_branch.setdefault(member.branch_id, []).append(member)

    def rows():
        for branch in branches:
            for member in by_branch.get(branch.pk) or [None]:
                if member is None:
                    yield [branch.name, "", "", "", ""]
                    continue
                household = member.person.current_household
                yield [
                    branch.name,
                    member.person.name,
                    member.get_kind_display(),
                    member.workplace,
                    household.address if household else "",
                ]

    header = ["党支部 / Branch", "党员 / Member", "类型 / Kind", "工作单位 / Workplace", "住址 / Address"]
    return Sheet(_("Party branches"), header, rows())


def _team_sheet(user) -> Sheet:
    teams = VolunteerTeam.objects.visible_to(user).order_by("name")
    volunteers = []
    if user_can(user, "orgs.volunteer.view"):
        volunteers = (
            Volunteer.objects.visible_to(user)
            .select_related("person", "home_grid")
            .prefetch_related("skills", "teams")
            .order_by("-active", "person__name")
        )
    by_team: dict[int, list[Volunteer]] = {}
    for volunteer in volunteers:
        for team in volunteer.teams.all():
            by_team.setdefault(team.pk, []).append(volunteer)

    def rows():
        for team in teams:
            for volunteer in by_team.get(team.pk) or [None]:
                if volunteer is None:
                    yield [team.name, team.focus, "", "", "", "", ""]
                    continue
                yield [
                    team.name,
                    team.focus,
                    volunteer.person.name,
                    "、".join(str(skill) for skill in volunteer.skills.all()),
                    volunteer.availability,
                    volunteer.home_grid.name if volunteer.home_grid_id else "",
                    "✓" if volunteer.active else "",
                ]

    header = [
        "志愿服务队 / Team",
        "服务内容 / Focus",
        "志愿者 / Volunteer",
        "技能 / Skills",
        "服务时间 / Availability",
        "网格 / Grid",
        "在岗 / Active",
    ]
    return Sheet(_("Volunteer teams"), header, rows())


def _unit_sheet(user) -> Sheet:
    units = MemberUnit.objects.visible_to(user).order_by("kind", "name")
    rows = (
        [
            unit.name,
            unit.get_kind_display(),
            unit.contact_name,
            unit.contact_phone,  # a work number, shown in full on the unit's page too
            unit.offers,
            "✓" if unit.inside_community else "",
        ]
        for unit in units
    )
    header = [
        "单位名称 / Unit",
        "类型 / Kind",
        "联系人 / Contact",
        "联系电话 / Contact phone",
        "可提供资源 / Offers",
        "在社区内 / Inside",
    ]
    return Sheet(_("Member units"), header, rows)


def export_organisations(*, user) -> bytes:
    """Branches with their members, teams with their volunteers, units with contacts and resources:
    one sheet each, members only for the roles that read them on the organisation pages."""
    require_export(user, unmasked=False)
    if not user_can(user, "orgs.volunteerteam.view"):
        raise PermissionDenied
    sheets = [_team_sheet(user)]
    if user_can(user, "orgs.partybranch.view"):
        sheets.insert(0, _branch_sheet(user))
    if user_can(user, "orgs.memberunit.view"):
        sheets.append(_unit_sheet(user))
    content, count = workbook(sheets, watermark(user))
    record_export(user=user, subject_type="orgs.volunteerteam", list_name="organisations", rows=count)
    return content


# --- care visits and the care register ----------------------------------------------------------


@dataclass(frozen=True)
class VisitFilters:
    """A month (the visit-rate page's month) and a grid."""

    year: int
    month: int
    grid: int | None = None

    @classmethod
    def from_query(cls, query) -> VisitFilters:
        text = (query.get("month") or "").strip()
        today = timezone.localdate()
        year, month = today.year, today.month
        if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
            year, month = int(text[:4]), int(text[5:])
        return cls(year=year, month=month, grid=_number(query, "grid"))


VISIT_HEADER = [
    "时间 / When",
    "住址 / Address",
    "网格 / Grid",
    "对象 / Whom",
    "走访人 / Visitor",
    "方式 / How",
    "结果 / Outcome",
    "活动 / Campaign",
]
FINDINGS_HEADER = [
    "健康 / Health",
    "自理能力 / Self-care",
    "精神状态 / Mental state",
    "家庭 / Family",
    "生活困难 / Difficulties",
    "安全隐患 / Hazards",
    "需求 / Needs",
    "幸福感 / Wellbeing",
]


def _findings(visit: Visit) -> list:
    return [
        visit.health,
        visit.get_self_care_display(),
        " · ".join(part for part in (visit.get_mood_display(), visit.mood_note) if part),
        visit.family,
        visit.difficulties,
        " · ".join(part for part in (", ".join(visit.hazard_labels()), visit.hazard_note) if part),
        visit.needs,
        visit.wellbeing,
    ]


def export_visits(*, user, filters: VisitFilters, ip_address: str | None = None) -> bytes:
    """The month's visits in the user's scope; the findings only for a role that may read them,
    each visit so exported written to the care-record access log."""
    require_export(user, unmasked=False)
    if not user_can(user, "care.visit.view"):
        raise PermissionDenied
    findings = user_can(user, "care.careprofile.view_sensitive")
    start, end = care_selectors.month_bounds(filters.year, filters.month)
    visits = Visit.objects.visible_to(user).filter(visited_at__gte=start, visited_at__lt=end)
    if filters.grid:
        visits = visits.filter(grid_id=filters.grid)
    visits = list(
        visits.select_related("household__building", "grid", "person", "visitor", "campaign").order_by(
            "visited_at", "id"
        )
    )

    def row(visit: Visit) -> list:
        base = [
            timezone.localtime(visit.visited_at).strftime("%Y-%m-%d %H:%M"),
            visit.household.address,
            visit.grid.name,
            visit.person.name if visit.person_id else "",
            visit.visitor.display_name,
            visit.get_method_display(),
            visit.get_outcome_display(),
            visit.campaign.name if visit.campaign_id else "",
        ]
        return base + _findings(visit) if findings else base

    header = VISIT_HEADER + FINDINGS_HEADER if findings else VISIT_HEADER
    content, count = workbook([Sheet(_("Visits"), header, (row(v) for v in visits))], watermark(user))
    if findings:
        CareRecordAccess.objects.bulk_create(
            CareRecordAccess(
                user=user,
                community_id=visit.community_id,
                what="visit",
                person_id=visit.person_id,
                household_id=visit.household_id,
                visit_id=visit.pk,
                ip_address=ip_address,
            )
            for visit in visits
        )
    record_export(
        user=user,
        subject_type="care.visit",
        list_name="visits",
        rows=count,
        month=f"{filters.year}-{filters.month:02d}",
        findings=findings,
    )
    return content


REGISTER_HEADER = [
    "等级 / Tier",
    "姓名 / Name",
    "住址 / Address",
    "网格 / Grid",
    "原因 / Why",
    "上次联系 / Last reached",
    "下次走访 / Next visit due",
]


def _day(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value.isoformat()
    return timezone.localtime(value).date().isoformat()


def export_care_register(*, user, tier: str = "", grid_id: int | None = None) -> bytes:
    """The care register as its page lists it (care.selectors.register), with the page's filters."""
    require_export(user, unmasked=False)
    if not user_can(user, "care.careprofile.view"):
        raise PermissionDenied
    rows = (
        [
            profile.get_tier_display(),
            profile.person.name,
            profile.household.address if profile.household_id else "",
            profile.grid.name if profile.grid_id else "",
            profile.rule.name if profile.rule_id else profile.override_reason,
            _day(profile.last_contact_at),
            _day(profile.next_due_on),
        ]
        for profile in care_selectors.register(user, tier=tier, grid_id=grid_id)
    )
    content, count = workbook([Sheet(_("Care register"), REGISTER_HEADER, rows)], watermark(user))
    record_export(user=user, subject_type="care.careprofile", list_name="care-register", rows=count)
    return content
