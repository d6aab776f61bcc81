"""Reads of care data, always scoped to the user: the worklist, coverage, the visit rate, the flags.

Lists are ordered by risk and then by place (building, entrance, room), so that a
round of visits is one walk. Each read is a handful of queries whatever the size
of the community; the pages built on them are pinned by query-count tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from grassroots.accounts.roles import is_grid_worker, user_can, works_from_tasks
from grassroots.care.models import (
    SPECIAL_DIFFICULTY_TIERS,
    CampaignHousehold,
    CareProfile,
    Enrolment,
    Outcome,
    PlannedService,
    ServiceStatus,
    SituationNote,
    Tier,
    Visit,
    not_reached_q,
)
from grassroots.care.schedule import month_days
from grassroots.core.ranking import flag
from grassroots.orgs.models import VolunteerTeam
from grassroots.places.models import Grid

#: How far back a change of situation (a new case, a move out) still calls for a visit.
CHANGE_LOOKBACK_DAYS = 14
#: Volunteers see services overdue by up to two weeks; older ones are for the staff to chase.
VOLUNTEER_LOOKBACK_DAYS = 14
_PLACE = ("household__building__number", "household__entrance", "household__room")


@dataclass
class WorkItem:
    """One line of a visitor's morning list."""

    kind: str  # "change", "visit", "campaign", "service"
    risk: int
    place: tuple
    household: object
    person: object = None
    profile: object = None
    target: object = None
    service: object = None
    due_on: date | None = None
    overdue: bool = False
    unclaimed: bool = False  # nobody has taken this person on: the list offers to take them
    reasons: list[str] = field(default_factory=list)
    services: list = field(default_factory=list)

    @property
    def sort_key(self) -> tuple:
        kinds = {"change": 0, "visit": 1, "campaign": 2, "service": 3}
        return (self.risk, self.place, kinds[self.kind], self.due_on or date.max)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


#: Nobody has taken them, and they are the most at risk: on the list of every coordinator of the
#: community (who may take them: care.careprofile.take) until one of them does.
UNCLAIMED = Q(responsible__isnull=True, tier=Tier.HIGH)


def _own_q(user) -> Q:
    """Whom a staff visitor looks after: their own people, and in a grid worker's grids those nobody has."""
    if is_grid_worker(user):
        return Q(responsible=user) | Q(responsible__isnull=True)
    return Q(responsible=user)


def my_profiles(user):
    """The register people on a staff visitor's list: their own, and the high-risk people nobody has
    taken (annotated `unclaimed`), so that no one at risk waits on a list that nobody reads."""
    profiles = CareProfile.objects.visible_to(user).on_register()
    shown = _own_q(user)
    if user_can(user, "care.careprofile.take"):
        shown |= UNCLAIMED
    return profiles.filter(shown).annotate(unclaimed=flag(UNCLAIMED))


def _changes(profiles, today: date):
    """Annotate each profile with its latest change of situation in the last two weeks: a note
    (hospital stay ...), a case reported from the household (other than one a visit raised), a move out."""
    from grassroots.cases.models import Case
    from grassroots.people.models import Residency

    since = _start_of(today - timedelta(days=CHANGE_LOOKBACK_DAYS))
    notes = SituationNote.objects.filter(profile=OuterRef("pk"), at__gt=since).order_by("-at").values("at")
    # "Not raised by a visit" as NOT EXISTS: an anti-join on the visits' case index, where
    # `care_visits__isnull=True` (a LEFT JOIN) read every visit of the district once per row.
    raised = Visit.objects.filter(case=OuterRef("pk"))
    cases = (
        Case.objects.filter(household=OuterRef("household_id"), reported_at__gt=since)
        .filter(~Exists(raised))
        .order_by("-reported_at")
        .values("reported_at")
    )
    moves = (
        Residency.objects.filter(household=OuterRef("household_id"), moved_out__gt=since.date())
        .order_by("-moved_out")
        .values("moved_out")
    )
    return profiles.annotate(
        last_note_at=Subquery(notes[:1]), last_case_at=Subquery(cases[:1]), last_move_on=Subquery(moves[:1])
    )


def _change_reasons(profile) -> list[str]:
    """Which changes happened after the person was last reached."""
    contact = profile.last_contact_at
    reasons = []
    if profile.last_note_at and (contact is None or profile.last_note_at > contact):
        reasons.append("note")
    if profile.last_case_at and (contact is None or profile.last_case_at > contact):
        reasons.append("case")
    if profile.last_move_on and (contact is None or profile.last_move_on > timezone.localdate(contact)):
        reasons.append("move")
    return reasons


def worklist(user, today: date | None = None) -> list[WorkItem]:
    """Each morning's list: changes of situation, people not seen within their frequency, campaign
    households assigned to the user, and enrolled services due or overdue; by risk, then by place."""
    today = today or timezone.localdate()
    items: list[WorkItem] = []
    households_of_mine: set[int] = set()
    if not works_from_tasks(user):
        mine = my_profiles(user)
        # Services are for the visitor's own people; someone unclaimed comes as a visit to take on.
        households_of_mine = set(mine.filter(_own_q(user)).values_list("household_id", flat=True))
        # Only the people due, or with a recent change, come back from the database.
        profiles = (
            _changes(mine.select_related("person", "household__building"), today)
            .filter(
                Q(next_due_on__lte=today)
                | Q(last_note_at__isnull=False)
                | Q(last_case_at__isnull=False)
                | Q(last_move_on__isnull=False)
            )
            .order_by("risk", *_PLACE)
        )
        for profile in profiles:
            place = _place(profile.household)
            reasons = _change_reasons(profile)
            due = profile.next_due_on is not None and profile.next_due_on <= today
            if reasons:
                items.append(
                    WorkItem(
                        "change",
                        profile.risk,
                        place,
                        profile.household,
                        profile.person,
                        profile,
                        reasons=reasons,
                        unclaimed=bool(profile.unclaimed),
                    )
                )
            elif due:
                items.append(
                    WorkItem(
                        "visit",
                        profile.risk,
                        place,
                        profile.household,
                        profile.person,
                        profile,
                        due_on=profile.next_due_on,
                        overdue=profile.next_due_on < today,
                        unclaimed=bool(profile.unclaimed),
                    )
                )
    items.extend(campaign_targets(user, today))
    services = (
        _services_for(user, households_of_mine)
        .due(today)
        .select_related("service", "enrolment__person", "household__building")
        .order_by("due_on", "service__order")
    )
    risks = _household_risk(services)
    by_household: dict[int, WorkItem] = {}  # one stop per household, with every service due there
    for planned in services:
        item = by_household.get(planned.household_id)
        if item is None:
            item = by_household[planned.household_id] = WorkItem(
                "service",
                risks.get(planned.household_id, 9),
                _place(planned.household),
                planned.household,
                person=planned.enrolment.person,
                service=planned,
                due_on=planned.due_on,
            )
        item.services.append(planned)
        item.overdue = item.overdue or planned.due_on < today
    items.extend(by_household.values())
    items.sort(key=lambda item: item.sort_key)
    return items


def campaign_targets(user, today: date) -> list[WorkItem]:
    """The households of running campaigns the user is asked to visit and has not yet reached."""
    targets = (
        CampaignHousehold.objects.filter(
            visitor=user,
            campaign__starts_on__lte=today,
            campaign__ends_on__gte=today,
            status__in=[Outcome.PENDING, Outcome.NOT_REACHED],
        )
        .select_related("campaign", "household__building")
        .order_by("risk", *_PLACE)
    )
    return [
        WorkItem(
            "campaign",
            target.risk,
            _place(target.household),
            target.household,
            target=target,
            due_on=target.campaign.ends_on,
        )
        for target in targets
    ]


def _place(household) -> tuple:
    return (household.building.number, household.entrance, household.room)


def _household_risk(services) -> dict[int, int]:
    household_ids = {planned.household_id for planned in services}
    risks: dict[int, int] = {}
    for household_id, risk in CareProfile.objects.filter(
        household_id__in=household_ids, on_register=True
    ).values_list("household_id", "risk"):
        risks[household_id] = min(risk, risks.get(household_id, 9))
    return risks


def _services_for(user, household_ids: set[int]):
    """Planned services this user delivers: their team's (volunteers) or their people's (staff)."""
    if works_from_tasks(user):
        if not (user.person_id and user_can(user, "care.plannedservice.view_own")):
            return PlannedService.objects.none()
        # Teams as a subquery, not a join: a volunteer of two teams must not see a service twice,
        # and a DISTINCT would stand in the way of the counts and ranks built on this.
        teams = VolunteerTeam.objects.filter(volunteers__person_id=user.person_id).values("pk")
        return PlannedService.objects.filter(enrolment__team__in=teams)
    return PlannedService.objects.visible_to(user).filter(household_id__in=household_ids)


@dataclass(frozen=True)
class VolunteerTasks:
    """A volunteer's open services, the pressing ones first, and how many there are of each kind.

    Pressing: due today or overdue (within VOLUNTEER_LOOKBACK_DAYS); among them the volunteer's
    own first (people they have served before). The rest have their window open but fall due
    later: counted, and listed after, page by page.
    """

    rows: object  # a queryset to page through
    pressing: int
    mine: int
    later: int


def volunteer_tasks(user, today: date | None = None) -> VolunteerTasks:
    """A volunteer's services due or overdue: name, address and the service, nothing more."""
    today = today or timezone.localdate()
    served_before = PlannedService.objects.filter(
        enrolment=OuterRef("enrolment_id"), status=ServiceStatus.DONE, volunteer__isnull=False
    ).filter(volunteer_id=user.person_id)
    is_pressing = Q(due_on__lte=today)
    is_mine = Q(Exists(served_before))
    open_services = (
        _services_for(user, set())
        .due(today)
        .filter(due_on__gte=today - timedelta(days=VOLUNTEER_LOOKBACK_DAYS))
        .annotate(pressing=flag(is_pressing), mine=flag(is_pressing & is_mine))
    )
    counts = open_services.aggregate(
        pressing=Count("id", filter=is_pressing),
        mine=Count("id", filter=is_pressing & is_mine),
        all=Count("id"),
    )
    rows = open_services.select_related("service", "enrolment__person", "household__building").order_by(
        "-pressing", "-mine", "due_on", *_PLACE, "id"
    )
    return VolunteerTasks(
        rows=rows, pressing=counts["pressing"], mine=counts["mine"], later=counts["all"] - counts["pressing"]
    )


# --- coverage, visit rate, flags ----------------------------------------------------------------------


@dataclass
class CoverageRow:
    grid: Grid | None
    visited: int = 0
    not_reached: int = 0
    refused: int = 0
    pending: int = 0

    @property
    def total(self) -> int:
        return self.visited + self.not_reached + self.refused + self.pending

    @property
    def reached_percent(self) -> int:
        return round(100 * self.visited / self.total) if self.total else 0


def campaign_coverage(user, campaign) -> list[CoverageRow]:
    """Per grid of the campaign: households visited / not reached / refused / pending, and a total row."""
    counts = (
        CampaignHousehold.objects.visible_to(user)
        .filter(campaign=campaign)
        .values("grid_id", "status")
        .annotate(n=Count("id"))
    )
    grids = {grid.id: grid for grid in Grid.objects.filter(community_id=campaign.community_id)}
    rows: dict[int, CoverageRow] = {}
    for entry in counts:
        row = rows.setdefault(entry["grid_id"], CoverageRow(grids.get(entry["grid_id"])))
        setattr(row, entry["status"], getattr(row, entry["status"]) + entry["n"])
    ordered = sorted(rows.values(), key=lambda row: row.grid.code if row.grid else "")
    total = CoverageRow(None)
    for row in ordered:
        for name in ("visited", "not_reached", "refused", "pending"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return [*ordered, total] if ordered else []


@dataclass
class RateRow:
    grid: Grid | None
    people: int
    visited: int

    @property
    def percent(self) -> int:
        return round(100 * self.visited / self.people) if self.people else 0

    @property
    def complete(self) -> bool:
        return self.people > 0 and self.visited == self.people


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    first = _start_of(date(year, month, 1))
    return first, _start_of(date(year, month, month_days(year, month))) + timedelta(days=1)


def visit_rate(user, year: int, month: int) -> list[RateRow]:
    """Per grid: people in special difficulty (high and key tiers) reached at home, by phone, WeChat or
    video in the month, against the target of all of them. The last row is the total."""
    start, end = month_bounds(year, month)
    reached = Visit.objects.filter(
        household_id=OuterRef("household_id"),
        outcome=Outcome.VISITED,
        visited_at__gte=start,
        visited_at__lt=end,
    )
    counts = (
        CareProfile.objects.visible_to(user)
        .on_register()
        .filter(tier__in=SPECIAL_DIFFICULTY_TIERS)
        .annotate(reached=Exists(reached))
        .values("grid_id")
        .annotate(people=Count("id"), visited=Count("id", filter=Q(reached=True)))
    )
    grids = {grid.id: grid for grid in Grid.objects.visible_to(user)}
    rows = [RateRow(grids.get(entry["grid_id"]), entry["people"], entry["visited"]) for entry in counts]
    rows.sort(key=lambda row: row.grid.code if row.grid else "")
    if rows:
        rows.append(RateRow(None, sum(r.people for r in rows), sum(r.visited for r in rows)))
    return rows


def recent_visits_for(*, user, person) -> list[Visit]:
    """The last three visits to the caller's household, for the intake screen's caller panel.

    The panel lists them by date, way and outcome only; what a visit found stays on the visit
    page, where opening it is logged.
    """
    if not person.current_household_id:
        return []
    visits = Visit.objects.visible_to(user).filter(household_id=person.current_household_id)
    return list(visits.select_related("visitor").order_by("-visited_at")[:3])


def flags(user, today: date | None = None):
    """High-risk people not reached within their frequency: for the legs to press on."""
    today = today or timezone.localdate()
    return (
        CareProfile.objects.visible_to(user, "view_flags")
        .not_reached(today)
        .filter(tier="high")
        .select_related("person", "household__building", "grid", "responsible")
        .order_by("next_due_on", *_PLACE)
    )


def register(
    user,
    *,
    tier: str = "",
    grid_id: int | None = None,
    community_id: int | None = None,
    building_id: int | None = None,
    reached: bool | None = None,
    today: date | None = None,
):
    """The care register in the user's scope; `reached` (True/False) keeps those reached within their
    tier's frequency or not (the dashboard's visit coverage and the site plan's layer list through this)."""
    profiles = (
        _register_in(
            user,
            grid_id=grid_id,
            community_id=community_id,
            building_id=building_id,
            reached=reached,
            today=today,
        )
        .select_related("person", "household__building", "grid", "rule")
        .order_by("risk", *_PLACE, "person__name")
    )
    if tier:
        profiles = profiles.filter(tier=tier)
    return profiles


def _register_in(
    user, *, grid_id=None, community_id=None, building_id=None, reached: bool | None = None, today=None
):
    profiles = CareProfile.objects.visible_to(user)
    today = today or timezone.localdate()
    if reached is None:
        profiles = profiles.on_register()
    else:
        profiles = profiles.reached(today) if reached else profiles.not_reached(today)
    if grid_id:
        profiles = profiles.filter(grid_id=grid_id)
    if community_id:
        profiles = profiles.filter(community_id=community_id)
    if building_id:
        profiles = profiles.filter(household__building_id=building_id)
    return profiles


def coverage_counts(user, *, community_ids, grid_id: int | None = None, today: date | None = None) -> dict:
    """Per community: people on the care register, and those reached within their tier's frequency
    (the register's own rule, `care.models.not_reached_q`, which its "reached" filter applies too):
    one grouped query that the register index (community, on_register, risk, next_due_on) answers alone."""
    today = today or timezone.localdate()
    rows = (
        _register_in(user, grid_id=grid_id, today=today)
        .filter(community_id__in=list(community_ids))
        .order_by()
        .values("community_id")
        # Counting a column of the index (never null) rather than the id lets it answer alone.
        .annotate(people=Count("community_id"), reached=Count("community_id", filter=~not_reached_q(today)))
    )
    return {row["community_id"]: {"people": row["people"], "reached": row["reached"]} for row in rows}


def planned_services(
    user,
    *,
    first: date,
    end: date,
    community_id: int | None = None,
    grid_id: int | None = None,
    status: str = "",
):
    """Planned services due from `first` to before `end` in the user's scope (the services list and the
    dashboard's "delivered against due" read this one filter)."""
    services = PlannedService.objects.visible_to(user).filter(due_on__gte=first, due_on__lt=end)
    if community_id:
        services = services.filter(community_id=community_id)
    if grid_id:
        services = services.filter(grid_id=grid_id)
    if status:
        services = services.filter(status=status)
    return services


def service_counts_by_community(user, *, community_ids, first: date, end: date, grid_id=None) -> dict:
    """Per community: services due in the period, delivered, missed, and the volunteer hours recorded."""
    rows = (
        planned_services(user, first=first, end=end, grid_id=grid_id)
        .filter(community_id__in=list(community_ids))
        .order_by()
        .values("community_id")
        .annotate(
            due=Count("id"),
            done=Count("id", filter=Q(status=ServiceStatus.DONE)),
            missed=Count("id", filter=Q(status=ServiceStatus.MISSED)),
            with_hours=Count("id", filter=Q(status=ServiceStatus.DONE, hours__isnull=False)),
            hours=Sum("hours", filter=Q(status=ServiceStatus.DONE)),
        )
    )
    return {row.pop("community_id"): row for row in rows}


def visitor_list(user, campaign, visitor=None):
    """A campaign's households for one visitor (or all in scope), by risk then place: one walk."""
    targets = CampaignHousehold.objects.filter(campaign=campaign)
    if visitor is not None:
        targets = targets.filter(visitor=visitor)
    if not works_from_tasks(user):
        targets = targets & CampaignHousehold.objects.visible_to(user)
    elif visitor != user:
        return CampaignHousehold.objects.none()
    return targets.select_related("household__building", "visitor", "grid").order_by("risk", *_PLACE)


def active_enrolments(household):
    today = timezone.localdate()
    return (
        Enrolment.objects.filter(household=household)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .select_related("programme", "team", "person")
    )


def service_counts(enrolment, today: date | None = None) -> dict[str, int]:
    today = today or timezone.localdate()
    planned = enrolment.planned.all()
    return {
        "done": planned.filter(status=ServiceStatus.DONE).count(),
        "missed": planned.filter(status=ServiceStatus.MISSED).count(),
        "overdue": planned.overdue(today).count(),
    }


# --- household and person pages -------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    at: datetime
    kind: str  # "visit", "service", "case", "enrolment"
    obj: object


def care_timeline(user, household, limit: int = 20, services_shown: int = 10) -> list[TimelineEntry]:
    """Visits, enrolments, the household's cases and the latest services done or missed, newest first.

    Services are many (a weekly call alone is fifty a year), so only the latest few are
    shown here; the enrolment page has the whole plan.
    """
    from grassroots.cases.models import Case

    entries: list[TimelineEntry] = []
    visits = Visit.objects.filter(household=household).select_related("visitor", "person", "case")[:limit]
    entries += [TimelineEntry(visit.visited_at, "visit", visit) for visit in visits]
    recorded = (
        PlannedService.objects.filter(household=household, done_at__isnull=False)
        .exclude(status=ServiceStatus.PLANNED)
        .select_related("service", "volunteer", "enrolment__programme")
        .order_by("-done_at")[:services_shown]
    )
    entries += [TimelineEntry(item.done_at, "service", item) for item in recorded]
    enrolments = Enrolment.objects.filter(household=household).select_related("programme")[:limit]
    entries += [TimelineEntry(enrolment.enrolled_at, "enrolment", enrolment) for enrolment in enrolments]
    cases = Case.objects.visible_to(user).filter(household=household).select_related("category")[:limit]
    entries += [TimelineEntry(case.reported_at, "case", case) for case in cases]
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries


def upcoming_services(household, today: date | None = None, limit: int = 12):
    today = today or timezone.localdate()
    return (
        PlannedService.objects.filter(
            household=household, status=ServiceStatus.PLANNED, due_on__lte=today + timedelta(days=31)
        )
        .select_related("service", "enrolment__programme")
        .order_by("due_on", "service__order")[:limit]
    )
