"""Today's work in hand, through the services: at least one case in every open state.

Counted back from now: reported (on the portal by the resident, by the patroller, through
the 12345 hotline's integration), registered, dispatched to a volunteer and to the property
company, in progress near its due time, overdue and urged by the Party committee, escalated
to the street, waiting for a decision on more time, resolved and waiting for the call-back,
verified, sent back as rework, and a few more in progress, so that every screen has work.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from grassroots.cases import services
from grassroots.cases.models import Case, Channel, Satisfaction, Urgency
from grassroots.cases.services import Party
from grassroots.demo.cases.registry import Registry
from grassroots.demo.cases.steps import Plan, Steps, person_by_id
from grassroots.places.models import Building, Household


def open_plans(reg: Registry, rng: random.Random) -> list[Plan]:
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
    plans: list[Plan] = []

    def in_grid(grid_index: int) -> Household:
        grids = sorted({row["grid_id"] for row in reg.households})
        grid_id = grids[grid_index % len(grids)]
        rows = [row for row in reg.households if row["grid_id"] == grid_id and reg.residents.get(row["id"])]
        return Household.objects.select_related("building").get(pk=rng.choice(rows)["id"])

    def caller(household: Household) -> dict:
        people = reg.residents[household.pk]
        person = max(people, key=lambda p: (p.age, -p.id))
        return {
            "reporter_person": person_by_id(person.id),
            "reporter_name": person.name,
            "household": household,
        }

    def building(number: int) -> Building:
        return Building.objects.get(community=reg.community, number=number)

    def plan(minutes_ago: float, key: str):
        def wrap(run):
            plans.append(Plan(now - timedelta(minutes=minutes_ago), run, key))
            return run

        return wrap

    if resident is not None and resident.person_id:

        @plan(25, "reported_web")
        def reported_web(steps: Steps, at: datetime) -> Case:
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
    def reported_patrol(steps: Steps, at: datetime) -> Case:
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
    def reported_hotline(steps: Steps, at: datetime) -> Case:
        """Passed on by the 12345 hotline through its integration, as its Open311 requests are."""
        home = in_grid(5)
        return steps.report(
            at,
            reg.hotline or socialworker,
            register=False,
            category=cats["utilities-heating"],
            channel=Channel.HOTLINE,
            answers={"room_temperature": "15"},
            description="12345转办：居民反映家中暖气不热，室温只有15℃。",
            **caller(home),
        )

    @plan(50, "registered")
    def registered(steps: Steps, at: datetime) -> Case:
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
    def dispatched_volunteer(steps: Steps, at: datetime) -> Case:
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
    def dispatched_unit(steps: Steps, at: datetime) -> Case:
        case = steps.report(
            at,
            gridworker,
            category=cats["facilities-lighting"],
            channel=Channel.PHONE,
            building=building(2),
            location_note="2号楼3单元楼道",
            description="2号楼3单元二到四楼声控灯都不亮，晚上漆黑一片。",
            **caller_name(reg, 2),
        )
        return steps.do(
            at + timedelta(minutes=15),
            services.case_dispatch,
            actor=gridworker,
            case=case,
            lead=prop.service_party,
            note="请物业电工今天上门检修。",
        )

    @plan(12, "likely_duplicate")
    def likely_duplicate(steps: Steps, at: datetime) -> Case:
        """A neighbour phones about the lights already dispatched: intake flags it as a likely duplicate."""
        return steps.report(
            at,
            socialworker,
            category=cats["facilities-lighting"],
            channel=Channel.PHONE,
            building=building(2),
            location_note="2号楼3单元",
            description="2号楼3单元楼道的灯好几层都不亮了，晚上太黑，请尽快修一下。",
            **caller_name(reg, 2, neighbour=1),
        )

    @plan(205, "near_due")
    def near_due(steps: Steps, at: datetime) -> Case:
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
    def overdue_urged(steps: Steps, at: datetime) -> Case:
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
    def escalated(steps: Steps, at: datetime) -> Case:
        case = steps.report(
            at,
            socialworker,
            category=cats["property"],
            channel=Channel.WALK_IN,
            building=building(31),
            location_note="31号楼北侧外墙",
            description="31号楼北侧外墙保温层大面积脱落，物业称需动用公共维修资金，业主意见不一。",
            **caller_name(reg, 31),
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
    def extension(steps: Steps, at: datetime) -> Case:
        case = steps.report(
            at,
            gridworker,
            category=cats["facilities"],
            channel=Channel.PHONE,
            building=building(5),
            location_note="5号楼1单元门口",
            description="5号楼1单元门禁坏了，门锁不上，外人随便进出。",
            **caller_name(reg, 5),
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
    def resolved(steps: Steps, at: datetime) -> Case:
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
    def verified(steps: Steps, at: datetime) -> Case:
        case = steps.report(
            at,
            gridworker,
            category=cats["environment"],
            channel=Channel.WECHAT,
            register=True,
            building=building(3),
            location_note="3号楼1单元楼道",
            description="3号楼1单元楼道堆满废纸箱，影响通行也有消防隐患。",
            **caller_name(reg, 3),
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
            satisfaction=Satisfaction.BASIC,
            note="回访：居民基本满意，希望以后定期清理。",
        )

    @plan(2 * 24 * 60 + 90, "rework")
    def rework(steps: Steps, at: datetime) -> Case:
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
            satisfaction=Satisfaction.UNSATISFIED,
            note="回访：居民反映顶棚还在渗水，要求重新处理。",
        )

    @plan(5 * 24 * 60 + 200, "overdue")
    def overdue(steps: Steps, at: datetime) -> Case:
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
    def in_progress_patrol(steps: Steps, at: datetime) -> Case:
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
    def in_progress_dispute(steps: Steps, at: datetime) -> Case:
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
    def in_progress_team(steps: Steps, at: datetime) -> Case:
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
    def in_progress_heating(steps: Steps, at: datetime) -> Case:
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


def caller_name(reg: Registry, number: int, *, neighbour: int = 0) -> dict:
    """A resident of building `number` who phoned about a shared space there (`neighbour`: another one)."""
    row = reg.building_by_number[number]
    homes = [h for h in reg.households if h["building_id"] == row["id"] and reg.residents.get(h["id"])]
    person = reg.residents[homes[(len(homes) // 2 + neighbour) % len(homes)]["id"]][0]
    return {"reporter_person": person_by_id(person.id), "reporter_name": person.name}
