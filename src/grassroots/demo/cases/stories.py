"""The article's four stories, through the services, each a few days back.

- Aunt Liu's drinking water: she phones, the social worker dispatches the elderly-care
  volunteer (with a delivery volunteer of her grid), and two barrels are up her five
  flights within the hour.
- Aunt Kan's burst pipe: the social worker reassures her on the phone while the plumbing
  volunteers come; fixed the same morning.
- The broken corridor tile at building 4: the Party committee whistles, and a party member,
  the building head, the owners' committee and the property company report for duty and
  agree a plan, carried out the next day.
- A psychological-support case the social worker handles discreetly (internal notes only).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from django.utils import timezone

from grassroots.cases import services
from grassroots.cases.models import Case, Channel, Satisfaction, Urgency
from grassroots.demo.cases.registry import Party, Registry, aware
from grassroots.demo.cases.steps import Plan, Steps, household_at, person_by_id
from grassroots.people.models import Person
from grassroots.places.models import Building, Household


def story_plans(reg: Registry, rng: random.Random) -> list[Plan]:
    """The article's four stories, each a few days back."""
    community, today = reg.community, timezone.localtime(reg.now).date()
    socialworker, secretary = reg.user("socialworker"), reg.user("secretary")
    volunteer, unitcontact, patroller = reg.user("volunteer"), reg.user("unitcontact"), reg.user("patroller")
    categories = reg.categories
    plans: list[Plan] = []

    def day(back: int) -> date:
        return today - timedelta(days=back)

    liu_home = household_at(community, "15-1-502")
    liu = Person.objects.filter(current_household=liu_home, name="刘桂芳").first() if liu_home else None
    if liu is not None:
        grid_id = liu_home.grid_id
        helper = reg.volunteer_with(rng, "delivery", grid_id, avoid={volunteer.person_id})
        start = aware(day(4), 10, 12)

        def aunt_liu(steps: Steps, at: datetime) -> Case:
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
            lead = Party("person", volunteer.person_id, volunteer.get_full_name())
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
                satisfaction=Satisfaction.SATISFIED,
                note="回访：刘阿姨说水送到了，直夸志愿者来得快。",
            )
            return steps.do(at + timedelta(minutes=57), services.case_close, actor=socialworker, case=case)

        plans.append(Plan(start, aunt_liu, "aunt_liu"))

    kan_home = household_at(community, "27-3-401")
    kan = Person.objects.filter(current_household=kan_home, name="阚秀英").first() if kan_home else None
    if kan is not None:
        plumber = reg.volunteer_with(rng, "plumbing", kan_home.grid_id)
        mate = reg.volunteer_with(rng, "plumbing", kan_home.grid_id, avoid={plumber.id} if plumber else set())
        start = aware(day(9), 8, 40)

        def aunt_kan(steps: Steps, at: datetime) -> Case:
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
                satisfaction=Satisfaction.SATISFIED,
                note="回访：阚阿姨说当天上午就修好了，谢谢社区和志愿者。",
            )
            return steps.do(
                at + timedelta(hours=6, minutes=2), services.case_close, actor=socialworker, case=case
            )

        plans.append(Plan(start, aunt_kan, "aunt_kan"))

    building = reg.building_by_number.get(4)
    head = reg.heads.get(building["id"]) if building else None
    owners, prop = reg.units.get("owners"), reg.units.get("property")
    if building and head and owners and prop and patroller.person_id:
        member = Party("person", patroller.person_id, patroller.get_full_name())
        start = aware(day(16), 9, 30)

        def corridor_tile(steps: Steps, at: datetime) -> Case:
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
            # The building head and the owners' committee have no accounts: they report for duty
            # through the one-tap links of the whistle's SMS, and the timeline shows them by name.
            steps.by_link(at + timedelta(minutes=20), case, head, note=f"楼栋长{head.name}到场报到。")
            steps.by_link(at + timedelta(minutes=26), case, owners, note="业委会主任到场报到。")
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
                satisfaction=Satisfaction.SATISFIED,
                note="楼栋长、业委会现场验收；本单元居民反映满意。",
            )
            return steps.do(
                at + timedelta(days=2, minutes=35), services.case_close, actor=secretary, case=case
            )

        plans.append(Plan(start, corridor_tile, "corridor_tile"))

    psych_households = [
        row
        for row in reg.households
        if any(45 <= p.age <= 65 for p in reg.residents.get(row["id"], ())) and row["building__number"] > 40
    ]
    if psych_households and "psychological" in categories:
        row = rng.choice(psych_households)
        who = next(p for p in reg.residents[row["id"]] if 45 <= p.age <= 65)
        start = aware(day(6), 15, 0)
        team = reg.teams.get("心理关爱队")

        def psychological(steps: Steps, at: datetime) -> Case:
            case = steps.report(
                at,
                socialworker,
                category=categories["psychological"],
                channel=Channel.VISIT,
                reporter_person=person_by_id(who.id),
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

        plans.append(Plan(start, psychological, "psychological"))
    return plans
