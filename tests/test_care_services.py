"""Care services and selectors on small, hand-counted neighbourhoods (see tests/conftest.py).

Grid A holds building 4 (Granny Wang at 4-2-301, the volunteer at 4-1-101); grid B
holds building 7. Each test adds the few people it needs and counts by hand.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from PIL import Image

from grassroots.care import selectors, services
from grassroots.care.defaults import RULES, install_default_rules
from grassroots.care.models import (
    CampaignHousehold,
    CareProfile,
    Outcome,
    PlannedService,
    Programme,
    ProgrammeService,
    ServiceStatus,
    SituationNote,
    TierChange,
    Visit,
)
from grassroots.cases.models import Case, Category
from grassroots.people.models import Relation
from tests.factories import (
    HouseholdFactory,
    PersonFactory,
    PersonTagFactory,
    VolunteerTeamFactory,
    vulnerability_tag,
)

pytestmark = pytest.mark.django_db
REFERENCE_TAGS = sorted({code for rule in RULES for code in rule[3]} | {"elderly-80"})


@pytest.fixture(autouse=True)
def _reference_data(db):
    """Tags and tier rules as the migrations install them (a transactional test may have flushed them)."""
    for code in REFERENCE_TAGS:
        vulnerability_tag(code)
    install_default_rules()


def category(code: str):
    """A case category as the cases migration installs it, or a plain stand-in after a flush."""

    found, _created = Category.objects.get_or_create(code=code, defaults={"name_zh": code, "name_en": code})
    return found


TODAY = timezone.localdate()


def tag(person, code, level=None):
    return PersonTagFactory(person=person, tag=vulnerability_tag(code), level=level)


def years_ago(years: int) -> date:
    return date(TODAY.year - years, 1, 1)


def photo(name="tile.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def wang_family(granny_wang, household_a):
    """Granny Wang (ill, 80+), her son (widowed, disabled, grade 2), granddaughter (cerebral palsy)."""
    son = PersonFactory(
        name="张建军", sex="M", birth_date=date(1970, 5, 1), household=household_a, relation=Relation.CHILD
    )
    granddaughter = PersonFactory(
        name="张欣怡",
        sex="F",
        birth_date=date(2004, 8, 1),
        household=household_a,
        relation=Relation.GRANDCHILD,
    )
    tag(granny_wang, "chronic-illness")
    tag(granny_wang, "elderly-80")
    tag(son, "disabled", level=2)
    tag(granddaughter, "disabled", level=1)
    return granny_wang, son, granddaughter


@pytest.fixture
def programme(community):
    team = VolunteerTeamFactory(community=community, name="助老服务队")
    programme = Programme.objects.create(community=community, name="幸福归巢·银发互助", team=team)
    for order, (kind, name, times, period) in enumerate(
        [
            ("home_chat", "上门聊天", 2, "month"),
            ("phone_call", "电话问候", 1, "week"),
            ("clinic", "义诊", 1, "month"),
            ("supplies", "米面油", 1, "month"),
        ]
    ):
        ProgrammeService.objects.create(
            programme=programme, kind=kind, name=name, times=times, period=period, order=order
        )
    return programme


# --- the register ---------------------------------------------------------------------------------


def test_the_register_is_computed_from_tags_age_and_household(community, wang_family, neighbourhood):
    granny, _son, granddaughter = wang_family
    alone = PersonFactory(birth_date=years_ago(85), household=neighbourhood.home_7_1_502)  # 85, alone: high
    young = PersonFactory(
        birth_date=years_ago(30), household=HouseholdFactory(building=neighbourhood.building_7)
    )
    result = services.register_refresh(community=community)
    tiers = dict(CareProfile.objects.filter(on_register=True).values_list("person__name", "tier"))
    assert tiers[granny.name] == "key"  # 80+, with family: monthly
    assert tiers["张建军"] == "key"  # disabled grade 2
    assert tiers["张欣怡"] == "high"  # grade 1: weekly
    assert CareProfile.objects.get(person=alone).tier == "high"
    assert not CareProfile.objects.filter(person=young).exists()
    assert result.on_register == 4
    assert CareProfile.objects.get(person=granddaughter).frequency_days == 7


def test_a_worker_overrides_a_tier_with_a_reason_and_it_survives_a_refresh(
    community, wang_family, socialworker
):
    granny = wang_family[0]
    services.register_refresh(community=community)
    with pytest.raises(ValidationError):
        services.profile_override(actor=socialworker, person=granny, tier="high", reason="")
    profile = services.profile_override(actor=socialworker, person=granny, tier="high", reason="近期患病住院")
    assert (profile.tier, profile.frequency_days, profile.computed_tier) == ("high", 7, "key")
    services.register_refresh(community=community)
    profile.refresh_from_db()
    assert profile.tier == "high" and profile.override_by == socialworker
    change = TierChange.objects.get()
    assert (change.from_tier, change.to_tier, change.reason, change.by) == (
        "key",
        "high",
        "近期患病住院",
        socialworker,
    )


def test_volunteers_and_outsiders_cannot_override(community, wang_family, volunteer, outsider):
    for actor in (volunteer, outsider):
        with pytest.raises(PermissionDenied):
            services.profile_override(actor=actor, person=wang_family[0], tier="high", reason="试试")


# --- campaigns and coverage -------------------------------------------------------------------------


def test_campaign_targets_by_tag_age_grid_and_hand_picked(
    community, neighbourhood, wang_family, socialworker
):
    elderly_b = PersonFactory(birth_date=years_ago(82), household=neighbourhood.home_7_1_502)
    picked = HouseholdFactory(building=neighbourhood.building_7, entrance=2, room="601")
    services.register_refresh(community=community)
    by_age = services.campaign_create(
        actor=socialworker,
        community=community,
        name="敲门行动",
        starts_on=TODAY,
        ends_on=TODAY + timedelta(days=30),
        min_age=80,
    )
    assert set(by_age.targets.values_list("household_id", flat=True)) == {
        neighbourhood.home_4_2_301.id,
        elderly_b.current_household_id,
    }
    by_tag_in_a = services.campaign_create(
        actor=socialworker,
        community=community,
        name="残疾人走访",
        starts_on=TODAY,
        ends_on=TODAY,
        tag_codes=["disabled"],
        grid_ids=[neighbourhood.grid_a.id],
        household_ids=[picked.id],
    )
    targets = {t.household_id: t for t in by_tag_in_a.targets.all()}
    assert set(targets) == {neighbourhood.home_4_2_301.id, picked.id}
    assert targets[picked.id].hand_picked and targets[picked.id].risk == 9
    assert targets[neighbourhood.home_4_2_301.id].risk == 0  # the granddaughter is high risk


def test_coverage_by_grid_matches_a_hand_count(community, neighbourhood, socialworker, gridworker):
    a = [neighbourhood.home_4_2_301, neighbourhood.home_4_1_101] + [
        HouseholdFactory(building=neighbourhood.building_4, entrance=3, room=f"{n}01") for n in range(1, 4)
    ]
    b = [neighbourhood.home_7_1_502] + [
        HouseholdFactory(building=neighbourhood.building_7, entrance=2, room=f"{n}02") for n in range(1, 3)
    ]
    campaign = services.campaign_create(
        actor=socialworker,
        community=community,
        name="全覆盖",
        starts_on=TODAY,
        ends_on=TODAY,
        household_ids=[h.id for h in a + b],
    )
    outcomes = {a[0]: "visited", a[1]: "refused", a[2]: "not_reached", b[0]: "visited", b[1]: "visited"}
    for household, outcome in outcomes.items():
        services.visit_record(
            actor=socialworker,
            household=household,
            details=services.VisitDetails(outcome=outcome, campaign=campaign),
        )
    # A household not reached first and visited later counts as visited.
    services.visit_record(
        actor=socialworker,
        household=a[2],
        details=services.VisitDetails(outcome="visited", campaign=campaign),
    )
    rows = {
        row.grid.code if row.grid else "total": row
        for row in selectors.campaign_coverage(socialworker, campaign)
    }
    # Grid A: 5 households; visited 2 (a0, a2), refused 1, pending 2. Grid B: 3; visited 2, pending 1.
    assert (rows["A"].visited, rows["A"].refused, rows["A"].not_reached, rows["A"].pending) == (2, 1, 0, 2)
    assert (rows["B"].visited, rows["B"].refused, rows["B"].not_reached, rows["B"].pending) == (2, 0, 0, 1)
    assert (rows["total"].total, rows["total"].visited, rows["total"].reached_percent) == (8, 4, 50)
    grid_worker_view = selectors.campaign_coverage(gridworker, campaign)
    assert [row.grid.code for row in grid_worker_view if row.grid] == ["A"]


# --- visits ----------------------------------------------------------------------------------------


def test_the_same_draft_sent_twice_makes_one_visit(household_a, socialworker, granny_wang):
    details = services.VisitDetails(person=granny_wang, health="血压高", wellbeing=3)
    first, created = services.visit_record(
        actor=socialworker, household=household_a, details=details, client_token="t-1"
    )
    again, created_again = services.visit_record(
        actor=socialworker, household=household_a, details=details, client_token="t-1"
    )
    assert created and not created_again and first.pk == again.pk
    assert Visit.objects.count() == 1


def test_a_token_cannot_be_reused_for_another_household(household_a, household_b, socialworker):
    services.visit_record(
        actor=socialworker, household=household_a, details=services.VisitDetails(), client_token="t-2"
    )
    with pytest.raises(ValidationError):
        services.visit_record(
            actor=socialworker, household=household_b, details=services.VisitDetails(), client_token="t-2"
        )


def test_a_visit_checks_what_it_records(household_a, socialworker):
    with pytest.raises(ValidationError) as error:
        services.visit_record(
            actor=socialworker,
            household=household_a,
            details=services.VisitDetails(method="letter", hazards=["fire"], wellbeing=7),
        )
    assert set(error.value.message_dict) == {"method", "hazards", "wellbeing"}


def test_a_visit_moves_the_next_due_date_and_can_add_tags(community, wang_family, socialworker):
    granny = wang_family[0]
    services.register_refresh(community=community)
    at = timezone.now() - timedelta(days=1)
    services.visit_record(
        actor=socialworker,
        household=granny.current_household,
        details=services.VisitDetails(person=granny, visited_at=at, add_tags=["living-alone"]),
    )
    profile = CareProfile.objects.get(person=granny)
    assert profile.last_contact_at == at
    assert profile.next_due_on == timezone.localdate(at) + timedelta(days=profile.frequency_days)
    assert granny.tags.filter(tag__code="living-alone").exists()


def test_a_visit_raises_a_registered_case_with_the_household_and_photos(
    household_a, socialworker, granny_wang
):
    visit, _created = services.visit_record(
        actor=socialworker,
        household=household_a,
        details=services.VisitDetails(person=granny_wang, hazards=["stairs"], photos=[photo()]),
    )
    repairs = category("repairs-home")
    case = services.visit_raise_case(
        actor=socialworker, visit=visit, category=repairs, description="楼道地砖破损"
    )
    assert (case.channel, case.status, case.household, case.grid) == (
        "visit",
        "registered",
        household_a,
        household_a.grid,
    )
    assert case.attachments.count() == 1 and case.attachments.get().content_type == "image/png"
    assert Visit.objects.get(pk=visit.pk).case == case
    with pytest.raises(ValidationError):
        services.visit_raise_case(actor=socialworker, visit=visit, category=repairs, description="again")


def test_volunteers_visit_only_households_given_to_them(
    community, household_a, household_b, volunteer, socialworker
):
    campaign = services.campaign_create(
        actor=socialworker,
        community=community,
        name="敲门",
        starts_on=TODAY,
        ends_on=TODAY,
        household_ids=[household_a.id, household_b.id],
    )
    services.campaign_assign(
        actor=socialworker, campaign=campaign, household_ids=[household_a.id], visitor=volunteer
    )
    services.visit_record(
        actor=volunteer, household=household_a, details=services.VisitDetails(campaign=campaign)
    )
    with pytest.raises(PermissionDenied):
        services.visit_record(actor=volunteer, household=household_b, details=services.VisitDetails())


# --- programmes and the plan ----------------------------------------------------------------------------


def test_enrolment_plans_this_month_and_the_next(household_a, granny_wang, programme, socialworker):
    start = date(TODAY.year, TODAY.month, 1)
    enrolment = services.enrol(
        actor=socialworker,
        programme=programme,
        household=household_a,
        person=granny_wang,
        reason="敲门行动发现：患病，儿子残疾，孙女脑瘫",
        starts_on=start,
    )
    months = {(p.due_on.year, p.due_on.month) for p in enrolment.planned.all()}
    assert len(months) == 2
    this_month = enrolment.planned.filter(due_on__month=TODAY.month, due_on__year=TODAY.year)
    assert this_month.filter(service__name="上门聊天").count() == 2
    assert this_month.filter(service__name="义诊").count() == 1
    assert 4 <= this_month.filter(service__name="电话问候").count() <= 5
    assert enrolment.team == programme.team
    with pytest.raises(ValidationError):
        services.enrol(
            actor=socialworker, programme=programme, household=household_a, reason="again", starts_on=start
        )
    # Running the monthly planner again adds nothing.
    assert services.plan_ahead(community=household_a.building.community) == 0


def test_done_missed_and_overdue(household_a, programme, socialworker, volunteer):
    programme.team.volunteers.add(volunteer.person.volunteer)
    start = TODAY - timedelta(days=70)
    enrolment = services.enrol(
        actor=socialworker, programme=programme, household=household_a, reason="r", starts_on=start
    )
    past = list(enrolment.planned.filter(due_on__lt=TODAY).order_by("due_on"))
    assert past, "two months back there are past services"
    done = services.service_done(actor=volunteer, planned=past[0], notes="聊了一小时")
    assert (done.status, done.volunteer, done.hours) == ("done", volunteer.person, past[0].service.hours)
    missed = services.service_missed(actor=socialworker, planned=past[1], reason="住院")
    assert missed.status == "missed"
    with pytest.raises(ValidationError):
        services.service_done(actor=volunteer, planned=past[1])
    overdue = PlannedService.objects.overdue(TODAY).filter(enrolment=enrolment)
    assert overdue.count() == len(past) - 2
    assert not PlannedService.objects.filter(status="overdue").exists()  # derived, never stored


def test_a_programme_change_regenerates_only_future_unplanned_items(household_a, programme, socialworker):
    enrolment = services.enrol(
        actor=socialworker,
        programme=programme,
        household=household_a,
        reason="r",
        starts_on=TODAY - timedelta(days=40),
    )
    chat = programme.services.get(name="上门聊天")
    past_chats = list(enrolment.planned.filter(service=chat, due_on__lt=TODAY))
    services.service_done(actor=socialworker, planned=past_chats[0])
    future_done = enrolment.planned.filter(service=chat, due_on__gte=TODAY).first()
    services.service_done(actor=socialworker, planned=future_done)
    before_past = set(enrolment.planned.filter(due_on__lt=TODAY).values_list("pk", flat=True))

    chat.times = 4
    chat.save()
    programme.services.filter(name="米面油").update(active=False)
    withdrawn, added = services.programme_replan(programme=programme, today=TODAY)

    assert set(enrolment.planned.filter(due_on__lt=TODAY).values_list("pk", flat=True)) == before_past
    assert PlannedService.objects.get(pk=future_done.pk).status == ServiceStatus.DONE
    future = enrolment.planned.filter(due_on__gte=TODAY)
    assert not future.filter(service__name="米面油", status="planned").exists()
    next_month = future.filter(service=chat, due_on__gt=date(TODAY.year, TODAY.month, 28) + timedelta(days=5))
    assert next_month.count() == 4
    assert withdrawn > 0 and added > 0


def test_ending_an_enrolment_withdraws_what_is_still_to_come(household_a, programme, socialworker):
    enrolment = services.enrol(
        actor=socialworker,
        programme=programme,
        household=household_a,
        reason="r",
        starts_on=TODAY - timedelta(days=10),
    )
    services.enrolment_end(actor=socialworker, enrolment=enrolment, on=TODAY)
    assert not enrolment.planned.filter(due_on__gt=TODAY).exists()


# --- worklist, visit rate, flags ------------------------------------------------------------------------


def test_the_worklist_is_ordered_by_risk_then_building_entrance_and_room(
    community, neighbourhood, gridworker, socialworker
):
    b4 = neighbourhood.building_4
    homes = {
        "4-3-502": HouseholdFactory(building=b4, entrance=3, room="502"),
        "4-1-201": HouseholdFactory(building=b4, entrance=1, room="201"),
        "4-3-101": HouseholdFactory(building=b4, entrance=3, room="101"),
        "4-2-102": HouseholdFactory(building=b4, entrance=2, room="102"),
    }
    # high: 4-3-502 (bedridden) and 4-1-201 (dementia); key: 4-3-101 and 4-2-102 (living alone tag, under 60)
    for address, code in [
        ("4-3-502", "bedridden"),
        ("4-1-201", "dementia"),
        ("4-3-101", "living-alone"),
        ("4-2-102", "living-alone"),
    ]:
        tag(PersonFactory(birth_date=years_ago(50), household=homes[address]), code)
    services.register_refresh(community=community)
    campaign = services.campaign_create(
        actor=socialworker,
        community=community,
        name="敲门",
        starts_on=TODAY,
        ends_on=TODAY,
        household_ids=[neighbourhood.home_4_1_101.id],
    )
    services.campaign_assign(
        actor=socialworker,
        campaign=campaign,
        household_ids=[neighbourhood.home_4_1_101.id],
        visitor=gridworker,
    )
    items = selectors.worklist(gridworker, TODAY)
    assert [(item.household.address, item.kind) for item in items] == [
        ("4-1-201", "visit"),
        ("4-3-502", "visit"),
        ("4-2-102", "visit"),
        ("4-3-101", "visit"),
        ("4-1-101", "campaign"),
    ]
    # The grid worker of grid A has nobody in grid B; the social worker has nobody of their own, but
    # sees the high-risk people nobody has taken on (not the key ones: the grid worker has those).
    assert all(item.household.grid_id == neighbourhood.grid_a.id for item in items)
    assert [(item.household.address, item.unclaimed) for item in selectors.worklist(socialworker, TODAY)] == [
        ("4-1-201", True),
        ("4-3-502", True),
    ]


def _high_risk_overdue(person, community) -> CareProfile:
    """Bedridden (high risk, a visit a week) and ten days past the visit that was due."""
    tag(person, "bedridden")
    services.register_refresh(community=community)
    CareProfile.objects.filter(person=person).update(next_due_on=TODAY - timedelta(days=10))
    return CareProfile.objects.get(person=person)


def test_someone_at_high_risk_whom_nobody_has_is_on_every_coordinators_list_until_taken(
    community, granny_wang, gridworker, socialworker, secretary
):
    """Granny Wang, ten days past her weekly visit, was on the grid worker's list and no one else's."""
    from tests.factories import user_for

    second = user_for("socialworker", community=community, username="socialworker-2")
    profile = _high_risk_overdue(granny_wang, community)
    coordinators = (gridworker, socialworker, second, secretary)

    def listed(user) -> list[bool]:
        return [item.unclaimed for item in selectors.worklist(user, TODAY) if item.person == granny_wang]

    assert [listed(user) for user in coordinators] == [[True]] * 4
    services.profile_take(actor=socialworker, profile=profile)
    assert [listed(user) for user in coordinators] == [[], [False], [], []]  # hers now, and only hers
    with translation.override("en"), pytest.raises(ValidationError, match="already taken"):
        services.profile_take(actor=second, profile=profile)
    assert CareProfile.objects.get(pk=profile.pk).responsible == socialworker


def test_only_a_coordinator_in_scope_may_take_someone_on(
    community, granny_wang, volunteer, outsider, gridworker, household_b
):
    from tests.factories import PersonFactory

    profile = _high_risk_overdue(granny_wang, community)
    for user in (volunteer, outsider):
        with pytest.raises(PermissionDenied):
            services.profile_take(actor=user, profile=profile)
    elsewhere = _high_risk_overdue(PersonFactory(household=household_b, birth_date=years_ago(80)), community)
    with pytest.raises(PermissionDenied):  # grid B is not the grid worker's
        services.profile_take(actor=gridworker, profile=elsewhere)
    assert CareProfile.objects.filter(responsible__isnull=False).count() == 0


def test_a_change_of_situation_puts_a_person_first_until_they_are_visited(
    community, neighbourhood, gridworker, socialworker
):
    person = PersonFactory(
        birth_date=years_ago(50),
        household=HouseholdFactory(building=neighbourhood.building_4, entrance=4, room="601"),
    )
    tag(person, "living-alone")
    services.register_refresh(community=community)
    services.visit_record(
        actor=gridworker, household=person.current_household, details=services.VisitDetails()
    )
    assert selectors.worklist(gridworker, TODAY) == []
    services.situation_note(actor=socialworker, person=person, kind=SituationNote.Kind.HOSPITAL, note="住院")
    items = selectors.worklist(gridworker, TODAY)
    assert [(item.kind, item.reasons) for item in items] == [("change", ["note"])]
    services.visit_record(
        actor=gridworker, household=person.current_household, details=services.VisitDetails()
    )
    assert selectors.worklist(gridworker, TODAY) == []


def test_monthly_visit_rate_per_grid_matches_a_hand_count(community, neighbourhood, socialworker, secretary):
    a1 = PersonFactory(
        birth_date=years_ago(50),
        household=HouseholdFactory(building=neighbourhood.building_4, entrance=3, room="301"),
    )
    a2 = PersonFactory(
        birth_date=years_ago(50),
        household=HouseholdFactory(building=neighbourhood.building_4, entrance=3, room="302"),
    )
    b1 = PersonFactory(birth_date=years_ago(50), household=neighbourhood.home_7_1_502)
    general = PersonFactory(
        birth_date=years_ago(50),
        household=HouseholdFactory(building=neighbourhood.building_7, entrance=2, room="101"),
    )
    for person in (a1, a2, b1):
        tag(person, "low-income")
    tag(general, "chronic-illness")  # general tier: not counted in the monthly rate
    services.register_refresh(community=community)
    month_start = timezone.make_aware(datetime(TODAY.year, TODAY.month, 1, 9))
    services.visit_record(
        actor=socialworker,
        household=a1.current_household,
        details=services.VisitDetails(visited_at=month_start, method="phone"),
    )
    services.visit_record(
        actor=socialworker,
        household=a2.current_household,
        details=services.VisitDetails(visited_at=month_start, outcome=Outcome.REFUSED),
    )
    services.visit_record(
        actor=socialworker,
        household=b1.current_household,
        details=services.VisitDetails(visited_at=month_start - timedelta(days=2)),
    )
    services.visit_record(
        actor=socialworker,
        household=general.current_household,
        details=services.VisitDetails(visited_at=month_start),
    )
    rows = {
        row.grid.code if row.grid else "total": row
        for row in selectors.visit_rate(secretary, TODAY.year, TODAY.month)
    }
    assert (rows["A"].people, rows["A"].visited, rows["A"].percent) == (2, 1, 50)
    assert (rows["B"].people, rows["B"].visited, rows["B"].percent) == (1, 0, 0)
    assert (rows["total"].people, rows["total"].visited) == (3, 1)


def test_high_risk_people_not_reached_are_flagged_to_the_legs(
    community, neighbourhood, secretary, gridworker, socialworker
):
    person = PersonFactory(
        birth_date=years_ago(50),
        household=HouseholdFactory(building=neighbourhood.building_4, entrance=4, room="301"),
    )
    tag(person, "dementia")
    services.register_refresh(community=community)
    services.visit_record(
        actor=socialworker,
        household=person.current_household,
        details=services.VisitDetails(visited_at=timezone.now() - timedelta(days=9)),
    )
    flagged = list(selectors.flags(secretary, TODAY))
    assert [p.person for p in flagged] == [person]
    assert list(selectors.flags(gridworker, TODAY)) == []  # the flags are for the legs
    services.visit_record(
        actor=socialworker, household=person.current_household, details=services.VisitDetails()
    )
    assert list(selectors.flags(secretary, TODAY)) == []


def test_the_whole_register_is_planned_for_a_month_in_bulk(
    community, neighbourhood, programme, django_assert_max_num_queries
):
    """600 enrolled households (more than the demo's whole register) x 9 services a month, in bulk."""
    from grassroots.care.models import Enrolment
    from grassroots.places.models import Household

    building = neighbourhood.building_7
    households = Household.objects.bulk_create(
        Household(building=building, grid=building.grid, entrance=1 + n % 2, room=f"{n:04d}")
        for n in range(600)
    )
    enrolments = Enrolment.objects.bulk_create(
        Enrolment(
            programme=programme,
            community=community,
            household=h,
            grid=h.grid,
            reason="r",
            starts_on=date(2026, 1, 1),
            team=programme.team,
        )
        for h in households
    )
    with django_assert_max_num_queries(30):  # bulk writes, not a query per service
        created = services.plan_enrolments(enrolments, first=date(2027, 3, 1), last=date(2027, 3, 31))
    assert created == 600 * (2 + 1 + 1 + 5)  # weekly from 1 January 2026: five calls in March 2027
    assert PlannedService.objects.filter(due_on__month=3, due_on__year=2027).count() == created
    assert services.plan_enrolments(enrolments, first=date(2027, 3, 1), last=date(2027, 3, 31)) == 0


def test_campaign_households_are_unique_and_scoped(community, socialworker, outsider, household_a):
    campaign = services.campaign_create(
        actor=socialworker,
        community=community,
        name="x",
        starts_on=TODAY,
        ends_on=TODAY,
        household_ids=[household_a.id],
    )
    assert CampaignHousehold.objects.visible_to(outsider).count() == 0
    with pytest.raises(PermissionDenied):
        services.campaign_assign(
            actor=outsider, campaign=campaign, household_ids=[household_a.id], visitor=None
        )
    assert Case.objects.count() == 0
