"""Care in the Heshengyuan demo: the register, a running knock-on-the-door campaign, and Granny Wang.

Called by the demo builder once the registry is written. Everything goes through the care
services (and, for the case a visit raises, the case services), each act by the account
that does it in the story, at its moment in the past under the demo's clock (demo.clock):
the social worker's campaigns and enrolments, the visitors' visits, the volunteers'
deliveries (recorded by the system actor for the volunteers who have no account). Everything
is drawn from the given random.Random, with dates counted back from today, so the same seed
gives the same story on any day.

- The care register, computed by the default tier rules from the demo's tags (about
  860 people: roughly 100 high risk, 660 key, 100 general).
- The programme 幸福归巢·银发互助, run by 助老服务队: two home chats a month, a weekly
  phone call, a monthly free clinic, haircut and psychological care, and rice,
  noodles and oil every month.
- Last spring's campaign (敲门行动) found Granny Wang (王秀兰, building 4): her visit
  records the family as the article tells it, raised a case, set her tier to high
  risk and enrolled the household; four months of services are delivered since.
- Two dozen more households in the programme, with their services delivered, a few
  missed and a few overdue.
- A running campaign over every resident aged 70 and over, assigned to the grid
  workers, the social worker and the volunteer account, about half done.
- Routine visits by the grid workers, so that this month's visit rate is partial
  and differs by grid, and a few high-risk people are flagged as not reached. While the
  campaign runs, its households are reached through it (a visit then counts for the
  campaign, as the visit service records it), not on the routine round.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone, translation

from grassroots.accounts.models import User
from grassroots.accounts.roles import is_grid_worker, is_social_worker, system_actor
from grassroots.care import services
from grassroots.care.defaults import install_default_rules
from grassroots.care.models import (
    TIER_RISK,
    Campaign,
    CareProfile,
    Method,
    Mood,
    Outcome,
    PlannedService,
    Programme,
    ProgrammeService,
    SelfCare,
    SituationNote,
    TierRule,
    Visit,
)
from grassroots.care.services import VisitDetails
from grassroots.cases.models import Category
from grassroots.demo.clock import demo_clock
from grassroots.orgs.models import Volunteer, VolunteerTeam
from grassroots.people.models import ConsentGiver, ConsentMethod, Person, PersonStatus
from grassroots.people.services import consent_create
from grassroots.places.models import Community, Household

PROGRAMME_NAME = "幸福归巢·银发互助"
PROGRAMME_SERVICES = (
    # kind, name, times, period, hours
    ("home_chat", "上门陪伴聊天", 2, "month", "1.5"),
    ("phone_call", "电话问候", 1, "week", "0.5"),
    ("clinic", "免费义诊", 1, "month", "1.0"),
    ("haircut", "上门理发", 1, "month", "1.0"),
    ("psychological", "心理关怀", 1, "month", "1.0"),
    ("supplies", "送米面油", 1, "month", "0.5"),
)
ELDERLY_TEAM = "助老服务队"
GRANNY = ("王秀兰", "张建军", "张欣怡")
GRANNY_FINDINGS = {
    "health": "患高血压、冠心病，近期患病卧床休养，行动需人搀扶。",
    "self_care": SelfCare.PARTLY,
    "mood": Mood.LOW,
    "mood_note": "担心儿子和孙女今后的生活，常常睡不好。",
    "family": "儿子张建军丧偶，肢体残疾二级，一人照顾母亲和女儿；孙女张欣怡脑瘫，需长期照护。"
    "无其他亲属在津。",
    "difficulties": "家庭收入只有低保，就医、买菜、理发都不方便，家务全靠儿子。",
    "hazards": ["stairs"],
    "hazard_note": "楼道台阶没有扶手，老人下楼困难。",
    "needs": "定期上门探望和电话问候；义诊、理发、心理疏导；米面油等生活物资；为孙女申请康复辅具。",
    "wellbeing": 2,
}
_MISSED_REASONS = ("老人住院", "家中无人", "老人婉拒", "天气原因改期")
_NOTES = (
    "聊了家常，老人精神不错",
    "测了血压，嘱按时服药",
    "理发后老人很高兴",
    "送去米面油各一袋",
    "电话问候，一切安好",
)
_WEEKDAY_HOURS = (9, 10, 14, 15, 16)


def _at(day: date, rng: random.Random) -> datetime:
    moment = time(rng.choice(_WEEKDAY_HOURS), rng.choice((0, 10, 20, 30, 40, 50)))
    return timezone.make_aware(datetime.combine(day, moment))


def _morning(day: date) -> datetime:
    """Nine o'clock on `day`, when the office opens (or now, on a day that has not got so far)."""
    return min(timezone.make_aware(datetime.combine(day, time(9, 0))), timezone.now())


def _month_start(day: date, back: int = 0) -> date:
    year, month = day.year, day.month - back
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def build_care_demo(community: Community, rng: random.Random, *, today: date | None = None) -> dict:
    """Write the care part of the demo for `community`; returns a few figures for the builder to print."""
    today = today or timezone.localdate()
    if not TierRule.objects.exists():
        # `grassroots demo --rebuild` empties every table that points at a community, the rule
        # table included (its rules may belong to one): put the default rules back.
        install_default_rules()
    services.register_refresh(community=community, today=today)
    users = {
        user.username: user for user in User.objects.filter(community=community).prefetch_related("grids")
    }
    grid_workers = {
        grid.id: user for user in users.values() if is_grid_worker(user) for grid in user.grids.all()
    }
    socialworker = users.get("socialworker") or next(u for u in users.values() if is_social_worker(u))
    team = VolunteerTeam.objects.filter(community=community, name=ELDERLY_TEAM).first()
    team = team or VolunteerTeam.objects.filter(community=community).order_by("id").first()
    carer_ids = list(
        Volunteer.objects.filter(teams=team, active=True).order_by("id").values_list("person_id", flat=True)
    )
    people = Person.objects.in_bulk(carer_ids)
    carers = [people[person_id] for person_id in carer_ids]
    programme = _programme(community, team)

    granny = _granny_wang(community, rng, today, socialworker, programme)
    enrolled = _more_enrolments(
        community, rng, today, programme, socialworker, exclude={granny["household_id"]}
    )
    _deliver(rng, today, programme, carers, users.get("volunteer"))
    campaign = _running_campaign(community, rng, today, socialworker, grid_workers, users.get("volunteer"))
    routine = _routine_visits(community, rng, today, grid_workers, socialworker, campaign)
    _situation_notes(community, rng, today, socialworker)
    return {
        "register": CareProfile.objects.filter(community=community, on_register=True).count(),
        "enrolled": enrolled + 1,
        "campaign_households": campaign.targets.count(),
        "visits": Visit.objects.filter(community=community).count(),
        "routine_visits": routine,
    }


def _programme(community: Community, team: VolunteerTeam | None) -> Programme:
    """The programme and its services, as an administrator sets them up in the admin."""
    programme = Programme.objects.create(
        community=community,
        name=PROGRAMME_NAME,
        team=team,
        description="“邻里守望·幸福敲门”中发现的困难老人家庭，由助老服务队每月上门陪伴、电话问候，"
        "组织义诊、理发和心理关怀，并送去米面油等慰问品。",
    )
    ProgrammeService.objects.bulk_create(
        ProgrammeService(
            programme=programme,
            kind=kind,
            name=name,
            times=times,
            period=period,
            hours=Decimal(hours),
            order=order,
        )
        for order, (kind, name, times, period, hours) in enumerate(PROGRAMME_SERVICES)
    )
    return programme


def _granny_wang(community, rng, today, socialworker, programme) -> dict:
    """The article's story: the spring campaign, her visit, the case it raised, high risk, enrolled."""
    people = {
        person.name: person
        for person in Person.objects.filter(
            community=community, name__in=GRANNY, status=PersonStatus.LIVING
        ).select_related("current_household__building")
    }
    granny = people.get(GRANNY[0])
    if granny is None or granny.current_household is None:
        return {"household_id": None}
    household = granny.current_household
    start = _month_start(today, 3)
    found_on = start - timedelta(days=rng.randint(3, 9))
    starts_on = found_on - timedelta(days=20)
    with demo_clock(_morning(starts_on)):
        knock = services.campaign_create(
            actor=socialworker,
            community=community,
            name="邻里守望·幸福敲门（春季）",
            starts_on=starts_on,
            ends_on=found_on + timedelta(days=10),
            household_ids=[household.id],
            note="社工、党员和机关干部通过电话、微信、入户了解老人身体状况、家庭成员和生活困难。",
        )
        services.campaign_assign(
            actor=socialworker, campaign=knock, household_ids=[household.id], visitor=socialworker
        )
    visited_at = _at(found_on, rng)
    with demo_clock(visited_at):
        # The social worker tells her what is written down and why; she agrees (PIPL art. 29).
        consent_create(
            actor=socialworker, person=granny, given_by=ConsentGiver.SELF, method=ConsentMethod.VERBAL
        )
        visit, _created = services.visit_record(
            actor=socialworker,
            household=household,
            details=VisitDetails(
                method=Method.HOME,
                outcome=Outcome.VISITED,
                visited_at=visited_at,
                person=granny,
                campaign=knock,
                **GRANNY_FINDINGS,
            ),
            client_token=f"demo-granny-wang-{community.pk}",
        )
    category = Category.objects.filter(code="disability", active=True).first()
    if category is not None:
        # The demo's words are Chinese, whichever language the build runs in.
        with demo_clock(visited_at + timedelta(minutes=20)), translation.override("zh-hans"):
            services.visit_raise_case(
                actor=socialworker,
                visit=visit,
                category=category,
                description="敲门行动发现：孙女张欣怡脑瘫，需申请康复辅具和残疾人补贴，请协助办理。",
            )
    reason = "敲门行动发现：老人患病，儿子丧偶且肢体残疾，孙女脑瘫，全家困难。"
    with demo_clock(visited_at + timedelta(hours=1)):
        services.profile_override(actor=socialworker, person=granny, tier="high", reason=reason)
    services.register_refresh(community=community, person_ids=[p.id for p in people.values()], today=today)
    with demo_clock(visited_at + timedelta(hours=2)):
        services.enrol(
            actor=socialworker,
            programme=programme,
            household=household,
            person=granny,
            reason="敲门行动发现：王秀兰患病，儿子张建军丧偶、肢体残疾，孙女张欣怡脑瘫，"
            "纳入“幸福归巢·银发互助”。",
            starts_on=start,
            visit=visit,
            today=today,
        )
    return {"household_id": household.id}


def _more_enrolments(community, rng, today, programme, socialworker, *, exclude: set) -> int:
    """About two dozen high-risk and key households, enrolled over the last half year."""
    candidates = sorted(
        {
            (household_id, grid_id)
            for household_id, grid_id in CareProfile.objects.filter(
                community=community,
                on_register=True,
                tier__in=["high", "key"],
                person__birth_date__lte=_years(today, 75),
            ).values_list("household_id", "grid_id")
            if household_id not in exclude
        }
    )
    chosen = rng.sample(candidates, min(24, len(candidates)))
    reasons = (
        "高龄独居，子女在外地",
        "老两口均患慢性病，行动不便",
        "残疾老人，家庭困难",
        "失能老人，需要定期照护",
    )
    households = Household.objects.select_related("building").in_bulk([key for key, _grid in chosen])
    for household_id, _grid_id in chosen:
        reason = rng.choice(reasons)
        starts_on = _month_start(today, rng.randint(0, 5))
        with demo_clock(_morning(starts_on)):
            services.enrol(
                actor=socialworker,
                programme=programme,
                household=households[household_id],
                reason=reason,
                starts_on=starts_on,
                today=today,
            )
    return len(chosen)


def _years(today: date, years: int) -> date:
    return date(today.year - years, today.month, min(today.day, 28))


def _deliver(rng, today, programme, carers: list[Person], volunteer_user) -> None:
    """Past services done by the team's volunteers (a few missed); the last week's partly overdue.

    The volunteer account records its own; the others, who have no account, are recorded by
    the system actor, as from the team's paper log.
    """
    planned = list(
        PlannedService.objects.filter(enrolment__programme=programme, due_on__lt=today).select_related(
            "service"
        )
    )
    recorder = system_actor()
    volunteer_person = volunteer_user.person_id if volunteer_user else None
    for item in planned:
        late = (today - item.due_on).days
        roll = rng.random()
        if late <= 6 and roll < 0.35:
            continue  # overdue: still to do
        if roll < 0.04:
            reason = rng.choice(_MISSED_REASONS)
            with demo_clock(_at(item.due_on, rng)):
                services.service_missed(actor=recorder, planned=item, reason=reason)
            continue
        day = item.window_start + timedelta(
            days=rng.randint(0, max(0, (item.due_on - item.window_start).days))
        )
        done_at = _at(min(day, today - timedelta(days=1)), rng)
        mine = volunteer_person is not None and rng.random() < 0.2
        carer = None if mine else rng.choice(carers or [None])
        notes = rng.choice(_NOTES) if rng.random() < 0.5 else ""
        with demo_clock(done_at):
            services.service_done(
                actor=volunteer_user if mine else recorder,
                planned=item,
                at=done_at,
                volunteer=carer,
                notes=notes,
            )


def _running_campaign(community, rng, today, socialworker, grid_workers, volunteer_user) -> Campaign:
    """Every household with a resident aged 70 or over; about half visited so far."""
    starts_on = today - timedelta(days=24)
    with demo_clock(_morning(starts_on)):
        campaign = services.campaign_create(
            actor=socialworker,
            community=community,
            name="邻里守望·幸福敲门",
            starts_on=starts_on,
            ends_on=today + timedelta(days=36),
            min_age=70,
            note="走访全部七十岁以上老人：电话、微信或入户，了解身体状况、家庭成员和生活困难。",
            today=today,
        )
    targets = list(campaign.targets.select_related("household__building").order_by("risk", "household_id"))
    visitors: dict[User, list[int]] = {}
    visits = []
    for target in targets:
        if volunteer_user is not None and rng.random() < 0.03:
            visitor = volunteer_user
        elif rng.random() < 0.12:
            visitor = socialworker
        else:
            visitor = grid_workers.get(target.grid_id, socialworker)
        visitors.setdefault(visitor, []).append(target.household_id)
        roll = rng.random()
        outcome = (
            Outcome.VISITED
            if roll < 0.50
            else Outcome.NOT_REACHED
            if roll < 0.56
            else Outcome.REFUSED
            if roll < 0.58
            else None
        )
        if outcome is None:
            continue
        at = _at(starts_on + timedelta(days=rng.randint(0, 23)), rng)
        details = VisitDetails(
            method=rng.choices([Method.HOME, Method.PHONE, Method.WECHAT, Method.VIDEO], [6, 3, 2, 1])[0],
            outcome=outcome,
            visited_at=at,
            campaign=campaign,
            wellbeing=rng.randint(2, 5) if outcome == Outcome.VISITED else None,
            needs=rng.choice(("", "", "希望有人定期来聊聊天", "需要上门理发", "想学用智能手机")),
        )
        visits.append((visitor, target.household, details))
    with demo_clock(_morning(starts_on)):
        for visitor, household_ids in visitors.items():
            services.campaign_assign(
                actor=socialworker, campaign=campaign, household_ids=household_ids, visitor=visitor
            )
    for visitor, household, details in visits:
        with demo_clock(details.visited_at):
            services.visit_record(actor=visitor, household=household, details=details)
    return campaign


def _routine_visits(community, rng, today, grid_workers, socialworker, campaign: Campaign) -> int:
    """The grid workers' own rounds: most people in special difficulty reached this month, some not.

    While the campaign runs its households are reached through it, so their rounds then are left out.
    """
    profiles = list(
        CareProfile.objects.filter(community=community, on_register=True).values_list(
            "household_id", "grid_id", "risk"
        )
    )
    households: dict[int, tuple[int, int]] = {}
    for household_id, grid_id, risk in profiles:
        current = households.get(household_id)
        households[household_id] = (grid_id, min(risk, current[1]) if current else risk)
    grid_ids = sorted({grid_id for grid_id, _risk in households.values()})
    diligence = {grid_id: 0.55 + 0.4 * rng.random() for grid_id in grid_ids}  # each grid its own pace
    month_start = _month_start(today)
    in_campaign = set(campaign.targets.values_list("household_id", flat=True))
    rounds = []
    for household_id, (grid_id, risk) in sorted(households.items()):
        visitor = grid_workers.get(grid_id, socialworker)
        for back in (3, 2, 1):  # earlier months: most people reached
            first = _month_start(today, back)
            if rng.random() < 0.85:
                rounds.append((household_id, visitor, _routine(rng, first, 27)))
        if risk <= TIER_RISK["key"] and rng.random() < diligence[grid_id]:
            days = max(0, (today - month_start).days - 1)
            rounds.append((household_id, visitor, _routine(rng, month_start, days)))
    rounds = [
        (household_id, visitor, details)
        for household_id, visitor, details in rounds
        if household_id not in in_campaign or timezone.localdate(details.visited_at) < campaign.starts_on
    ]
    homes = Household.objects.select_related("building").in_bulk({key for key, _v, _d in rounds})
    for household_id, visitor, details in rounds:
        with demo_clock(details.visited_at):
            services.visit_record(actor=visitor, household=homes[household_id], details=details)
    return len(rounds)


def _routine(rng, first: date, span: int) -> VisitDetails:
    return VisitDetails(
        visited_at=_at(first + timedelta(days=rng.randint(0, max(0, span))), rng),
        method=rng.choices([Method.HOME, Method.PHONE, Method.WECHAT], [5, 4, 1])[0],
        outcome=Outcome.VISITED,
        wellbeing=rng.randint(3, 5),
    )


def _situation_notes(community, rng, today, socialworker) -> None:
    high = list(
        CareProfile.objects.filter(community=community, on_register=True, tier="high")
        .select_related("person")
        .order_by("id")[:60]
    )
    for profile in rng.sample(high, min(3, len(high))):
        kind = rng.choice([SituationNote.Kind.HOSPITAL, SituationNote.Kind.HEALTH])
        note = rng.choice(("因肺炎住院一周，已出院", "摔倒后腿脚不便", "子女来电说老人近来食欲差"))
        at = _at(today - timedelta(days=rng.randint(0, 3)), rng) - timedelta(hours=12)
        with demo_clock(min(at, timezone.now())):
            services.situation_note(actor=socialworker, person=profile.person, kind=kind, note=note)
