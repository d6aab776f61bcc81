"""The stories and today's cases, told through the services at their moments in the past.

`Steps.do(moment, service, **keywords)` calls a service of cases.services with the demo's
clock at `moment` (demo.clock), so the case, its parties and its timeline entry carry that
moment as the service writes them, and nothing is moved afterwards. Each step is taken by
the account whose role takes it in the story.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from grassroots.accounts.models import User
from grassroots.cases import links, services
from grassroots.cases.models import Assignment, Case, CaseCounter
from grassroots.cases.services import ReportDetails
from grassroots.demo.cases.registry import Party, Registry
from grassroots.demo.clock import demo_clock
from grassroots.people.models import Person
from grassroots.places.models import Community, Household


class Steps:
    """Runs services as if at moments in the past."""

    def __init__(self, registry: Registry, places: dict[datetime, int], phones: dict[int, str]):
        self.reg = registry
        self.places = places
        self.phones = phones

    def do(self, moment: datetime, service: Callable[..., Case], **kwargs) -> Case:
        if moment > self.reg.now:
            raise ValueError("A demo step cannot happen after `now`.")
        with demo_clock(moment):
            return service(**kwargs)

    def report(
        self, moment: datetime, actor: User, *, register: bool = True, note: str = "", **details
    ) -> Case:
        """case_report at `moment`, taking the number kept for it in the day's sequence.

        The year around it is written in bulk (demo.cases.rows), numbered in the order the
        cases came in; the day's counter is set where the services would have left it had
        the day's earlier cases gone through them, so the service takes the number kept.
        The caller's number is the one intake takes from the caller ID (the demo's plan).
        """
        place = self.places.get(moment)
        if place is not None:
            day = timezone.localtime(moment).date()
            CaseCounter.objects.update_or_create(
                community=self.reg.community, day=day, defaults={"last": place - 1}
            )
        person = details.get("reporter_person")
        phone = self.phones.get(person.pk, "") if person is not None else ""
        return self.do(
            moment,
            services.case_report,
            actor=actor,
            community=self.reg.community,
            details=ReportDetails(reported_at=moment, reporter_phone=phone, **details),
            register=register,
            note=note,
        )

    def acknowledge_for(
        self, moment: datetime, case: Case, party: Party, *, recorded_by: User, note: str = ""
    ) -> Case:
        """A summoned party without an account reports for duty by phone; the coordinator records it."""
        return self.do(
            moment,
            services.case_acknowledge,
            actor=recorded_by,
            case=case,
            party=party.service_party,
            note=note or f"{party.name}已电话确认接单，由工作人员代为登记。",
        )

    def by_link(
        self, moment: datetime, case: Case, party: Party, *, action: str = "acknowledge", note: str = ""
    ) -> Case:
        """A summoned party without an account acts through the one-tap link of their SMS.

        The link is the one notify would have put in the SMS (cases.links.party_link_for), and the
        act goes through the same service, with the same link, as the one-tap page (portal.task):
        the timeline records the party by name, as themselves. The use is logged like a tap.
        """
        if moment > self.reg.now:
            raise ValueError("A demo step cannot happen after `now`.")
        with demo_clock(moment):
            assignment = Assignment.objects.get(case=case, active=True, **{f"{party.kind}_id": party.id})
            link = links.party_link_for(assignment=assignment, holder_name=party.name)
            links.record_use(link, device=DEMO_PHONE, what="open")
            if action == "resolve":
                done = services.case_resolve(actor=None, case=case.pk, link=link, report=note)
            elif action == "note":
                done = services.case_note(actor=None, case=case.pk, link=link, note=note)
            else:
                done = services.case_acknowledge(actor=None, case=case.pk, link=link, note=note)
            links.record_use(link, device=DEMO_PHONE, what=action)
            return done


#: The device the demo's one-tap uses are logged from (a keyed hash in real use; here a fixed label).
DEMO_PHONE = "demo-phone"


@dataclass
class Plan:
    """A case the services will make: when it is reported, and how it goes on from there."""

    reported_at: datetime
    run: Callable[[Steps, datetime], Case]
    key: str


def person_by_id(person_id: int) -> Person:
    return Person.objects.get(pk=person_id)


def household_at(community: Community, address: str) -> Household | None:
    """The household at "building-entrance-room" (e.g. "15-1-502")."""
    number, entrance, room = address.split("-")
    return (
        Household.objects.filter(
            building__community=community, building__number=int(number), entrance=int(entrance), room=room
        )
        .select_related("building", "grid")
        .first()
    )
