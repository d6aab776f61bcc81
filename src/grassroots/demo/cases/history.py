"""A year of the community's cases, drawn day by day: mostly closed satisfied, with the usual detours.

About 3,000 cases over the last 365 days, in the proportions of a residential community
(repairs, utilities, the environment and the property company first; heating in winter;
reports by day), each with its whole story: reported by phone, WeChat, a walk-in, a
patroller, a care visit, the portal or the 12345 hotline; registered by the social worker
or the grid's worker; dispatched to a volunteer, a team or a member unit (now and then a
whistle that summons several parties); reported for duty, noted, sometimes late and urged,
extended, escalated to the street or reworked after an unsatisfied call-back; verified and
closed. A few reports repeat an open case and are merged into it, and a few are rejected.

The year tells the dashboard's story (docs/metrics.md, "The demo's story"): a summer of water
problems (停水 and 漏水 reports two to three times as often from June to August), one grid whose
call-backs send the work back far more often (`REWORK_GRID`), and, in the last two weeks, a
hotspot: four reports of the same hazard at one building entrance within nine days (`HOTSPOT`),
which the hotspot rule (three of a category at a building within 14 days) flags.

Each step is taken by the account whose role takes it (a party without an account reports
for duty by phone and a coordinator records it), as a CaseDraft (demo.cases.rows) that
writes the rows the services would write. Everything is drawn from the given random.Random
and counted back from the registry's `now`: the same seed on the same day gives the same year.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import date, datetime, timedelta

from django.utils import timezone

from grassroots.accounts.models import User
from grassroots.cases.models import Case, Category, Satisfaction, Urgency
from grassroots.demo.cases.registry import Party, Registry, aware
from grassroots.demo.cases.rows import CaseDraft
from grassroots.demo.cases.words import (
    CALLBACKS,
    DESCRIPTIONS,
    NOTES,
    OUTSIDE_SPOTS,
    PLANS,
    REJECTIONS,
    REPORTS,
)

HISTORY_DAYS = 365

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
#: The call-back verdicts (satisfied, basically, unsatisfied: then rework), and in the rework grid.
VERDICT_WEIGHTS = (78, 15, 7)
REWORK_GRID_WEIGHTS = (60, 14, 26)
#: The grid with more rework: the third of the community's grids (by id), whose handlers redo more.
REWORK_GRID = 2
#: The hotspot: (category, building number, entrance, days before today of each report).
HOTSPOT = ("facilities-hazard", 9, 2, (13, 11, 8, 5))


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
        # Pipes burst in the frost, and leak again in the summer of water problems.
        "repairs-pipe": 1.6 if winter else (1.2 if month in (3, 11) else (1.9 if summer else 1.0)),
        "utilities-power": 1.7 if summer else (1.1 if winter else 1.0),
        # The summer of water problems: supply cut for mains repairs, low pressure on the top floors.
        "utilities-water": 3.0 if summer else 1.0,
        "environment": 1.4 if summer else (0.7 if winter else 1.0),
        "dispute": 1.3 if summer else 1.0,
        "elderly": 1.4 if month in (1, 2) else (1.2 if month == 12 else 1.0),
        "urban-event": 1.3 if 4 <= month <= 9 else 0.8,
        "facilities-hazard": 1.2 if winter else 1.0,
    }
    return factor * seasonal.get(code, 1.0)


def _moment(rng: random.Random, day: date, channel: str) -> datetime:
    hour = rng.choices(range(24), _HOURS[channel])[0]
    return aware(day, hour, rng.randrange(60))


def _office(rng: random.Random, moment: datetime, *, urgent: bool = False) -> datetime:
    """Staff and volunteers act by day (08:00-19:00); urgent work goes on at any hour."""
    if urgent:
        return moment
    local = moment.astimezone(timezone.get_default_timezone())
    if 8 <= local.hour < 19:
        return moment
    day = local.date() if local.hour < 8 else local.date() + timedelta(days=1)
    return aware(day, 8, rng.randrange(60))


class History:
    """A year of cases, drawn day by day, category by category."""

    def __init__(self, registry: Registry, rng: random.Random):
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
        grids = sorted({row["grid_id"] for row in registry.buildings if row["grid_id"]})
        self.rework_grid = grids[REWORK_GRID % len(grids)] if grids else None

    def plan(self) -> list[CaseDraft]:
        """Every case of the year, closed, rejected or merged. A case whose story would not be over
        by now is left out: today's open work is made through the services instead."""
        drafts: list[CaseDraft] = []
        for day in self.days:
            for code, daily in self.daily.items():
                for _ in range(_poisson(self.rng, daily * _season(code, day))):
                    draft = self._case(code, day)
                    if draft.clock < self.now - timedelta(minutes=10):
                        drafts.append(draft)
        drafts += self._hotspot()
        self._duplicates(drafts)
        return drafts

    def _hotspot(self) -> list[CaseDraft]:
        """Four reports of the same hazard at one building entrance within nine days, lately: each
        a whole story (registered, dispatched, done), none rejected. A story not over by now is
        drawn again (the same seed gives the same stories)."""
        code, number, entrance, days_back = HOTSPOT
        building = self.reg.building_by_number.get(number)
        if code not in self.reg.categories or building is None:
            return []
        spot = {
            "household": None,
            "building_id": building["id"],
            "grid_id": building["grid_id"],
            "number": number,
            "place": f"{number}号楼{entrance}单元门口",
        }
        drafts = []
        for back in days_back:
            for _attempt in range(10):
                draft = self._case(code, self.today - timedelta(days=back), spot=spot, keep=True)
                draft.case.description = DESCRIPTIONS[code][0].format(place=spot["place"])  # the tile
                if draft.clock < self.now - timedelta(minutes=10):
                    drafts.append(draft)
                    break
        return drafts

    # where, who, how

    def _spot(self, code: str) -> dict:
        rng, reg = self.rng, self.reg
        if rng.random() < OUTSIDE_SHARE.get(code, 0.0):
            building = rng.choice(reg.buildings)
            entrance = rng.randint(1, max(1, building["entrances"]))
            spot = rng.choice(OUTSIDE_SPOTS).format(e=entrance, f=rng.randint(1, max(1, building["floors"])))
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

    def _reporter(self, case: Case, spot: dict, channel: str) -> User | None:
        """Fill the reporter fields; returns the account that reported it itself, if any."""
        rng, reg = self.rng, self.reg
        household = spot["household"]
        patroller = reg.users.get("patroller")
        if channel == "patrol":
            if patroller is not None and rng.random() < 0.4:
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

    def _parties(self, code: str, grid_id: int | None, spot: dict) -> tuple[Party, list[Party], bool]:
        """The lead, any supporters, and whether it was a whistle."""
        rng, reg = self.rng, self.reg
        units, teams = reg.units, reg.teams
        prop = units.get("property")
        volunteer = reg.users.get("volunteer")
        lead: Party | None = None
        supporters: list[Party] = []
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
                lead = Party("person", volunteer.person_id, volunteer.get_full_name())
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
                lead = Party("person", volunteer.person_id, volunteer.get_full_name())
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

    def _entered_by(self, channel: str, own_account: User | None, intake: User) -> User | None:
        """Who enters the report: staff who take a call or a visitor at once, the resident's own
        account on the portal (None: the portal, without one), the 12345 hotline's integration,
        or the staff who type in a message or a patroller's report."""
        if channel in ("phone", "walk_in", "visit"):
            return intake
        if channel == "web":
            return own_account
        if channel == "hotline":
            return self.reg.hotline or intake
        return own_account or intake

    def _case(self, code: str, day: date, *, spot: dict | None = None, keep: bool = False) -> CaseDraft:
        """One case of the day; `spot` where it is (else drawn), `keep`: never rejected."""
        rng, reg = self.rng, self.reg
        category = reg.categories[code]
        spot = spot or self._spot(code)
        channel = self._channel(code, spot)
        urgent = rng.random() < URGENT_SHARE.get(code, 0.03)
        urgency = Urgency.URGENT if urgent else Urgency.NORMAL
        reported_at = _moment(rng, day, channel)
        sensitive = category.sensitive
        household = spot["household"]
        description = rng.choice(DESCRIPTIONS.get(code, DESCRIPTIONS["other"])).format(place=spot["place"])
        case = Case(
            community=reg.community,
            category=category,
            description=description,
            channel=channel,
            urgency=urgency,
            answers=self._answers(code),
            household_id=household["id"] if household else None,
            building_id=spot["building_id"],
            grid_id=spot["grid_id"],
            location_note="" if household else spot["place"],
            public_token=f"{rng.getrandbits(96):024x}",
        )
        draft = CaseDraft(case, reg)
        grid_id = spot["grid_id"]
        own_account = self._reporter(case, spot, channel)
        intake = self._coordinator(grid_id, sensitive=sensitive)
        registered_by = intake
        draft.report(reported_at, self._entered_by(channel, own_account, intake))
        if channel in ("phone", "walk_in", "visit"):  # staff take it down and register it at once
            registered_at = reported_at
        else:  # a message, a patroller's report, the portal or the hotline: registered later
            registered_at = _office(rng, draft.later(5, 90, rng), urgent=urgent)

        roll = rng.random()
        if roll < 0.04 and not sensitive and not keep:
            rejected_at = _office(rng, draft.later(10, 240, rng))
            draft.reject(rejected_at, registered_by, reason=rng.choice(REJECTIONS))
            return draft

        draft.register(registered_at, registered_by)
        lead, supporters, whistle = self._parties(code, grid_id, spot)
        coordinator = registered_by
        dispatch_at = draft.later(1, 5, rng) if urgent else _office(rng, draft.later(3, 45, rng))
        if whistle:
            coordinator = reg.user("secretary") if rng.random() < 0.5 else coordinator
            draft.whistle(
                dispatch_at,
                coordinator,
                lead=lead,
                parties=supporters,
                note="请各方立即到场，共同研究处置。",
                role_notes={lead.key: "牵头"},
            )
        else:
            draft.dispatch(dispatch_at, coordinator, lead=lead, supporters=supporters)
        self._work(draft, category, lead, supporters, coordinator, urgent=urgent, whistle=whistle)
        return draft

    def _acknowledge(self, draft: CaseDraft, party: Party, at: datetime, coordinator: User) -> None:
        """The party reports for duty: with its own account, or by phone, recorded by the coordinator."""
        if not draft.pending(party):  # its account already signed for it with another of its parties
            return
        account = self.reg.account_for(party)
        if account is not None:
            draft.acknowledge(at, account)
        else:
            note = f"{party.name}已电话确认接单，由工作人员代为登记。"
            draft.acknowledge(at, coordinator, party=party, note=note)

    def _work(
        self,
        draft: CaseDraft,
        category: Category,
        lead: Party,
        supporters: list[Party],
        coordinator: User,
        *,
        urgent: bool,
        whistle: bool,
    ) -> None:
        """From acknowledgement to closure, with the usual detours: late, urged, extended, reworked."""
        rng, reg, case = self.rng, self.reg, draft.case
        code = category.code
        late_response = rng.random() < 0.08
        late = rng.random() < 0.11
        secretary = reg.user("secretary")
        recorder = reg.account_for(lead) or coordinator
        sensitive = category.sensitive

        def acknowledge_all(lead_at: datetime) -> None:
            """Supporters report for duty first; the lead last, at `lead_at`, which starts the work."""
            start = draft.clock
            moments = sorted(start + (lead_at - start) * rng.uniform(0.2, 0.9) for _ in supporters)
            for party, moment in zip([*supporters, lead], [*moments, lead_at], strict=True):
                self._acknowledge(draft, party, _office(rng, moment, urgent=urgent), coordinator)

        response_window = max(case.response_due - draft.clock, timedelta(minutes=10))
        if late_response:
            acknowledge_all(case.response_due + response_window * rng.uniform(0.1, 1.5))
        else:
            acknowledge_all(draft.clock + response_window * rng.uniform(0.05, 0.9))
        if whistle:
            plan = rng.choice(PLANS)
            draft.plan(draft.later(20, 90, rng), coordinator, plan=plan)

        due = case.resolution_due
        if not urgent and not late and rng.random() < 0.05:
            requested = draft.clock + (due - draft.clock) * rng.uniform(0.2, 0.6)
            minutes = rng.choice((1, 2, 3, 5)) * 24 * 60
            reason = rng.choice(
                ("配件需厂家寄送，需要更多时间。", "需业委会表决使用维修资金。", "天气原因无法施工。")
            )
            draft.extend(_office(rng, requested), recorder, minutes=minutes, reason=reason)
            approve = rng.random() < 0.9
            draft.decide_extension(
                _office(rng, draft.later(30, 300, rng)),
                secretary,
                approve=approve,
                note="同意延期。" if approve else "不同意延期，请按期完成。",
            )
            due = case.resolution_due
        if code in ("property", "urban-event", "dispute", "facilities") and rng.random() < 0.03:
            draft.escalate(
                _office(rng, draft.later(60, 24 * 60, rng)),
                reg.user("socialworker"),
                reason="社区协调多次未果，需街道协调相关部门。",
            )
            late = late or rng.random() < 0.5
        if rng.random() < 0.3:
            draft.note(
                _office(rng, draft.clock + (due - draft.clock) * rng.uniform(0.1, 0.5)),
                recorder,
                note=rng.choice(NOTES),
                public=not sensitive,
            )
        if sensitive:
            draft.note(
                _office(rng, draft.later(60, 48 * 60, rng)),
                coordinator,
                note="面谈记录已存档（内部）。",
                public=False,
            )

        if late:
            window = max(due - (case.registered_at or draft.clock), timedelta(hours=2))
            done = due + window * rng.uniform(0.05, 0.8)
            if rng.random() < 0.6:
                urged_at = max(draft.clock, _office(rng, due + (done - due) * rng.uniform(0.1, 0.5)))
                if urged_at < done:
                    draft.urge(urged_at, secretary, note="已超时，请抓紧办理并及时回复。")
        else:
            done = draft.clock + max(due - draft.clock, timedelta(minutes=20)) * rng.uniform(0.1, 0.9)
        self._resolve(draft, code, recorder, _office(rng, max(done, draft.clock), urgent=urgent))

        weights = REWORK_GRID_WEIGHTS if case.grid_id == self.rework_grid else VERDICT_WEIGHTS
        verdict = rng.choices((SATISFIED, BASIC, UNSATISFIED), weights)[0]
        if verdict == UNSATISFIED:  # rework: the same parties, the category's full time again from now
            self._verify(draft, coordinator, UNSATISFIED)
            due = case.resolution_due
            acknowledge_all(draft.clock + timedelta(hours=rng.uniform(0.5, 8)))
            self._resolve(draft, code, recorder, _office(rng, draft.later(60, 48 * 60, rng)))
            verdict = rng.choices((SATISFIED, BASIC), (75, 25))[0]
        self._verify(draft, coordinator, verdict)
        draft.close(_office(rng, draft.later(2, 20 * 60, rng)), coordinator)
        swept = due + timedelta(minutes=rng.randint(1, 15))
        if swept < case.resolved_at:  # not yet resolved when it fell due: the overdue sweep told the legs
            draft.swept(swept)

    def _resolve(self, draft: CaseDraft, code: str, recorder: User, at: datetime) -> None:
        draft.resolve(at, recorder, report=self.rng.choice(REPORTS.get(code, REPORTS["other"])))

    def _verify(self, draft: CaseDraft, coordinator: User, verdict: str) -> None:
        """The call-back by the coordinator, or now and then the reporter's own verdict on the portal."""
        rng, case = self.rng, draft.case
        at = _office(rng, draft.later(20, 26 * 60, rng))
        by_portal = case.channel == "web" and case.reporter_user_id is None and rng.random() < 0.3
        if by_portal:
            draft.rate_by_token(at, satisfaction=verdict)
        else:
            draft.verify(at, coordinator, satisfaction=verdict, note=rng.choice(CALLBACKS[verdict]))

    def _duplicates(self, drafts: list[CaseDraft]) -> None:
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
            case = Case(
                community=self.reg.community,
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
                public_token=f"{rng.getrandbits(96):024x}",
            )
            spot = {"household": None, "building_id": source.building_id, "grid_id": source.grid_id}
            own_account = self._reporter(case, spot, case.channel)
            coordinator = self._coordinator(source.grid_id)
            draft = CaseDraft(case, self.reg)
            draft.report(reported_at, self._entered_by(case.channel, own_account, coordinator))
            merged_at = min(_office(rng, draft.later(5, 60, rng)), source.resolved_at - timedelta(minutes=1))
            draft.merge(merged_at, coordinator, into=original)
            drafts.append(draft)
