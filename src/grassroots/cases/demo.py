"""Cases in the Heshengyuan demo: the article's stories, today's work in hand, and a year of history.

Called by the demo builder once the registry (people, organisations, accounts) is written:

    from grassroots.cases.demo import build_case_demo
    build_case_demo(community, rng)

- The article's stories go through cases.services, each step by the account whose
  role does it in the article: Aunt Liu's drinking water (volunteers at her door
  within the hour), Aunt Kan's burst pipe (the social worker reassures her while the
  plumbing volunteers come; fixed the same morning), the broken corridor tile at
  building 4 (the Party committee whistles: a party member, the building head, the
  owners' committee and the property company report for duty and agree a plan), and
  a psychological-support case the social worker handles discreetly.
- Today's screens: a case in every open state (reported, registered, dispatched,
  in progress near its due time, overdue and urged, escalated to the street, waiting
  for an extension, resolved and waiting for the call-back, verified, rework), also
  through the services.
- A year of history (about 3,000 cases: mostly closed satisfied, some basically
  satisfied, reworked, rejected, merged or late) is written with bulk inserts: the
  services take tens of milliseconds per action, which for 20,000 actions would be
  minutes. The rows are the ones the services would write (same numbers, clocks,
  timeline entries and assignments); they announce nothing, so no messages are queued.

The services stamp most actions with the present moment; each step of a story is
moved back to its moment in the past right after it runs (queryset updates, which
CaseEvent's append-only save() does not see), so that every timeline reads in order.
Everything is drawn from the given random.Random and counted back from `now`: the
same seed on the same day gives the same cases.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from grassroots.accounts.models import User
from grassroots.accounts.roles import is_grid_worker, role_filter, role_of
from grassroots.cases import services
from grassroots.cases.models import (
    Assignment,
    Case,
    CaseCounter,
    CaseEvent,
    Category,
    Channel,
    Satisfaction,
    Urgency,
)
from grassroots.cases.services import Party, ReportDetails, case_due_times
from grassroots.cases.workflow import Action, Status
from grassroots.orgs.models import MemberUnit, PartyMember, Volunteer, VolunteerTeam
from grassroots.people.models import Person
from grassroots.places.models import Building, Community, Household

HISTORY_DAYS = 365
BATCH = 1000

# Cases a year, by category, before the seasons are applied (about 3,000 in all).
YEARLY = {
    "repairs-pipe": 270,
    "repairs-home": 340,
    "repairs": 55,
    "utilities-water": 130,
    "utilities-power": 120,
    "utilities-heating": 290,
    "utilities-gas": 32,
    "utilities": 22,
    "environment": 400,
    "facilities-hazard": 120,
    "facilities-lighting": 140,
    "facilities": 50,
    "property": 390,
    "elderly": 165,
    "disability": 50,
    "psychological": 13,
    "dispute": 125,
    "consultation": 160,
    "urban-component": 50,
    "urban-event": 80,
    "other": 50,
}
URGENT_SHARE = {
    "utilities-water": 0.45,
    "utilities-power": 0.35,
    "utilities-gas": 0.9,
    "utilities-heating": 0.1,
    "utilities": 0.2,
    "repairs-pipe": 0.55,
    "repairs-home": 0.08,
    "repairs": 0.1,
    "facilities-hazard": 0.25,
    "elderly": 0.25,
    "disability": 0.1,
    "psychological": 0.15,
}
# Share of the category's reports that concern a building or a spot outside, not one household.
OUTSIDE_SHARE = {
    "environment": 0.85,
    "facilities-hazard": 0.9,
    "facilities-lighting": 0.9,
    "facilities": 0.95,
    "urban-component": 1.0,
    "urban-event": 1.0,
    "property": 0.5,
    "utilities-power": 0.15,
    "utilities-water": 0.1,
    "utilities-heating": 0.1,
}
_CHANNELS = ("phone", "wechat", "walk_in", "patrol", "visit", "web", "hotline")
_CHANNEL_WEIGHTS = {
    "household": (42, 20, 12, 2, 6, 8, 10),
    "outside": (25, 18, 6, 32, 6, 6, 7),
    "psychological": (40, 0, 15, 0, 45, 0, 0),
    "care": (50, 10, 10, 0, 25, 5, 0),
    "consultation": (40, 15, 30, 0, 0, 10, 5),
    "utilities-heating": (45, 20, 5, 0, 0, 10, 20),
}
# When each channel brings reports in, by local hour of the day.
_HOURS = {
    "phone": (0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 4, 5, 5, 4, 2, 2, 4, 4, 4, 3, 2, 1.5, 1, 0.6, 0.4, 0.3),
    "wechat": (0.3, 0.1, 0, 0, 0, 0.1, 0.5, 1.5, 3, 3, 3, 3, 3, 2, 3, 3, 3, 3, 3, 4, 4, 3, 2, 1),
    "walk_in": (0, 0, 0, 0, 0, 0, 0, 0, 3, 4, 4, 2, 0, 0, 3, 4, 3, 1, 0, 0, 0, 0, 0, 0),
    "patrol": (0, 0, 0, 0, 0, 0, 0, 1, 3, 4, 3, 1, 0, 0, 2, 3, 3, 1, 0, 0, 0, 0, 0, 0),
    "visit": (0, 0, 0, 0, 0, 0, 0, 0, 1, 4, 4, 2, 0, 0, 2, 4, 4, 1, 0, 0, 0, 0, 0, 0),
    "web": (0.5, 0.3, 0.1, 0.1, 0.1, 0.2, 0.5, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 2, 1),
    "hotline": (0, 0, 0, 0, 0, 0, 0, 0.5, 3, 4, 4, 3, 1, 1, 3, 4, 3, 2, 1, 1, 0.5, 0.3, 0, 0),
}
SATISFIED, BASIC, UNSATISFIED = Satisfaction.SATISFIED, Satisfaction.BASIC, Satisfaction.UNSATISFIED

# --- what people say --------------------------------------------------------------------------------

DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "utilities-water": (
        "家中停水一天了，水龙头一点水都没有，家里有老人需要用水。",
        "家里桶装水喝完了，腿脚不便下不了楼，请帮忙送水。",
        "自来水发黄有异味，不敢饮用，请帮忙联系查看。",
        "楼里突然停水，没看到停水通知，想问什么时候恢复。",
        "水压太低，楼上几户都上不去水。",
    ),
    "utilities-power": (
        "家里突然停电，邻居家有电，可能是电表箱跳闸。",
        "整个单元停电，楼上有老人，冰箱里的药需要冷藏。",
        "电表箱冒火花，有焦糊味，担心出危险。",
        "家中插座跳闸后合不上，冰箱里的东西快坏了。",
    ),
    "utilities-heating": (
        "暖气不热，室内只有十四五度，家里有老人孩子。",
        "暖气片上热下凉，可能需要放气，自己不会弄。",
        "暖气管道阀门漏水，地上都是水。",
        "供暖后家里一直不热，物业说是管网问题，请社区帮忙协调。",
        "楼上暖气漏水，渗到我家顶棚。",
    ),
    "utilities-gas": (
        "厨房闻到燃气味，已开窗通风，请马上派人检查。",
        "燃气灶打不着火，燃气表显示还有余额。",
        "楼道里有燃气味，不知道是哪家漏气。",
    ),
    "utilities": (
        "热水器一直出冷水，不知道是燃气还是电路的问题，请帮忙看看。",
        "本月水费比平时高出很多，怀疑水表有问题。",
    ),
    "repairs-pipe": (
        "厨房水管接头漏水，滴到楼下邻居家。",
        "卫生间下水管堵塞，污水往外返。",
        "天冷水管冻裂，家里到处是水。",
        "洗手池下面的软管爆了，已经关了总阀。",
        "楼上卫生间漏水，我家卫生间顶棚渗水。",
        "暖气进水管阀门关不严，一直滴水。",
    ),
    "repairs-home": (
        "家里门锁坏了，钥匙插不进去，老人进不了门。",
        "卧室灯不亮，换了灯泡也不行，家里只有老人不会修。",
        "窗户合页坏了关不上，冬天漏风。",
        "马桶水箱一直流水，关不住。",
        "厨房抽油烟机不转了，想请志愿者帮忙看看。",
        "老人家里的纱窗破了，想请人帮忙换一下。",
    ),
    "repairs": (
        "家里水龙头坏了，一直滴水，请帮忙维修。",
        "卫生间门把手掉了，门打不开。",
    ),
    "environment": (
        "{place}堆放了很多杂物和废纸箱，有消防隐患，也影响通行。",
        "{place}垃圾桶满了好几天没人清运，味道很大。",
        "{place}有人乱倒装修垃圾。",
        "{place}污水井冒水，臭味很重。",
        "{place}有流浪猫狗粪便，希望清理。",
        "{place}蚊虫很多，希望喷洒消杀药物。",
        "{place}墙面贴满小广告，影响环境。",
    ),
    "facilities-hazard": (
        "{place}地砖松动翘起，老人容易绊倒。",
        "{place}楼梯扶手松动，扶着摇晃，很危险。",
        "{place}窨井盖破损，晚上看不清容易踩空。",
        "{place}外墙瓷砖有脱落，下面是人行道。",
        "{place}台阶边缘破损，雨雪天很滑。",
    ),
    "facilities-lighting": (
        "{place}的声控灯不亮了，晚上上下楼看不见。",
        "{place}的路灯坏了好几天，晚上一片黑。",
        "{place}的楼道灯一直亮着不灭。",
    ),
    "facilities": (
        "{place}的健身器材螺丝松动，有安全隐患。",
        "{place}单元门禁坏了，门锁不上，外人随便进出。",
        "{place}的休息长椅木板断裂。",
        "{place}信报箱损坏，箱门关不上。",
    ),
    "elderly": (
        "独居老人想请志愿者帮忙代买药品和蔬菜。",
        "老人腿脚不便，想请人陪同去医院复查。",
        "老人不会用智能手机缴费，想请志愿者上门帮忙。",
        "老人生病在家，子女在外地，希望有人上门看看。",
        "高龄老人想申请助餐服务，请帮忙联系。",
        "老人想理发，行动不便出不了门。",
    ),
    "disability": (
        "残疾人家属想咨询辅具申领，请帮忙联系残联。",
        "家中残疾人的轮椅坏了，需要更换。",
        "坐轮椅上下楼困难，想请志愿者帮忙送去康复医院。",
        "残疾人证到期需要换证，行动不便，想请上门帮办。",
    ),
    "psychological": (
        "居民因家庭变故情绪低落，失眠，不愿与人交流，家属请求心理疏导。",
        "独居老人近来常说活着没意思，邻居担心，请社工关注。",
        "居民失业后情绪焦虑，与家人经常争吵，希望得到心理支持。",
    ),
    "dispute": (
        "楼上邻居夜间噪音大，多次沟通无果。",
        "邻居在楼道堆放杂物，协商不成发生口角。",
        "楼上卫生间漏水，邻居不肯维修，双方有矛盾。",
        "邻居养狗不拴绳，吓到孩子，双方争执。",
        "邻居在公共区域私装地锁，引起其他住户不满。",
    ),
    "property": (
        "{place}电梯经常故障停运，物业维修不及时。",
        "小区地下车库积水，车辆进出困难。",
        "对物业费收费标准有疑问，想请社区帮忙了解。",
        "{place}私家车乱停，消防通道被堵。",
        "小区绿化带长期无人修剪，杂草丛生。",
        "{place}屋顶漏雨，顶层住户墙面发霉。",
    ),
    "consultation": (
        "咨询高龄老人津贴怎么申请。",
        "咨询孩子入学需要社区开具哪些证明。",
        "咨询低保申请条件和需要的材料。",
        "咨询居住证办理流程。",
        "咨询医保异地报销怎么办理。",
        "咨询退役军人优待证申领。",
    ),
    "urban-component": (
        "{place}附近的消防栓漏水。",
        "小区门口路灯杆倾斜，存在安全隐患。",
        "{place}门前雨水井篦子缺失。",
    ),
    "urban-event": (
        "小区门口有流动摊贩占道经营，影响通行。",
        "小区外围有车辆长期占用消防通道。",
        "{place}有人私搭乱建小棚子。",
        "小区周边夜间施工噪音扰民。",
    ),
    "other": (
        "建议在小区里多设几个休息座椅。",
        "捡到一个钱包，已交到社区，请帮忙联系失主。",
        "希望社区组织老年人智能手机培训。",
    ),
}
REPORTS: dict[str, tuple[str, ...]] = {
    "utilities-water": (
        "志愿者送去两桶饮用水并搬进家中。",
        "已联系水务营业所，管道抢修完毕，供水恢复。",
        "经查为楼顶水箱阀门故障，物业已修复，水压恢复正常。",
    ),
    "utilities-power": (
        "电表箱空开跳闸，已复位并更换老化空开，供电恢复。",
        "已联系供电营业厅抢修，线路修复，单元供电恢复。",
        "入户检查发现插座短路，已更换插座。",
    ),
    "utilities-heating": (
        "已为暖气片放气，复测室温19℃。",
        "物业联系供热站调整管网平衡，室温达到18℃以上。",
        "更换漏水阀门，已恢复供暖。",
    ),
    "utilities-gas": (
        "燃气公司上门检测，更换老化胶管，隐患排除。",
        "燃气表电池没电，已更换，恢复供气。",
    ),
    "utilities": ("上门检查后已处理，居民确认恢复正常。",),
    "repairs-pipe": (
        "更换漏水的水管接头，试水无渗漏。",
        "疏通下水管道，排水恢复正常。",
        "更换冻裂管段并做保温处理。",
        "楼上住户配合更换了卫生间防水，渗水停止。",
    ),
    "repairs-home": (
        "志愿者上门更换了门锁锁芯。",
        "更换镇流器和灯管，灯已亮。",
        "修好窗户合页，窗户可以正常关闭。",
        "更换马桶进水阀，不再流水。",
        "清洗油烟机并更换电容，运转正常。",
    ),
    "repairs": ("已上门维修完毕。",),
    "environment": (
        "保洁人员已清理完毕，现场拍照留存。",
        "已清运垃圾并对垃圾桶周边消毒。",
        "已疏通污水井，周边清洗干净。",
        "已完成消杀，并张贴文明养犬提示。",
    ),
    "facilities-hazard": (
        "更换破损地砖并找平，隐患排除。",
        "已加固楼梯扶手。",
        "更换窨井盖，设置警示标志后已撤除。",
        "修补台阶边缘，加装防滑条。",
    ),
    "facilities-lighting": (
        "更换声控灯，楼道照明恢复。",
        "已维修路灯线路，路灯恢复照明。",
        "更换感应开关，楼道灯可正常熄灭。",
    ),
    "facilities": (
        "已维修加固。",
        "门禁已修复，单元门可正常上锁。",
        "更换长椅木板。",
    ),
    "elderly": (
        "志愿者已代买药品和蔬菜送到老人家中。",
        "志愿者陪同老人到医院完成复查。",
        "志愿者上门教会老人用手机缴费。",
        "志愿者上门探望，老人身体已好转，约定每周电话问候。",
        "已为老人办理助餐服务。",
    ),
    "disability": (
        "已协助向残联提交辅具申请。",
        "志愿者协助更换了轮椅。",
        "志愿者陪同前往康复医院。",
    ),
    "psychological": (
        "经多次面谈，当事人情绪稳定，已建立定期关怀。",
        "已转介专业心理咨询机构，社工持续跟进。",
    ),
    "dispute": (
        "经调解，双方达成一致。",
        "双方签订调解协议，邻里关系缓和。",
        "已转交人民调解委员会处理。",
    ),
    "property": (
        "物业已完成维修。",
        "已协调物业整改，居民认可。",
        "已向居民解释收费依据，居民表示理解。",
    ),
    "consultation": ("已电话答复居民并告知所需材料。", "已当面解答，并协助填写申请表。"),
    "urban-component": ("已转城管办处理，设施已修复。",),
    "urban-event": ("综合执法大队已现场处置。", "已劝离占道摊贩，设置提示牌。"),
    "other": ("已答复居民。", "已转相关部门。"),
}
REJECTIONS = (
    "属于业主个人产权内部装修问题，已建议居民联系装修公司。",
    "经核实，该问题已由物业处理完毕。",
    "不属于社区职责范围，已告知居民拨打95598供电服务热线。",
    "重复来电，问题已答复。",
    "反映的地址不在本社区辖区，已告知居民联系所属社区。",
    "属于民事纠纷，已建议居民通过法律途径解决。",
)
NOTES = (
    "已联系上居民，约定上门时间。",
    "已到现场查看，需要准备材料。",
    "配件已订购，等待到货。",
    "已电话告知居民处理进度。",
    "已与楼上住户沟通，对方同意配合。",
)
CALLBACKS = {
    SATISFIED: ("回访：居民表示满意。", "回访：问题已解决，居民很满意。", ""),
    BASIC: ("回访：居民基本满意，希望以后处理再快些。", "回访：基本满意。"),
    UNSATISFIED: ("回访：居民反映问题仍未解决。", "回访：居民反映还有渗漏，要求重新处理。"),
}
PLANS = (
    "物业当天设置警示标志，次日更换破损部件；楼栋长通知居民绕行；党员志愿者现场引导；业委会监督验收。",
    "物业先做临时处置，业委会同意动用公共维修资金，三日内完成维修，楼栋长负责通知住户。",
)
_OUTSIDE_SPOTS = (
    "{e}单元楼道",
    "{e}单元门口",
    "{e}单元{f}楼楼梯间",
    "楼前空地",
    "楼后绿化带",
    "东侧小路",
    "{e}单元地下室入口",
)

# --- the registry, as the demo needs it -------------------------------------------------------------


@dataclass(frozen=True)
class _Party:
    kind: str
    id: int
    name: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def service_party(self) -> Party:
        return Party(self.kind, self.id)


@dataclass(frozen=True)
class _Resident:
    id: int
    name: str
    age: int
    household_id: int
    phone: tuple[str, str, str, str]  # encrypted, hash, tail hash, masked


@dataclass
class _Registry:
    """What the case demo draws from, loaded once with a few queries."""

    community: Community
    now: datetime
    users: dict[str, User]
    grid_workers: dict[int, User]
    categories: dict[str, Category]
    households: list[dict]
    household_by_id: dict[int, dict]
    buildings: list[dict]
    building_by_number: dict[int, dict]
    residents: dict[int, list[_Resident]]
    by_skill: dict[str, list[tuple[_Party, int | None]]]
    team_members: dict[int, set[int]]
    teams: dict[str, _Party]
    units: dict[str, _Party]
    party_members: list[_Party]
    patrollers: list[_Party]
    heads: dict[int, _Party]
    account_of_person: dict[int, User]

    @classmethod
    def load(cls, community: Community, now: datetime) -> _Registry:
        today = timezone.localtime(now).date()
        users = {
            user.username: user
            for user in User.objects.filter(community=community, is_active=True).order_by("id")
        }
        grid_workers: dict[int, User] = {}
        for link in User.grids.through.objects.filter(
            role_filter(is_grid_worker, prefix="user__"), user__in=users.values()
        ).order_by("user_id", "grid_id"):
            grid_workers.setdefault(link.grid_id, next(u for u in users.values() if u.pk == link.user_id))
        households = list(
            Household.objects.filter(building__community=community)
            .order_by("id")
            .values("id", "building_id", "grid_id", "entrance", "room", "building__number")
        )
        buildings = list(
            Building.objects.filter(community=community)
            .order_by("number")
            .values("id", "number", "grid_id", "entrances", "floors", "head_id", "head__name")
        )
        residents: dict[int, list[_Resident]] = defaultdict(list)
        for row in (
            Person.objects.filter(community=community, current_household__isnull=False)
            .order_by("id")
            .values(
                "id",
                "name",
                "birth_date",
                "current_household_id",
                "phone_encrypted",
                "phone_hash",
                "phone_tail_hash",
                "phone_masked",
            )
        ):
            age = _age(row["birth_date"], today)
            if age < 18:
                continue
            phone = (row["phone_encrypted"], row["phone_hash"], row["phone_tail_hash"], row["phone_masked"])
            residents[row["current_household_id"]].append(
                _Resident(row["id"], row["name"], age, row["current_household_id"], phone)
            )
        volunteers = {
            row["person_id"]: row
            for row in Volunteer.objects.filter(person__community=community, active=True)
            .order_by("person_id")
            .values("id", "person_id", "person__name", "home_grid_id")
        }
        by_volunteer_id = {row["id"]: row for row in volunteers.values()}
        by_skill: dict[str, list[tuple[_Party, int | None]]] = defaultdict(list)
        for link in (
            Volunteer.skills.through.objects.filter(volunteer_id__in=by_volunteer_id)
            .order_by("volunteer_id", "skill__code")
            .values("volunteer_id", "skill__code")
        ):
            row = by_volunteer_id[link["volunteer_id"]]
            party = _Party("person", row["person_id"], row["person__name"])
            by_skill[link["skill__code"]].append((party, row["home_grid_id"]))
        team_members: dict[int, set[int]] = defaultdict(set)
        for link in Volunteer.teams.through.objects.filter(volunteer_id__in=by_volunteer_id).values(
            "volunteer_id", "volunteerteam_id"
        ):
            team_members[link["volunteerteam_id"]].add(by_volunteer_id[link["volunteer_id"]]["person_id"])
        teams = {
            row["name"]: _Party("team", row["id"], row["name"])
            for row in VolunteerTeam.objects.filter(community=community).order_by("id").values("id", "name")
        }
        units: dict[str, _Party] = {}
        for row in MemberUnit.objects.filter(community=community).order_by("id").values("id", "name", "kind"):
            party = _Party("unit", row["id"], row["name"])
            units.setdefault(row["kind"], party)
            for key, fragment in _UNIT_KEYS.items():
                if fragment in row["name"]:
                    units.setdefault(key, party)
        members = list(
            PartyMember.objects.filter(person__community=community, kind="resident")
            .order_by("person_id")
            .values_list("person_id", "person__name")
        )
        patrol_team = teams.get("治安巡逻队")
        patrollers = [
            _Party("person", key, volunteers[key]["person__name"])
            for key in sorted(team_members.get(patrol_team.id, ()) if patrol_team else ())
        ]
        return cls(
            community=community,
            now=now,
            users=users,
            grid_workers=grid_workers,
            categories={category.code: category for category in Category.objects.filter(active=True)},
            households=households,
            household_by_id={row["id"]: row for row in households},
            buildings=buildings,
            building_by_number={row["number"]: row for row in buildings},
            residents=residents,
            by_skill=by_skill,
            team_members=team_members,
            teams=teams,
            units=units,
            party_members=[_Party("person", key, name) for key, name in members],
            patrollers=patrollers,
            heads={
                row["id"]: _Party("person", row["head_id"], row["head__name"])
                for row in buildings
                if row["head_id"]
            },
            account_of_person={user.person_id: user for user in users.values() if user.person_id},
        )

    def user(self, username: str) -> User:
        return self.users[username]

    def user_party(self, user: User) -> _Party:
        return _Party("user", user.pk, user.get_full_name() or user.username)

    def account_for(self, party: _Party) -> User | None:
        """The demo account that signs for this party itself, if it has one."""
        if party.kind == "user":
            return next(user for user in self.users.values() if user.pk == party.id)
        if party.kind == "person":
            return self.account_of_person.get(party.id)
        if party.kind == "unit":
            contact = self.users.get("unitcontact")
            return contact if contact is not None and contact.member_unit_id == party.id else None
        members = self.team_members.get(party.id, set())
        return next((user for key, user in self.account_of_person.items() if key in members), None)

    def grid_worker(self, grid_id: int | None) -> User:
        return self.grid_workers.get(grid_id) or self.user("socialworker")

    def volunteer_with(
        self, rng: random.Random, skill: str, grid_id: int | None, *, avoid=()
    ) -> _Party | None:
        """A volunteer with the skill, from the same grid when there is one."""
        candidates = [party for party, _grid in self.by_skill.get(skill, ()) if party.id not in avoid]
        near = [
            party for party, grid in self.by_skill.get(skill, ()) if grid == grid_id and party.id not in avoid
        ]
        pool = near or candidates
        return rng.choice(pool) if pool else None


_UNIT_KEYS = {
    "gas": "燃气",
    "city": "城市管理",
    "enforcement": "综合执法",
    "disabled": "残疾人联合会",
    "water": "水务",
    "power": "供电",
}


def _age(birth: date | None, today: date) -> int:
    if birth is None:
        return 40
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _aware(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_default_timezone())


def _poisson(rng: random.Random, mean: float) -> int:
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _season(code: str, day: date) -> float:
    """How much more (or less) often this kind of problem comes up on this day of the year."""
    month = day.month
    winter, summer = month in (12, 1, 2), month in (6, 7, 8)
    factor = 0.75 if day.weekday() >= 5 else 1.0
    if code == "utilities-heating":  # the heating season runs from 15 November to 15 March
        in_season = (month, day.day) >= (11, 15) or (month, day.day) <= (3, 15)
        if not in_season:
            return factor * 0.03
        return factor * {11: 3.0, 12: 2.0, 1: 2.2, 2: 1.4, 3: 0.8}[month]
    seasonal = {
        "repairs-pipe": 1.6 if winter else (1.2 if month in (3, 11) else (0.8 if summer else 1.0)),
        "utilities-power": 1.7 if summer else (1.1 if winter else 1.0),
        "utilities-water": 1.4 if summer else 1.0,
        "environment": 1.4 if summer else (0.7 if winter else 1.0),
        "dispute": 1.3 if summer else 1.0,
        "elderly": 1.4 if month in (1, 2) else (1.2 if month == 12 else 1.0),
        "urban-event": 1.3 if 4 <= month <= 9 else 0.8,
        "facilities-hazard": 1.2 if winter else 1.0,
    }
    return factor * seasonal.get(code, 1.0)


def _moment(rng: random.Random, day: date, channel: str) -> datetime:
    hour = rng.choices(range(24), _HOURS[channel])[0]
    return _aware(day, hour, rng.randrange(60))


def _office(rng: random.Random, moment: datetime, *, urgent: bool = False) -> datetime:
    """Staff and volunteers act by day (08:00-19:00); urgent work goes on at any hour."""
    if urgent:
        return moment
    local = moment.astimezone(timezone.get_default_timezone())
    if 8 <= local.hour < 19:
        return moment
    day = local.date() if local.hour < 8 else local.date() + timedelta(days=1)
    return _aware(day, 8, rng.randrange(60))


# --- a case in the making ---------------------------------------------------------------------------


@dataclass(slots=True)
class _CaseRow:
    """A historic case to be written: Case's columns by attribute name, without a model instance.

    Columns not named here (a point on the site plan, a pending extension) take the model's default.
    """

    category: Category
    community_id: int
    reported_at: datetime
    public_token: str
    description: str = ""
    channel: str = ""
    urgency: str = Urgency.NORMAL
    answers: dict = field(default_factory=dict)
    id: int | None = None
    number: str = ""
    reporter_person_id: int | None = None
    reporter_user_id: int | None = None
    reporter_name: str = ""
    reporter_phone_encrypted: str = ""
    reporter_phone_hash: str = ""
    reporter_phone_tail_hash: str = ""
    reporter_phone_masked: str = ""
    anonymous: bool = False
    household_id: int | None = None
    building_id: int | None = None
    grid_id: int | None = None
    location_note: str = ""
    status: str = ""
    version: int = 0
    registered_at: datetime | None = None
    response_due: datetime | None = None
    resolution_due: datetime | None = None
    responded_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    plan: str = ""
    resolution_report: str = ""
    rejection_reason: str = ""
    merged_into_id: int | None = None
    satisfaction: str = ""
    rework_count: int = 0
    urge_count: int = 0
    last_urged_at: datetime | None = None
    escalated_at: datetime | None = None
    overdue_notified_at: datetime | None = None
    created_by_id: int | None = None

    @property
    def category_id(self) -> int:
        return self.category.pk


@dataclass(slots=True)
class _AssignmentRow:
    """A party summoned to a historic case, to be written."""

    case: _CaseRow
    party: _Party
    is_lead: bool
    summoned_at: datetime
    role_note: str = ""
    acknowledged_at: datetime | None = None
    acknowledged_by: User | None = None
    active: bool = True

    def __getattr__(self, name: str):
        """user_id, person_id, team_id, unit_id: the party's id in its own column, None in the others."""
        if name in ("user_id", "person_id", "team_id", "unit_id"):
            return self.party.id if name == f"{self.party.kind}_id" else None
        raise AttributeError(name)

    @property
    def case_id(self) -> int:
        return self.case.id

    @property
    def acknowledged_by_id(self) -> int | None:
        return self.acknowledged_by.pk if self.acknowledged_by else None


@dataclass(slots=True)
class _Event:
    """A timeline entry to be written: CaseEvent's columns, without building 20,000 model instances."""

    case: _CaseRow
    at: datetime
    actor: User | None
    actor_role: str
    action: str
    note: str
    from_status: str
    to_status: str
    changes: dict = field(default_factory=dict)
    public: bool = True

    @property
    def case_id(self) -> int:
        return self.case.id

    @property
    def actor_id(self) -> int | None:
        return self.actor.pk if self.actor else None


@dataclass
class _Draft:
    """One historic case with its timeline and parties, before it is written."""

    case: _CaseRow
    events: list[_Event] = field(default_factory=list)
    assignments: list[_AssignmentRow] = field(default_factory=list)
    status: str = ""
    clock: datetime | None = None
    duplicate_of: _Draft | None = None
    duplicate_note: _Event | None = None
    merge_event: _Event | None = None

    def add(
        self,
        at: datetime,
        actor: User | None,
        action: str,
        *,
        to: str | None = None,
        note: str = "",
        changes: dict | None = None,
        public: bool = True,
        role: str | None = None,
    ) -> _Event:
        """Append a timeline entry no earlier than the last one; returns it."""
        if self.clock is not None and at < self.clock:
            at = self.clock
        self.clock = at
        before = self.status
        self.status = to or self.status
        if action != Action.REPORT:  # every action after the report goes through _act, which counts it
            self.case.version += 1
        if role is None:
            role = role_of(actor)
        event = _Event(self.case, at, actor, role, action, note, before, self.status, changes or {}, public)
        self.events.append(event)
        return event

    def later(self, minutes_from: float, minutes_to: float, rng: random.Random) -> datetime:
        return self.clock + timedelta(minutes=rng.uniform(minutes_from, minutes_to))


class _History:
    """A year of cases, drawn day by day, category by category."""

    def __init__(self, registry: _Registry, rng: random.Random):
        self.reg = registry
        self.rng = rng
        self.now = registry.now
        self.today = timezone.localtime(self.now).date()
        days = [self.today - timedelta(days=offset) for offset in range(HISTORY_DAYS - 1, -1, -1)]
        self.days = days
        self.daily = {
            code: yearly / sum(_season(code, day) for day in days)
            for code, yearly in YEARLY.items()
            if code in registry.categories
        }
        self.lived_in = [row for row in registry.households if registry.residents.get(row["id"])]
        self.lived_in_by_building: dict[int, list[dict]] = defaultdict(list)
        for row in self.lived_in:
            self.lived_in_by_building[row["building_id"]].append(row)

    def plan(self) -> list[_Draft]:
        """Every case of the year, closed, rejected or merged. A case whose story would not be over
        by now is left out: today's open work is made through the services instead."""
        drafts: list[_Draft] = []
        for day in self.days:
            for code, daily in self.daily.items():
                for _ in range(_poisson(self.rng, daily * _season(code, day))):
                    draft = self._case(code, day)
                    if draft.clock < self.now - timedelta(minutes=10):
                        drafts.append(draft)
        self._duplicates(drafts)
        return drafts

    # where, who, how

    def _spot(self, code: str) -> dict:
        rng, reg = self.rng, self.reg
        if rng.random() < OUTSIDE_SHARE.get(code, 0.0):
            building = rng.choice(reg.buildings)
            entrance = rng.randint(1, max(1, building["entrances"]))
            spot = rng.choice(_OUTSIDE_SPOTS).format(e=entrance, f=rng.randint(1, max(1, building["floors"])))
            return {
                "household": None,
                "building_id": building["id"],
                "grid_id": building["grid_id"],
                "number": building["number"],
                "place": f"{building['number']}号楼{spot}",
            }
        resident_account = reg.users.get("resident")
        if resident_account is not None and resident_account.person_id and rng.random() < 0.002:
            household = reg.household_by_id.get(resident_account.person.current_household_id)
        else:
            household = rng.choice(self.lived_in)
        return {
            "household": household,
            "building_id": household["building_id"],
            "grid_id": household["grid_id"],
            "number": household["building__number"],
            "place": f"{household['building__number']}号楼{household['entrance']}单元",
        }

    def _channel(self, code: str, spot: dict) -> str:
        if code in _CHANNEL_WEIGHTS:
            weights = _CHANNEL_WEIGHTS[code]
        elif code in ("elderly", "disability"):
            weights = _CHANNEL_WEIGHTS["care"]
        else:
            weights = _CHANNEL_WEIGHTS["outside" if spot["household"] is None else "household"]
        return self.rng.choices(_CHANNELS, weights)[0]

    def _coordinator(self, grid_id: int | None, *, sensitive: bool = False) -> User:
        if sensitive or self.rng.random() < 0.4:
            return self.reg.user("socialworker")
        return self.reg.grid_worker(grid_id)

    def _reporter(self, case: _CaseRow, spot: dict, channel: str) -> User | None:
        """Fill the reporter fields; returns the account that reported it itself, if any."""
        rng, reg = self.rng, self.reg
        household = spot["household"]
        patroller = reg.users.get("patroller")
        if channel == "patrol":
            if patroller is not None and rng.random() < 0.4:
                case.reporter_user_id = patroller.pk
                case.reporter_person_id = patroller.person_id
                case.reporter_name = patroller.get_full_name()
                return patroller
            if reg.patrollers:
                party = rng.choice(reg.patrollers)
                case.reporter_person_id, case.reporter_name = party.id, party.name
            return None
        if household is None:
            if rng.random() < 0.2:
                case.anonymous = True
                return None
            in_building = self.lived_in_by_building.get(spot["building_id"])
            if not in_building:
                return None
            household = rng.choice(in_building)
        elif rng.random() < 0.02:
            case.anonymous = True
            return None
        people = reg.residents[household["id"]]
        person = rng.choices(people, [3 if p.age >= 60 else 1 for p in people])[0]
        case.reporter_person_id, case.reporter_name = person.id, person.name
        encrypted, phone_hash, tail_hash, masked = person.phone
        if encrypted:
            case.reporter_phone_encrypted = encrypted
            case.reporter_phone_hash = phone_hash
            case.reporter_phone_tail_hash = tail_hash
            case.reporter_phone_masked = masked
        resident = reg.users.get("resident")
        if resident is not None and resident.person_id == person.id and channel == "web":
            case.reporter_user_id = resident.pk
            return resident
        return None

    def _answers(self, code: str) -> dict:
        rng = self.rng
        if code == "utilities-water":
            return {
                "has_drinking_water": rng.choice(("yes", "no")),
                "can_move": rng.choice(("yes", "yes", "no")),
            }
        if code == "repairs-pipe":
            answers = {"leaking_now": rng.choice(("yes", "yes", "no"))}
            if rng.random() < 0.6:
                answers["valve_closed"] = rng.choice(("yes", "no"))
            return answers
        if code == "facilities-hazard":
            return {"injured": "yes" if rng.random() < 0.04 else "no"}
        if code == "utilities-heating" and rng.random() < 0.6:
            return {"room_temperature": str(rng.randint(12, 17))}
        return {}

    def _parties(self, code: str, grid_id: int | None, spot: dict) -> tuple[_Party, list[_Party], bool]:
        """The lead, any supporters, and whether it was a whistle."""
        rng, reg = self.rng, self.reg
        units, teams = reg.units, reg.teams
        prop = units.get("property")
        volunteer = reg.users.get("volunteer")
        lead: _Party | None = None
        supporters: list[_Party] = []
        roll = rng.random()
        if code in ("facilities-hazard", "property", "environment") and prop and "owners" in units:
            whistle_share = {"facilities-hazard": 0.25, "property": 0.08, "environment": 0.03}[code]
            if roll < whistle_share:
                supporters = [units["owners"]]
                head = reg.heads.get(spot["building_id"])
                if head is not None:
                    supporters.insert(0, head)
                member = rng.choice(reg.party_members) if reg.party_members else None
                if member is not None and member not in supporters:
                    supporters.insert(0, member)
                return prop, supporters, True
        if code == "utilities-water":
            if volunteer is not None and volunteer.person_id and roll < 0.2:
                lead = _Party("person", volunteer.person_id, volunteer.get_full_name())
            else:
                lead = reg.volunteer_with(rng, "delivery", grid_id)
        elif code in ("repairs-pipe",):
            lead = (
                teams.get("水电维修队")
                if roll < 0.2
                else (prop if roll < 0.3 else reg.volunteer_with(rng, "plumbing", grid_id))
            )
        elif code in ("repairs-home", "repairs"):
            lead = teams.get("便民维修队") if roll < 0.3 else reg.volunteer_with(rng, "repairs", grid_id)
        elif code == "utilities-power":
            lead = prop if roll < 0.6 else reg.volunteer_with(rng, "electrical", grid_id)
        elif code == "utilities-gas":
            lead = units.get("gas")
        elif code in ("utilities-heating", "utilities", "facilities-hazard", "facilities"):
            lead = prop
        elif code == "facilities-lighting":
            lead = prop if roll < 0.85 else reg.volunteer_with(rng, "electrical", grid_id)
        elif code == "environment":
            lead = prop if roll < 0.6 else teams.get("环境保洁队")
        elif code == "property":
            lead = units.get("owners") if roll < 0.2 else prop
        elif code == "elderly":
            if volunteer is not None and volunteer.person_id and roll < 0.25:
                lead = _Party("person", volunteer.person_id, volunteer.get_full_name())
            elif roll < 0.45:
                lead = teams.get("助老服务队")
            else:
                lead = reg.volunteer_with(rng, "companionship", grid_id)
        elif code == "disability":
            lead = units.get("disabled") if roll < 0.4 else reg.volunteer_with(rng, "companionship", grid_id)
        elif code == "psychological":
            lead = reg.user_party(reg.user("socialworker"))
            if roll < 0.3 and "心理关爱队" in teams:
                supporters = [teams["心理关爱队"]]
        elif code == "dispute":
            lead = reg.volunteer_with(rng, "mediation", grid_id) if roll < 0.6 else None
        elif code == "consultation":
            lead = reg.volunteer_with(rng, "legal", grid_id) if roll < 0.4 else None
        elif code == "urban-component":
            lead = units.get("city")
        elif code == "urban-event":
            lead = units.get("enforcement")
        if lead is None:
            lead = reg.user_party(reg.grid_worker(grid_id))
        if lead.kind == "person" and code != "psychological" and rng.random() < 0.1:
            skill = {"utilities-water": "delivery", "repairs-pipe": "plumbing"}.get(code, "companionship")
            other = reg.volunteer_with(rng, skill, grid_id, avoid={lead.id})
            if other is not None:
                supporters.append(other)
        return lead, supporters, False

    # the case, step by step

    def _case(self, code: str, day: date) -> _Draft:
        rng, reg = self.rng, self.reg
        category = reg.categories[code]
        spot = self._spot(code)
        channel = self._channel(code, spot)
        urgent = rng.random() < URGENT_SHARE.get(code, 0.03)
        urgency = Urgency.URGENT if urgent else Urgency.NORMAL
        reported_at = _moment(rng, day, channel)
        sensitive = category.sensitive
        household = spot["household"]
        description = rng.choice(DESCRIPTIONS.get(code, DESCRIPTIONS["other"])).format(place=spot["place"])
        case = _CaseRow(
            community_id=reg.community.pk,
            category=category,
            description=description,
            channel=channel,
            urgency=urgency,
            answers=self._answers(code),
            household_id=household["id"] if household else None,
            building_id=spot["building_id"],
            grid_id=spot["grid_id"],
            location_note="" if household else spot["place"],
            reported_at=reported_at,
            public_token=f"{rng.getrandbits(96):024x}",
        )
        draft = _Draft(case)
        grid_id = spot["grid_id"]
        own_account = self._reporter(case, spot, channel)
        intake = self._coordinator(grid_id, sensitive=sensitive)
        registered_by = intake
        if channel in ("phone", "walk_in", "visit"):  # staff take it down and register it at once
            entered_by = intake
            registered_at = reported_at
        else:  # typed in from a message, sent by a patroller, the portal or the hotline; registered later
            entered_by = own_account if channel in ("web", "hotline") else (own_account or intake)
            registered_at = None
        case.created_by_id = entered_by.pk if entered_by else None
        draft.add(reported_at, entered_by, Action.REPORT, to=Status.REPORTED)
        if registered_at is None:
            registered_at = _office(rng, draft.later(5, 90, rng), urgent=urgent)

        roll = rng.random()
        if roll < 0.04 and not sensitive:
            rejected_at = _office(rng, draft.later(10, 240, rng))
            case.rejection_reason = rng.choice(REJECTIONS)
            draft.add(
                rejected_at, registered_by, Action.REJECT, to=Status.REJECTED, note=case.rejection_reason
            )
            case.closed_at = draft.clock
            case.status = draft.status
            return draft

        case.registered_at = draft.add(registered_at, registered_by, Action.REGISTER, to=Status.REGISTERED).at
        case.response_due, case.resolution_due = case_due_times(category, urgency, case.registered_at)
        draft.events[-1].changes = {
            "response_due": case.response_due.isoformat(),
            "resolution_due": case.resolution_due.isoformat(),
        }
        lead, supporters, whistle = self._parties(code, grid_id, spot)
        coordinator = registered_by
        dispatch_at = draft.later(1, 5, rng) if urgent else _office(rng, draft.later(3, 45, rng))
        if whistle:
            coordinator = reg.user("secretary") if rng.random() < 0.5 else coordinator
        changes = {"lead": lead.key, "supporters": [party.key for party in supporters]}
        draft.add(
            dispatch_at,
            coordinator,
            Action.WHISTLE if whistle else Action.DISPATCH,
            to=Status.DISPATCHED,
            changes=changes,
            note="请各方立即到场，共同研究处置。" if whistle else "",
        )
        role_notes = {lead.key: "牵头" if whistle else ""}
        for party in [lead, *supporters]:
            draft.assignments.append(
                _AssignmentRow(case, party, party is lead, draft.clock, role_notes.get(party.key, ""))
            )
        self._work(draft, category, lead, supporters, coordinator, urgent=urgent, whistle=whistle)
        case.status = draft.status
        return draft

    def _acknowledge(
        self, draft: _Draft, assignment: _AssignmentRow, party: _Party, at: datetime, coordinator: User
    ):
        account = self.reg.account_for(party)
        actor = account or coordinator
        note = "" if account else f"{party.name}已电话确认接单，由工作人员代为登记。"
        to = Status.ACKNOWLEDGED if assignment.is_lead and draft.status == Status.DISPATCHED else None
        draft.add(at, actor, Action.ACKNOWLEDGE, to=to, note=note, changes={"acknowledged": [party.name]})
        assignment.acknowledged_at, assignment.acknowledged_by = draft.clock, actor
        if assignment.is_lead and draft.case.responded_at is None:
            draft.case.responded_at = draft.clock

    def _work(
        self,
        draft: _Draft,
        category: Category,
        lead: _Party,
        supporters: list[_Party],
        coordinator: User,
        *,
        urgent: bool,
        whistle: bool,
    ) -> None:
        """From acknowledgement to closure, with the usual detours: late, urged, extended, reworked."""
        rng, reg, case = self.rng, self.reg, draft.case
        code = category.code
        parties = [lead, *supporters]
        late_response = rng.random() < 0.08
        late = rng.random() < 0.11
        secretary = reg.user("secretary")
        lead_account = reg.account_for(lead)
        recorder = lead_account or coordinator
        sensitive = category.sensitive

        def acknowledge_all(lead_at: datetime) -> None:
            """Supporters report for duty first; the lead last, at `lead_at`, which starts the work."""
            start = draft.clock
            order = sorted(zip(parties, draft.assignments, strict=True), key=lambda pair: pair[1].is_lead)
            moments = sorted(start + (lead_at - start) * rng.uniform(0.2, 0.9) for _ in supporters)
            for (party, assignment), moment in zip(order, [*moments, lead_at], strict=True):
                self._acknowledge(draft, assignment, party, _office(rng, moment, urgent=urgent), coordinator)

        response_window = max(case.response_due - draft.clock, timedelta(minutes=10))
        if late_response:
            acknowledge_all(case.response_due + response_window * rng.uniform(0.1, 1.5))
        else:
            acknowledge_all(draft.clock + response_window * rng.uniform(0.05, 0.9))
        if whistle:
            case.plan = rng.choice(PLANS)
            draft.add(
                draft.later(20, 90, rng),
                coordinator,
                Action.PLAN,
                note=case.plan,
                changes={"plan": {"old": "", "new": case.plan}},
            )

        due = case.resolution_due
        if not urgent and not late and rng.random() < 0.05:
            requested = draft.clock + (due - draft.clock) * rng.uniform(0.2, 0.6)
            minutes = rng.choice((1, 2, 3, 5)) * 24 * 60
            reason = rng.choice(
                ("配件需厂家寄送，需要更多时间。", "需业委会表决使用维修资金。", "天气原因无法施工。")
            )
            draft.add(
                _office(rng, requested), recorder, Action.EXTEND, note=reason, changes={"minutes": minutes}
            )
            approve = rng.random() < 0.9
            changes: dict = {"approved": approve, "minutes": minutes}
            if approve:
                changes["resolution_due"] = {
                    "old": due.isoformat(),
                    "new": (due + timedelta(minutes=minutes)).isoformat(),
                }
                due = case.resolution_due = due + timedelta(minutes=minutes)
            draft.add(
                _office(rng, draft.later(30, 300, rng)),
                secretary,
                Action.DECIDE_EXTENSION,
                note="同意延期。" if approve else "不同意延期，请按期完成。",
                changes=changes,
            )
        if code in ("property", "urban-event", "dispute", "facilities") and rng.random() < 0.03:
            case.escalated_at = _office(rng, draft.later(60, 24 * 60, rng))
            draft.add(
                case.escalated_at,
                reg.user("socialworker"),
                Action.ESCALATE,
                note="社区协调多次未果，需街道协调相关部门。",
            )
            late = late or rng.random() < 0.5
        if rng.random() < 0.3:
            draft.add(
                _office(rng, draft.clock + (due - draft.clock) * rng.uniform(0.1, 0.5)),
                recorder,
                Action.NOTE,
                note=rng.choice(NOTES),
                public=not sensitive,
            )
        if sensitive:
            draft.add(
                _office(rng, draft.later(60, 48 * 60, rng)),
                coordinator,
                Action.NOTE,
                note="面谈记录已存档（内部）。",
                public=False,
            )

        if late:
            window = max(due - (case.registered_at or draft.clock), timedelta(hours=2))
            done = due + window * rng.uniform(0.05, 0.8)
            if rng.random() < 0.6:
                case.last_urged_at = max(
                    draft.clock, _office(rng, due + (done - due) * rng.uniform(0.1, 0.5))
                )
                if case.last_urged_at < done:
                    case.urge_count += 1
                    draft.add(
                        case.last_urged_at,
                        secretary,
                        Action.URGE,
                        note="已超时，请抓紧办理并及时回复。",
                        changes={"urge_count": case.urge_count},
                    )
                else:
                    case.last_urged_at = None
        else:
            done = draft.clock + max(due - draft.clock, timedelta(minutes=20)) * rng.uniform(0.1, 0.9)
        self._resolve(draft, code, recorder, _office(rng, max(done, draft.clock), urgent=urgent))

        verdict = rng.choices((SATISFIED, BASIC, UNSATISFIED), (78, 15, 7))[0]
        if verdict == UNSATISFIED:  # rework: the same parties, the category's full time again from now
            event = self._verify(draft, coordinator, UNSATISFIED)
            case.rework_count += 1
            case.resolved_at = case.responded_at = None
            old = case.resolution_due
            case.response_due, case.resolution_due = case_due_times(category, case.urgency, event.at)
            due = case.resolution_due
            event.changes["resolution_due"] = {"old": old.isoformat(), "new": due.isoformat()}
            for assignment in draft.assignments:
                assignment.acknowledged_at = assignment.acknowledged_by = None
            acknowledge_all(draft.clock + timedelta(hours=rng.uniform(0.5, 8)))
            self._resolve(draft, code, recorder, _office(rng, draft.later(60, 48 * 60, rng)))
            verdict = rng.choices((SATISFIED, BASIC), (75, 25))[0]
        self._verify(draft, coordinator, verdict)
        draft.add(_office(rng, draft.later(2, 20 * 60, rng)), coordinator, Action.CLOSE, to=Status.CLOSED)
        case.closed_at = draft.clock
        swept = due + timedelta(minutes=rng.randint(1, 15))
        if swept < case.resolved_at:  # not yet resolved when it fell due: the overdue sweep told the legs
            case.overdue_notified_at = swept

    def _resolve(self, draft: _Draft, code: str, recorder: User, at: datetime) -> None:
        report = self.rng.choice(REPORTS.get(code, REPORTS["other"]))
        draft.case.resolution_report = report
        draft.add(at, recorder, Action.RESOLVE, to=Status.RESOLVED, note=report)
        draft.case.resolved_at = draft.clock

    def _verify(self, draft: _Draft, coordinator: User, verdict: str) -> _Event:
        rng, case = self.rng, draft.case
        at = _office(rng, draft.later(20, 26 * 60, rng))
        by_portal = case.channel == "web" and case.reporter_user_id is None and rng.random() < 0.3
        actor, role = (None, "reporter") if by_portal else (coordinator, None)
        to = Status.DISPATCHED if verdict == UNSATISFIED else Status.VERIFIED
        note = "" if by_portal else rng.choice(CALLBACKS[verdict])
        event = draft.add(
            at, actor, Action.VERIFY, to=to, note=note, changes={"satisfaction": verdict}, role=role
        )
        case.satisfaction = verdict
        return event

    def _duplicates(self, drafts: list[_Draft]) -> None:
        """A few reports repeat an open case about the same spot: merged into it, with a note there."""
        rng = self.rng
        shared = {
            "environment",
            "facilities-hazard",
            "facilities-lighting",
            "facilities",
            "property",
            "utilities-power",
            "utilities-heating",
            "urban-event",
        }
        originals = [
            d
            for d in drafts
            if d.case.category.code in shared
            and d.case.resolved_at
            and d.case.registered_at
            and d.case.resolved_at - d.case.registered_at > timedelta(hours=3)
        ]
        for original in rng.sample(originals, min(len(originals), len(drafts) // 50)):
            source = original.case
            reported_at = source.registered_at + (source.resolved_at - source.registered_at) * rng.uniform(
                0.1, 0.5
            )
            case = _CaseRow(
                community_id=source.community_id,
                category=source.category,
                description=source.description,
                channel=rng.choice(("phone", "wechat", "web")),
                urgency=source.urgency,
                answers=dict(source.answers),
                building_id=source.building_id,
                grid_id=source.grid_id,
                location_note=source.location_note
                or (
                    f"{self.reg.household_by_id[source.household_id]['building__number']}号楼"
                    if source.household_id
                    else ""
                ),
                reported_at=reported_at,
                public_token=f"{rng.getrandbits(96):024x}",
            )
            spot = {"household": None, "building_id": source.building_id, "grid_id": source.grid_id}
            self._reporter(case, spot, case.channel)
            draft = _Draft(case, duplicate_of=original)
            coordinator = self._coordinator(source.grid_id)
            staff_entered = case.channel == "phone"
            case.created_by_id = coordinator.pk if staff_entered else None
            draft.add(reported_at, coordinator if staff_entered else None, Action.REPORT, to=Status.REPORTED)
            merged_at = min(_office(rng, draft.later(5, 60, rng)), source.resolved_at - timedelta(minutes=1))
            draft.merge_event = draft.add(merged_at, coordinator, Action.MERGE, to=Status.MERGED)
            case.closed_at = draft.clock
            case.status = Status.MERGED
            status_then = next(e.to_status for e in reversed(original.events) if e.at <= draft.clock)
            role = role_of(coordinator)
            draft.duplicate_note = _Event(
                source, draft.clock, coordinator, role, Action.NOTE, "", status_then, status_then
            )
            position = next(
                (i for i, e in enumerate(original.events) if e.at > draft.clock), len(original.events)
            )
            original.events.insert(position, draft.duplicate_note)
            source.version += 1
            drafts.append(draft)


# --- numbers ---------------------------------------------------------------------------------------


def _numbers(
    community: Community, drafts: list[_Draft], reserved: list[datetime]
) -> tuple[dict[datetime, int], dict[date, int]]:
    """Number the historic cases day by day in the order they came in, as services._next_number would.

    `reserved` are the report times of the cases the services will make; each gets its place
    in its day's sequence (returned), so that numbers follow the clock on every day.
    Returns those places and, per day, the last number used.
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
                drafts[position].case.number = f"{community.code}-{day:%Y%m%d}-{base + offset:04d}"
            else:
                places[moment] = base + offset
        last[day] = base + len(entries)
    return places, last


def _write(drafts: list[_Draft]) -> None:
    """One prepared INSERT per table; the cases get their ids here, for their parties and timelines."""
    first = (Case.objects.aggregate(top=Max("id"))["top"] or 0) + 1
    for offset, draft in enumerate(drafts):
        draft.case.id = first + offset
    for draft in drafts:
        if draft.duplicate_of is not None:
            source = draft.duplicate_of.case
            draft.case.merged_into_id = source.id
            draft.merge_event.note = source.number
            draft.merge_event.changes = {"merged_into": source.number}
            draft.duplicate_note.note = draft.case.number  # the timeline words it in the reader's language
            draft.duplicate_note.changes = {"duplicate": draft.case.number}
    originals = [d.case for d in drafts if d.duplicate_of is None]
    _insert(Case, originals + [d.case for d in drafts if d.duplicate_of is not None], with_id=True)
    with connection.cursor() as cursor:  # the ids were given: move PostgreSQL's sequence past them
        for statement in connection.ops.sequence_reset_sql(no_style(), [Case]):
            cursor.execute(statement)
    _insert(Assignment, [a for d in drafts for a in d.assignments])
    _insert(CaseEvent, [e for d in drafts for e in d.events])


_PLAIN = (
    models.BooleanField,
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.FloatField,
    models.ForeignKey,
)


def _preparer(f: models.Field) -> Callable | None:
    """How a column's Python value becomes a database value (None: as it is)."""
    if f.primary_key or isinstance(f, _PLAIN):
        return None
    if isinstance(f, models.DateTimeField):  # aware datetimes only, so the checks of get_prep_value are moot
        return connection.ops.adapt_datetimefield_value
    if isinstance(f, models.JSONField):
        return lambda value: connection.ops.adapt_json_value(value, f.encoder)
    return lambda value: f.get_db_prep_save(value, connection)


def _insert(model: type[models.Model], rows: list, *, with_id: bool = False) -> None:
    """Write rows (objects with the model's attribute names) fast: COPY on PostgreSQL, else one
    prepared INSERT run many times. bulk_create compiles SQL for every row, which for 20,000
    timeline entries takes seconds. A column a row does not name takes the field's default.
    """
    fields = [f for f in model._meta.concrete_fields if with_id or not f.primary_key]
    prepare = [_preparer(f) for f in fields]
    defaults = [f.get_default() if not f.primary_key else None for f in fields]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    values = []
    for row in rows:
        line = []
        for f, prep, default in zip(fields, prepare, defaults, strict=True):
            value = getattr(row, f.attname, default)
            line.append(value if prep is None or value is None else prep(value))
        values.append(line)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # COPY: no SQL to parse for 20,000 rows
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for line in values:
                    copy.write_row(line)
            return
        for start in range(0, len(values), BATCH * 5):
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608 - model metadata only
                values[start : start + BATCH * 5],
            )


# --- the stories and today's cases, through the services ------------------------------------------


_NOW_STAMPED = ("registered_at", "responded_at", "resolved_at", "closed_at", "last_urged_at", "escalated_at")
_RESTARTS = (Action.VERIFY, Action.REOPEN)


class _Steps:
    """Runs services as if at moments in the past: what a call stamps "now" is moved to its moment."""

    def __init__(self, registry: _Registry, places: dict[datetime, int]):
        self.reg = registry
        self.places = places

    def do(self, moment: datetime, service: Callable[..., Case], **kwargs) -> Case:
        if moment > self.reg.now:
            raise ValueError("A demo step cannot happen after `now`.")
        started = timezone.now()
        case = service(**kwargs)
        self._backdate(case.pk, since=started, to=moment)
        return case

    def report(
        self, moment: datetime, actor: User | None, *, register: bool = True, note: str = "", **details
    ):
        """case_report at `moment`, taking the number reserved for it in the day's sequence."""
        day = timezone.localtime(moment).date()
        place = self.places.get(moment)
        if place is not None:
            CaseCounter.objects.update_or_create(
                community=self.reg.community, day=day, defaults={"last": place - 1}
            )
        case = self.do(
            moment,
            services.case_report,
            actor=actor,
            community=self.reg.community,
            details=ReportDetails(reported_at=moment, **details),
            register=register,
            note=note,
        )
        person = details.get("reporter_person")
        if person is not None and person.phone_encrypted:
            # The caller's number, as intake would take it from the caller ID: stored the same way
            # (encrypted, hashed, masked), copied from the registry rather than decrypted here.
            Case.objects.filter(pk=case.pk).update(
                reporter_phone_encrypted=person.phone_encrypted,
                reporter_phone_hash=person.phone_hash,
                reporter_phone_tail_hash=person.phone_tail_hash,
                reporter_phone_masked=person.phone_masked,
            )
        return case

    def acknowledge_for(
        self, moment: datetime, case: Case, party: _Party, *, recorded_by: User, note: str = ""
    ):
        """A summoned party without an account reports for duty by phone; the coordinator records it."""
        return self.do(
            moment,
            services.case_acknowledge,
            actor=recorded_by,
            case=case,
            party=party.service_party,
            note=note or f"{party.name}已电话确认接单，由工作人员代为登记。",
        )

    @staticmethod
    def _backdate(case_id: int, *, since: datetime, to: datetime) -> None:
        case = Case.objects.select_related("category").get(pk=case_id)
        moved = {name: to for name in _NOW_STAMPED if getattr(case, name) and getattr(case, name) >= since}
        for event in CaseEvent.objects.filter(case_id=case_id, at__gte=since, action__in=_RESTARTS):
            # Rework restarts the clocks from "now": from the step's moment, then.
            restart = event.changes.get("resolution_due")
            if isinstance(restart, dict):
                moved["response_due"], moved["resolution_due"] = case_due_times(
                    case.category, case.urgency, to
                )
                restart["new"] = moved["resolution_due"].isoformat()
                CaseEvent.objects.filter(pk=event.pk).update(changes=event.changes)
        if moved:
            Case.objects.filter(pk=case_id).update(**moved)
        Assignment.objects.filter(case_id=case_id, summoned_at__gte=since).update(summoned_at=to)
        Assignment.objects.filter(case_id=case_id, acknowledged_at__gte=since).update(acknowledged_at=to)
        CaseEvent.objects.filter(case_id=case_id, at__gte=since).update(at=to)


@dataclass
class _Plan:
    """A case the services will make: when it is reported, and how it goes on from there."""

    reported_at: datetime
    run: Callable[[_Steps, datetime], Case]
    key: str


def _person(person_id: int) -> Person:
    return Person.objects.get(pk=person_id)


def _household_at(community: Community, address: str) -> Household | None:
    number, entrance, room = address.split("-")
    return (
        Household.objects.filter(
            building__community=community, building__number=int(number), entrance=int(entrance), room=room
        )
        .select_related("building", "grid")
        .first()
    )


def _story_plans(reg: _Registry, rng: random.Random) -> list[_Plan]:
    """The article's four stories, each a few days back."""
    community, today = reg.community, timezone.localtime(reg.now).date()
    socialworker, secretary = reg.user("socialworker"), reg.user("secretary")
    volunteer, unitcontact, patroller = reg.user("volunteer"), reg.user("unitcontact"), reg.user("patroller")
    categories = reg.categories
    plans: list[_Plan] = []

    def day(back: int) -> date:
        return today - timedelta(days=back)

    liu_home = _household_at(community, "15-1-502")
    liu = Person.objects.filter(current_household=liu_home, name="刘桂芳").first() if liu_home else None
    if liu is not None:
        grid_id = liu_home.grid_id
        helper = reg.volunteer_with(rng, "delivery", grid_id, avoid={volunteer.person_id})
        start = _aware(day(4), 10, 12)

        def aunt_liu(steps: _Steps, at: datetime) -> Case:
            case = steps.report(
                at,
                socialworker,
                category=categories["utilities-water"],
                channel=Channel.PHONE,
                urgency=Urgency.URGENT,
                reporter_person=liu,
                reporter_name=liu.name,
                household=liu_home,
                description="刘桂芳阿姨来电：家里的饮用水喝完了，自己腿脚不便，下不了五楼，桶装水送不上来，请社区帮忙。",
                answers={"has_drinking_water": "no", "can_move": "no"},
                note="刘阿姨独居、下肢残疾，住五楼无电梯，情况紧急。",
            )
            lead = _Party("person", volunteer.person_id, volunteer.get_full_name())
            support = [helper.service_party] if helper else []
            steps.do(
                at + timedelta(minutes=2),
                services.case_dispatch,
                actor=socialworker,
                case=case,
                lead=lead.service_party,
                supporters=support,
                note="刘阿姨家中没有饮用水，请马上送两桶水上五楼。",
                role_notes={lead.key: "助老服务队", **({helper.key: "爱心送水送餐队"} if helper else {})},
            )
            steps.do(
                at + timedelta(minutes=5),
                services.case_acknowledge,
                actor=volunteer,
                case=case,
                note="收到，我就在18号楼，马上过去。",
            )
            if helper:
                steps.acknowledge_for(
                    at + timedelta(minutes=7),
                    case,
                    helper,
                    recorded_by=socialworker,
                    note=f"{helper.name}电话确认，扛水上楼帮忙。",
                )
            steps.do(
                at + timedelta(minutes=38),
                services.case_resolve,
                actor=volunteer,
                case=case,
                report="志愿者送来两桶水，搬上五楼放进厨房，帮刘阿姨烧好开水；约定以后每周送一次水。",
            )
            steps.do(
                at + timedelta(minutes=55),
                services.case_verify,
                actor=socialworker,
                case=case,
                satisfaction=SATISFIED,
                note="回访：刘阿姨说水送到了，直夸志愿者来得快。",
            )
            return steps.do(at + timedelta(minutes=57), services.case_close, actor=socialworker, case=case)

        plans.append(_Plan(start, aunt_liu, "aunt_liu"))

    kan_home = _household_at(community, "27-3-401")
    kan = Person.objects.filter(current_household=kan_home, name="阚秀英").first() if kan_home else None
    if kan is not None:
        plumber = reg.volunteer_with(rng, "plumbing", kan_home.grid_id)
        mate = reg.volunteer_with(rng, "plumbing", kan_home.grid_id, avoid={plumber.id} if plumber else set())
        start = _aware(day(9), 8, 40)

        def aunt_kan(steps: _Steps, at: datetime) -> Case:
            case = steps.report(
                at,
                socialworker,
                category=categories["repairs-pipe"],
                channel=Channel.PHONE,
                urgency=Urgency.URGENT,
                reporter_person=kan,
                reporter_name=kan.name,
                household=kan_home,
                description="阚秀英阿姨（独居老人）来电：厨房水管爆了，水流了一地，找不到维修工，很着急。"
                "她记得社工入户时说过“有困难找社区”。",
                answers={"leaking_now": "yes", "valve_closed": "no"},
            )
            steps.do(
                at + timedelta(minutes=2),
                services.case_note,
                actor=socialworker,
                case=case,
                note="电话里安抚阚阿姨别着急，教她关上入户总阀、把插座边的水擦干，告诉她维修志愿者马上就到。",
            )
            parties = [p for p in (plumber, mate) if p is not None]
            steps.do(
                at + timedelta(minutes=4),
                services.case_dispatch,
                actor=socialworker,
                case=case,
                lead=parties[0].service_party,
                supporters=[p.service_party for p in parties[1:]],
                note="独居老人家中水管爆裂，请水电维修队志愿者马上上门。",
                role_notes={p.key: "水电维修队" for p in parties},
            )
            for offset, party in zip((9, 11), parties[1:] + parties[:1], strict=False):
                steps.acknowledge_for(
                    at + timedelta(minutes=offset),
                    case,
                    party,
                    recorded_by=socialworker,
                    note=f"{party.name}接到社工电话，带上工具出发。",
                )
            steps.do(
                at + timedelta(minutes=30),
                services.case_note,
                actor=socialworker,
                case=case,
                note="维修志愿者已到阚阿姨家，正在更换爆裂的管段。",
            )
            steps.do(
                at + timedelta(minutes=95),
                services.case_resolve,
                actor=socialworker,
                case=case,
                report="水电维修队志愿者更换了厨房爆裂的水管接头和一段老化管道，通水试压无渗漏，"
                "还帮阚阿姨把地面擦干。",
            )
            steps.do(
                at + timedelta(hours=6),
                services.case_verify,
                actor=socialworker,
                case=case,
                satisfaction=SATISFIED,
                note="回访：阚阿姨说当天上午就修好了，谢谢社区和志愿者。",
            )
            return steps.do(
                at + timedelta(hours=6, minutes=2), services.case_close, actor=socialworker, case=case
            )

        plans.append(_Plan(start, aunt_kan, "aunt_kan"))

    building = reg.building_by_number.get(4)
    head = reg.heads.get(building["id"]) if building else None
    owners, prop = reg.units.get("owners"), reg.units.get("property")
    if building and head and owners and prop and patroller.person_id:
        member = _Party("person", patroller.person_id, patroller.get_full_name())
        start = _aware(day(16), 9, 30)

        def corridor_tile(steps: _Steps, at: datetime) -> Case:
            case = steps.report(
                at,
                secretary,
                category=categories["facilities-hazard"],
                channel=Channel.VISIT,
                building=Building.objects.get(pk=building["id"]),
                location_note="4号楼2单元门口楼道",
                description="社区党委走访居民时发现：4号楼2单元门口楼道地砖破损翘起，"
                "老人和孩子进出容易绊倒，存在出行安全隐患。",
                answers={"injured": "no"},
            )
            steps.do(
                at + timedelta(minutes=5),
                services.case_whistle,
                actor=secretary,
                case=case,
                lead=prop.service_party,
                parties=[member.service_party, head.service_party, owners.service_party],
                note="吹哨：请党员、楼栋长、业委会、物业立即到4号楼2单元门口报到，共同研究维修方案。",
                role_notes={
                    member.key: "党员",
                    head.key: "楼栋长",
                    owners.key: "业委会",
                    prop.key: "物业公司（牵头）",
                },
            )
            steps.do(
                at + timedelta(minutes=17),
                services.case_acknowledge,
                actor=patroller,
                case=case,
                note="党员报到，已到现场。",
            )
            steps.acknowledge_for(
                at + timedelta(minutes=20),
                case,
                head,
                recorded_by=secretary,
                note=f"楼栋长{head.name}到场报到。",
            )
            steps.acknowledge_for(
                at + timedelta(minutes=26), case, owners, recorded_by=secretary, note="业委会主任到场报到。"
            )
            steps.do(
                at + timedelta(minutes=31),
                services.case_acknowledge,
                actor=unitcontact,
                case=case,
                note="物业项目部报到，维修工一同到场。",
            )
            steps.do(
                at + timedelta(minutes=70),
                services.case_plan,
                actor=secretary,
                case=case,
                plan="四方现场商定：物业今天设置警示标志、临时铺防滑垫；明天由物业维修工更换破损地砖并找平基层，"
                "费用由物业承担；楼栋长通知本单元居民注意绕行；党员志愿者施工期间现场引导老人和孩子；"
                "业委会监督施工并参加验收。",
            )
            steps.do(
                at + timedelta(days=1, hours=5),
                services.case_note,
                actor=unitcontact,
                case=case,
                note="已更换地砖12块，基层找平，等待水泥凝固。",
            )
            steps.do(
                at + timedelta(days=1, hours=7),
                services.case_resolve,
                actor=unitcontact,
                case=case,
                report="更换破损地砖12块并重新找平基层，清理现场、撤除警示标志，隐患排除。",
            )
            steps.do(
                at + timedelta(days=2, minutes=30),
                services.case_verify,
                actor=secretary,
                case=case,
                satisfaction=SATISFIED,
                note="楼栋长、业委会现场验收；本单元居民反映满意。",
            )
            return steps.do(
                at + timedelta(days=2, minutes=35), services.case_close, actor=secretary, case=case
            )

        plans.append(_Plan(start, corridor_tile, "corridor_tile"))

    psych_households = [
        row
        for row in reg.households
        if any(45 <= p.age <= 65 for p in reg.residents.get(row["id"], ())) and row["building__number"] > 40
    ]
    if psych_households and "psychological" in categories:
        row = rng.choice(psych_households)
        who = next(p for p in reg.residents[row["id"]] if 45 <= p.age <= 65)
        start = _aware(day(6), 15, 0)
        team = reg.teams.get("心理关爱队")

        def psychological(steps: _Steps, at: datetime) -> Case:
            case = steps.report(
                at,
                socialworker,
                category=categories["psychological"],
                channel=Channel.VISIT,
                reporter_person=_person(who.id),
                reporter_name=who.name,
                household=Household.objects.get(pk=row["id"]),
                description="入户走访时居民谈到家中变故后情绪低落、失眠，不愿出门，同意接受社工心理疏导。",
                note="涉及个人隐私，仅社工跟进。",
            )
            steps.do(
                at + timedelta(minutes=10),
                services.case_dispatch,
                actor=socialworker,
                case=case,
                lead=reg.user_party(socialworker).service_party,
                supporters=[team.service_party] if team else [],
                note="社工牵头个案跟进，心理关爱队协助定期电话问候。",
            )
            steps.do(at + timedelta(minutes=12), services.case_acknowledge, actor=socialworker, case=case)
            steps.do(
                at + timedelta(minutes=90),
                services.case_note,
                actor=socialworker,
                case=case,
                public=False,
                note="首次面谈：居民因家庭变故长期失眠，情绪低落，无自伤念头；约定每周面谈一次。",
            )
            steps.do(
                at + timedelta(days=1, hours=-5),
                services.case_plan,
                actor=socialworker,
                case=case,
                plan="社工每周上门面谈一次；心理关爱队志愿者每两天电话问候；必要时转介专业心理咨询机构。",
            )
            steps.do(
                at + timedelta(days=3, hours=1),
                services.case_note,
                actor=socialworker,
                case=case,
                public=False,
                note="第二次面谈：睡眠有所改善，愿意下楼散步。",
            )
            return steps.do(
                at + timedelta(days=5, hours=-2),
                services.case_note,
                actor=socialworker,
                case=case,
                public=False,
                note="志愿者电话问候，居民答应参加下周社区手工活动。",
            )

        plans.append(_Plan(start, psychological, "psychological"))
    return plans


def _open_plans(reg: _Registry, rng: random.Random) -> list[_Plan]:
    """Today's work in hand: at least one case in every open state, counted back from now."""
    now = reg.now
    cats = reg.categories
    socialworker, secretary, gridworker = (
        reg.user("socialworker"),
        reg.user("secretary"),
        reg.user("gridworker"),
    )
    volunteer, unitcontact, patroller = reg.user("volunteer"), reg.user("unitcontact"), reg.user("patroller")
    resident = reg.users.get("resident")
    prop, owners = reg.units["property"], reg.units.get("owners")
    plans: list[_Plan] = []

    def in_grid(grid_index: int) -> Household:
        grids = sorted({row["grid_id"] for row in reg.households})
        grid_id = grids[grid_index % len(grids)]
        rows = [row for row in reg.households if row["grid_id"] == grid_id and reg.residents.get(row["id"])]
        return Household.objects.select_related("building").get(pk=rng.choice(rows)["id"])

    def caller(household: Household) -> dict:
        people = reg.residents[household.pk]
        person = max(people, key=lambda p: (p.age, -p.id))
        return {"reporter_person": _person(person.id), "reporter_name": person.name, "household": household}

    def building(number: int) -> Building:
        return Building.objects.get(community=reg.community, number=number)

    def plan(minutes_ago: float, key: str):
        def wrap(run):
            plans.append(_Plan(now - timedelta(minutes=minutes_ago), run, key))
            return run

        return wrap

    if resident is not None and resident.person_id:

        @plan(25, "reported_web")
        def reported_web(steps: _Steps, at: datetime) -> Case:
            return steps.report(
                at,
                resident,
                register=False,
                category=cats["facilities-lighting"],
                channel=Channel.WEB,
                household=resident.person.current_household,
                reporter_person=resident.person,
                reporter_name=resident.person.name,
                description="我家这个单元三楼的楼道灯不亮了，晚上上下楼看不清，老人容易摔。",
            )

    @plan(70, "reported_patrol")
    def reported_patrol(steps: _Steps, at: datetime) -> Case:
        return steps.report(
            at,
            patroller,
            register=False,
            category=cats["environment"],
            channel=Channel.PATROL,
            building=building(9),
            location_note="9号楼东侧绿化带",
            description="巡查发现9号楼东侧绿化带有人倾倒装修垃圾，约有十几袋。",
        )

    @plan(40, "reported_hotline")
    def reported_hotline(steps: _Steps, at: datetime) -> Case:
        home = in_grid(5)
        return steps.report(
            at,
            None,
            register=False,
            category=cats["utilities-heating"],
            channel=Channel.HOTLINE,
            answers={"room_temperature": "15"},
            description="12345转办：居民反映家中暖气不热，室温只有15℃。",
            **caller(home),
        )

    @plan(50, "registered")
    def registered(steps: _Steps, at: datetime) -> Case:
        home = in_grid(0)
        return steps.report(
            at,
            gridworker,
            category=cats["consultation"],
            channel=Channel.WALK_IN,
            description="居民来社区咨询高龄老人津贴怎么申请、需要哪些材料。",
            **caller(home),
        )

    @plan(35, "dispatched_volunteer")
    def dispatched_volunteer(steps: _Steps, at: datetime) -> Case:
        home = in_grid(1)
        case = steps.report(
            at,
            socialworker,
            category=cats["elderly"],
            channel=Channel.PHONE,
            description="独居老人来电：降压药吃完了，腿疼下不了楼，想请志愿者帮忙去药房买药。",
            **caller(home),
        )
        return steps.do(
            at + timedelta(minutes=6),
            services.case_dispatch,
            actor=socialworker,
            case=case,
            lead=Party("person", volunteer.person_id),
            note="请帮老人到盛园大药房代买降压药。",
        )

    @plan(130, "dispatched_unit")
    def dispatched_unit(steps: _Steps, at: datetime) -> Case:
        case = steps.report(
            at,
            gridworker,
            category=cats["facilities-lighting"],
            channel=Channel.PHONE,
            building=building(2),
            location_note="2号楼3单元楼道",
            description="2号楼3单元二到四楼声控灯都不亮，晚上漆黑一片。",
            **_caller_name(reg, 2),
        )
        return steps.do(
            at + timedelta(minutes=15),
            services.case_dispatch,
            actor=gridworker,
            case=case,
            lead=prop.service_party,
            note="请物业电工今天上门检修。",
        )

    @plan(205, "near_due")
    def near_due(steps: _Steps, at: datetime) -> Case:
        home = in_grid(3)
        case = steps.report(
            at,
            socialworker,
            category=cats["repairs-pipe"],
            channel=Channel.PHONE,
            urgency=Urgency.URGENT,
            answers={"leaking_now": "yes", "valve_closed": "yes"},
            description="卫生间公共立管接口漏水，已关闭入户阀门，楼下邻居家顶棚也在渗水。",
            **caller(home),
        )
        steps.do(
            at + timedelta(minutes=5),
            services.case_dispatch,
            actor=socialworker,
            case=case,
            lead=prop.service_party,
            note="公共立管漏水，请物业马上处理。",
        )
        steps.do(
            at + timedelta(minutes=14),
            services.case_acknowledge,
            actor=unitcontact,
            case=case,
            note="维修工已出发。",
        )
        return steps.do(
            at + timedelta(minutes=90),
            services.case_note,
            actor=unitcontact,
            case=case,
            note="需要停水更换立管接头，已贴停水通知，配件在路上。",
        )

    @plan(3 * 24 * 60 + 300, "overdue_urged")
    def overdue_urged(steps: _Steps, at: datetime) -> Case:
        home = in_grid(4)
        case = steps.report(
            at,
            socialworker,
            category=cats["utilities-heating"],
            channel=Channel.PHONE,
            answers={"room_temperature": "14"},
            description="暖气一直不热，室温只有14℃，家里有八十多岁的老人。",
            **caller(home),
        )
        steps.do(
            at + timedelta(minutes=20),
            services.case_dispatch,
            actor=socialworker,
            case=case,
            lead=prop.service_party,
            note="请物业联系供热站排查。",
        )
        steps.do(at + timedelta(hours=2), services.case_acknowledge, actor=unitcontact, case=case)
        steps.do(
            at + timedelta(days=1, hours=2),
            services.case_note,
            actor=unitcontact,
            case=case,
            note="已放气，效果不明显，需供热站调整管网。",
        )
        return steps.do(
            now - timedelta(hours=3),
            services.case_urge,
            actor=secretary,
            case=case,
            note="已超过办结时限，老人家里太冷，请物业今天必须协调供热站解决并回复。",
        )

    @plan(2 * 24 * 60 + 400, "escalated")
    def escalated(steps: _Steps, at: datetime) -> Case:
        case = steps.report(
            at,
            socialworker,
            category=cats["property"],
            channel=Channel.WALK_IN,
            building=building(31),
            location_note="31号楼北侧外墙",
            description="31号楼北侧外墙保温层大面积脱落，物业称需动用公共维修资金，业主意见不一。",
            **_caller_name(reg, 31),
        )
        steps.do(
            at + timedelta(minutes=30),
            services.case_dispatch,
            actor=socialworker,
            case=case,
            lead=prop.service_party,
            supporters=[owners.service_party] if owners else [],
            note="请物业先设置围挡，业委会组织业主表决。",
        )
        steps.do(
            at + timedelta(hours=1),
            services.case_acknowledge,
            actor=unitcontact,
            case=case,
            note="已设置围挡和警示牌。",
        )
        return steps.do(
            at + timedelta(days=1, hours=3),
            services.case_escalate,
            actor=socialworker,
            case=case,
            reason="维修资金使用需街道和住建部门协调，社区无法单独解决，上报街道。",
        )

    @plan(26 * 60, "extension")
    def extension(steps: _Steps, at: datetime) -> Case:
        case = steps.report(
            at,
            gridworker,
            category=cats["facilities"],
            channel=Channel.PHONE,
            building=building(5),
            location_note="5号楼1单元门口",
            description="5号楼1单元门禁坏了，门锁不上，外人随便进出。",
            **_caller_name(reg, 5),
        )
        steps.do(
            at + timedelta(minutes=10),
            services.case_dispatch,
            actor=gridworker,
            case=case,
            lead=prop.service_party,
        )
        steps.do(at + timedelta(minutes=50), services.case_acknowledge, actor=unitcontact, case=case)
        return steps.do(
            now - timedelta(hours=4),
            services.case_extend,
            actor=unitcontact,
            case=case,
            minutes=3 * 24 * 60,
            reason="门禁主板损坏，配件需厂家寄送，预计三天到货。",
        )

    @plan(150, "resolved")
    def resolved(steps: _Steps, at: datetime) -> Case:
        home = in_grid(1)
        case = steps.report(
            at,
            socialworker,
            category=cats["utilities-water"],
            channel=Channel.PHONE,
            urgency=Urgency.URGENT,
            answers={"has_drinking_water": "no", "can_move": "no"},
            description="老人来电：家里桶装水没了，自己搬不动，请帮忙送水。",
            **caller(home),
        )
        steps.do(
            at + timedelta(minutes=4),
            services.case_dispatch,
            actor=socialworker,
            case=case,
            lead=Party("person", volunteer.person_id),
        )
        steps.do(at + timedelta(minutes=9), services.case_acknowledge, actor=volunteer, case=case)
        return steps.do(
            at + timedelta(minutes=50),
            services.case_resolve,
            actor=volunteer,
            case=case,
            report="送去一桶水，已帮老人装好饮水机。",
        )

    @plan(20 * 60, "verified")
    def verified(steps: _Steps, at: datetime) -> Case:
        case = steps.report(
            at,
            gridworker,
            category=cats["environment"],
            channel=Channel.WECHAT,
            register=True,
            building=building(3),
            location_note="3号楼1单元楼道",
            description="3号楼1单元楼道堆满废纸箱，影响通行也有消防隐患。",
            **_caller_name(reg, 3),
        )
        team = reg.teams.get("环境保洁队")
        steps.do(
            at + timedelta(minutes=20),
            services.case_dispatch,
            actor=gridworker,
            case=case,
            lead=team.service_party if team else prop.service_party,
        )
        steps.acknowledge_for(at + timedelta(minutes=40), case, team or prop, recorded_by=gridworker)
        steps.do(
            at + timedelta(hours=4),
            services.case_resolve,
            actor=gridworker,
            case=case,
            report="环境保洁队志愿者清理了楼道杂物，拍照留存。",
        )
        return steps.do(
            now - timedelta(minutes=30),
            services.case_verify,
            actor=gridworker,
            case=case,
            satisfaction=BASIC,
            note="回访：居民基本满意，希望以后定期清理。",
        )

    @plan(2 * 24 * 60 + 90, "rework")
    def rework(steps: _Steps, at: datetime) -> Case:
        home = in_grid(2)
        case = steps.report(
            at,
            socialworker,
            category=cats["repairs-pipe"],
            channel=Channel.PHONE,
            answers={"leaking_now": "yes"},
            description="卫生间顶棚渗水，怀疑是楼上暖气管道漏水。",
            **caller(home),
        )
        steps.do(
            at + timedelta(minutes=25),
            services.case_dispatch,
            actor=socialworker,
            case=case,
            lead=prop.service_party,
        )
        steps.do(at + timedelta(hours=1), services.case_acknowledge, actor=unitcontact, case=case)
        steps.do(
            at + timedelta(hours=20),
            services.case_resolve,
            actor=unitcontact,
            case=case,
            report="更换了楼上暖气回水管接头。",
        )
        return steps.do(
            now - timedelta(hours=5),
            services.case_verify,
            actor=socialworker,
            case=case,
            satisfaction=UNSATISFIED,
            note="回访：居民反映顶棚还在渗水，要求重新处理。",
        )

    @plan(5 * 24 * 60 + 200, "overdue")
    def overdue(steps: _Steps, at: datetime) -> Case:
        home = in_grid(4)
        unit = reg.units.get("disabled", prop)
        case = steps.report(
            at,
            socialworker,
            category=cats["disability"],
            channel=Channel.PHONE,
            description="家属来电：家中残疾人的轮椅坏了，刹车失灵，想申请更换轮椅。",
            **caller(home),
        )
        steps.do(
            at + timedelta(minutes=30),
            services.case_dispatch,
            actor=socialworker,
            case=case,
            lead=unit.service_party,
            note="请残联协助申领轮椅。",
        )
        steps.acknowledge_for(
            at + timedelta(hours=2), case, unit, recorded_by=socialworker, note="残联电话确认受理。"
        )
        return steps.do(
            at + timedelta(days=2, hours=1),
            services.case_note,
            actor=socialworker,
            case=case,
            note="残联答复：辅具需统一申领，正在等待区里审批。",
        )

    @plan(8 * 24 * 60, "in_progress_patrol")
    def in_progress_patrol(steps: _Steps, at: datetime) -> Case:
        place = building(44)
        case = steps.report(
            at,
            patroller,
            register=False,
            category=cats["facilities-hazard"],
            channel=Channel.PATROL,
            answers={"injured": "no"},
            building=place,
            location_note="44号楼2单元门前台阶",
            description="巡查发现44号楼2单元门前台阶边缘破损，雨雪天很滑。",
        )
        worker = reg.grid_worker(place.grid_id)
        steps.do(
            at + timedelta(minutes=40),
            services.case_register,
            actor=worker,
            case=case,
            at=at + timedelta(minutes=40),
        )
        steps.do(
            at + timedelta(hours=1), services.case_dispatch, actor=worker, case=case, lead=prop.service_party
        )
        return steps.do(
            at + timedelta(hours=5),
            services.case_acknowledge,
            actor=unitcontact,
            case=case,
            note="已设置警示标志，等待水泥砂浆。",
        )

    @plan(6 * 60, "in_progress_dispute")
    def in_progress_dispute(steps: _Steps, at: datetime) -> Case:
        home = in_grid(2)
        worker = reg.grid_worker(home.grid_id)
        case = steps.report(
            at,
            worker,
            category=cats["dispute"],
            channel=Channel.WALK_IN,
            description="楼上邻居装修，周末一早就开始电钻施工，多次沟通无果。",
            **caller(home),
        )
        steps.do(
            at + timedelta(minutes=15),
            services.case_dispatch,
            actor=worker,
            case=case,
            lead=reg.user_party(worker).service_party,
        )
        return steps.do(
            at + timedelta(minutes=20),
            services.case_acknowledge,
            actor=worker,
            case=case,
            note="约双方明天上午到社区调解室面谈。",
        )

    @plan(18 * 60, "in_progress_team")
    def in_progress_team(steps: _Steps, at: datetime) -> Case:
        home = in_grid(1)
        team = reg.teams["助老服务队"]
        case = steps.report(
            at,
            socialworker,
            category=cats["elderly"],
            channel=Channel.VISIT,
            description="敲门行动中发现独居老人家中冰箱空了，想请志愿者每周帮忙买一次菜。",
            **caller(home),
        )
        steps.do(
            at + timedelta(minutes=30),
            services.case_dispatch,
            actor=socialworker,
            case=case,
            lead=team.service_party,
        )
        return steps.do(
            at + timedelta(hours=2),
            services.case_acknowledge,
            actor=volunteer,
            case=case,
            note="助老服务队接单，本周六上午去买菜。",
        )

    @plan(9 * 60, "in_progress_heating")
    def in_progress_heating(steps: _Steps, at: datetime) -> Case:
        home = in_grid(6)
        case = steps.report(
            at,
            reg.grid_worker(home.grid_id),
            category=cats["utilities-heating"],
            channel=Channel.PHONE,
            answers={"room_temperature": "16"},
            description="暖气片上热下凉，室温16℃。",
            **caller(home),
        )
        steps.do(
            at + timedelta(minutes=20),
            services.case_dispatch,
            actor=reg.grid_worker(home.grid_id),
            case=case,
            lead=prop.service_party,
        )
        return steps.do(at + timedelta(hours=1), services.case_acknowledge, actor=unitcontact, case=case)

    return plans


def _caller_name(reg: _Registry, number: int) -> dict:
    """A resident of building `number` who phoned about a shared space there."""
    row = reg.building_by_number[number]
    homes = [h for h in reg.households if h["building_id"] == row["id"] and reg.residents.get(h["id"])]
    person = reg.residents[homes[len(homes) // 2]["id"]][0]
    return {"reporter_person": _person(person.id), "reporter_name": person.name}


# --- the whole ------------------------------------------------------------------------------------


def build_case_demo(community: Community, rng: random.Random, *, now: datetime | None = None) -> dict:
    """Write the demo's cases into a community whose registry and accounts are already written.

    Returns counts: history (bulk-written), stories and open (through the services), and the
    total. Run it inside the demo's transaction; the cases the services make announce their
    events when it commits (a few dozen messages), the history announces nothing.
    """
    now = now or timezone.now()
    if now > timezone.now() + timedelta(minutes=1):
        raise ValueError("The case demo's `now` cannot be in the future: every case must be in the past.")
    with transaction.atomic():
        registry = _Registry.load(community, now)
        stories = _story_plans(registry, rng)
        today = _open_plans(registry, rng)
        drafts = _History(registry, rng).plan()
        places, last = _numbers(community, drafts, [p.reported_at for p in stories + today])
        _write(drafts)
        steps = _Steps(registry, places)
        made = {plan.key: plan.run(steps, plan.reported_at).pk for plan in stories + today}
        CaseCounter.objects.filter(community=community, day__in=list(last)).delete()
        CaseCounter.objects.bulk_create(
            [CaseCounter(community=community, day=day, last=number) for day, number in sorted(last.items())]
        )
    return {
        "history": len(drafts),
        "stories": len(stories),
        "open": len(today),
        "cases": Case.objects.filter(community=community).count(),
        "events": CaseEvent.objects.filter(case__community=community).count(),
        "case_ids": made,
    }
