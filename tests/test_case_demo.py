"""The demo's cases tell the article's stories and a plausible year, every timeline reads in order,
and the year written in bulk is what the services themselves would have written.

The registry (with what the other apps add to the demo) is built once for this module,
then the case demo with a fixed seed and a fixed "now", inside a transaction rolled back
when the module ends. Should the demo builder already write the case demo itself, the
fixture uses those cases (with the moment they were built as "now"), so these tests hold
either way.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from grassroots.accounts.models import User
from grassroots.cases.models import Assignment, Case, CaseCounter, CaseEvent, Category, Channel, Urgency
from grassroots.cases.selectors import my_assignments
from grassroots.cases.services import ReportDetails, case_rate_by_token, case_report
from grassroots.cases.workflow import FINAL, OPEN, Action, Status, case_perform
from grassroots.core import pii
from grassroots.demo.builder import demo_build
from grassroots.demo.cases import build_case_demo
from grassroots.demo.cases.history import History
from grassroots.demo.cases.registry import Registry
from grassroots.demo.cases.rows import CaseDraft, number_cases
from grassroots.demo.clock import demo_clock
from grassroots.orgs.models import PartyMember, Volunteer
from grassroots.people.models import Person
from grassroots.places.models import Building, Household

pytestmark = pytest.mark.django_db

SEED = 20261128
NOW = datetime(2026, 11, 20, 15, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The registry, then the cases; all rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        started = timezone.now()
        community = demo_build()
        counts, seconds, now = None, 0.0, started
        if Case.objects.filter(community=community).count() < 1000:  # only the care demo's case or two
            clock = time.monotonic()
            counts = build_case_demo(community, random.Random(SEED), now=NOW)
            seconds, now = time.monotonic() - clock, NOW
            print(f"\nbuild_case_demo: {seconds:.1f} s, {counts}")  # how long it takes here
        yield SimpleNamespace(community=community, counts=counts, seconds=seconds, now=now)
        transaction.set_rollback(True)


def user(username: str) -> User:
    return User.objects.get(username=username)


def story(demo, key: str) -> Case:
    """A case the demo made through the services, found by what the article tells."""
    if demo.counts is not None:
        return Case.objects.get(pk=demo.counts["case_ids"][key])
    finders = {
        "aunt_liu": Q(household__in=Household.objects.at_address(building=15, entrance=1, room="502")),
        "aunt_kan": Q(household__in=Household.objects.at_address(building=27, entrance=3, room="401")),
        "corridor_tile": Q(channel=Channel.VISIT, category__code="facilities-hazard", building__number=4),
        "psychological": Q(category__code="psychological", status__in=OPEN),
    }
    return Case.objects.filter(finders[key], community=demo.community).order_by("-reported_at").first()


def minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60


def timeline(case: Case) -> list[CaseEvent]:
    return list(case.events.order_by("at", "id").select_related("actor"))


# --- the article's stories ---------------------------------------------------------------


def test_aunt_liu_has_drinking_water_within_the_hour(demo):
    case = story(demo, "aunt_liu")
    assert case.reporter_person.name == "刘桂芳"
    assert (case.category.code, case.channel, case.urgency) == (
        "utilities-water",
        Channel.PHONE,
        Urgency.URGENT,
    )
    assert case.answers == {"has_drinking_water": "no", "can_move": "no"}
    assert case.status == Status.CLOSED and case.satisfaction == "satisfied"
    assert minutes(case.responded_at - case.reported_at) <= 10  # a volunteer signed for it within minutes
    assert minutes(case.resolved_at - case.reported_at) <= 60
    assert "两桶水" in case.resolution_report
    volunteer = user("volunteer")
    lead = case.assignments.get(is_lead=True, active=True)
    assert lead.person_id == volunteer.person_id and lead.acknowledged_by == volunteer
    helper = Volunteer.objects.get(person=volunteer.person)
    assert helper.teams.filter(name="助老服务队").exists() and helper.skills.filter(code="delivery").exists()
    by_action = {event.action: event for event in timeline(case)}
    assert by_action[Action.REPORT].actor.username == "socialworker"
    assert by_action[Action.RESOLVE].actor == volunteer
    assert by_action[Action.VERIFY].actor.username == "socialworker"
    assert by_action[Action.CLOSE].at <= demo.now


def test_aunt_kan_is_reassured_while_plumbing_volunteers_fix_her_pipe_the_same_day(demo):
    case = story(demo, "aunt_kan")
    kan = case.reporter_person
    assert kan.name == "阚秀英" and kan.tags.filter(tag__code="living-alone").exists()
    assert (case.category.code, case.channel, case.urgency) == ("repairs-pipe", Channel.PHONE, Urgency.URGENT)
    events = timeline(case)
    actions = [event.action for event in events]
    assert actions.index(Action.NOTE) < actions.index(Action.DISPATCH)  # reassured while contacting them
    assert events[actions.index(Action.NOTE)].actor.username == "socialworker"
    parties = case.assignments.filter(active=True)
    assert parties.count() >= 1 and all(a.acknowledged_at for a in parties)
    for assignment in parties:
        assert assignment.person.volunteer.teams.filter(name="水电维修队").exists()
    local = timezone.localtime
    assert local(case.resolved_at).date() == local(case.reported_at).date()
    assert case.status == Status.CLOSED and case.satisfaction == "satisfied"


def test_the_corridor_tile_brings_four_parties_together(demo):
    case = story(demo, "corridor_tile")
    assert (case.channel, case.category.code) == (Channel.VISIT, "facilities-hazard")
    assert case.created_by.username == "secretary"
    whistle = case.events.get(action=Action.WHISTLE)
    assert whistle.actor.username == "secretary"
    parties = list(case.assignments.filter(active=True).select_related("person", "unit"))
    assert len(parties) == 4
    assert all(a.acknowledged_at and a.acknowledged_at >= a.summoned_at for a in parties)
    lead = next(a for a in parties if a.is_lead)
    assert lead.unit.kind == "property"
    people = {a.person_id for a in parties if a.person_id}
    building = Building.objects.get(pk=case.building_id)
    assert building.number == 4 and building.head_id in people
    assert PartyMember.objects.filter(person_id__in=people - {building.head_id}).exists()
    assert any(a.unit_id and a.unit.kind == "owners" for a in parties)
    assert case.plan and case.events.filter(action=Action.PLAN).exists()
    plan_at = case.events.get(action=Action.PLAN).at
    assert all(a.acknowledged_at <= plan_at for a in parties)
    assert case.status == Status.CLOSED and case.resolved_at > plan_at
    # The building head and the owners' committee have no account: they report for duty through the
    # one-tap links of the whistle's SMS, as themselves, and each use is logged.
    by_link = case.events.filter(action=Action.ACKNOWLEDGE, party_link__isnull=False).select_related(
        "party_link"
    )
    head = Person.objects.get(pk=building.head_id)
    owners = next(a.unit for a in parties if a.unit_id and a.unit.kind == "owners")
    assert {event.party_link.holder_name for event in by_link} == {head.name, owners.name}
    assert all(event.actor_id is None for event in by_link)
    assert all(event.party_link.uses.filter(what="acknowledge").exists() for event in by_link)


def test_psychological_support_is_discreet(demo):
    case = story(demo, "psychological")
    assert case.category.sensitive and case.is_open
    assert case.assignments.get(is_lead=True, active=True).user.username == "socialworker"
    assert case.events.filter(action=Action.NOTE, public=False).count() >= 2
    assert not case.events.filter(action=Action.NOTE, public=True).exists()
    assert Case.objects.visible_to(user("socialworker")).filter(pk=case.pk).exists()
    for worker in User.objects.filter(role="gridworker"):
        assert not Case.objects.visible_to(worker).filter(category__sensitive=True).exists(), worker.username
    assert not Case.objects.visible_to(user("volunteer")).filter(category__sensitive=True).exists()


# --- today's screens ---------------------------------------------------------------------


def test_every_open_state_has_a_case_today(demo):
    open_cases = Case.objects.filter(community=demo.community, status__in=OPEN)
    statuses = set(open_cases.values_list("status", flat=True))
    assert statuses == set(OPEN)
    assert open_cases.filter(status=Status.REPORTED, channel=Channel.WEB, reporter_user__username="resident")
    assert open_cases.filter(status=Status.REPORTED, channel=Channel.PATROL)
    waiting = [a.case for a in my_assignments(user("volunteer")) if a.acknowledged_at is None]
    assert any(case.status == Status.DISPATCHED for case in waiting)
    assert any(case.is_near_due(demo.now) for case in open_cases)
    overdue = [case for case in open_cases if case.is_overdue(demo.now)]
    assert len(overdue) >= 2
    assert any(
        case.urge_count and case.events.filter(action=Action.URGE, actor__username="secretary").exists()
        for case in overdue
    )
    assert open_cases.filter(escalated_at__isnull=False).exists()
    assert open_cases.filter(extension_requested_minutes__isnull=False).exists()
    assert open_cases.filter(status=Status.RESOLVED, satisfaction="").exists()  # waiting for the call-back
    assert open_cases.filter(status=Status.DISPATCHED, rework_count__gt=0).exists()
    assert my_assignments(user("unitcontact")).exists()


# --- a year of history ------------------------------------------------------------------


def test_a_year_of_history_in_plausible_proportions(demo):
    cases = Case.objects.filter(community=demo.community)
    assert 2500 <= cases.count() <= 3500
    first = cases.order_by("reported_at").first().reported_at
    assert demo.now - first > timedelta(days=330)
    by_category = Counter(cases.values_list("category__code", flat=True))
    families = Counter()
    for code, n in by_category.items():
        families[code.split("-")[0]] += n
    top = {family for family, _n in families.most_common(4)}
    assert top == {"repairs", "utilities", "environment", "property"}, families
    assert 0 < by_category["psychological"] < 0.01 * cases.count()
    by_channel = Counter(cases.values_list("channel", flat=True))
    assert by_channel.most_common(1)[0][0] == Channel.PHONE
    assert {"phone", "wechat", "walk_in", "patrol", "visit", "web", "hotline"} <= set(by_channel)
    assert cases.values("grid").distinct().count() == 7
    assert cases.filter(urgency=Urgency.URGENT).count() > 0.1 * cases.count()


def test_most_close_satisfied_and_some_take_detours(demo):
    cases = Case.objects.filter(community=demo.community)
    closed = cases.filter(status=Status.CLOSED)
    assert closed.count() > 0.85 * cases.count()
    verdicts = Counter(closed.values_list("satisfaction", flat=True))
    assert verdicts["satisfied"] > 0.65 * closed.count()
    assert 0.05 * closed.count() < verdicts["basic"] < 0.3 * closed.count()
    reworked = closed.filter(rework_count__gt=0)
    assert 0.02 * closed.count() < reworked.count() < 0.15 * closed.count()
    assert CaseEvent.objects.filter(
        case__in=reworked, action=Action.VERIFY, changes__satisfaction="unsatisfied"
    )
    rejected = cases.filter(status=Status.REJECTED)
    assert rejected.count() > 30 and not rejected.filter(rejection_reason="").exists()
    merged = cases.filter(status=Status.MERGED)
    assert merged.count() > 10
    assert not merged.filter(merged_into__isnull=True).exists()
    assert not merged.exclude(merged_into__category=F("category")).exists()
    late = closed.filter(resolved_at__gt=F("resolution_due"))
    assert 0.05 * closed.count() < late.count() < 0.3 * closed.count()
    assert late.filter(urge_count__gt=0).exists()
    assert closed.filter(escalated_at__isnull=False).exists()
    assert CaseEvent.objects.filter(case__in=closed, action=Action.DECIDE_EXTENSION).exists()
    assert closed.filter(plan__gt="").exists()  # whistles in the past too


def test_heating_in_winter_and_reports_by_day(demo):
    cases = Case.objects.filter(community=demo.community, category__code="utilities-heating")
    local = [timezone.localtime(moment) for moment in cases.values_list("reported_at", flat=True)]
    winter = sum(moment.month in (12, 1, 2) for moment in local)
    summer = sum(moment.month in (6, 7, 8) for moment in local)
    assert winter > 10 * max(summer, 1)
    hours = Counter(
        timezone.localtime(moment).hour
        for moment in Case.objects.filter(community=demo.community).values_list("reported_at", flat=True)
    )
    daytime = sum(n for hour, n in hours.items() if 7 <= hour < 21)
    assert daytime > 0.9 * sum(hours.values())


# --- consistency ---------------------------------------------------------------------------


def test_every_case_reads_in_order(demo):
    """Clocks never run backwards, every entry starts where the last one ended, all in the past."""
    now = demo.now
    problems: list[str] = []
    events = defaultdict(list)
    for row in (
        CaseEvent.objects.filter(case__community=demo.community)
        .order_by("case_id", "at", "id")
        .values_list("case_id", "at", "action", "from_status", "to_status")
    ):
        events[row[0]].append(row[1:])
    fields = ("reported_at", "registered_at", "responded_at", "resolved_at", "closed_at")
    for case in Case.objects.filter(community=demo.community).values("id", "status", "version", *fields):
        moments = [case[name] for name in fields if case[name] is not None]
        if moments != sorted(moments) or moments[-1] > now:
            problems.append(f"{case['id']}: clocks {moments}")
        if (case["closed_at"] is not None) != (case["status"] in FINAL):
            problems.append(f"{case['id']}: closed_at vs {case['status']}")
        timeline_ = events[case["id"]]
        if (
            not timeline_
            or timeline_[0][1:3] != (Action.REPORT, "")
            or timeline_[0][0] != case["reported_at"]
        ):
            problems.append(f"{case['id']}: does not start with its report")
            continue
        status = ""
        for at, action, before, after in timeline_:
            if before != status or at > now:
                problems.append(f"{case['id']}: {action} from {before!r} after {status!r}")
            status = after
        if status != case["status"]:
            problems.append(f"{case['id']}: timeline ends {status!r}, case is {case['status']!r}")
        if case["version"] != len(timeline_) - 1:  # every action after the report counted once
            problems.append(f"{case['id']}: version {case['version']} after {len(timeline_)} entries")
        register = next((at for at, action, *_ in timeline_ if action == Action.REGISTER), None)
        if register != case["registered_at"]:
            problems.append(
                f"{case['id']}: registered at {case['registered_at']} but the entry says {register}"
            )
    assert problems[:20] == []


def test_rework_starts_the_clocks_again_from_the_call_back(demo):
    reworked = Case.objects.filter(community=demo.community, rework_count__gt=0)
    assert reworked.exists()
    for case in reworked[:50]:
        verdict = case.events.filter(action=Action.VERIFY, changes__satisfaction="unsatisfied").latest("at")
        limit = case.category.limits(case.urgency)[1]
        assert datetime.fromisoformat(verdict.changes["resolution_due"]["new"]) == case.resolution_due
        assert case.resolution_due > verdict.at, case.number
        if not case.category.working_time:
            assert case.resolution_due == verdict.at + timedelta(minutes=limit), case.number


def test_parties_are_consistent(demo):
    cases = Case.objects.filter(community=demo.community)
    handled = cases.exclude(status__in=[Status.REPORTED, Status.REGISTERED, Status.REJECTED, Status.MERGED])
    leads = dict(
        handled.annotate(
            n=Count("assignments", filter=Q(assignments__is_lead=True, assignments__active=True))
        ).values_list("id", "n")
    )
    assert set(leads.values()) == {1}
    unsigned = Assignment.objects.filter(
        case__in=cases.filter(status=Status.CLOSED), acknowledged_at__isnull=True
    )
    assert not unsigned.exists()
    assert not Assignment.objects.filter(case__community=demo.community, acknowledged_at__lt=F("summoned_at"))
    assert not cases.filter(status=Status.CLOSED, responded_at__isnull=True).exists()


def test_numbers_follow_the_days_and_new_cases_do_not_collide(demo):
    community = demo.community
    pattern = re.compile(rf"{re.escape(community.code)}-(\d{{8}})-(\d{{4}})")
    by_day = defaultdict(list)
    for number, reported_at in Case.objects.filter(community=community).values_list("number", "reported_at"):
        match = pattern.fullmatch(number)
        assert match, number
        assert match[1] == f"{timezone.localtime(reported_at):%Y%m%d}", number
        by_day[match[1]].append(int(match[2]))
    counters = {
        f"{day:%Y%m%d}": last
        for day, last in CaseCounter.objects.filter(community=community).values_list("day", "last")
    }
    for day, numbers in by_day.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), day
        assert counters[day] == len(numbers), day
    latest = Case.objects.filter(community=community).latest("reported_at")
    fresh = case_report(
        actor=user("socialworker"),
        community=community,
        details=ReportDetails(
            category=Category.objects.get(code="other"),
            description="居民来电提建议。",
            channel=Channel.PHONE,
            household=Household.objects.filter(building__community=community).first(),
            reported_at=latest.reported_at + timedelta(minutes=1),
        ),
    )
    assert fresh.number not in set(Case.objects.exclude(pk=fresh.pk).values_list("number", flat=True))


def test_the_history_is_drawn_from_the_seed(demo):
    registry = Registry.load(demo.community, NOW)

    def signature(seed: int) -> list[tuple]:
        drafts = History(registry, random.Random(seed)).plan()
        return [
            (d.case.category.code, d.case.reported_at, d.case.channel, d.case.status, len(d.events))
            for d in drafts
        ]

    first = signature(7)
    assert first == signature(7)
    assert first != signature(8)


# --- one write path -------------------------------------------------------------------------


def test_every_step_names_who_took_it_except_the_residents_own_on_the_portal(demo):
    """Staff, volunteers, the hotline's integration: named. Nobody only for a resident without an account;
    a party without an account acts through their one-tap link, which names them."""
    nobody = CaseEvent.objects.filter(case__community=demo.community, actor__isnull=True)
    by_link = nobody.filter(party_link__isnull=False)
    assert set(by_link.values_list("party_link__holder_name", flat=True)) >= {"和盛园小区业主委员会"}
    nobody = nobody.filter(party_link__isnull=True)
    kinds = set(nobody.values_list("action", "actor_role", "case__channel"))
    assert kinds <= {(Action.REPORT, "system", Channel.WEB), (Action.VERIFY, "reporter", Channel.WEB)}, kinds
    hotline = Case.objects.filter(community=demo.community, channel=Channel.HOTLINE)
    assert hotline.exists() and not hotline.filter(created_by__api_client__isnull=True).exists()


# What intake (or the portal, the hotline) takes down about a problem, as the case keeps it.
_REPORTED = (
    "category",
    "description",
    "channel",
    "urgency",
    "reporter_person",
    "reporter_name",
    "anonymous",
    "household",
    "building",
    "location_note",
    "answers",
)


def _replay(drafts: list[CaseDraft], community) -> dict[CaseDraft, int]:
    """Every call the drafts stand for, in the order of their moments, through the services then."""
    calls = sorted(
        (call.at, order, step, draft, call)
        for order, draft in enumerate(drafts)
        for step, call in enumerate(draft.calls)
    )
    made: dict[CaseDraft, int] = {}
    for at, _order, _step, draft, call in calls:
        with demo_clock(at):
            if call.action == Action.REPORT:
                row = draft.case
                given = {name: getattr(row, name) for name in _REPORTED}
                phone = pii.decrypt(row.reporter_phone_encrypted) if row.reporter_phone_encrypted else ""
                details = ReportDetails(**given, reporter_phone=phone, reported_at=at)
                case = case_report(actor=call.actor, community=community, details=details, **call.inputs)
                made[draft] = case.pk
            elif call.actor is None:  # the reporter's own verdict on the portal
                case_rate_by_token(case=made[draft], **call.inputs)
            else:
                inputs = dict(call.inputs)
                if "into" in inputs:
                    inputs["into"] = Case.objects.get(pk=made[inputs["into"]])
                case_perform(actor=call.actor, case=made[draft], action=call.action, **inputs)
    return made


# What a replay cannot reproduce: ids, the numbers of that day's sequence, random tokens, the
# ciphertext's nonce (the phone's hashes and mask are compared), the overdue sweep's stamp, and the
# likely-duplicate flag: it depends on which cases were open when the report came in, and a replay
# runs in today's database, beside cases that were not open then (tests/test_duplicates.py checks it).
_NOT_COMPARED = {
    "id",
    "number",
    "public_token",
    "reporter_phone_encrypted",
    "overdue_notified_at",
    "merged_into",
    "suspected_duplicate",
    "suspicion",
}


def _case_row(case: Case) -> dict:
    return {
        f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields if f.name not in _NOT_COMPARED
    }


def _timeline(events, numbers: dict[str, str]) -> list[tuple]:
    def renumber(value):
        if isinstance(value, dict):
            return {key: renumber(item) for key, item in value.items()}
        return numbers.get(value, value) if isinstance(value, str) else value

    fields = (
        "at",
        "actor_id",
        "actor_role",
        "action",
        "note",
        "from_status",
        "to_status",
        "changes",
        "public",
    )
    return [tuple(renumber(getattr(e, name)) for name in fields) for e in events]


def _parties(assignments) -> list[tuple]:
    fields = ("is_lead", "user_id", "person_id", "team_id", "unit_id", "role_note", "summoned_at")
    fields += ("acknowledged_at", "acknowledged_by_id", "active")
    return [tuple(getattr(a, name) for name in fields) for a in assignments]


def _sample(drafts: list[CaseDraft]) -> list[CaseDraft]:
    """A few cases of every kind of story in the year, and the cases the merged ones repeat."""

    def took(draft, action, **inputs):
        return any(
            call.action == action and all(call.inputs.get(k) == v for k, v in inputs.items())
            for call in draft.calls
        )

    kinds = {
        "rejected": lambda d: took(d, Action.REJECT),
        "merged": lambda d: d.duplicate_of is not None,
        "whistle": lambda d: took(d, Action.WHISTLE),
        "urged": lambda d: took(d, Action.URGE),
        "escalated": lambda d: took(d, Action.ESCALATE),
        "extension granted": lambda d: took(d, Action.DECIDE_EXTENSION, approve=True),
        "extension refused": lambda d: took(d, Action.DECIDE_EXTENSION, approve=False),
        "rework": lambda d: took(d, Action.VERIFY, satisfaction="unsatisfied"),
        "portal verdict": lambda d: any(c.action == Action.VERIFY and c.actor is None for c in d.calls),
        "on behalf": lambda d: any(c.action == Action.ACKNOWLEDGE and c.inputs["party"] for c in d.calls),
        "internal note": lambda d: took(d, Action.NOTE, public=False),
        "hotline": lambda d: d.case.channel == Channel.HOTLINE,
        "portal": lambda d: d.case.channel == Channel.WEB and d.calls[0].actor is None,
        "patroller": lambda d: d.case.reporter_user_id is not None and d.case.channel == Channel.PATROL,
        "anonymous": lambda d: d.case.anonymous,
        "working time": lambda d: d.case.category.working_time and d.case.registered_at is not None,
        "team": lambda d: any(party.kind == "team" for _a, party in d.parties),
        "several parties": lambda d: len(d.parties) > 1 and not took(d, Action.WHISTLE),
    }
    picked: list[CaseDraft] = []
    for name, kind in kinds.items():
        found = [d for d in drafts if kind(d)][:2]
        assert found, name
        picked += [d for d in found if d not in picked]
    # A merge touches both cases (the original gets a note), so a pair is replayed whole: the
    # originals of the merged ones picked, and the duplicates merged into the originals picked.
    picked += [d.duplicate_of for d in picked if d.duplicate_of is not None and d.duplicate_of not in picked]
    picked += [d for d in drafts if d.duplicate_of in picked and d not in picked]
    return picked


def test_the_years_rows_are_the_rows_the_services_write(demo):
    """Replayed through the services at the same moments, a sample of the year writes the same rows."""
    registry = Registry.load(demo.community, demo.now)
    drafts = History(registry, random.Random(SEED)).plan()
    number_cases(demo.community, drafts, [])
    sample = _sample(drafts)
    made = _replay(sample, demo.community)
    cases = Case.objects.in_bulk(made.values())
    numbers = {draft.case.number: cases[made[draft]].number for draft in sample}
    for draft in sample:
        case = cases[made[draft]]
        assert _case_row(case) == _case_row(draft.case), draft.case.number
        assert case.merged_into_id == (made[draft.duplicate_of] if draft.duplicate_of else None)
        assert bool(case.reporter_phone_encrypted) == bool(draft.case.reporter_phone_encrypted)
        assert _timeline(case.events.order_by("at", "id"), {}) == _timeline(draft.events, numbers), (
            draft.case.number
        )
        assert _parties(case.assignments.order_by("id")) == _parties(draft.assignments), draft.case.number


# --- the dashboard's story ----------------------------------------------------------------------------


def _per_month(cases) -> Counter:
    return Counter(timezone.localtime(moment).month for moment in cases.values_list("reported_at", flat=True))


def test_a_summer_of_water_problems(demo):
    """停水 and 漏水: more reports in each of June, July and August than in any spring or autumn month."""
    water = Case.objects.filter(
        community=demo.community, category__code__in=["utilities-water", "repairs-pipe"]
    )
    months = _per_month(water)
    calm = [months[m] for m in (4, 5, 9, 10)]
    assert min(months[m] for m in (6, 7, 8)) > max(calm)
    supply = _per_month(water.filter(category__code="utilities-water"))
    assert sum(supply[m] for m in (6, 7, 8)) > 2 * sum(supply[m] for m in (3, 4, 5))


def test_one_grid_sends_far_more_work_back(demo):
    """The rework grid's closed cases come back (unsatisfied call-back) at least twice as often."""
    closed = Case.objects.filter(community=demo.community, status=Status.CLOSED, grid__isnull=False)
    rows = closed.values("grid__name").annotate(
        n=Count("id"), reworked=Count("id", filter=Q(rework_count__gt=0))
    )
    shares = sorted((row["reworked"] / row["n"], row["grid__name"]) for row in rows if row["n"] >= 50)
    (top, name), rest = shares[-1], [share for share, _name in shares[:-1]]
    assert name.endswith("第三网格")
    assert top > 2 * sorted(rest)[len(rest) // 2]


def test_a_hotspot_at_one_building_entrance_lately(demo):
    """Four reports of the same hazard at building 9, entrance 2, within ten days of the last two weeks:
    the hotspot rule (three of a category at one building within 14 days) holds."""
    since = demo.now - timedelta(days=14)
    hazard = Case.objects.filter(
        community=demo.community,
        category__code="facilities-hazard",
        building__number=9,
        reported_at__gte=since,
        location_note__contains="9号楼2单元门口",
    )
    moments = sorted(hazard.values_list("reported_at", flat=True))
    assert len(moments) >= 4
    assert moments[3] - moments[0] <= timedelta(days=10)
