"""A year of cases as the services write them: drafted in memory, then written with bulk_create.

The services take a few milliseconds per action, and a year of history is some 20,000
actions: through them the demo would take a minute or more to build. So the history is
drafted here, action by action, by methods named and shaped like the services
(`draft.dispatch(at, actor, lead=...)` stands for `case_dispatch(actor=..., lead=...)` at
`at`). Each changes the Case as the service's mutation does and appends the timeline entry
the service records (actor, the role they act in, note, statuses from the workflow table,
changes), reading the same rules the services read: the workflow table (`next_status`),
the due times (`case_due_times`), who reports as themselves, the number format. The rows are
then written once, with bulk_create (cases, their parties, their timelines), and never
updated: the timeline stays append-only.

Each draft also keeps the service calls it stands for (`draft.calls`), and
tests/test_case_demo.py replays a sample of the year through the services, at the same
moments, and finds the same rows. That test is what keeps this mirror true when a service
changes.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

from grassroots.accounts.models import User
from grassroots.accounts.roles import reports_as_self, role_of
from grassroots.cases.models import Assignment, Case, CaseCounter, CaseEvent, Satisfaction
from grassroots.cases.services import case_due_times, case_number
from grassroots.cases.workflow import ASSIGNEE, LEAD, REPORTER, Action, Status, next_status
from grassroots.demo.cases.registry import Party, Registry
from grassroots.places.models import Community

BATCH = 1000


@dataclass(frozen=True)
class Call:
    """One service call a draft stands for: the action, who took it, when, and the service's keywords."""

    at: datetime
    action: str
    actor: User | None
    inputs: dict


def _as_read(moment: datetime) -> datetime:
    """A moment as a service reads it back from the case row (in UTC), for the changes it records."""
    return moment.astimezone(UTC)


class CaseDraft:
    """One historic case with its parties and timeline, as the services would have written them."""

    def __init__(self, case: Case, registry: Registry):
        self.case = case
        self.reg = registry
        self.events: list[CaseEvent] = []
        self.parties: list[tuple[Assignment, Party]] = []
        self.calls: list[Call] = []
        self.clock: datetime | None = None
        self.duplicate_of: CaseDraft | None = None
        self._merge_event: CaseEvent | None = None
        self._duplicate_note: CaseEvent | None = None

    @property
    def assignments(self) -> list[Assignment]:
        return [assignment for assignment, _party in self.parties]

    def later(self, minutes_from: float, minutes_to: float, rng: random.Random) -> datetime:
        return self.clock + timedelta(minutes=rng.uniform(minutes_from, minutes_to))

    # --- the skeleton every action shares (services._act, services._record) ---------------------------

    def _call(self, at: datetime, actor: User | None, action: str, inputs: dict) -> datetime:
        """Note the call; a step is never earlier than the one before, so the timeline reads in order."""
        if self.clock is not None and at < self.clock:
            at = self.clock
        self.clock = at
        self.calls.append(Call(at, action, actor, inputs))
        return at

    def _record(
        self,
        at: datetime,
        actor: User | None,
        action: str,
        *,
        note: str,
        before: str,
        changes: dict,
        public: bool = True,
        role: str | None = None,
    ) -> CaseEvent:
        event = CaseEvent(
            case=self.case,
            at=at,
            actor=actor,
            actor_role=role_of(actor) if role is None else role,
            action=action,
            note=note,
            from_status=before,
            to_status=self.case.status,
            changes=changes,
            public=public,
        )
        self.events.append(event)
        return event

    def _act(
        self,
        at: datetime,
        actor: User | None,
        action: str,
        inputs: dict,
        *,
        note: str = "",
        mutate: Callable[[datetime], dict] | None = None,
        outcome: str | Callable[[], str] | None = None,
        public: bool = True,
        role: str | None = None,
    ) -> CaseEvent:
        at = self._call(at, actor, action, inputs)
        before = self.case.status
        changes = mutate(at) if mutate else {}
        self.case.status = next_status(action, before, outcome=outcome() if callable(outcome) else outcome)
        self.case.version += 1
        return self._record(
            at, actor, action, note=note, before=before, changes=changes, public=public, role=role
        )

    # --- reporting and registration --------------------------------------------------------------------

    def report(self, at: datetime, actor: User | None, *, note: str = "") -> CaseEvent:
        """case_report, entered by `actor` (None: a resident's own report on the portal, no account)."""
        at = self._call(at, actor, Action.REPORT, {"note": note})
        case = self.case
        case.status, case.reported_at, case.created_by = Status.REPORTED, at, actor
        case.reporter_user = actor if reports_as_self(actor) else None
        if case.anonymous:
            case.reporter_person, case.reporter_name = None, ""
        return self._record(at, actor, Action.REPORT, note=note, before="", changes={})

    def register(self, at: datetime, actor: User, *, note: str = "") -> CaseEvent:
        def mutate(at: datetime) -> dict:
            case = self.case
            case.registered_at = at
            case.response_due, case.resolution_due = case_due_times(case.category, case.urgency, at)
            return {
                "response_due": case.response_due.isoformat(),
                "resolution_due": case.resolution_due.isoformat(),
            }

        return self._act(at, actor, Action.REGISTER, {"note": note}, note=note, mutate=mutate)

    def reject(self, at: datetime, actor: User, *, reason: str) -> CaseEvent:
        def mutate(at: datetime) -> dict:
            self.case.rejection_reason, self.case.closed_at = reason.strip(), at
            return {}

        return self._act(at, actor, Action.REJECT, {"reason": reason}, note=reason, mutate=mutate)

    def merge(self, at: datetime, actor: User, *, into: CaseDraft, note: str = "") -> CaseEvent:
        """case_merge: folded into the open case it repeats, which notes the duplicate on its timeline.

        The numbers in both notes are filled in once the year is numbered (fill_numbers).
        """

        def mutate(at: datetime) -> dict:
            self.case.merged_into, self.case.closed_at = into.case, at
            return {"merged_into": into.case.number}

        self.duplicate_of = into
        self._merge_event = self._act(
            at,
            actor,
            Action.MERGE,
            {"into": into, "note": note},
            note=note or into.case.number,
            mutate=mutate,
        )
        self._duplicate_note = into._note_duplicate(self.clock, actor)
        return self._merge_event

    def _note_duplicate(self, at: datetime, actor: User) -> CaseEvent:
        """The original's side of a merge: a note at that moment, in its timeline's order."""
        position = next((i for i, event in enumerate(self.events) if event.at > at), len(self.events))
        status = self.events[position - 1].to_status
        self.case.version += 1
        event = CaseEvent(
            case=self.case,
            at=at,
            actor=actor,
            actor_role=role_of(actor),
            action=Action.NOTE,
            note="",
            from_status=status,
            to_status=status,
            changes={},
        )
        self.events.insert(position, event)
        return event

    def fill_numbers(self) -> None:
        """The duplicate's and the original's numbers in the merge and its note, once both are numbered."""
        if self.duplicate_of is None:
            return
        original, duplicate = self.duplicate_of.case.number, self.case.number
        if not self._merge_event.note:
            self._merge_event.note = original
        self._merge_event.changes = {"merged_into": original}
        # The timeline words the duplicate's number in the reader's language.
        self._duplicate_note.note = duplicate
        self._duplicate_note.changes = {"duplicate": duplicate}

    # --- dispatch, the whistle, reporting for duty -----------------------------------------------------

    def _summon(self, at: datetime, lead: Party, supporters: list[Party], role_notes: dict[str, str]) -> dict:
        wanted = [lead] + [party for party in supporters if party.key != lead.key]
        for assignment, _party in self.parties:
            assignment.active = False
        for party in wanted:
            assignment = Assignment(
                case=self.case,
                is_lead=party.key == lead.key,
                summoned_at=at,
                role_note=role_notes.get(party.key, "")[:100],
                **{f"{party.kind}_id": party.id},
            )
            self.parties.append((assignment, party))
        return {"lead": lead.key, "supporters": [party.key for party in wanted if party.key != lead.key]}

    def dispatch(
        self,
        at: datetime,
        actor: User,
        *,
        lead: Party,
        supporters: list[Party] = (),
        note: str = "",
        role_notes: dict[str, str] | None = None,
    ) -> CaseEvent:
        return self._summon_for(Action.DISPATCH, at, actor, lead, "supporters", supporters, note, role_notes)

    def whistle(
        self,
        at: datetime,
        actor: User,
        *,
        lead: Party,
        parties: list[Party],
        note: str = "",
        role_notes: dict[str, str] | None = None,
    ) -> CaseEvent:
        return self._summon_for(Action.WHISTLE, at, actor, lead, "parties", parties, note, role_notes)

    def _summon_for(
        self,
        action: str,
        at: datetime,
        actor: User,
        lead: Party,
        keyword: str,
        others: list[Party],
        note: str,
        role_notes: dict[str, str] | None,
    ) -> CaseEvent:
        """Dispatch and whistle differ in what they demand, not in what they write (services._summon_for)."""
        role_notes = role_notes or {}
        inputs = {
            "lead": lead.service_party,
            keyword: [party.service_party for party in others],
            "note": note,
            "role_notes": role_notes,
        }
        return self._act(
            at, actor, action, inputs, note=note, mutate=lambda at: self._summon(at, lead, others, role_notes)
        )

    def pending(self, party: Party) -> bool:
        """This party is summoned and has not reported for duty yet."""
        return any(
            assignment.active and assignment.acknowledged_at is None and summoned.key == party.key
            for assignment, summoned in self.parties
        )

    def acknowledge(
        self, at: datetime, actor: User, *, party: Party | None = None, note: str = ""
    ) -> CaseEvent:
        """case_acknowledge: the actor's own parties report for duty, or `party`, by a coordinator."""
        signed = {"lead": False}

        def mutate(at: datetime) -> dict:
            pending = [
                (assignment, summoned)
                for assignment, summoned in self.parties
                if assignment.active and assignment.acknowledged_at is None
            ]
            if party is None:
                mine = [(a, summoned) for a, summoned in pending if self.reg.addresses(summoned, actor)]
            else:
                mine = [(a, summoned) for a, summoned in pending if summoned.key == party.key]
            if not mine:
                raise ValueError(f"{self.case.number or 'A draft case'}: nobody left to report for duty")
            mine.sort(key=lambda pair: not pair[0].is_lead)  # the service reads them lead first
            for assignment, _summoned in mine:
                assignment.acknowledged_at, assignment.acknowledged_by = at, actor
            signed["lead"] = any(assignment.is_lead for assignment, _summoned in mine)
            if signed["lead"] and self.case.responded_at is None:
                self.case.responded_at = at
            changes: dict = {"acknowledged": [summoned.name for _a, summoned in mine]}
            if party is not None:
                changes["on_behalf"] = party.key
            return changes

        inputs = {"party": party.service_party if party else None, "note": note}
        return self._act(
            at,
            actor,
            Action.ACKNOWLEDGE,
            inputs,
            note=note,
            mutate=mutate,
            outcome=lambda: LEAD if signed["lead"] else ASSIGNEE,
        )

    def plan(self, at: datetime, actor: User, *, plan: str) -> CaseEvent:
        def mutate(at: datetime) -> dict:
            old, self.case.plan = self.case.plan, plan.strip()
            return {"plan": {"old": old, "new": self.case.plan}}

        return self._act(at, actor, Action.PLAN, {"plan": plan}, note=plan.strip(), mutate=mutate)

    # --- resolution, call-back, closure ----------------------------------------------------------------

    def resolve(self, at: datetime, actor: User, *, report: str) -> CaseEvent:
        def mutate(at: datetime) -> dict:
            self.case.resolution_report, self.case.resolved_at = report.strip(), at
            return {}

        return self._act(at, actor, Action.RESOLVE, {"report": report}, note=report.strip(), mutate=mutate)

    def verify(self, at: datetime, actor: User, *, satisfaction: str, note: str = "") -> CaseEvent:
        return self._verdict(at, actor, satisfaction, note)

    def rate_by_token(self, at: datetime, *, satisfaction: str, note: str = "") -> CaseEvent:
        """case_rate_by_token: the reporter's own verdict on the portal, without an account."""
        return self._verdict(at, None, satisfaction, note, role=REPORTER)

    def _verdict(
        self, at: datetime, actor: User | None, satisfaction: str, note: str, role: str | None = None
    ) -> CaseEvent:
        """The call-back's verdict; unsatisfied is rework: the same parties sign again, fresh clocks."""

        def mutate(at: datetime) -> dict:
            case = self.case
            case.satisfaction = satisfaction
            changes: dict = {"satisfaction": satisfaction}
            if satisfaction == Satisfaction.UNSATISFIED:
                case.rework_count += 1
                case.resolved_at = None
                for assignment in self.assignments:
                    if assignment.active:
                        assignment.acknowledged_at = assignment.acknowledged_by = None
                old = case.resolution_due
                case.response_due, case.resolution_due = case_due_times(case.category, case.urgency, at)
                case.responded_at = case.overdue_notified_at = None
                changes["resolution_due"] = {
                    "old": _as_read(old).isoformat() if old else None,
                    "new": case.resolution_due.isoformat(),
                }
            return changes

        inputs = {"satisfaction": satisfaction, "note": note}
        return self._act(
            at, actor, Action.VERIFY, inputs, note=note, mutate=mutate, outcome=satisfaction, role=role
        )

    def close(self, at: datetime, actor: User, *, note: str = "") -> CaseEvent:
        def mutate(at: datetime) -> dict:
            self.case.closed_at = at
            return {}

        return self._act(at, actor, Action.CLOSE, {"note": note}, note=note, mutate=mutate)

    # --- supervision and notes -------------------------------------------------------------------------

    def urge(self, at: datetime, actor: User, *, note: str = "") -> CaseEvent:
        def mutate(at: datetime) -> dict:
            self.case.urge_count += 1
            self.case.last_urged_at = at
            return {"urge_count": self.case.urge_count}

        return self._act(at, actor, Action.URGE, {"note": note}, note=note, mutate=mutate)

    def escalate(self, at: datetime, actor: User, *, reason: str) -> CaseEvent:
        def mutate(at: datetime) -> dict:
            self.case.escalated_at = at
            return {}

        return self._act(at, actor, Action.ESCALATE, {"reason": reason}, note=reason.strip(), mutate=mutate)

    def extend(self, at: datetime, actor: User, *, minutes: int, reason: str) -> CaseEvent:
        def mutate(at: datetime) -> dict:
            self.case.extension_requested_minutes, self.case.extension_reason = minutes, reason.strip()
            return {"minutes": minutes}

        inputs = {"minutes": minutes, "reason": reason}
        return self._act(at, actor, Action.EXTEND, inputs, note=reason.strip(), mutate=mutate)

    def decide_extension(self, at: datetime, actor: User, *, approve: bool, note: str = "") -> CaseEvent:
        def mutate(at: datetime) -> dict:
            case = self.case
            minutes = case.extension_requested_minutes
            changes: dict = {"approved": approve, "minutes": minutes}
            if approve and case.resolution_due:
                old = case.resolution_due
                case.resolution_due = old + timedelta(minutes=minutes)
                case.overdue_notified_at = None
                changes["resolution_due"] = {
                    "old": _as_read(old).isoformat(),
                    "new": _as_read(case.resolution_due).isoformat(),
                }
            case.extension_requested_minutes, case.extension_reason = None, ""
            return changes

        inputs = {"approve": approve, "note": note}
        return self._act(at, actor, Action.DECIDE_EXTENSION, inputs, note=note, mutate=mutate)

    def note(self, at: datetime, actor: User, *, note: str, public: bool = True) -> CaseEvent:
        inputs = {"note": note, "public": public}
        return self._act(at, actor, Action.NOTE, inputs, note=note.strip(), public=public)

    def swept(self, at: datetime) -> None:
        """The overdue sweep told the legs at `at` (cases.tasks stamps the case, writes no timeline entry)."""
        self.case.overdue_notified_at = at


# --- numbers and writing ------------------------------------------------------------------------------


def number_cases(
    community: Community, drafts: list[CaseDraft], reserved: list[datetime]
) -> tuple[dict[datetime, int], dict[date, int]]:
    """Number the year's cases day by day in the order they came in, as the services number them.

    `reserved` are the report times of the cases the services will make (the stories,
    today's work); each gets its place in its day's sequence (returned), so that numbers
    follow the clock on every day. Returns those places and, per day, the last number used.
    """
    existing = dict(CaseCounter.objects.filter(community=community).values_list("day", "last"))
    by_day: dict[date, list[tuple[datetime, int]]] = defaultdict(list)
    for position, draft in enumerate(drafts):
        by_day[timezone.localtime(draft.case.reported_at).date()].append((draft.case.reported_at, position))
    for position, moment in enumerate(reserved):
        by_day[timezone.localtime(moment).date()].append((moment, -1 - position))
    places: dict[datetime, int] = {}
    last: dict[date, int] = {}
    for day, entries in by_day.items():
        entries.sort()
        base = existing.get(day, 0)
        for offset, (moment, position) in enumerate(entries, start=1):
            if position >= 0:
                drafts[position].case.number = case_number(community, day, base + offset)
            else:
                places[moment] = base + offset
        last[day] = base + len(entries)
    for draft in drafts:
        draft.fill_numbers()
    return places, last


def write_drafts(drafts: list[CaseDraft]) -> None:
    """Insert the year: the cases (duplicates after the cases they repeat), their parties, their timelines."""
    Case.objects.bulk_create([d.case for d in drafts if d.duplicate_of is None], batch_size=BATCH)
    Case.objects.bulk_create([d.case for d in drafts if d.duplicate_of is not None], batch_size=BATCH)
    Assignment.objects.bulk_create([a for d in drafts for a in d.assignments], batch_size=BATCH)
    CaseEvent.objects.bulk_create([e for d in drafts for e in d.events], batch_size=BATCH)
