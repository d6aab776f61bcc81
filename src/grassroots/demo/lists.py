"""The three lists in the Heshengyuan demo: what member units offer, what the community needs, the projects.

Through the services of activities.lists, each act by the account that does it in the story at its
moment in the past (demo.clock): the property company's contact offers its own resources; the social
worker enters the other units' offers, raises needs (one from Granny Wang's visit, in her own words,
one from the corridor-tile case, the others entered), starts projects with the units' resources and
the volunteers, records their work (into the hours ledger) and what each unit delivered.
Deterministic: the choices follow the database's order and the builder's seeded random.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from grassroots.accounts.models import User
from grassroots.activities import lists
from grassroots.activities.models import NeedStatus, ProjectStatus
from grassroots.care.models import Visit
from grassroots.cases.models import Case
from grassroots.demo.clock import demo_clock
from grassroots.orgs.models import MemberUnit, Volunteer
from grassroots.places.models import Community

#: Per kind of unit: what it offers, how much, counted in what, and when.
OFFERS = {
    "property": [
        ("公共区域小修小补", 40, "次", "工作日 8:30–17:30"),
        ("冬季管道防冻检查", 60, "户", "每年11月"),
    ],
    "hospital": [("义诊量血压", 60, "人次", "每月第一个周六上午")],
    "school": [("四点半课堂志愿辅导", 20, "人次", "周一至周五 16:30–18:00")],
    "enterprise": [("爱心企业捐赠米面油", 100, "份", "每月一次")],
    "government": [("政策宣讲进楼门", 12, "场", "每季度")],
    "owners": [("楼道环境监督巡查", 24, "次", "每月两次")],
    "social": [("心理疏导服务", 24, "小时", "预约")],
}


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _units(community: Community) -> dict[str, list[MemberUnit]]:
    found: dict[str, list[MemberUnit]] = {}
    for unit in MemberUnit.objects.filter(community=community).order_by("id"):
        found.setdefault(unit.kind, []).append(unit)
    return found


def _offer_all(office: User, contact: User | None, community: Community, start: date) -> dict[str, list]:
    """Each kind's first unit offers its resources; the property company's contact types its own."""
    offered: dict[str, list] = {}
    for kind, units in _units(community).items():
        for title, capacity, counted, period in OFFERS.get(kind, ()):
            unit = next((u for u in units if title[:2] in u.offers), units[0])
            actor = contact if contact is not None and contact.member_unit_id == unit.pk else office
            with demo_clock(_at(start, 9)):
                offered.setdefault(kind, []).append(
                    lists.resource_offer(
                        actor=actor,
                        unit=unit,
                        offer=lists.Offer(
                            title=title,
                            capacity=capacity,
                            capacity_unit=counted,
                            available_from=start,
                            period_note=period,
                        ),
                    )
                )
    return offered


def _crew(community: Community, rng: random.Random, size: int) -> list:
    people = [
        volunteer.person
        for volunteer in Volunteer.objects.filter(active=True, person__community=community)
        .select_related("person")
        .order_by("id")[:60]
    ]
    return rng.sample(people, min(size, len(people)))


def _project(
    office, need, title: str, start: date, commitments, crew, days: list[date], hours: str
) -> object:
    """A project for a need: resources taken on, people added, their work recorded day by day."""
    with demo_clock(_at(start, 9)):
        project = lists.project_start(actor=office, need=need, title=title, starts_on=start)
        for resource, committed, _delivered in commitments:
            lists.project_take_resource(actor=office, project=project, resource=resource, committed=committed)
        for person in crew:
            lists.project_add_person(actor=office, project=project, person=person)
    for day in days:
        with demo_clock(_at(day, 17)):
            for person in crew:
                lists.project_work_record(
                    actor=office, project=project, person=person, hours=Decimal(hours), worked_on=day
                )
    if days:
        with demo_clock(_at(days[-1], 18)):
            for row, (_resource, _committed, delivered) in zip(
                project.commitments.order_by("id"), commitments, strict=True
            ):
                row.project = project
                lists.project_deliver(actor=office, commitment=row, delivered=delivered)
    return project


def build_lists_demo(community: Community, rng: random.Random, *, today: date | None = None) -> dict:
    """Write the three lists of the demo; returns their sizes for the builder."""
    today = today or timezone.localdate()
    users = {user.username: user for user in User.objects.filter(community=community)}
    office = users["socialworker"]
    contact = users.get("unitcontact")
    start = today - timedelta(days=150)
    offered = _offer_all(office, contact, community, start)

    granny_visit = (
        Visit.objects.filter(community=community, person__name="王秀兰").order_by("visited_at").first()
    )
    tile_case = (
        Case.objects.filter(community=community, category__code="facilities-hazard", building__number=4)
        .order_by("reported_at")
        .first()
    )
    with demo_clock(_at(start + timedelta(days=2))):
        supplies = lists.need_raise(
            actor=office,
            community=community,
            title="困难家庭每月需要米面油等生活物资",
            description="敲门行动中发现的困难家庭，需要每月定期送到家。",
            visit=granny_visit,
        )
        winter = lists.need_raise(actor=office, community=community, title="独居老人家中冬季管道防冻")
        homework = lists.need_raise(
            actor=office,
            community=community,
            title="双职工家庭孩子放学后无人看护",
            description="多位家长反映。",
        )
        lists.need_raise(actor=office, community=community, title="雨雪天老人出行需要助行")
        corridor = lists.need_raise(
            actor=office,
            community=community,
            title="老旧楼栋楼道环境需要定期巡查",
            case=tile_case,
        )
    months = [start + timedelta(days=30 * n + 5) for n in range(5)]
    _project(
        office,
        supplies,
        "米面油月月送",
        start + timedelta(days=3),
        [(offered["enterprise"][0], 30, 25)],
        _crew(community, rng, 3),
        months,
        "2",
    )
    winter_start = today - timedelta(days=20)
    done = _project(
        office,
        winter,
        "冬季管道防冻入户检查",
        winter_start,
        [(offered["property"][1], 40, 40)],
        _crew(community, rng, 2),
        [winter_start + timedelta(days=2), winter_start + timedelta(days=6)],
        "3",
    )
    with demo_clock(_at(winter_start + timedelta(days=7), 18)):
        lists.project_update(
            actor=office,
            project=done,
            status=ProjectStatus.DONE,
            starts_on=winter_start,
            ends_on=winter_start + timedelta(days=7),
        )
    _project(
        office,
        homework,
        "四点半课堂",
        today - timedelta(days=40),
        [(offered["school"][0], 15, 6), (offered["social"][0], 6, 2)],
        _crew(community, rng, 2),
        [today - timedelta(days=d) for d in (35, 21, 7)],
        "1.5",
    )
    with demo_clock(_at(start + timedelta(days=60))):
        lists.need_set_status(
            actor=office, need=corridor, status=NeedStatus.CLOSED, note="已纳入物业日常巡查，无需另立项目。"
        )
    return {"resources": sum(len(rows) for rows in offered.values()), "projects": 3}
