"""Party members and volunteers from a ledger (党员台账, 志愿者台账): people of the register linked to
their branch or team.

Each row names a person the register has (found by ID number, else by name at the address: see
ledger.rows.find_people) and a branch or team of the community, by its name. A party member is
the same membership when the person is the same (a person is in one branch: another branch is a
transfer, a change); a volunteer is the same when the person and the team are (a volunteer may
serve in several teams). The writes go through orgs.services (party_membership_set,
volunteering_set), which write the person's history; its rows name the run ("import #12").
"""

from __future__ import annotations

import re

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
    find_people,
    first_seen,
    read,
    row_by_row,
)
from grassroots.orgs import services as orgs
from grassroots.orgs.models import PartyBranch, PartyMember, PartyMemberKind, Skill, Volunteer, VolunteerTeam
from grassroots.places.models import Community

_MEMBER_KINDS = {
    "居民党员": PartyMemberKind.RESIDENT,
    "居民": PartyMemberKind.RESIDENT,
    "社区党员": PartyMemberKind.RESIDENT,
    "在职党员": PartyMemberKind.SERVING,
    "在职": PartyMemberKind.SERVING,
    "报到党员": PartyMemberKind.SERVING,
}


def member_kind(value) -> str:
    text = cells.text(value)
    if not text:
        return ""
    if text in _MEMBER_KINDS:
        return _MEMBER_KINDS[text]
    if text.lower() in PartyMemberKind.values:
        return text.lower()
    raise cells.CellError(_("Unknown kind of party member: use 居民党员 or 在职党员."))


def _organisations(model, community: Community) -> dict[str, object]:
    return {org.name.strip(): org for org in model.objects.filter(community=community)}


def _read_people(
    table: Table, community: Community, progress: Progress | None, read_more, *, model, key: str, missing: str
) -> list[Row]:
    """Rows with their person found, the kind's own cells read by `read_more(row, cells)`, and the
    branch or team (`model`, named in column `key`) found among the community's (else `missing`)."""
    rows, by_number = [], {}
    for number, table_row in each_row(table, progress):
        row = Row(number=number)
        row.values[key] = cells.text(cell(table_row, table.mapping, key))
        read_more(row, table_row)
        rows.append(row)
        by_number[number] = table_row
    find_people(rows, by_number, table.mapping, community)
    known = _organisations(model, community)
    for row in rows:
        _organisation_of(row, known, key, missing)
    return rows


def _organisation_of(row: Row, known: dict, key: str, message: str) -> None:
    name = row.values.get(key, "")
    if not name:
        row.refuse(key, _("Please give the name of the branch or team."))
    elif name not in known:
        row.refuse(key, message % {"name": name})
    else:
        row.values[key] = known[name]


# --- party members ---------------------------------------------------------------------------


def check_party_members(
    table: Table, community: Community, *, create_households: bool = False, progress: Progress | None = None
) -> Plan:
    """Check every row; nothing is written."""
    mapping = table.mapping

    def read_more(row: Row, table_row: list) -> None:
        read(row, member_kind, table_row, mapping, "member_kind", "")
        row.values["workplace"] = cells.text(cell(table_row, mapping, "workplace"))[:100]
        read(row, cells.a_date, table_row, mapping, "joined_party_on")
        read(row, cells.a_date, table_row, mapping, "registered_on")

    rows = _read_people(
        table,
        community,
        progress,
        read_more,
        model=PartyBranch,
        key="branch",
        missing=_(
            "There is no party branch %(name)s in this community: add it on the organisations page first."
        ),
    )
    first_seen(
        rows,
        lambda row: row.values["person"].pk if "person" in row.values else None,
        "name",
        _("The same person as row %(row)d."),
    )
    people = [row.values["person"].pk for row in rows if row.action != REJECTED]
    members = {m.person_id: m for m in PartyMember.objects.filter(person_id__in=people)}
    for row in rows:
        if row.action == REJECTED:
            continue
        member = members.get(row.values["person"].pk)
        if member is None:
            row.action = NEW
            continue
        given = {
            key: row.values[key]
            for key in ("workplace", "joined_party_on", "registered_on")
            if row.values[key]
        }
        differs = member.branch_id != row.values["branch"].pk
        differs |= bool(row.values["member_kind"]) and member.kind != row.values["member_kind"]
        differs |= any(getattr(member, key) != value for key, value in given.items())
        row.action = CHANGED if differs else UNCHANGED
    return Plan(rows)


def write_party_member(row: Row, *, actor, community: Community) -> None:
    """The row through orgs.services.party_membership_set, what the file leaves empty kept."""
    person, values = row.values["person"], row.values
    member = PartyMember.objects.filter(person=person).first()
    orgs.party_membership_set(
        actor=actor,
        person=person,
        branch=values["branch"],
        kind=values["member_kind"] or (member.kind if member else PartyMemberKind.RESIDENT),
        workplace=values["workplace"] or (member.workplace if member else ""),
        joined_party_on=values["joined_party_on"] or (member.joined_party_on if member else None),
        registered_on=values["registered_on"] or (member.registered_on if member else None),
        unit=member.unit if member else None,
        origin_branch=member.origin_branch if member else "",
        commitment_hours=member.commitment_hours if member else None,
    )


# --- volunteers ------------------------------------------------------------------------------

_SKILL_SEPARATORS = re.compile(r"[、,，;；/\s]+")


def _skills_by_name() -> dict[str, Skill]:
    known = {}
    for skill in Skill.objects.all():
        for name in (skill.code, skill.name_zh, skill.name_en.lower()):
            known[name] = skill
    return known


def check_volunteers(
    table: Table, community: Community, *, create_households: bool = False, progress: Progress | None = None
) -> Plan:
    """Check every row; nothing is written."""
    mapping = table.mapping
    skills = _skills_by_name()
    skill_names = "、".join(skill.name_zh for skill in Skill.objects.all())

    def read_more(row: Row, table_row: list) -> None:
        row.values["availability"] = cells.text(cell(table_row, mapping, "availability"))[:200]
        read(row, cells.a_date, table_row, mapping, "joined_on")
        words = [w for w in _SKILL_SEPARATORS.split(cells.text(cell(table_row, mapping, "skills"))) if w]
        unknown = [w for w in words if w.lower() not in skills and w not in skills]
        if unknown:
            row.refuse(
                "skills",
                _("Unknown skill %(skill)s: use one of %(known)s.")
                % {"skill": unknown[0], "known": skill_names},
            )
        row.values["skills"] = [skills.get(w) or skills[w.lower()] for w in words if w not in unknown]

    rows = _read_people(
        table,
        community,
        progress,
        read_more,
        model=VolunteerTeam,
        key="team",
        missing=_(
            "There is no volunteer team %(name)s in this community: add it on the organisations page first."
        ),
    )
    first_seen(
        rows,
        lambda row: (row.values["person"].pk, row.values["team"].pk) if "person" in row.values else None,
        "name",
        _("The same person and team as row %(row)d."),
    )
    people = [row.values["person"].pk for row in rows if row.action != REJECTED]
    volunteers = {
        v.person_id: v
        for v in Volunteer.objects.filter(person_id__in=people).prefetch_related("teams", "skills")
    }
    for row in rows:
        if row.action == REJECTED:
            continue
        volunteer = volunteers.get(row.values["person"].pk)
        if volunteer is None or row.values["team"] not in volunteer.teams.all():
            row.action = NEW
            continue
        held = set(volunteer.skills.all())
        differs = any(skill not in held for skill in row.values["skills"])
        differs |= bool(row.values["availability"]) and volunteer.availability != row.values["availability"]
        differs |= bool(row.values["joined_on"]) and volunteer.joined_on != row.values["joined_on"]
        row.action = CHANGED if differs else UNCHANGED
    return Plan(rows)


def write_volunteer(row: Row, *, actor, community: Community) -> None:
    """The row through orgs.services.volunteering_set: its team and skills added to the volunteer's
    (never taken away), what the file leaves empty kept."""
    person, values = row.values["person"], row.values
    volunteer = Volunteer.objects.filter(person=person).prefetch_related("teams", "skills").first()
    teams = set(volunteer.teams.all()) if volunteer else set()
    skills = set(volunteer.skills.all()) if volunteer else set()
    orgs.volunteering_set(
        actor=actor,
        person=person,
        teams=teams | {values["team"]},
        skills=skills | set(values["skills"]),
        active=volunteer.active if volunteer else True,
        availability=values["availability"] or (volunteer.availability if volunteer else ""),
        joined_on=values["joined_on"] or (volunteer.joined_on if volunteer else None),
    )


PARTY_MEMBERS = LedgerKind(check=check_party_members, write=row_by_row(write_party_member))
VOLUNTEERS = LedgerKind(check=check_volunteers, write=row_by_row(write_volunteer))
