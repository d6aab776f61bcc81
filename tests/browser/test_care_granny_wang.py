"""The article's story, walked end to end in Chromium.

"During the knock-on-the-door operation, it was found that Granny Wang in building 4
was ill, her son was widowed, physically disabled, and her granddaughter had cerebral
palsy. We sorted out the situation of Granny Wang's family and included it in the
'happy homing, silver-hair mutual aid' activity ... two door-to-door chats, telephone
visits, free clinic, haircut, psychological care ... and sent rice, noodles, oil."

The social worker runs a campaign, visits 4-2-301 and records the family, raises her
tier, enrols the household; a month of services is delivered (most by the social
worker on the plan, one by a volunteer of the team from their task list); the
secretary sees the grid's visit rate for that month at 100%.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from tests.factories import PersonFactory, PersonTagFactory, VolunteerTeamFactory, vulnerability_tag

from grassroots.care import services
from grassroots.care.defaults import install_default_rules
from grassroots.care.models import CareProfile, Enrolment, PlannedService, Programme, ProgrammeService, Visit
from grassroots.people.models import Relation

pytestmark = pytest.mark.django_db(transaction=True)

TAGS = [
    "bedridden",
    "dementia",
    "seriously-ill",
    "extreme-poverty",
    "living-alone",
    "empty-nest",
    "left-behind",
]
TAGS += [
    "disabled",
    "low-income",
    "special-family",
    "psychological",
    "chronic-illness",
    "veteran",
    "elderly-80",
]


def first_of_last_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


@pytest.fixture
def story(community, granny_wang, household_a, volunteer):
    """The registry as the community has it, the default rules, and the programme as the admin set it up."""
    for code in TAGS:
        vulnerability_tag(code)
    install_default_rules()  # live-server tests start from empty tables
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
    PersonTagFactory(person=granny_wang, tag=vulnerability_tag("chronic-illness"))
    PersonTagFactory(person=son, tag=vulnerability_tag("disabled"), level=2)
    PersonTagFactory(person=granddaughter, tag=vulnerability_tag("disabled"), level=1)
    services.register_refresh(community=community)
    team = VolunteerTeamFactory(community=community, name="助老服务队", focus="上门探望、陪伴聊天")
    volunteer.person.volunteer.teams.add(team)
    programme = Programme.objects.create(community=community, name="幸福归巢·银发互助", team=team)
    for order, (kind, name, times, period) in enumerate(
        [
            ("home_chat", "上门陪伴聊天", 2, "month"),
            ("phone_call", "电话问候", 1, "week"),
            ("clinic", "免费义诊", 1, "month"),
            ("haircut", "上门理发", 1, "month"),
            ("psychological", "心理关怀", 1, "month"),
            ("supplies", "送米面油", 1, "month"),
        ]
    ):
        ProgrammeService.objects.create(
            programme=programme, kind=kind, name=name, times=times, period=period, order=order
        )
    return {"programme": programme, "son": son, "granddaughter": granddaughter}


def test_granny_wang_from_the_knock_on_the_door_to_the_visit_rate(
    signed_in_page, page, story, socialworker, secretary, volunteer, granny_wang, household_a, live_url
):
    today = timezone.localdate()
    start = first_of_last_month(today)

    # 1. The social worker starts the knock-on-the-door campaign (last month), targeting 4-2-301.
    signed_in_page(socialworker)
    page.goto("/care/campaigns/new/")
    page.fill("input[name=name]", "邻里守望·幸福敲门")
    page.fill("input[name=starts_on]", start.isoformat())
    page.fill("input[name=ends_on]", (today + timedelta(days=30)).isoformat())
    page.fill("input[name=households]", "4-2-301")
    with page.expect_navigation(url="**/care/campaigns/*/"):
        page.click("form.care-form button[type=submit]")
    assert page.locator("#coverage tr[data-grid=A] [data-status=pending]").inner_text() == "1"

    # 2. She knocks on the door on the first day of the campaign and records the family.
    page.click("tr[data-address='4-2-301'] a.button")
    page.wait_for_selector("#visit-form")
    page.fill("input[name=visited_at]", f"{start.isoformat()}T10:00")
    page.select_option("select[name=person]", str(granny_wang.pk))
    # She tells Granny Wang what is written down and why, and Granny Wang agrees (PIPL art. 29).
    page.click("#visit-consent summary")
    page.check("input[name=consent_given]")
    page.fill("textarea[name=health]", "患病在家，行动需人搀扶")
    page.select_option("select[name=self_care]", "partly")
    page.select_option("select[name=mood]", "low")
    page.fill("textarea[name=family]", "儿子丧偶，肢体残疾；孙女脑瘫，需长期照护")
    page.fill("textarea[name=difficulties]", "低保家庭，就医、理发不便")
    page.check("input[name=hazards][value=stairs]")
    page.fill("textarea[name=needs]", "上门陪伴、义诊、理发、心理关怀、米面油")
    page.select_option("select[name=wellbeing]", "2")
    page.select_option("select[name=set_tier]", "high")
    page.fill("input[name=tier_reason]", "老人患病，儿子残疾，孙女脑瘫")
    with page.expect_navigation(url="**/care/visits/*/"):
        page.click("button.care-submit")
    assert "儿子丧偶，肢体残疾" in page.locator("#findings").inner_text()
    visit = Visit.objects.get()
    assert (visit.campaign.name, visit.outcome, visit.person) == ("邻里守望·幸福敲门", "visited", granny_wang)
    assert CareProfile.objects.get(person=granny_wang).tier == "high"
    assert granny_wang.consents.get().given_by == "self"

    # 3. She enrols the household in the programme from the visit.
    page.click("a[href*='/enrol/?visit=']")
    page.wait_for_selector("#enrol-form")
    page.select_option("select[name=programme]", str(story["programme"].pk))
    page.fill("textarea[name=reason]", "敲门行动发现：王秀兰患病，儿子丧偶且残疾，孙女脑瘫")
    page.fill("input[name=starts_on]", start.isoformat())
    with page.expect_navigation(url="**/care/enrolments/*/"):
        page.click("#enrol-form button[type=submit]")
    enrolment = Enrolment.objects.get()
    assert enrolment.visit == visit and enrolment.team.name == "助老服务队"

    # 4. A month of services delivered: the social worker records last month's on the plan...
    month = start.strftime("%Y-%m")
    last_month = PlannedService.objects.filter(enrolment=enrolment, due_on__lt=today.replace(day=1))
    names = set(last_month.values_list("service__name", flat=True))
    assert names == {"上门陪伴聊天", "电话问候", "免费义诊", "上门理发", "心理关怀", "送米面油"}
    for item in last_month.order_by("due_on"):
        row = page.locator(f"table[data-month='{month}'] tr[data-service='{item.pk}']")
        row.locator("summary").click()
        row.locator("form.care-done input[name=notes]").fill("已完成")
        with page.expect_navigation():
            row.locator("form.care-done button").click()
    assert not last_month.exclude(status="done").exists()
    assert page.locator("#count-done").inner_text() == str(last_month.count())

    # ...and a volunteer of the team records one of this month's from their own task list,
    # where they see the name, the address and the service, and nothing of the family.
    page.context.clear_cookies()
    signed_in_page(volunteer)
    page.goto("/care/tasks/")
    tasks = page.locator("table.care-tasks").inner_text()
    assert "王秀兰" in tasks and "4-2-301" in tasks
    assert "脑瘫" not in page.content() and "患病在家" not in page.content()
    first_row = page.locator("table.care-tasks tbody tr").first
    first_row.locator("summary").click()
    with page.expect_navigation():
        first_row.locator("form.care-done button").click()
    assert (
        PlannedService.objects.filter(enrolment=enrolment, status="done", volunteer=volunteer.person).count()
        == 1
    )

    # 5. The secretary reads the visit rate for that month: grid A has reached all three of the family
    #    (and not the one other person in special difficulty of grid A, who nobody visited).
    page.context.clear_cookies()
    signed_in_page(secretary)
    page.goto(f"/care/rate/?month={month}")
    people = CareProfile.objects.filter(grid__code="A", on_register=True, tier__in=["high", "key"]).count()
    cells = page.locator("#visit-rate tr[data-grid=A] td").all_inner_texts()
    assert cells[1:4] == [str(people), "3", f"{round(300 / people)}%"]
    page.goto(f"/care/rate/?month={today:%Y-%m}")  # this month nobody has been visited yet
    assert page.locator("#visit-rate tr[data-grid=A] td").all_inner_texts()[2] == "0"
    # The household page tells it in one timeline: the visit, the enrolment, the services delivered.
    page.goto(f"/households/{household_a.pk}/")
    timeline = page.locator("#care .care-timeline")
    assert timeline.locator(".care-tl-visit").count() == 1
    assert timeline.locator(".care-tl-enrolment").count() == 1
    assert timeline.locator(".care-tl-service").count() == min(10, last_month.count() + 1)  # the latest ten
    assert page.locator("#care .care-tier-high").count() >= 1
    assert live_url
