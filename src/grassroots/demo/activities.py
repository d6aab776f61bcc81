"""Activities and service hours in the Heshengyuan demo: a year of theme days, and what is coming up.

Everything goes through the activities services and the hours ledger, each act by the account
that does it in the story, at its moment in the past under the demo's clock (demo.clock): the
social worker publishes for a team and signs up its volunteers (most have no account), ticks the
roll call at the door, checks them out and confirms their hours, which land in the ledger; a few
volunteers exchange points in the time bank. The care programme's deliveries (demo.care) are in
the ledger already, through care's announcement.

- Every month of the past year: a 红色灯塔 day (the party members' "red lighthouse"), and in
  turn a 邻里守望·幸福敲门 round or a 银发互助 afternoon, each run by one of the teams.
- Coming up: three activities of the next two weeks; the demo volunteer and the demo resident
  have places, and one of them is full with people waiting.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from grassroots.accounts.models import User
from grassroots.accounts.roles import is_resident, is_social_worker, role_filter
from grassroots.activities import hours as ledger
from grassroots.activities import services
from grassroots.activities.models import HoursEntry, PointsBalance, Theme
from grassroots.demo.clock import demo_clock
from grassroots.orgs.models import Volunteer, VolunteerTeam
from grassroots.places.models import Community

#: title, theme, place, start hour, length in hours, places.
PAST = {
    "red-lighthouse": [
        ("红色灯塔·楼道清扫", "各楼栋单元楼道", 9, 3, 12),
        ("红色灯塔·政策宣讲进楼门", "社区党群服务中心", 14, 2, 10),
        ("红色灯塔·绿地补种", "小区中心花园", 8, 3, 12),
    ],
    "neighbourhood-watch": [
        ("邻里守望·独居老人敲门走访", "4号楼、7号楼", 9, 3, 8),
        ("幸福敲门·防诈骗宣传入户", "1-6号楼", 15, 2, 8),
    ],
    "silver-mutual-aid": [
        ("银发互助·义诊量血压", "社区卫生服务站门前", 9, 3, 10),
        ("银发互助·义务理发", "社区活动室", 14, 3, 8),
    ],
}
COMING = [
    ("red-lighthouse", "红色灯塔·冬季消防安全检查", "各楼栋消防通道", 3, 9, 3, 6),
    ("silver-mutual-aid", "银发互助·包饺子陪老人过冬至", "社区活动室", 6, 10, 3, 12),
    ("neighbourhood-watch", "邻里守望·雪天扫雪护行", "小区主干道", 11, 8, 2, 3),
]
REDEMPTIONS = ("兑换理发一次", "兑换米面油一份", "兑换家电清洗一次")


def _at(day, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _details(theme: Theme, title: str, place: str, starts: datetime, hours: int, capacity: int):
    return services.ActivityDetails(
        title=title,
        theme=theme,
        place=place,
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
        capacity=capacity,
        signup_deadline=starts - timedelta(hours=12),
        description="",
    )


def _members(team: VolunteerTeam) -> list:
    return [
        volunteer.person
        for volunteer in Volunteer.objects.filter(teams=team, active=True)
        .select_related("person")
        .order_by("id")
    ]


def _past_activity(office: User, community: Community, team, theme, spec, day, rng: random.Random) -> int:
    """One past activity: published a week before, the team signed up, ticked, checked out, confirmed."""
    title, place, hour, length, capacity = spec
    starts = _at(day, hour)
    with demo_clock(starts - timedelta(days=7)):
        activity = services.activity_publish(
            actor=office,
            community=community,
            team=team,
            details=_details(theme, title, place, starts, length, capacity),
        )
    people = _members(team)
    rng.shuffle(people)
    signups = []
    with demo_clock(starts - timedelta(days=3)):
        for person in people[: capacity + 2]:
            signups.append(services.signup_add(actor=office, activity=activity, person=person))
    confirmed = [signup for signup in signups if signup.status == "confirmed"]
    if len(confirmed) > 2:  # someone gives their place up the day before: the first in line moves up
        with demo_clock(starts - timedelta(days=1)):
            services.signup_cancel(actor=office, signup=confirmed.pop(rng.randrange(len(confirmed))))
    present = [
        s for s in activity.signups.filter(status="confirmed").select_related("person") if rng.random() < 0.9
    ]
    for signup in present:
        with demo_clock(starts + timedelta(minutes=rng.randint(0, 20))):
            services.checkin_roll(actor=office, signup=signup)
    for signup in present:
        with demo_clock(starts + timedelta(hours=length) - timedelta(minutes=rng.randint(0, 40))):
            services.checkout(actor=office, signup=signup)
    with demo_clock(starts + timedelta(hours=length + 1)):
        for signup in present:
            services.signup_confirm_hours(actor=office, signup=signup)
    return len(present)


def build_activities_demo(community: Community, rng: random.Random, *, today=None) -> dict:
    """Write the activities part of the demo for `community`; returns a few figures for the builder."""
    today = today or timezone.localdate()
    users = {user.username: user for user in User.objects.filter(community=community)}
    office = users.get("socialworker") or next(user for user in users.values() if is_social_worker(user))
    volunteer = users.get("volunteer")
    resident = (
        User.objects.filter(role_filter(is_resident), person__community=community).order_by("id").first()
    )
    themes = {theme.code: theme for theme in Theme.objects.all()}
    teams = list(VolunteerTeam.objects.filter(community=community).order_by("id"))
    own_team = next(
        (team for team in teams if volunteer and volunteer.person_id in {p.pk for p in _members(team)}),
        teams[0],
    )
    held = present = 0
    for months_ago in range(12, 0, -1):
        first = (today.replace(day=1) - timedelta(days=30 * months_ago)).replace(day=1)
        red = PAST["red-lighthouse"][months_ago % 3]
        present += _past_activity(
            office,
            community,
            rng.choice(teams),
            themes["red-lighthouse"],
            red,
            first + timedelta(days=rng.randint(2, 8)),
            rng,
        )
        code = "neighbourhood-watch" if months_ago % 2 else "silver-mutual-aid"
        spec = PAST[code][months_ago % len(PAST[code])]
        team = own_team if months_ago % 3 == 0 else rng.choice(teams)
        present += _past_activity(
            office, community, team, themes[code], spec, first + timedelta(days=rng.randint(12, 24)), rng
        )
        held += 2
    # A few volunteers exchange points in the time bank.
    top = (
        HoursEntry.objects.filter(community=community, points__gt=0)
        .values_list("person", flat=True)
        .order_by("person")
        .distinct()[:3]
    )
    for person_id, note in zip(list(top), REDEMPTIONS, strict=False):
        balance = PointsBalance.objects.select_related("person").get(person_id=person_id)
        if balance.points >= 2:
            with demo_clock(timezone.now() - timedelta(days=rng.randint(3, 20))):
                ledger.points_redeem(actor=office, person=balance.person, points=Decimal(2), note=note)
    # What is coming up: the demo volunteer and resident have places; the last one is full, with a queue.
    coming = []
    for code, title, place, in_days, hour, length, capacity in COMING:
        starts = _at(today + timedelta(days=in_days), hour)
        coming.append(
            services.activity_publish(
                actor=office,
                community=community,
                team=own_team,
                details=_details(themes[code], title, place, starts, length, capacity),
            )
        )
    for activity in coming:
        if volunteer is not None:
            services.signup_add(actor=volunteer, activity=activity)
    if resident is not None:
        services.signup_add(actor=resident, activity=coming[1])
    for person in _members(own_team)[:6]:
        if volunteer is None or person.pk != volunteer.person_id:
            services.signup_add(actor=office, activity=coming[2], person=person)
    return {"activities": held + len(coming), "attended": present}
