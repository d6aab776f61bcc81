"""The reads of the activities and hours pages: through `visible_to`, bounded, a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from grassroots.activities.models import (
    Activity,
    ActivityStatus,
    HoursEntry,
    PointsBalance,
    Signup,
    SignupStatus,
    SourceKind,
)
from grassroots.orgs.models import MemberUnit, PartyBranch, Volunteer, VolunteerTeam
from grassroots.people.models import Person

_CONFIRMED = Count("signups", filter=Q(signups__status=SignupStatus.CONFIRMED))
_WAITING = Count("signups", filter=Q(signups__status=SignupStatus.WAITING))


def upcoming_list(user, *, now: datetime | None = None):
    """The community's activities not over yet, soonest first, with their places taken (one query a page)."""
    now = now or timezone.now()
    return (
        Activity.objects.visible_to(user)
        .filter(status=ActivityStatus.PUBLISHED, ends_at__gte=now)
        .select_related("theme", "team")
        .annotate(taken=_CONFIRMED, waiting=_WAITING)
        .order_by("starts_at", "id")
    )


def activity_for(user, pk: int) -> Activity | None:
    """One activity the user may see, with its places taken; None (the page answers 404) otherwise."""
    return (
        Activity.objects.visible_to(user)
        .select_related("theme", "team", "community")
        .annotate(taken=_CONFIRMED, waiting=_WAITING)
        .filter(pk=pk)
        .first()
    )


def own_signup(user, activity: Activity) -> Signup | None:
    """The user's live sign-up for the activity (a place or a place in line), if any."""
    if not user.person_id:
        return None
    return (
        Signup.objects.filter(activity=activity, person_id=user.person_id)
        .exclude(status=SignupStatus.CANCELLED)
        .first()
    )


def waiting_position(signup: Signup) -> int:
    """Where a waiting sign-up stands in line (1 = next to move up)."""
    ahead = Signup.objects.filter(activity_id=signup.activity_id, status=SignupStatus.WAITING).filter(
        Q(signed_up_at__lt=signup.signed_up_at) | Q(signed_up_at=signup.signed_up_at, id__lt=signup.id)
    )
    return ahead.count() + 1


def roll_for(activity: Activity) -> list[Signup]:
    """The roll call: who has a place, then who waits, in the order they came (capacity bounds it)."""
    return list(
        activity.signups.exclude(status=SignupStatus.CANCELLED)
        .select_related("person")
        .order_by("-status", "signed_up_at", "id")  # "waiting" sorts after "confirmed" descending
    )


def _candidates(activity: Activity):
    volunteers = Volunteer.objects.filter(active=True)
    if activity.team_id:
        volunteers = volunteers.filter(teams=activity.team_id)
    else:
        volunteers = volunteers.filter(person__community_id=activity.community_id)
    signed = activity.signups.exclude(status=SignupStatus.CANCELLED).values("person_id")
    return Person.objects.filter(pk__in=volunteers.values("person_id")).exclude(pk__in=signed)


def people_to_sign_up(activity: Activity, limit: int = 200) -> list[Person]:
    """Whom the office or the leader may sign up from the roll call: the team's volunteers, else the
    community's (at most 200, by name), leaving out who is already signed up."""
    return list(_candidates(activity).order_by("name", "id")[:limit])


def candidate_for(activity: Activity, person_id: int) -> Person | None:
    """One of the people the roll call offers (a posted id outside them is not found)."""
    return _candidates(activity).filter(pk=person_id).first()


def my_signups(user):
    """The user's sign-ups, newest activity first (a page at a time)."""
    if not user.person_id:
        return Signup.objects.none()
    return (
        Signup.objects.filter(person_id=user.person_id)
        .exclude(status=SignupStatus.CANCELLED)
        .select_related("activity", "activity__theme")
        .order_by("-activity__starts_at", "-id")
    )


@dataclass
class Statement:
    """A person's year in the ledger: every row, totals by source, and the points balance today."""

    person: Person
    year: int
    entries: list[HoursEntry]
    hours: Decimal
    points: Decimal
    redeemed: Decimal
    by_source: list[tuple[str, Decimal, Decimal]]
    balance: Decimal


def _year_range(year: int) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)


def statement_for(person: Person, year: int) -> Statement:
    """The yearly statement of a volunteer: the rows of the year (work done that year), with totals.

    Read through the (person, worked_at) index; a year of one person's work is a few hundred rows.
    """
    first, after = _year_range(year)
    rows = HoursEntry.objects.filter(person=person, worked_at__gte=first, worked_at__lt=after)
    entries = list(rows.select_related("recorded_by", "corrects").order_by("worked_at", "id"))
    labels = dict(SourceKind.choices)
    by_source: dict[str, list[Decimal]] = {}
    for entry in entries:
        sums = by_source.setdefault(entry.source_kind, [Decimal(0), Decimal(0)])
        sums[0] += entry.hours
        sums[1] += entry.points
    balance = PointsBalance.objects.filter(person=person).values_list("points", flat=True).first()
    return Statement(
        person=person,
        year=year,
        entries=entries,
        hours=sum((entry.hours for entry in entries), Decimal(0)),
        points=sum((e.points for e in entries if e.source_kind != SourceKind.REDEMPTION), Decimal(0)),
        redeemed=-sum((e.points for e in entries if e.source_kind == SourceKind.REDEMPTION), Decimal(0)),
        by_source=[(str(labels[kind]), sums[0], sums[1]) for kind, sums in sorted(by_source.items())],
        balance=balance or Decimal(0),
    )


@dataclass
class Totals:
    """A year's hours by team, party branch and member unit, in the reader's scope."""

    year: int
    hours: Decimal
    people: int
    teams: list
    branches: list
    units: list


def totals_for(user, year: int) -> Totals:
    """Hours of the year per team, per branch and per member unit (a person counts in each of theirs).

    Four grouped queries over the year's rows of the reader's scope, through the community's
    (community, worked_at) index; the groups are as few as the teams, branches and units.
    """
    first, after = _year_range(year)
    rows = HoursEntry.objects.visible_to(user, "totals").filter(worked_at__gte=first, worked_at__lt=after)
    overall = rows.aggregate(hours=Sum("hours"), people=Count("person", distinct=True))

    def grouped(model, path: str):
        sums = dict(
            rows.filter(**{f"{path}__isnull": False})
            .values_list(path)
            .annotate(hours=Sum("hours"))
            .values_list(path, "hours")
        )
        named = model.objects.filter(pk__in=list(sums)).order_by("name")
        return [(item, sums[item.pk]) for item in named]

    return Totals(
        year=year,
        hours=overall["hours"] or Decimal(0),
        people=overall["people"] or 0,
        teams=grouped(VolunteerTeam, "person__volunteer__teams"),
        branches=grouped(PartyBranch, "person__party_membership__branch"),
        units=grouped(MemberUnit, "person__user__member_unit"),
    )


def recent_hours_by_person(person_ids, since: datetime) -> dict[int, Decimal]:
    """Each person's hours in the ledger since a moment, corrections included (the dispatch ranking).

    One grouped query over the (person, worked_at) index, for the few candidates on a dispatch screen.
    """
    rows = (
        HoursEntry.objects.filter(person_id__in=list(person_ids), worked_at__gte=since)
        .values("person_id")
        .annotate(total=Sum("hours"))
    )
    return {row["person_id"]: row["total"] for row in rows if row["total"]}


def hours_by_person(*, user, person_ids, year: int) -> dict[int, Decimal]:
    """The year's ledger hours of these people, as the reader may total them (orgs' serving page).

    One grouped query over the (person, worked_at) index; the people are a values() queryset.
    """
    first, after = _year_range(year)
    rows = (
        HoursEntry.objects.visible_to(user, "totals")
        .filter(person_id__in=person_ids, worked_at__gte=first, worked_at__lt=after)
        .order_by()
        .values_list("person_id")
        .annotate(hours=Sum("hours"))
        .values_list("person_id", "hours")
    )
    return dict(rows)
