"""The demo's "hands": party branches, volunteer teams, member units and building heads.

The article organises 115 resident party members into four branches, draws serving
party members and enthusiastic residents into 14 volunteer service teams, and links
dozens of units into a "big party committee". One Person can hold several of these
roles (a retired party member who patrols and heads a building), as in real life.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from grassroots.demo.layout import GRID_COUNT, HouseholdPlan
from grassroots.demo.population import NOT_RESIDENT, PersonPlan, PopulationPlanner

RESIDENT_PARTY_MEMBERS = 115
SERVING_PARTY_MEMBERS = 36
BRANCH_NAMES = ("第一党支部", "第二党支部", "第三党支部", "第四党支部")
_UNFIT = ("disabled", "dementia", "bedridden", "seriously-ill", "left-behind")


@dataclass(frozen=True)
class TeamSpec:
    name: str
    focus: str
    skills: tuple[str, ...]
    size: int
    ages: tuple[int, int]


TEAMS: tuple[TeamSpec, ...] = (
    TeamSpec(
        "助老服务队",
        "上门探望、陪伴聊天、代购代办，开展“幸福归巢·银发互助”帮扶困难老人",
        ("companionship", "delivery"),
        48,
        (35, 75),
    ),
    TeamSpec("水电维修队", "入户抢修水管、电路，解决居民急难", ("plumbing", "electrical"), 18, (28, 68)),
    TeamSpec(
        "心理关爱队",
        "心理疏导、情绪支持、困难居民陪伴（注意保密）",
        ("psychology", "companionship"),
        14,
        (26, 65),
    ),
    TeamSpec(
        "红色灯塔宣讲队", "“红色灯塔”主题宣讲、政策解读、党史故事分享", ("companionship",), 22, (45, 80)
    ),
    TeamSpec("治安巡逻队", "楼院巡逻、发现隐患及时上报、邻里守望", ("patrol",), 42, (45, 76)),
    TeamSpec("环境保洁队", "楼道清理、垃圾分类引导、环境整治", ("cleaning",), 30, (35, 75)),
    TeamSpec("义诊服务队", "免费义诊、测量血压血糖、健康讲座", ("medical",), 14, (26, 70)),
    TeamSpec("法律援助队", "法律咨询、普法宣传、协助维权", ("legal",), 10, (26, 70)),
    TeamSpec("邻里调解队", "调解邻里纠纷、家庭矛盾", ("mediation",), 16, (45, 78)),
    TeamSpec("爱心理发队", "每月上门理发、定期义剪", ("haircut",), 10, (28, 70)),
    TeamSpec("四点半课堂辅导队", "放学后课业辅导、假期托管", ("tutoring",), 20, (17, 70)),
    TeamSpec("智能手机帮教队", "教老年人使用智能手机、线上办事", ("digital",), 16, (17, 50)),
    TeamSpec("便民维修队", "家电维修、家具修理、上门小修小补", ("repairs", "electrical"), 16, (28, 70)),
    TeamSpec("爱心送水送餐队", "为行动不便的老人送水、送餐、送米面油", ("delivery",), 24, (22, 70)),
)
ELDERLY_CARE_TEAM = 0
PATROL_TEAM = 4
_AVAILABILITY = ("工作日上午", "工作日下午", "周末全天", "工作日晚间", "随叫随到", "每周二、四上午")


@dataclass(frozen=True)
class UnitSpec:
    name: str
    kind: str
    offers: str
    inside: bool


MEMBER_UNITS: tuple[UnitSpec, ...] = (
    UnitSpec(
        "津沽和信物业服务有限公司和盛园项目部", "property", "公共部位维修、楼道照明、管道抢修、保安保洁", True
    ),
    UnitSpec("和盛园小区业主委员会", "owners", "维修资金使用表决、协调业主、监督物业服务", True),
    UnitSpec("大沽街道办事处", "government", "政策指导、专项资金、跨部门协调", False),
    UnitSpec("大沽街派出所和盛园警务室", "government", "治安巡查、矛盾调处、户籍咨询", True),
    UnitSpec("大沽街司法所", "government", "人民调解、法律援助、社区矫正", False),
    UnitSpec("大沽街综合执法大队", "government", "违建整治、占道经营治理、环境执法", False),
    UnitSpec("滨海新区消防救援大沽站", "government", "消防检查、应急演练、消防宣传", False),
    UnitSpec("大沽街退役军人服务站", "government", "退役军人帮扶、优抚政策咨询", False),
    UnitSpec("滨海新区民政局社会救助科", "government", "低保、特困审核与临时救助", False),
    UnitSpec("大沽街城市管理办公室", "government", "市政设施维修协调、路灯、井盖", False),
    UnitSpec("和盛园幼儿园", "school", "亲子活动场地、育儿讲座", True),
    UnitSpec("大沽街第一小学", "school", "四点半课堂场地、师生志愿服务", False),
    UnitSpec("大沽中学", "school", "学生志愿者、文体场地开放", False),
    UnitSpec("滨海新区职业技术学校", "school", "家电维修实训师生志愿服务", False),
    UnitSpec("大沽街社区卫生服务中心", "hospital", "家庭医生签约、义诊、慢病随访", False),
    UnitSpec("和盛园社区卫生服务站", "hospital", "上门巡诊、测血压血糖、健康档案", True),
    UnitSpec("津沽康复医院", "hospital", "康复指导、残疾人辅具评估", False),
    UnitSpec("海晟口腔门诊部", "hospital", "老年人口腔义诊", False),
    UnitSpec("滨海水务大沽营业所", "enterprise", "供水抢修、水表检查", False),
    UnitSpec("大沽燃气服务站", "enterprise", "燃气安全检查、管线抢修", False),
    UnitSpec("大沽供电营业厅", "enterprise", "线路抢修、安全用电宣传", False),
    UnitSpec("津沽通信大沽营业厅", "enterprise", "老年人智能手机培训、宽带维修", False),
    UnitSpec("和盛园便民超市", "enterprise", "米面油慰问品、送货上门", True),
    UnitSpec("惠民菜市场", "enterprise", "平价菜、节日慰问物资", False),
    UnitSpec("盛园大药房", "enterprise", "送药上门、用药咨询", True),
    UnitSpec("鑫达家政服务有限公司", "enterprise", "助浴、保洁、陪护", False),
    UnitSpec("海河农商银行大沽支行", "enterprise", "反诈宣传、上门办理业务", False),
    UnitSpec("大沽老年日间照料中心", "social", "助餐、日间照料、文娱活动", True),
    UnitSpec("大沽街社会工作服务站", "social", "个案帮扶、心理疏导、社工督导", False),
    UnitSpec("阳光心理咨询服务中心", "social", "心理咨询、危机干预", False),
    UnitSpec("和盛园老年协会", "social", "文体活动、老年互助", True),
    UnitSpec("滨海新区红十字会大沽服务队", "social", "急救培训、应急物资", False),
    UnitSpec("大沽街残疾人联合会", "social", "残疾人证办理、康复补贴、辅具申领", False),
    UnitSpec("滨海新区图书馆大沽分馆", "other", "图书流动站、读书活动", False),
)


@dataclass
class PartyMemberPlan:
    person: int
    branch: int
    kind: str
    joined: date
    workplace: str = ""
    registered: date | None = None
    commitment: int | None = None  # hours a year a serving member promised


#: The yearly hours serving members promise, in turn (no draw: the rest of the plan stays as it was).
COMMITMENTS = (12, 20, 24, 30, 40)


@dataclass
class VolunteerPlan:
    person: int
    teams: list[int]
    skills: list[str]
    availability: str
    home_grid: int | None
    joined: date


@dataclass
class UnitPlan:
    spec: UnitSpec
    contact_name: str
    contact_phone: str


@dataclass
class OrganisationPlan:
    party_members: list[PartyMemberPlan] = field(default_factory=list)
    branch_secretaries: list[int] = field(default_factory=list)
    volunteers: list[VolunteerPlan] = field(default_factory=list)
    team_leaders: list[int] = field(default_factory=list)
    units: list[UnitPlan] = field(default_factory=list)
    building_heads: dict[int, int] = field(default_factory=dict)


def _weighted_sample(
    rng: random.Random, items: list[PersonPlan], weights: list[float], count: int
) -> list[PersonPlan]:
    """`count` distinct items, drawn with probability growing with weight (Efraimidis-Spirakis)."""
    keyed = sorted(
        ((rng.random() ** (1.0 / weight), position) for position, weight in enumerate(weights)), reverse=True
    )
    return [items[position] for _key, position in keyed[:count]]


def _fit(person: PersonPlan, skip: frozenset[int]) -> bool:
    return person.key not in skip and not person.has_tag(*_UNFIT)


def _party_weight(age: int) -> float:
    if age >= 80:
        return 2.0
    if age >= 60:
        return 4.0
    return 2.0 if age >= 45 else 1.0


def plan_organisations(
    planner: PopulationPlanner, rng: random.Random, households: list[HouseholdPlan], *, skip: frozenset[int]
) -> OrganisationPlan:
    """Party members, volunteers, member units and building heads, in that order."""
    plan = OrganisationPlan()
    plan.units = [_unit(planner, spec) for spec in MEMBER_UNITS]
    _plan_party(planner, rng, households, plan, skip)
    _plan_volunteers(planner, rng, households, plan, skip)
    _plan_building_heads(planner, rng, households, plan, skip)
    return plan


def _unit(planner: PopulationPlanner, spec: UnitSpec) -> UnitPlan:
    rng = planner.rng
    sex = rng.choice("MF")
    name = planner.names.full(sex, rng.randint(1965, 1992))
    return UnitPlan(spec, name, f"022-25{rng.randrange(10**6):06d}")


def _plan_party(
    planner: PopulationPlanner,
    rng: random.Random,
    households: list[HouseholdPlan],
    plan: OrganisationPlan,
    skip: frozenset[int],
) -> None:
    """115 resident members split by area into four branches, plus serving members who registered here."""
    candidates = [person for person in planner.residents() if person.age >= 23 and _fit(person, skip)]
    weights = [_party_weight(person.age) for person in candidates]
    chosen = _weighted_sample(rng, candidates, weights, RESIDENT_PARTY_MEMBERS)
    chosen.sort(key=lambda person: (households[person.current.household].index, person.key))
    per_branch = -(-RESIDENT_PARTY_MEMBERS // len(BRANCH_NAMES))
    for position, person in enumerate(chosen):
        joined = _joined_party(rng, person)
        plan.party_members.append(PartyMemberPlan(person.key, position // per_branch, "resident", joined))
    for branch in range(len(BRANCH_NAMES)):
        members = [
            m for m in plan.party_members if m.branch == branch and 50 <= planner.people[m.person].age <= 70
        ]
        plan.branch_secretaries.append(rng.choice(members).person)

    workplaces = [
        unit.spec.name for unit in plan.units if unit.spec.kind in {"government", "school", "hospital"}
    ]
    for position in range(SERVING_PARTY_MEMBERS):
        person = planner.person(sex=rng.choice("MF"), age=rng.randint(26, 55), status=NOT_RESIDENT)
        if not person.phone:
            person.phone = planner.names.mobile()
        registered = date(2018, 1, 1) + timedelta(days=rng.randrange(3000))
        plan.party_members.append(
            PartyMemberPlan(
                person.key,
                position % len(BRANCH_NAMES),
                "serving",
                _joined_party(rng, person),
                workplace=rng.choice(workplaces),
                registered=registered,
                commitment=COMMITMENTS[position % len(COMMITMENTS)],
            )
        )


def _joined_party(rng: random.Random, person: PersonPlan) -> date:
    joined = person.birth + timedelta(days=365 * rng.randint(19, 35) + rng.randrange(365))
    return min(joined, date(2025, 7, 1))


def _plan_volunteers(
    planner: PopulationPlanner,
    rng: random.Random,
    households: list[HouseholdPlan],
    plan: OrganisationPlan,
    skip: frozenset[int],
) -> None:
    """Most party members volunteer; enthusiastic residents (many recently retired) fill the teams."""
    members = [planner.people[m.person] for m in plan.party_members]
    pool = [person for person in members if rng.random() < (0.75 if person.status != NOT_RESIDENT else 0.85)]
    party_keys = {m.person for m in plan.party_members}
    others = [
        person
        for person in planner.residents()
        if 17 <= person.age <= 78 and person.key not in party_keys and _fit(person, skip)
    ]
    weights = [4.0 if 50 <= p.age <= 72 else (1.5 if p.age <= 30 else 1.0) for p in others]
    total = sum(team.size for team in TEAMS)
    pool += _weighted_sample(rng, others, weights, total - len(pool))
    pool.sort(key=lambda person: person.key)
    rng.shuffle(pool)

    room = [team.size for team in TEAMS]
    for person in pool:
        team = _choose_team(rng, person, room)
        room[team] -= 1
        teams = [team]
        if rng.random() < 0.25:
            teams.append(rng.choice([other for other in range(len(TEAMS)) if other != team]))
        skills = sorted({skill for index in teams for skill in TEAMS[index].skills})
        current = person.current
        home_grid = households[current.household].grid if current else rng.randrange(GRID_COUNT)
        joined = max(
            date(2015, 3, 5) + timedelta(days=rng.randrange(4000)), person.birth + timedelta(days=365 * 16)
        )
        plan.volunteers.append(
            VolunteerPlan(person.key, teams, skills, rng.choice(_AVAILABILITY), home_grid, joined)
        )
    plan.volunteers.sort(key=lambda volunteer: volunteer.person)
    for team in range(len(TEAMS)):
        members = [v.person for v in plan.volunteers if team in v.teams]
        leaders = [key for key in members if key in party_keys] or members
        plan.team_leaders.append(leaders[0])


def _choose_team(rng: random.Random, person: PersonPlan, room: list[int]) -> int:
    """A team with room left whose usual ages include the person's; any team with room otherwise."""
    suited = [i for i, team in enumerate(TEAMS) if room[i] > 0 and team.ages[0] <= person.age <= team.ages[1]]
    if not suited:
        suited = [i for i in range(len(TEAMS)) if room[i] > 0] or list(range(len(TEAMS)))
    return rng.choices(suited, [max(room[i], 1) for i in suited])[0]


def _plan_building_heads(
    planner: PopulationPlanner,
    rng: random.Random,
    households: list[HouseholdPlan],
    plan: OrganisationPlan,
    skip: frozenset[int],
) -> None:
    """One head per building, often a party member or volunteer who lives there."""
    party = {m.person for m in plan.party_members}
    volunteers = {v.person for v in plan.volunteers}
    by_building: dict[int, list[PersonPlan]] = {}
    for person in planner.residents():
        if 45 <= person.age <= 74 and _fit(person, skip):
            by_building.setdefault(households[person.current.household].building, []).append(person)
    for building in sorted({household.building for household in households}):
        candidates = by_building[building]
        weights = [5 if p.key in party else (3 if p.key in volunteers else 1) for p in candidates]
        plan.building_heads[building] = rng.choices(candidates, weights)[0].key
