"""Care in the Heshengyuan demo: the register, a running knock-on-the-door campaign, and Granny Wang.

Called by the demo builder once the registry is written:

    from grassroots.care.demo import build_care_demo
    build_care_demo(community, rng)

Everything is drawn from the given random.Random, with dates counted back from
today, so the same seed gives the same story on any day. Rows are bulk-inserted:
about a second or two for the 7,400 residents of the demo.

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
  and differs by grid, and a few high-risk people are flagged as not reached.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Max
from django.utils import timezone

from grassroots.accounts.models import User
from grassroots.accounts.roles import is_grid_worker, is_social_worker
from grassroots.care import services
from grassroots.care.defaults import install_default_rules
from grassroots.care.models import (
    TIER_RISK,
    Campaign,
    CampaignHousehold,
    CareProfile,
    Enrolment,
    Method,
    Mood,
    Outcome,
    PlannedService,
    Programme,
    ProgrammeService,
    SelfCare,
    ServiceStatus,
    SituationNote,
    TierChange,
    TierRule,
    Visit,
)
from grassroots.orgs.models import Volunteer, VolunteerTeam
from grassroots.people.models import Person, PersonStatus
from grassroots.places.models import Community

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


def _fast_insert(model, objs: list) -> None:
    """INSERT many rows with one prepared statement (bulk_create compiles every field of every row)."""
    if not objs:
        return
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    rows = [
        [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields] for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608 - model names


def _fast_update(model, objs: list, names: list[str]) -> None:
    """UPDATE many rows by primary key with one prepared statement (bulk_update builds huge CASE clauses)."""
    if not objs:
        return
    fields = [model._meta.get_field(name) for name in names]
    table = connection.ops.quote_name(model._meta.db_table)
    assignments = ", ".join(f"{connection.ops.quote_name(field.column)} = %s" for field in fields)
    rows = [
        [*(field.get_db_prep_save(getattr(obj, field.attname), connection) for field in fields), obj.pk]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {assignments} WHERE id = %s", rows)  # noqa: S608 - model names


def _at(day: date, rng: random.Random) -> datetime:
    moment = time(rng.choice(_WEEKDAY_HOURS), rng.choice((0, 10, 20, 30, 40, 50)))
    return timezone.make_aware(datetime.combine(day, moment))


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
    carers = list(
        Volunteer.objects.filter(teams=team, active=True).order_by("id").values_list("person_id", flat=True)
    )
    programme = _programme(community, team)

    granny = _granny_wang(community, rng, today, socialworker, programme)
    enrolled = _more_enrolments(
        community, rng, today, programme, socialworker, exclude={granny["household_id"]}
    )
    services.plan_enrolments(
        Enrolment.objects.filter(programme=programme),
        first=_month_start(today, 6),
        last=services.plan_horizon(today),
    )
    _deliver(rng, today, programme, carers, users.get("volunteer"))
    campaign = _running_campaign(community, rng, today, socialworker, grid_workers, users.get("volunteer"))
    routine = _routine_visits(community, rng, today, grid_workers, socialworker)
    _situation_notes(community, rng, today, socialworker)
    _recompute_contacts(community, today)
    return {
        "register": CareProfile.objects.filter(community=community, on_register=True).count(),
        "enrolled": enrolled + 1,
        "campaign_households": campaign.targets.count(),
        "visits": Visit.objects.filter(community=community).count(),
        "routine_visits": routine,
    }


def _programme(community: Community, team: VolunteerTeam | None) -> Programme:
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
    knock = Campaign.objects.create(
        community=community,
        name="邻里守望·幸福敲门（春季）",
        starts_on=found_on - timedelta(days=20),
        ends_on=found_on + timedelta(days=10),
        note="社工、党员和机关干部通过电话、微信、入户了解老人身体状况、家庭成员和生活困难。",
        created_by=socialworker,
    )
    CampaignHousehold.objects.create(
        campaign=knock,
        household=household,
        grid_id=household.grid_id,
        visitor=socialworker,
        risk=0,
        status=Outcome.VISITED,
        last_visit_at=_at(found_on, rng),
    )
    visit = Visit.objects.create(
        community=community,
        household=household,
        grid_id=household.grid_id,
        person=granny,
        campaign=knock,
        visitor=socialworker,
        visited_at=_at(found_on, rng),
        method=Method.HOME,
        outcome=Outcome.VISITED,
        client_token=f"demo-granny-wang-{community.pk}",
        **GRANNY_FINDINGS,
    )
    from grassroots.cases.models import Category

    category = Category.objects.filter(code="disability", active=True).first()
    if category is not None:
        from grassroots.cases.services import ReportDetails, case_report

        case = case_report(
            actor=None,
            community=community,
            details=ReportDetails(
                category=category,
                description="敲门行动发现：孙女张欣怡脑瘫，需申请康复辅具和残疾人补贴，请协助办理。",
                channel="visit",
                reporter_person=granny,
                reporter_name=granny.name,
                household=household,
                reported_at=visit.visited_at + timedelta(minutes=20),
            ),
            register=True,
            note="入户走访发现",
        )
        Visit.objects.filter(pk=visit.pk).update(case=case)
    profile = CareProfile.objects.get(person=granny)
    TierChange.objects.create(
        profile=profile,
        from_tier=profile.tier,
        to_tier="high",
        reason="敲门行动发现：老人患病，儿子丧偶且肢体残疾，孙女脑瘫，全家困难。",
        by=socialworker,
        at=visit.visited_at + timedelta(hours=1),
    )
    profile.override_tier = "high"
    profile.override_reason = "敲门行动发现：老人患病，儿子丧偶且肢体残疾，孙女脑瘫，全家困难。"
    profile.override_by = socialworker
    profile.override_at = visit.visited_at + timedelta(hours=1)
    profile.save()
    services.register_refresh(community=community, person_ids=[p.id for p in people.values()], today=today)
    Enrolment.objects.create(
        programme=programme,
        community=community,
        household=household,
        grid_id=household.grid_id,
        person=granny,
        reason="敲门行动发现：王秀兰患病，儿子张建军丧偶、肢体残疾，孙女张欣怡脑瘫，纳入“幸福归巢·银发互助”。",
        starts_on=start,
        team=programme.team,
        visit=visit,
        enrolled_by=socialworker,
        enrolled_at=visit.visited_at + timedelta(hours=2),
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
    Enrolment.objects.bulk_create(
        Enrolment(
            programme=programme,
            community=community,
            household_id=household_id,
            grid_id=grid_id,
            reason=rng.choice(reasons),
            starts_on=_month_start(today, rng.randint(0, 5)),
            team=programme.team,
            enrolled_by=socialworker,
        )
        for household_id, grid_id in chosen
    )
    return len(chosen)


def _years(today: date, years: int) -> date:
    return date(today.year - years, today.month, min(today.day, 28))


def _deliver(rng, today, programme, carers, volunteer_user) -> None:
    """Past services done by the team's volunteers (a few missed); the last week's partly overdue."""
    planned = list(
        PlannedService.objects.filter(enrolment__programme=programme, due_on__lt=today).select_related(
            "service"
        )
    )
    volunteer_person = volunteer_user.person_id if volunteer_user else None
    for item in planned:
        late = (today - item.due_on).days
        roll = rng.random()
        if late <= 6 and roll < 0.35:
            continue  # overdue: still to do
        if roll < 0.04:
            item.status = ServiceStatus.MISSED
            item.missed_reason = rng.choice(_MISSED_REASONS)
            item.done_at = _at(item.due_on, rng)
            continue
        item.status = ServiceStatus.DONE
        day = item.window_start + timedelta(
            days=rng.randint(0, max(0, (item.due_on - item.window_start).days))
        )
        item.done_at = _at(min(day, today - timedelta(days=1)), rng)
        mine = volunteer_person is not None and rng.random() < 0.2
        item.volunteer_id = volunteer_person if mine else rng.choice(carers or [None])
        item.done_by = volunteer_user if mine else None
        item.hours = item.service.hours
        item.notes = rng.choice(_NOTES) if rng.random() < 0.5 else ""
    _fast_update(
        PlannedService,
        planned,
        ["status", "missed_reason", "done_at", "volunteer", "done_by", "hours", "notes"],
    )


def _running_campaign(community, rng, today, socialworker, grid_workers, volunteer_user) -> Campaign:
    """Every household with a resident aged 70 or over; about half visited so far."""
    starts_on = today - timedelta(days=24)
    campaign = services.campaign_create(
        actor=None,
        community=community,
        name="邻里守望·幸福敲门",
        starts_on=starts_on,
        ends_on=today + timedelta(days=36),
        min_age=70,
        note="走访全部七十岁以上老人：电话、微信或入户，了解身体状况、家庭成员和生活困难。",
        today=today,
    )
    campaign.created_by = socialworker
    campaign.save(update_fields=["created_by"])
    targets = list(campaign.targets.select_related("household__building").order_by("risk", "household_id"))
    visits = []
    for target in targets:
        if volunteer_user is not None and rng.random() < 0.03:
            target.visitor = volunteer_user
        elif rng.random() < 0.12:
            target.visitor = socialworker
        else:
            target.visitor = grid_workers.get(target.grid_id, socialworker)
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
        target.status, target.last_visit_at = outcome, at
        visits.append(
            Visit(
                community=community,
                household_id=target.household_id,
                grid_id=target.grid_id,
                campaign=campaign,
                visitor=target.visitor,
                visited_at=at,
                method=rng.choices([Method.HOME, Method.PHONE, Method.WECHAT, Method.VIDEO], [6, 3, 2, 1])[0],
                outcome=outcome,
                wellbeing=rng.randint(2, 5) if outcome == Outcome.VISITED else None,
                needs=rng.choice(("", "", "希望有人定期来聊聊天", "需要上门理发", "想学用智能手机")),
            )
        )
    _fast_update(CampaignHousehold, targets, ["visitor", "status", "last_visit_at"])
    _fast_insert(Visit, visits)
    return campaign


def _routine_visits(community, rng, today, grid_workers, socialworker) -> int:
    """The grid workers' own rounds: most people in special difficulty reached this month, some not."""
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
    visits = []
    for household_id, (grid_id, risk) in sorted(households.items()):
        visitor = grid_workers.get(grid_id, socialworker)
        for back in (3, 2, 1):  # earlier months: most people reached
            first = _month_start(today, back)
            if rng.random() < 0.85:
                visits.append(_routine(community, rng, household_id, grid_id, visitor, first, 27))
        if risk <= TIER_RISK["key"] and rng.random() < diligence[grid_id]:
            days = max(0, (today - month_start).days - 1)
            visits.append(_routine(community, rng, household_id, grid_id, visitor, month_start, days))
    _fast_insert(Visit, visits)
    return len(visits)


def _routine(community, rng, household_id, grid_id, visitor, first: date, span: int) -> Visit:
    return Visit(
        community=community,
        household_id=household_id,
        grid_id=grid_id,
        visitor=visitor,
        visited_at=_at(first + timedelta(days=rng.randint(0, max(0, span))), rng),
        method=rng.choices([Method.HOME, Method.PHONE, Method.WECHAT], [5, 4, 1])[0],
        outcome=Outcome.VISITED,
        wellbeing=rng.randint(3, 5),
    )


def _situation_notes(community, rng, today, socialworker) -> None:
    high = list(
        CareProfile.objects.filter(community=community, on_register=True, tier="high").order_by("id")[:60]
    )
    for profile in rng.sample(high, min(3, len(high))):
        SituationNote.objects.create(
            profile=profile,
            kind=rng.choice([SituationNote.Kind.HOSPITAL, SituationNote.Kind.HEALTH]),
            note=rng.choice(("因肺炎住院一周，已出院", "摔倒后腿脚不便", "子女来电说老人近来食欲差")),
            at=_at(today - timedelta(days=rng.randint(0, 3)), rng) - timedelta(hours=12),
            by=socialworker,
        )


def _recompute_contacts(community, today: date) -> None:
    """Last reached and next due, from the visits just written (one aggregate, one bulk update)."""
    last = dict(
        Visit.objects.filter(community=community, outcome=Outcome.VISITED)
        .values("household_id")
        .annotate(at=Max("visited_at"))
        .values_list("household_id", "at")
    )
    profiles = list(CareProfile.objects.filter(community=community, household__isnull=False))
    for profile in profiles:
        profile.last_contact_at = last.get(profile.household_id)
        if profile.on_register:
            profile.next_due_on = services.next_due(profile.last_contact_at, profile.frequency_days, today)
    _fast_update(CareProfile, profiles, ["last_contact_at", "next_due_on"])
