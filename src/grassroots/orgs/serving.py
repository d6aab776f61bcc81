"""Serving party members report to the community (在职党员到社区报到), and the committee sees them.

A party member who works elsewhere reports to the community they live in (or serve): from the
community's link or QR code they send a `ServingReport` themselves, without an account. The office
confirms it, which makes them a PartyMember of kind "serving" in one of the community's branches
(a person of the register is found by the phone, or entered as not living here), or declines it
with a reason. `serving_members` is what the committee reads: who reported, per unit, and the
hours each promised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.core import pii
from grassroots.core.authority import user_can
from grassroots.orgs.models import (
    MemberUnit,
    PartyBranch,
    PartyMember,
    PartyMemberKind,
    ServingReport,
    ServingReportStatus,
    Skill,
    Volunteer,
)
from grassroots.orgs.services import party_membership_set, volunteering_set
from grassroots.people import services as people
from grassroots.people.models import Person, Sex

#: The most hours a year a report may promise (a full working year is about 2,000).
MOST_HOURS = 500


def _problems(*, name, sex, phone, unit, workplace, origin_branch, commitment_hours, community) -> dict:
    problems: dict[str, str] = {}
    if not name.strip():
        problems["name"] = _("Please enter your name.")
    if sex not in Sex.values:
        problems["sex"] = _("Please choose the sex.")
    if not phone:
        problems["phone"] = _("Please enter your mobile number: the community calls you on it.")
    elif not pii.phone_is_plausible(phone):
        problems["phone"] = _(
            "A phone number is 11 digits starting with 1, or a landline with its area code."
        )
    if unit is not None and unit.community_id != community.pk:
        problems["unit"] = _("This organisation belongs to another community.")
    if unit is None and not workplace.strip():
        problems["workplace"] = _("Please enter where you work, or choose your unit.")
    if not origin_branch.strip():
        problems["origin_branch"] = _("Please enter the party organisation you belong to at work.")
    if not commitment_hours or not 1 <= commitment_hours <= MOST_HOURS:
        problems["commitment_hours"] = _("Please promise between 1 and %(most)d hours a year.") % {
            "most": MOST_HOURS
        }
    return problems


def serving_report_submit(
    *,
    community,
    name: str,
    sex: str,
    phone: str,
    workplace: str = "",
    origin_branch: str,
    commitment_hours: int | None,
    unit: MemberUnit | None = None,
    skills: Iterable[Skill] = (),
    note: str = "",
) -> ServingReport:
    """Record a report as its sender typed it; it waits for the office. Anyone may send one.

    One report from a phone waits at a time, so sending the form twice makes no second entry.
    """
    digits = pii.normalise_phone(phone)
    problems = _problems(
        name=name,
        sex=sex,
        phone=digits,
        unit=unit,
        workplace=workplace,
        origin_branch=origin_branch,
        commitment_hours=commitment_hours,
        community=community,
    )
    if problems:
        raise ValidationError(problems)
    phone_hash = pii.phone_hash(digits)
    with transaction.atomic():
        waiting = ServingReport.objects.select_for_update().filter(
            community=community, phone_hash=phone_hash, status=ServingReportStatus.PENDING
        )
        if waiting.exists():
            raise ValidationError(
                {"phone": _("A report from this phone is already waiting for the community.")}
            )
        report = ServingReport.objects.create(
            community=community,
            name=name.strip(),
            sex=sex,
            phone_encrypted=pii.encrypt(digits),
            phone_hash=phone_hash,
            phone_masked=pii.mask_phone(digits),
            unit=unit,
            workplace=(workplace.strip() or unit.name) if unit else workplace.strip(),
            origin_branch=origin_branch.strip(),
            commitment_hours=commitment_hours,
            note=note.strip(),
        )
        report.skills.set(list(skills))
    return report


def _pending(actor, report: ServingReport) -> ServingReport:
    if not user_can(actor, "orgs.partymember.change"):
        raise PermissionDenied
    locked = ServingReport.objects.visible_to(actor).select_for_update().filter(pk=report.pk).first()
    if locked is None:
        raise PermissionDenied
    if locked.status != ServingReportStatus.PENDING:
        raise ValidationError(_("This report has been decided already."))
    return locked


def people_with_phone(actor, report: ServingReport):
    """The people of the register with the report's phone: the office links one, or enters a new one."""
    return Person.objects.visible_to(actor).filter(
        community_id=report.community_id, phone_hash=report.phone_hash
    )


def serving_report_confirm(
    *, actor, report: ServingReport, branch: PartyBranch, person: Person | None = None
) -> PartyMember:
    """Confirm a report: its sender becomes a serving member of `branch` from today.

    `person` is the register's person it is (one of `people_with_phone`); without one, the sender
    is entered as a person who does not live in the community. Skills they offered make them a
    volunteer with those skills (in no team yet), so a task can find them.
    """
    with transaction.atomic():
        locked = _pending(actor, report)
        if person is not None and not people_with_phone(actor, locked).filter(pk=person.pk).exists():
            raise ValidationError({"person": _("This person does not have the phone of the report.")})
        if person is None:
            person = people.person_register(
                actor=actor,
                community_id=locked.community_id,
                details=people.PersonDetails(
                    name=locked.name, sex=locked.sex, phone=pii.decrypt(locked.phone_encrypted)
                ),
            )
        earlier = PartyMember.objects.filter(person=person).first()
        member = party_membership_set(
            actor=actor,
            person=person,
            branch=branch,
            kind=PartyMemberKind.SERVING,
            workplace=locked.workplace,
            unit=locked.unit,
            origin_branch=locked.origin_branch,
            commitment_hours=locked.commitment_hours,
            joined_party_on=earlier.joined_party_on if earlier else None,
            registered_on=timezone.localdate(),
        )
        _offer_skills(actor, person, list(locked.skills.all()))
        _decide(locked, actor, ServingReportStatus.CONFIRMED, member=member)
    return member


def _offer_skills(actor, person: Person, skills: list[Skill]) -> None:
    if not skills:
        return
    volunteer = Volunteer.objects.filter(person=person).first()
    if volunteer is None:
        volunteering_set(actor=actor, person=person, teams=[], skills=skills)
    else:
        volunteer.skills.add(*skills)


def serving_report_decline(*, actor, report: ServingReport, reason: str) -> ServingReport:
    """Decline a report (not a party member, not of this community...): the reason is kept."""
    if not reason.strip():
        raise ValidationError({"reason": _("Please give the reason.")})
    with transaction.atomic():
        locked = _pending(actor, report)
        locked.decline_reason = reason.strip()[:200]
        _decide(locked, actor, ServingReportStatus.DECLINED)
    return locked


def _decide(report: ServingReport, actor, status: str, member: PartyMember | None = None) -> None:
    report.status, report.member = status, member
    report.decided_by, report.decided_at = actor, timezone.now()
    report.save(update_fields=["status", "member", "decided_by", "decided_at", "decline_reason"])


#: The hours ledger's reader, registered by the app that keeps it (activities, above orgs in the layers):
#: reader(user=..., person_ids=<a values() queryset>, year=...) -> {person id: hours of that year}.
_hours_reader: Callable[..., dict[int, Decimal]] | None = None


def register_hours_reader(reader: Callable[..., dict[int, Decimal]]) -> None:
    """Let the serving members' page show hours from a ledger orgs cannot import (activities.apps)."""
    global _hours_reader
    _hours_reader = reader


def serving_hours(user, year: int) -> dict[int, Decimal] | None:
    """This year's ledger hours per serving member's person, as the user may read them (None: no ledger)."""
    if _hours_reader is None:
        return None
    return _hours_reader(user=user, person_ids=serving_members(user).values("person_id"), year=year)


def serving_hours_by_unit(user, hours: dict[int, Decimal]) -> dict[tuple, Decimal]:
    """The hours summed per unit (a member unit's id, else the workplace as written), as serving_by_unit
    groups them: one query over the serving members' (person, unit, workplace)."""
    sums: dict[tuple, Decimal] = {}
    for person_id, unit_id, workplace in serving_members(user).values_list(
        "person_id", "unit_id", "workplace"
    ):
        key = (unit_id, "" if unit_id else workplace)
        sums[key] = sums.get(key, Decimal(0)) + hours.get(person_id, Decimal(0))
    return sums


def serving_members(user):
    """The serving members the user may see, with their unit and branch."""
    return (
        PartyMember.objects.visible_to(user)
        .filter(kind=PartyMemberKind.SERVING)
        .select_related("person", "unit", "branch")
        .order_by("unit__name", "workplace", "person__name")
    )


def serving_by_unit(user) -> list[dict]:
    """Per unit (a member unit, else the workplace as written): how many reported, hours promised."""
    return list(
        serving_members(user)
        .order_by()
        .values("unit_id", "unit__name", "workplace")
        .annotate(members=Count("id"), promised=Sum("commitment_hours"))
        .order_by("unit__name", "workplace")
    )


def waiting_reports(user):
    """The reports still waiting, oldest first: the office's worklist."""
    return (
        ServingReport.objects.visible_to(user)
        .filter(status=ServingReportStatus.PENDING)
        .select_related("unit")
        .order_by("submitted_at")
    )
