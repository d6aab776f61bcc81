"""What the ledger hears from the apps below it: care's delivered services.

Cases' hours (the handler's report with hours) come in through activities.hours.case_hours_record.
"""

from __future__ import annotations

from grassroots.activities.hours import Work, hours_record
from grassroots.activities.models import Condition, SourceKind
from grassroots.care.models import CareProfile, Tier


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
