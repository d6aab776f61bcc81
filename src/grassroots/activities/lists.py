"""The three lists' write path (需求清单、资源清单、项目清单): needs, member units' resources, projects.

Every change checks who may make it, validates, writes the row and its `ListChange` history row in
one transaction. The office (activities.*.change in the community) keeps all three lists; a member
unit's contact adds and edits their own unit's offers. A project's delivered hours go into the
service-hours ledger through activities.hours.hours_record, one ledger row per `ProjectWork`.

A need raised from a care visit or a case keeps only the link and what the office wrote: nothing
of the visit's sealed findings or the case's description is copied into it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.accounts.roles import user_can
from grassroots.activities.hours import MAX_HOURS, Work, hours_record
from grassroots.activities.models import (
    ListChange,
    Need,
    NeedSource,
    NeedStatus,
    Project,
    ProjectResource,
    ProjectStatus,
    ProjectVolunteer,
    ProjectWork,
    Resource,
    SourceKind,
)
from grassroots.orgs.models import MemberUnit, PartyMember
from grassroots.people.models import Person
from grassroots.places.models import Community

#: The most a resource may offer or a project commit (a typing error beyond).
MOST = 100_000


def _in_community(actor, capability: str, community_id: int) -> bool:
    return (
        user_can(actor, capability) and Community.objects.visible_to(actor).filter(pk=community_id).exists()
    )


def keeps_lists(actor, community_id: int) -> bool:
    """The office of the community: it raises needs, starts projects and keeps every offer."""
    return _in_community(actor, "activities.project.change", community_id)


def may_offer_for(actor, unit: MemberUnit) -> bool:
    """Who adds and edits a unit's offers: the office of its community, or the unit's own contact."""
    if keeps_lists(actor, unit.community_id):
        return True
    return bool(
        getattr(actor, "member_unit_id", None) == unit.pk and user_can(actor, "activities.resource.change")
    )


def _note(*, actor, community_id: int, action: str, detail: dict | None = None, **about) -> None:
    ListChange.objects.create(
        community_id=community_id,
        action=action,
        detail=detail or {},
        actor=actor if getattr(actor, "pk", None) else None,
        at=timezone.now(),
        **about,
    )


def _text(value: str, field: str, message: str, errors: dict, shortest: int = 2) -> str:
    value = (value or "").strip()
    if len(value) < shortest:
        errors[field] = message
    return value


# --- needs -----------------------------------------------------------------------------------------


def need_raise(
    *,
    actor,
    community: Community,
    title: str,
    description: str = "",
    case=None,
    visit=None,
    grid=None,
) -> Need:
    """Put a need on the list: entered, or raised from a case or a care visit of the community.

    Only the link is taken from the case or visit (and its grid): the words are the office's.
    """
    if not keeps_lists(actor, community.pk) or not user_can(actor, "activities.need.add"):
        raise PermissionDenied
    errors: dict[str, str] = {}
    title = _text(title, "title", _("Say in a few words what is needed."), errors)
    for source in (case, visit):
        if source is not None and source.community_id != community.pk:
            errors["__all__"] = _("The case or visit is of another community.")
    if errors:
        raise ValidationError(errors)
    kind = (
        NeedSource.CASE if case is not None else NeedSource.VISIT if visit is not None else NeedSource.ENTERED
    )
    if grid is None:
        grid = getattr(case, "grid", None) or getattr(visit, "grid", None)
    with transaction.atomic():
        need = Need.objects.create(
            community=community,
            grid=grid,
            title=title[:120],
            description=(description or "").strip(),
            source=kind,
            case=case,
            visit=visit,
            raised_by=actor,
            raised_at=timezone.now(),
        )
        _note(actor=actor, community_id=community.pk, action="need.raise", need=need, detail={"source": kind})
    return need


def need_set_status(*, actor, need: Need, status: str, note: str = "") -> Need:
    """Mark a need met or closed (with a word why), or open again."""
    if not keeps_lists(actor, need.community_id) or not user_can(actor, "activities.need.change"):
        raise PermissionDenied
    if status not in NeedStatus.values:
        raise ValidationError({"status": _("Choose a status from the list.")})
    if status == NeedStatus.CLOSED and len((note or "").strip()) < 2:
        raise ValidationError({"note": _("Please say why the need is closed without a project.")})
    with transaction.atomic():
        row = Need.objects.select_for_update().get(pk=need.pk)
        before = row.status
        row.status = status
        row.save(update_fields=["status"])
        _note(
            actor=actor,
            community_id=row.community_id,
            action="need.status",
            need=row,
            detail={"from": before, "to": status, "note": (note or "").strip()[:200]},
        )
    return row


# --- resources --------------------------------------------------------------------------------------


@dataclass
class Offer:
    """What a unit offers: what, how much (counted in what), from when until when, and when in the week."""

    title: str
    capacity: int | None
    capacity_unit: str
    available_from: date | None
    available_until: date | None = None
    period_note: str = ""
    description: str = ""
    active: bool = True


def _check_offer(offer: Offer) -> dict:
    errors: dict[str, str] = {}
    _text(offer.title, "title", _("Say what the unit offers."), errors)
    if offer.capacity is None or not 1 <= offer.capacity <= MOST:
        errors["capacity"] = _("How much is between 1 and %(most)d.") % {"most": MOST}
    _text(
        offer.capacity_unit, "capacity_unit", _("Say what it is counted in (人次, hours, times)."), errors, 1
    )
    if offer.available_from is None:
        errors["available_from"] = _("Say from when it is offered.")
    elif offer.available_until is not None and offer.available_until < offer.available_from:
        errors["available_until"] = _("The offer ends after it starts.")
    return errors


OFFER_FIELDS = (
    "title",
    "capacity",
    "capacity_unit",
    "available_from",
    "available_until",
    "period_note",
    "description",
    "active",
)


def resource_offer(*, actor, unit: MemberUnit, offer: Offer, resource: Resource | None = None) -> Resource:
    """Add a unit's offer to the resources list, or change one (what changed is kept in the history)."""
    if not may_offer_for(actor, unit) or (resource is not None and resource.unit_id != unit.pk):
        raise PermissionDenied
    needed = "activities.resource.add" if resource is None else "activities.resource.change"
    if not user_can(actor, needed):
        raise PermissionDenied
    errors = _check_offer(offer)
    if errors:
        raise ValidationError(errors)
    values = {
        "title": offer.title.strip()[:120],
        "capacity": offer.capacity,
        "capacity_unit": offer.capacity_unit.strip()[:20],
        "available_from": offer.available_from,
        "available_until": offer.available_until,
        "period_note": (offer.period_note or "").strip()[:100],
        "description": (offer.description or "").strip(),
        "active": offer.active,
    }
    with transaction.atomic():
        if resource is None:
            row = Resource.objects.create(
                community_id=unit.community_id,
                unit=unit,
                created_by=actor,
                created_at=timezone.now(),
                **values,
            )
            _note(actor=actor, community_id=unit.community_id, action="resource.offer", resource=row)
            return row
        row = Resource.objects.select_for_update().get(pk=resource.pk)
        changed = {
            name: [str(getattr(row, name)), str(value)]
            for name, value in values.items()
            if getattr(row, name) != value
        }
        for name, value in values.items():
            setattr(row, name, value)
        row.save(update_fields=list(OFFER_FIELDS))
        if changed:
            _note(
                actor=actor,
                community_id=row.community_id,
                action="resource.change",
                resource=row,
                detail=changed,
            )
    return row


# --- projects ---------------------------------------------------------------------------------------


def _office(actor, community_id: int, capability: str = "activities.project.change") -> None:
    if not keeps_lists(actor, community_id) or not user_can(actor, capability):
        raise PermissionDenied


def project_start(
    *,
    actor,
    need: Need,
    title: str,
    starts_on: date | None,
    ends_on: date | None = None,
    description: str = "",
) -> Project:
    """Start a project to meet a need: the need is then taken up (status "in project")."""
    _office(actor, need.community_id, "activities.project.add")
    errors: dict[str, str] = {}
    title = _text(title, "title", _("Give the project a name."), errors)
    if starts_on is None:
        errors["starts_on"] = _("Say when the project starts.")
    elif ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = _("The project ends after it starts.")
    if need.status in (NeedStatus.MET, NeedStatus.CLOSED):
        errors["need"] = _("This need is no longer open.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        project = Project.objects.create(
            community_id=need.community_id,
            need=need,
            title=title[:120],
            description=(description or "").strip(),
            starts_on=starts_on,
            ends_on=ends_on,
            created_by=actor,
            created_at=timezone.now(),
        )
        Need.objects.filter(pk=need.pk, status=NeedStatus.OPEN).update(status=NeedStatus.IN_PROJECT)
        _note(actor=actor, community_id=need.community_id, action="project.start", project=project, need=need)
    return project


def project_update(*, actor, project: Project, status: str, starts_on: date, ends_on: date | None) -> Project:
    """Change a project's status or dates; a project done meets its need."""
    _office(actor, project.community_id)
    if status not in ProjectStatus.values:
        raise ValidationError({"status": _("Choose a status from the list.")})
    if starts_on is None:
        raise ValidationError({"starts_on": _("Say when the project starts.")})
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": _("The project ends after it starts.")})
    with transaction.atomic():
        row = Project.objects.select_for_update().get(pk=project.pk)
        changed = {
            name: [str(getattr(row, name)), str(value)]
            for name, value in (("status", status), ("starts_on", starts_on), ("ends_on", ends_on))
            if getattr(row, name) != value
        }
        row.status, row.starts_on, row.ends_on = status, starts_on, ends_on
        row.save(update_fields=["status", "starts_on", "ends_on"])
        if status == ProjectStatus.DONE:
            Need.objects.filter(pk=row.need_id).exclude(status=NeedStatus.CLOSED).update(
                status=NeedStatus.MET
            )
        if changed:
            _note(
                actor=actor,
                community_id=row.community_id,
                action="project.change",
                project=row,
                detail=changed,
            )
    return row


def project_take_resource(
    *, actor, project: Project, resource: Resource, committed: int | None
) -> ProjectResource:
    """A unit's resource is taken on by the project: how much of it is committed."""
    _office(actor, project.community_id)
    if resource.community_id != project.community_id:
        raise ValidationError({"resource": _("The resource is of another community.")})
    if committed is None or not 1 <= committed <= resource.capacity:
        raise ValidationError(
            {
                "committed": _("Commit between 1 and the %(capacity)s offered.")
                % {"capacity": resource.capacity}
            }
        )
    with transaction.atomic():
        row, created = ProjectResource.objects.get_or_create(
            project=project, resource=resource, defaults={"committed": committed}
        )
        if not created:
            raise ValidationError({"resource": _("The project has taken this resource on already.")})
        _note(
            actor=actor,
            community_id=project.community_id,
            action="project.resource",
            project=project,
            resource=resource,
            detail={"committed": committed},
        )
    return row


def project_deliver(*, actor, commitment: ProjectResource, delivered: int | None) -> ProjectResource:
    """Record how much of a committed resource the unit has delivered so far."""
    project = commitment.project
    _office(actor, project.community_id)
    if delivered is None or not 0 <= delivered <= commitment.committed:
        raise ValidationError(
            {
                "delivered": _("Delivered is between 0 and the %(committed)s committed.")
                % {"committed": commitment.committed}
            }
        )
    with transaction.atomic():
        row = ProjectResource.objects.select_for_update().get(pk=commitment.pk)
        before = row.delivered
        row.delivered = delivered
        row.save(update_fields=["delivered"])
        _note(
            actor=actor,
            community_id=project.community_id,
            action="project.delivered",
            project=project,
            resource_id=row.resource_id,
            detail={"from": before, "to": delivered},
        )
    return row


def project_add_person(*, actor, project: Project, person: Person) -> ProjectVolunteer:
    """Someone of the community works on the project (a volunteer, a serving member, a unit's staff)."""
    _office(actor, project.community_id)
    serving_here = PartyMember.objects.filter(
        person=person, branch__community_id=project.community_id
    ).exists()
    if person.community_id != project.community_id and not serving_here:
        raise ValidationError({"person": _("This person is not of the community.")})
    with transaction.atomic():
        row, created = ProjectVolunteer.objects.get_or_create(project=project, person=person)
        if created:
            _note(
                actor=actor,
                community_id=project.community_id,
                action="project.person",
                project=project,
                detail={"person": person.pk},
            )
    return row


def project_work_record(
    *, actor, project: Project, person: Person, hours: Decimal | None, worked_on: date | None, note: str = ""
) -> ProjectWork:
    """Someone on the project delivered hours of work: a ProjectWork row and its ledger row, together."""
    _office(actor, project.community_id)
    if not ProjectVolunteer.objects.filter(project=project, person=person).exists():
        raise ValidationError({"person": _("Add the person to the project first.")})
    if hours is None or hours <= 0 or hours > MAX_HOURS:
        raise ValidationError({"hours": _("Hours are between 0 and 24.")})
    today = timezone.localdate()
    if worked_on is None or worked_on > today or worked_on < project.starts_on:
        raise ValidationError({"worked_on": _("The day is between the project's start and today.")})
    if project.status == ProjectStatus.CANCELLED:
        raise ValidationError({"project": _("This project was cancelled.")})
    with transaction.atomic():
        work = ProjectWork.objects.create(
            project=project,
            person=person,
            hours=hours,
            worked_on=worked_on,
            note=(note or "").strip()[:200],
            recorded_by=actor,
            recorded_at=timezone.now(),
        )
        hours_record(
            actor=actor,
            work=Work(
                person=person,
                community_id=project.community_id,
                source_kind=SourceKind.PROJECT,
                source_id=work.pk,
                hours=hours,
                worked_at=timezone.make_aware(datetime.combine(worked_on, time(12))),
                note=project.title[:200],
            ),
        )
        if project.status == ProjectStatus.PLANNED:
            Project.objects.filter(pk=project.pk).update(status=ProjectStatus.RUNNING)
    return work
