"""The reads of the three lists: through `visible_to`, a page at a time, counts grouped by status.

Counts are one grouped query over the reader's rows of a list (led by the community index); a
member unit's co-building record reads its offers, commitments and work in a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from grassroots.accounts.roles import works_from_tasks
from grassroots.activities.models import (
    Need,
    NeedSource,
    NeedStatus,
    Project,
    ProjectResource,
    ProjectStatus,
    ProjectWork,
    Resource,
)
from grassroots.orgs.models import MemberUnit


def _counts(queryset, field: str, choices) -> list[tuple[str, str, int]]:
    """(code, label, how many) for every choice, in the choices' order, from one grouped query."""
    found = dict(queryset.order_by().values_list(field).annotate(n=Count("id")).values_list(field, "n"))
    return [(code, label, found.get(code, 0)) for code, label in choices]


def needs_for(user, *, status: str = "", source: str = ""):
    """The needs the reader may see, newest first, filtered by status and source when given."""
    rows = Need.objects.visible_to(user)
    if status in NeedStatus.values:
        rows = rows.filter(status=status)
    if source in NeedSource.values:
        rows = rows.filter(source=source)
    return rows.select_related("case", "grid").order_by("-raised_at", "-id")


def need_counts(user) -> list[tuple[str, str, int]]:
    return _counts(Need.objects.visible_to(user), "status", NeedStatus.choices)


def resources_for(user, *, unit_id: int | None = None, active: str = ""):
    """The resources the reader may see, by unit; only those still offered unless asked otherwise."""
    rows = Resource.objects.visible_to(user)
    if unit_id is not None:
        rows = rows.filter(unit_id=unit_id)
    if active == "1":
        rows = rows.filter(active=True)
    elif active == "0":
        rows = rows.filter(active=False)
    return (
        rows.select_related("unit")
        .annotate(committed=Sum("commitments__committed"), delivered=Sum("commitments__delivered"))
        .order_by("unit__name", "title", "id")
    )


def resource_counts(user) -> list[tuple[str, str, int]]:
    rows = Resource.objects.visible_to(user)
    found = dict(rows.order_by().values_list("active").annotate(n=Count("id")).values_list("active", "n"))
    return [("1", _("still offered"), found.get(True, 0)), ("0", _("no longer offered"), found.get(False, 0))]


def projects_for(user, *, status: str = "", unit_id: int | None = None):
    """The projects the reader may see, newest first, with their delivered hours."""
    rows = Project.objects.visible_to(user)
    if status in ProjectStatus.values:
        rows = rows.filter(status=status)
    if unit_id is not None:
        rows = rows.filter(
            pk__in=ProjectResource.objects.filter(resource__unit_id=unit_id).values("project_id")
        )
    return (
        rows.select_related("need")
        .annotate(hours=Sum("work__hours"), people=Count("work__person", distinct=True))
        .order_by("-starts_on", "-id")
    )


def project_counts(user) -> list[tuple[str, str, int]]:
    return _counts(Project.objects.visible_to(user), "status", ProjectStatus.choices)


def units_for(user):
    """The member units the reader may see (for the filters): a contact's own, the office's all."""
    if works_from_tasks(user):
        return (
            MemberUnit.objects.filter(pk=user.member_unit_id)
            if user.member_unit_id
            else MemberUnit.objects.none()
        )
    return MemberUnit.objects.visible_to(user).order_by("name")


@dataclass
class UnitRecord:
    """A member unit's co-building record (共建): what it offered, what was taken on, what it delivered."""

    unit: MemberUnit
    offers: list
    commitments: list
    #: Counts, not sums: the offers' quantities are in units of their own (places, hours, visits).
    projects: int  # projects that took on one of its offers
    delivered_in_full: int  # commitments whose whole quantity was delivered
    hours: Decimal
    work: list


def unit_record(unit: MemberUnit) -> UnitRecord:
    """The unit's offers, the projects that took them on and what it delivered, and its people's hours.

    Its people are its contacts' persons and its serving party members; their hours are the work
    they delivered on the projects that took on the unit's resources. Four queries.
    """
    offers = list(
        Resource.objects.filter(unit=unit)
        .annotate(committed=Sum("commitments__committed"), delivered=Sum("commitments__delivered"))
        .order_by("-active", "title", "id")
    )
    commitments = list(
        ProjectResource.objects.filter(resource__unit=unit)
        .select_related("project", "resource")
        .order_by("-project__starts_on", "id")[:200]
    )
    project_ids = {row.project_id for row in commitments}
    people = Q(person__user__member_unit=unit) | Q(person__party_membership__unit=unit)
    work = list(
        ProjectWork.objects.filter(project_id__in=project_ids)
        .filter(people)
        .select_related("person", "project")
        .order_by("-worked_on", "-id")[:200]
    )
    return UnitRecord(
        unit=unit,
        offers=offers,
        commitments=commitments,
        projects=len(project_ids),
        delivered_in_full=sum(1 for row in commitments if row.delivered >= row.committed),
        hours=sum((row.hours for row in work), Decimal(0)),
        work=work,
    )
