"""What the ledger hears from the apps below it: care's delivered services.

Cases' hours (a note or a "done" that carries hours) come from cases' committed events
(`case_hours_reported`), through activities.hours.case_hours_record.
"""

from __future__ import annotations

import logging

from grassroots.activities.hours import Work, hours_record
from grassroots.activities.models import Condition, SourceKind
from grassroots.care.models import CareProfile, Tier

logger = logging.getLogger("grassroots.activities")


def high_risk_household(household_id: int) -> bool:
    """Whether someone of the household is on the care register at the high-risk tier."""
    return CareProfile.objects.filter(household_id=household_id, on_register=True, tier=Tier.HIGH).exists()


def care_service_delivered(sender, *, planned, actor, **kwargs) -> None:
    """A care service was delivered: its volunteer's hours go into the ledger, in the same transaction.

    The hours are the delivery's (care records them, by default the programme service's hours
    each); a service delivered by nobody in the register (no volunteer person) earns nobody hours.
    """
    if planned.volunteer_id is None or planned.hours is None:
        return
    facts = (
        frozenset({Condition.HIGH_RISK_HOUSEHOLD})
        if high_risk_household(planned.household_id)
        else frozenset()
    )
    hours_record(
        actor=actor,
        work=Work(
            person=planned.volunteer,
            community_id=planned.community_id,
            source_kind=SourceKind.CARE,
            source_id=planned.pk,
            hours=planned.hours,
            worked_at=planned.done_at,
            note=planned.service.name[:200],
            facts=facts,
        ),
    )


def _worker(hours_by: str):
    """The person a case's "hours by" names ("person:12", or an account "user:5" that is a person);
    a team or a unit as a whole earns nobody hours."""
    from grassroots.accounts.models import User
    from grassroots.people.models import Person

    kind, _sep, raw = (hours_by or "").partition(":")
    if not raw.isdigit():
        return None
    if kind == "person":
        return Person.objects.filter(pk=int(raw)).first()
    if kind == "user":
        user = User.objects.select_related("person").filter(pk=int(raw)).first()
        return user.person if user else None
    return None


def case_hours_reported(sender, *, event_id: int, **kwargs) -> None:
    """A committed case event with hours (a note or "done" on the phone page, a staff form, the
    API): the worker's hours go into the ledger, the case as the source (activities.hours)."""
    from decimal import Decimal

    from django.core.exceptions import ValidationError
    from django.db import transaction

    from grassroots.accounts import system_actor
    from grassroots.activities.hours import case_hours_record
    from grassroots.cases.models import CaseEvent

    # Most entries carry no hours (every report, every registration): look at their changes alone first.
    changes = CaseEvent.objects.filter(pk=event_id).values_list("changes", flat=True).first() or {}
    if not changes.get("hours"):
        return
    event = CaseEvent.objects.select_related("case", "actor").get(pk=event_id)
    person = _worker(changes.get("hours_by", ""))
    if person is None:
        return
    case = event.case
    try:
        with transaction.atomic():
            case_hours_record(
                actor=event.actor or system_actor(),
                case_id=case.pk,
                community_id=case.community_id,
                person=person,
                hours=Decimal(changes["hours"]),
                at=event.at,
                high_risk=bool(case.household_id) and high_risk_household(case.household_id),
            )
    except ValidationError:
        # More than the ledger takes for one piece of work (24 h): kept on the timeline, not counted.
        logger.warning("case event %s: hours beyond the ledger's limit, not recorded", event_id)
