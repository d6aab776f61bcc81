"""The service-hours ledger's write path: record, correct, redeem. Nothing else writes a HoursEntry.

Every change of a person's points takes their balance row's lock first (SELECT ... FOR UPDATE on
PostgreSQL; SQLite's immediate transactions serialise writers anyway), then writes the ledger row
and the new balance in the same transaction: two redemptions at once queue on that row, and the
second sees what the first spent.

Who calls what:
- activities.services.signup_confirm_hours: an activity's confirmed hours (source "activity",
  the sign-up's id);
- the receiver of care.signals.service_delivered (activities.apps): a delivered care service
  (source "care", the planned service's id), doubled by the default rules for a high-risk household;
- activities.lists.project_work_record: a piece of work on a project of the three lists (source
  "project", the ProjectWork's id);
- case_hours_record: the entry point for case work (source "case"), for the handler's report
  with hours once that report carries them;
- hours_correct and points_redeem: the office, from the statement page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.accounts.roles import user_can
from grassroots.activities.models import (
    Condition,
    HoursEntry,
    PointsBalance,
    PointsRule,
    SourceKind,
)
from grassroots.core import audit
from grassroots.people.models import Person

#: The most hours one entry may carry (a day's work): more is a typing error.
MAX_HOURS = Decimal(24)
TENTH = Decimal("0.1")


def _tenth(value: Decimal) -> Decimal:
    return Decimal(value).quantize(TENTH, rounding=ROUND_HALF_UP)


# --- points from hours: the rules ------------------------------------------------------------------


def _specificity(rule: PointsRule, community_id: int) -> tuple[int, int]:
    return (1 if rule.community_id == community_id else 0, 1 if rule.source_kind else 0)


def points_for(*, community_id: int, source_kind: str, hours: Decimal, facts: Iterable[str] = ()) -> Decimal:
    """The points these hours earn by the community's rules (see PointsRule): rate × multipliers.

    No rule at all gives no points (deny by default); the seeded defaults give 1 point an hour and
    double for a high-risk household.
    """
    facts = set(facts)
    rules = [
        rule
        for rule in PointsRule.objects.filter(active=True)
        .filter(Q(community_id=community_id) | Q(community__isnull=True))
        .filter(Q(source_kind=source_kind) | Q(source_kind=""))
    ]
    rates = [rule for rule in rules if not rule.condition]
    if not rates:
        return Decimal(0)
    rate = max(rates, key=lambda rule: _specificity(rule, community_id)).points_per_hour
    points = Decimal(hours) * rate
    for condition in sorted(facts & set(Condition.values)):
        matching = [rule for rule in rules if rule.condition == condition]
        if matching:
            points *= max(matching, key=lambda rule: _specificity(rule, community_id)).multiplier
    return _tenth(points)


# --- the balance row ---------------------------------------------------------------------------------


def _locked_balance(person: Person, community_id: int) -> PointsBalance:
    """The person's balance row, created if need be, locked until the transaction ends."""
    PointsBalance.objects.bulk_create(
        [PointsBalance(person_id=person.pk, community_id=community_id)], ignore_conflicts=True
    )
    return PointsBalance.objects.select_for_update().get(person_id=person.pk)


def _append(
    *,
    actor,
    person: Person,
    community_id: int,
    source_kind: str,
    source_id: int | None,
    hours: Decimal,
    points: Decimal,
    note: str,
    worked_at: datetime,
    corrects: HoursEntry | None = None,
    facts: Iterable[str] = (),
) -> HoursEntry:
    """Write one ledger row and move the balance, under the balance row's lock (call inside atomic)."""
    balance = _locked_balance(person, community_id)
    if balance.points + points < 0:
        raise ValidationError(
            {"points": _("Not enough points: the balance is %(balance)s.") % {"balance": balance.points}}
        )
    entry = HoursEntry.objects.create(
        community_id=community_id,
        person=person,
        source_kind=source_kind,
        source_id=source_id,
        hours=hours,
        points=points,
        note=(note or "")[:200],
        conditions=",".join(sorted(set(facts) & set(Condition.values))),
        worked_at=worked_at,
        recorded_at=timezone.now(),
        recorded_by=actor if getattr(actor, "pk", None) else None,
        corrects=corrects,
    )
    balance.points += points
    balance.hours += hours
    balance.save(update_fields=["points", "hours"])
    return entry


@dataclass(frozen=True)
class Work:
    """What a source says about a piece of work: whose, where, how long, when, and which facts hold."""

    person: Person
    community_id: int
    source_kind: str
    source_id: int
    hours: Decimal
    worked_at: datetime
    note: str = ""
    facts: frozenset[str] = frozenset()


def hours_record(*, actor, work: Work) -> HoursEntry:
    """Put a piece of work in the ledger, once: hours, and the points the rules give them.

    Called by the services that already decided the work was done and by whom (an activity's
    confirmation, a care delivery, a case report), inside their transaction; it checks the
    figures, not the permission. Recording the same source for the same person again returns the
    row already there (unless that row was reversed, when a new one is written).
    """
    hours = _tenth(work.hours)
    if hours < 0 or hours > MAX_HOURS:
        raise ValidationError({"hours": _("Hours are between 0 and 24.")})
    if work.source_kind not in (SourceKind.ACTIVITY, SourceKind.CASE, SourceKind.CARE, SourceKind.PROJECT):
        raise ValidationError(
            {"source_kind": _("Hours come from an activity, a case, a care service or a project.")}
        )
    with transaction.atomic():
        _locked_balance(work.person, work.community_id)  # one writer per person from here on
        existing = (
            HoursEntry.objects.filter(
                person=work.person,
                source_kind=work.source_kind,
                source_id=work.source_id,
                corrects__isnull=True,
                corrected_by__isnull=True,
            )
            .order_by("id")
            .first()
        )
        if existing is not None:
            return existing
        points = points_for(
            community_id=work.community_id, source_kind=work.source_kind, hours=hours, facts=work.facts
        )
        return _append(
            actor=actor,
            person=work.person,
            community_id=work.community_id,
            source_kind=work.source_kind,
            source_id=work.source_id,
            hours=hours,
            points=points,
            note=work.note,
            worked_at=work.worked_at,
            facts=work.facts,
        )


def case_hours_record(
    *,
    actor,
    case_id: int,
    community_id: int,
    person: Person,
    hours: Decimal,
    at: datetime,
    high_risk: bool = False,
) -> HoursEntry:
    """The entry point for case work: a handler reported a case done with hours.

    To be called by the cases app's report-done path (or a receiver of its committed event) once the
    handler's report carries hours; the case is the source, so a second report of the same case by
    the same person is not counted twice.
    """
    return hours_record(
        actor=actor,
        work=Work(
            person=person,
            community_id=community_id,
            source_kind=SourceKind.CASE,
            source_id=case_id,
            hours=hours,
            worked_at=at,
            facts=frozenset({Condition.HIGH_RISK_HOUSEHOLD}) if high_risk else frozenset(),
        ),
    )


def _may(actor, capability: str, community_id: int) -> bool:
    if not user_can(actor, capability):
        return False
    from grassroots.places.models import Community

    return Community.objects.visible_to(actor).filter(pk=community_id).exists()


def hours_correct(*, actor, entry: HoursEntry, reason: str, hours: Decimal | None = None) -> HoursEntry:
    """Correct a ledger row: a compensating row reverses it, and, given new hours, a new row states them.

    Never an edit: the row stays as it was, the compensating row points at it, and a row is
    reversed once. The new hours earn points by today's rules and the conditions the row recorded.
    Refused when the points already spent would take the balance below zero. Returns the
    compensating row.
    """
    if not _may(actor, "activities.hoursentry.correct", entry.community_id):
        raise PermissionDenied
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError({"reason": _("Please say why the entry is corrected.")})
    if entry.corrects_id is not None:
        raise ValidationError(
            {"entry": _("A correction is not corrected again: correct the entry it reverses.")}
        )
    if hours is not None and (hours < 0 or hours > MAX_HOURS):
        raise ValidationError({"hours": _("Hours are between 0 and 24.")})
    facts = _facts_of(entry)
    restated = None
    if hours is not None and entry.source_kind != SourceKind.REDEMPTION:
        restated = _tenth(hours)
    with transaction.atomic():
        balance = _locked_balance(entry.person, entry.community_id)
        if HoursEntry.objects.filter(corrects=entry).exists():
            raise ValidationError({"entry": _("This entry has already been corrected.")})
        new_points = Decimal(0)
        if restated is not None:
            new_points = points_for(
                community_id=entry.community_id, source_kind=entry.source_kind, hours=restated, facts=facts
            )
        if balance.points - entry.points + new_points < 0:  # points already spent cannot be taken back
            raise ValidationError(
                {"hours": _("Not enough points: the balance is %(balance)s.") % {"balance": balance.points}}
            )
        if restated is not None:  # first: the balance row's constraint holds after every row
            _append(
                actor=actor,
                person=entry.person,
                community_id=entry.community_id,
                source_kind=entry.source_kind,
                source_id=entry.source_id,
                hours=restated,
                points=new_points,
                note=reason,
                worked_at=entry.worked_at,
                facts=facts,
            )
        reversal = _append(
            actor=actor,
            person=entry.person,
            community_id=entry.community_id,
            source_kind=entry.source_kind,
            source_id=entry.source_id,
            hours=-entry.hours,
            points=-entry.points,
            note=reason,
            worked_at=entry.worked_at,
            corrects=entry,
            facts=facts,
        )
        audit.record("hours.correct", subject=entry, detail={"entry": entry.pk, "reversal": reversal.pk})
    return reversal


def _facts_of(entry: HoursEntry) -> frozenset[str]:
    """The facts a corrected entry's points stood on, as it recorded them."""
    return frozenset(code for code in entry.conditions.split(",") if code)


def points_redeem(*, actor, person: Person, points: Decimal, note: str) -> HoursEntry:
    """Spend points in the time bank (a haircut, a repair, a gift): a ledger row of negative points.

    Refused when the balance would go below zero: the balance row is locked, so two redemptions
    at once cannot both spend the same points.
    """
    community_id = person.community_id
    if community_id is None or not _may(actor, "activities.hoursentry.redeem", community_id):
        raise PermissionDenied
    try:
        points = _tenth(Decimal(points))
    except (ArithmeticError, TypeError, ValueError):
        raise ValidationError({"points": _("Give the points as a number.")}) from None
    if points <= 0:
        raise ValidationError({"points": _("Redeem at least 0.1 points.")})
    note = (note or "").strip()
    if len(note) < 2:
        raise ValidationError({"note": _("Please say what the points are exchanged for.")})
    with transaction.atomic():
        entry = _append(
            actor=actor,
            person=person,
            community_id=community_id,
            source_kind=SourceKind.REDEMPTION,
            source_id=None,
            hours=Decimal(0),
            points=-points,
            note=note,
            worked_at=timezone.now(),
        )
        audit.record("hours.redeem", subject=person, detail={"entry": entry.pk})
    return entry
