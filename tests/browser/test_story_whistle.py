"""Story 3, walked end to end in Chromium: the broken corridor tile and the whistle.

"When the community Party committee visited the residents, it found that the
corridor floor tile of one building door was damaged and immediately 'whistled'.
The Party member, the building head, the owners' committee and the property company
immediately reported to work together to study the maintenance plan and implement
it smoothly, which solved the hidden danger of residents' travel safety."

The patroller (eyes) reports the tile with a photo from the patrol form; the
secretary (legs) registers it and whistles four parties on the dispatch screen: a
party member living in the building, the building head, the owners' committee and
the property company, which leads. Each party with an account reports for duty from
"My tasks"; the owners' committee has no account, so the case page shows who has
and who has not reported until the secretary records its chair's phone call. The
property company records the agreed plan and reports done with an "after" photo;
the call-back is satisfied; the case is closed.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from django.utils import translation
from PIL import Image
from playwright.sync_api import Page, expect
from tests.factories import (
    TEST_PASSWORD,
    HouseholdFactory,
    MemberUnitFactory,
    PartyBranchFactory,
    PartyMemberFactory,
    PersonFactory,
    user_for,
)

from grassroots.accounts.models import Role
from grassroots.cases.models import Case, Category, Channel, Satisfaction
from grassroots.cases.workflow import Action, Status, label
from grassroots.orgs.models import UnitKind

pytestmark = pytest.mark.django_db(transaction=True)

PLAN = "物业周三上午更换2单元门口破损地砖，施工期间设置警示牌；业委会监督，楼长通知住户绕行。"


def act_as(page: Page, signed_in_page, user) -> Page:
    """Hand the browser to the next person in the story (a fresh session, through the login form)."""
    page.context.clear_cookies()
    return signed_in_page(user, TEST_PASSWORD)


def labels(*actions: str) -> list[str]:
    """The timeline's words for these actions, as a zh-CN browser is shown them."""
    with translation.override("zh-hans"):
        return [label(action) for action in actions]


def photo(folder: Path, name: str, colour: tuple[int, int, int]) -> Path:
    """A small real PNG, as a phone camera would hand over (only smaller)."""
    path = folder / name
    Image.new("RGB", (64, 48), colour).save(path, format="PNG")
    return path


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded photos go to this test's folder, not the developer's var/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


@pytest.fixture
def parties(neighbourhood, community, unitcontact):
    """The four the whistle summons, as the community knows them."""
    building = neighbourhood.building_4
    member_person = PersonFactory(
        name="张建国",
        sex="M",
        birth_date=date(1956, 7, 1),
        household=HouseholdFactory(building=building, entrance=2, room="102"),
    )
    PartyMemberFactory(
        branch=PartyBranchFactory(community=community, name="第一党支部"), person=member_person
    )
    party_member = user_for(
        Role.VOLUNTEER,
        community=community,
        person=member_person,
        username="partymember",
        last_name="张",
        first_name="建国",
    )
    head_person = PersonFactory(
        name="李玉兰",
        sex="F",
        birth_date=date(1962, 3, 12),
        household=HouseholdFactory(building=building, entrance=2, room="601"),
    )
    building.head = head_person
    building.save(update_fields=["head"])
    building_head = user_for(
        Role.VOLUNTEER,
        community=community,
        person=head_person,
        username="buildinghead",
        last_name="李",
        first_name="玉兰",
    )
    owners = MemberUnitFactory(
        community=community, name="和盛苑业主委员会", kind=UnitKind.OWNERS, contact_name="业委会主任"
    )
    return {
        "party_member": party_member,
        "building_head": building_head,
        "owners": owners,
        "property": unitcontact,
        "building": building,
    }


def test_the_corridor_tile_is_fixed_by_four_parties_after_a_whistle(
    signed_in_page, page: Page, media, patroller, secretary, parties, live_url
):
    hazard = Category.objects.get(code="facilities-hazard")
    building = parties["building"]
    property_contact = parties["property"]
    member_party = f"person:{parties['party_member'].person_id}"
    head_party = f"person:{parties['building_head'].person_id}"
    owners_party = f"unit:{parties['owners'].pk}"
    property_party = f"unit:{property_contact.member_unit_id}"

    # 1. On patrol, the eyes find the broken tile at entrance 2 of building 4 and report it with a photo.
    act_as(page, signed_in_page, patroller)
    page.goto("/cases/report/")
    page.select_option("select[name=category]", str(hazard.pk))
    page.check("input[name=answer_injured][value=no]")
    page.set_input_files("input[name=photos]", photo(media, "tile-before.png", (150, 120, 90)))
    page.fill("textarea[name=description]", "4号楼2单元门口楼道地砖破损翘起，老人进出容易绊倒。")
    page.select_option("select[name=building]", str(building.pk))
    page.fill("input[name=location_note]", "2单元门口一楼楼道")
    with page.expect_navigation(url=re.compile(r"/cases/(?!report/)[^/]+/$")):  # the patroller's own case
        page.click("#report-form button[type=submit]")
    number = page.url.rstrip("/").split("/")[-1]
    case = Case.objects.get(number=number)
    assert (case.status, case.channel, case.building_id) == (Status.REPORTED, Channel.PATROL, building.pk)
    assert case.reporter_user_id == patroller.pk
    expect(page.locator(".case-summary img")).to_have_count(1)  # the "before" photo

    # 2. The secretary registers it and whistles: four parties, the property company leads.
    act_as(page, signed_in_page, secretary)
    page.goto(f"/cases/{number}/")
    with page.expect_navigation(url=f"**/cases/{number}/"):
        page.click("form[action$='/act/register/'] button[type=submit]")
    with page.expect_navigation(url=f"**/cases/{number}/dispatch/"):
        page.click(f"a[href$='/cases/{number}/dispatch/']")
    roles = {
        member_party: "党员代表",
        head_party: "楼长",
        owners_party: "业委会",
        property_party: "物业，牵头维修",
    }
    for party, role in roles.items():
        summon = page.locator(f"input[name=parties][value='{party}']")
        expect(summon).to_be_visible()  # each of the four is suggested for a building's common parts
        summon.check()
        page.fill(f"input[name='role_note:{party}']", role)
    page.check(f"input[name=lead][value='{property_party}']")
    page.fill("textarea[name=note]", "请各方今天到4号楼2单元门口现场碰头，商量维修方案。")
    with page.expect_navigation(url=f"**/cases/{number}/"):
        page.click("button[name=mode][value=whistle]")
    who = page.locator(".case-parties")
    expect(who.locator("li")).to_have_count(4)
    expect(who.locator("li.waiting")).to_have_count(4)
    expect(who.locator("li").filter(has=page.locator(".badge.lead"))).to_contain_text("和盛苑物业")

    # 3. Each party with an account reports for duty from "My tasks".
    for user in (parties["party_member"], parties["building_head"], property_contact):
        act_as(page, signed_in_page, user)
        page.goto("/cases/tasks/")
        task = page.locator(f"#case-{number}")
        expect(task).to_contain_text("2单元门口一楼楼道")
        with page.expect_navigation(url=re.compile(r"/cases/tasks/")):
            task.locator("form[action$='/act/acknowledge/'] button[type=submit]").click()
        expect(page.locator(f"#case-{number} form[action$='/act/acknowledge/']")).to_have_count(0)

    # 4. The secretary sees who has reported and who has not: the owners' committee has no account.
    act_as(page, signed_in_page, secretary)
    page.goto(f"/cases/{number}/")
    who = page.locator(".case-parties")
    expect(who.locator("li.ack")).to_have_count(3)
    for name in ("张建国", "李玉兰", "和盛苑物业"):
        expect(who.locator("li.ack").filter(has_text=name)).to_have_count(1)
    expect(who.locator("li.waiting")).to_have_count(1)
    expect(who.locator("li.waiting")).to_contain_text("和盛苑业主委员会")
    expect(who.locator("li.waiting .warn")).to_be_visible()
    expect(page.locator(".case-head .badge.status-acknowledged")).to_be_visible()  # the lead is on it

    # The committee's chair phones in: the secretary records that they report for duty.
    owners_row = who.locator("li.waiting").filter(has_text="和盛苑业主委员会")
    expect(owners_row.locator(f"form input[name=party][value='{owners_party}']")).to_have_count(1)
    with page.expect_navigation(url=f"**/cases/{number}/"):
        owners_row.locator("form button[type=submit]").click()
    who = page.locator(".case-parties")
    expect(who.locator("li.ack")).to_have_count(4)
    expect(who.locator("li.waiting")).to_have_count(0)
    expect(who.locator("li.ack").filter(has_text="和盛苑业主委员会")).to_contain_text(
        "secretary"
    )  # who took the call

    # 5. The property company (the lead) records the agreed plan, does the work, reports done with a photo.
    act_as(page, signed_in_page, property_contact)
    page.goto("/cases/tasks/")
    task = page.locator(f"#case-{number}")
    plan_box = task.locator("details.action").filter(has=page.locator("form[action$='/act/plan/']"))
    plan_box.locator("summary").click()
    plan_box.locator("textarea[name=plan]").fill(PLAN)
    with page.expect_navigation(url=re.compile(r"/cases/tasks/")):
        plan_box.locator("button[type=submit]").click()
    task = page.locator(f"#case-{number}")
    expect(task).to_contain_text(PLAN)
    resolve = task.locator("form[action$='/act/resolve/']")
    resolve.locator("textarea[name=report]").fill("已更换破损地砖6块，地面平整，警示牌已撤除。")
    resolve.locator("input[name=photos]").set_input_files(photo(media, "tile-after.png", (200, 200, 200)))
    with page.expect_navigation(url=re.compile(r"/cases/tasks/")):
        resolve.locator("button[type=submit]").click()
    expect(page.locator(f"#case-{number} form[action$='/act/resolve/']")).to_have_count(0)

    # The party member sees the plan on his task too.
    act_as(page, signed_in_page, parties["party_member"])
    page.goto("/cases/tasks/")
    expect(page.locator(f"#case-{number}")).to_contain_text(PLAN)

    # 6. The secretary calls the patroller back (satisfied) and closes the case.
    act_as(page, signed_in_page, secretary)
    page.goto(f"/cases/{number}/verify/")
    expect(page.locator("body")).to_contain_text("已更换破损地砖")
    expect(page.locator(".verify img")).to_have_count(1)  # the "after" photo
    page.check("input[name=satisfaction][value=satisfied]")
    page.fill("form[action$='/act/verify/'] textarea[name=note]", "巡查员复查：地砖已修好，通行安全。")
    with page.expect_navigation(url=f"**/cases/{number}/verify/"):
        page.click("form[action$='/act/verify/'] button[type=submit]")
    with page.expect_navigation(url=f"**/cases/{number}/verify/"):
        page.click("form[action$='/act/close/'] button[type=submit]")

    page.goto(f"/cases/{number}/")
    steps = page.locator(".case-timeline ol.timeline > li .what > strong:first-child")
    expect(steps).to_have_text(
        labels(
            Action.REPORT,
            Action.REGISTER,
            Action.WHISTLE,
            Action.ACKNOWLEDGE,
            Action.ACKNOWLEDGE,
            Action.ACKNOWLEDGE,
            Action.ACKNOWLEDGE,
            Action.PLAN,
            Action.RESOLVE,
            Action.VERIFY,
            Action.CLOSE,
        )
    )
    expect(page.locator(".case-parties .plan")).to_contain_text(PLAN)
    expect(page.locator(".case-parties img")).to_have_count(1)  # "after"
    expect(page.locator(".case-summary img")).to_have_count(1)  # "before"
    # Both photos really are served, to someone who may see the case.
    for image in page.locator(".case-summary img, .case-parties img").all():
        response = page.request.get(image.get_attribute("src"))
        assert response.ok and response.headers["content-type"] == "image/png"

    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.satisfaction == Satisfaction.SATISFIED
    assert case.plan == PLAN
    stages = sorted(case.attachments.values_list("stage", flat=True))
    assert stages == ["after", "before"]
    signed_by = {f"{a.party_kind}:{a.party.pk}": a.acknowledged_by for a in case.assignments.all()}
    assert signed_by == {
        member_party: parties["party_member"],
        head_party: parties["building_head"],
        property_party: property_contact,
        owners_party: secretary,  # on the committee's behalf, by phone
    }
