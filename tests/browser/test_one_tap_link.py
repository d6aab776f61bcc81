"""The one-tap link, in Chromium on a 360 px phone: a volunteer team's leader without an account.

The social worker whistles the corridor tile to the repair team; its leader 孙队长 has only a
phone. He taps the link in his SMS, reports for duty, adds a note with a photo, and reports the
work done with two and a half hours. The page fits the phone, every button is thumb-sized, and
the case's timeline names him.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from tests.browser.phone import MIN_TARGET_PX, PHONE, PROBE
from tests.factories import PersonFactory

from grassroots.cases.models import CaseEvent, Category
from grassroots.cases.services import Party, ReportDetails, case_report, case_whistle
from grassroots.cases.workflow import Status
from grassroots.orgs.models import VolunteerTeam

pytestmark = pytest.mark.django_db(transaction=True)

LINK = re.compile(r"http://\S+/portal/t/[A-Za-z0-9_-]{24}/")


@pytest.fixture
def sms_outbox(settings, tmp_path, live_url):
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "notifications"],
        }
    }
    settings.GRASSROOTS_NOTIFY_SMS = "console"
    settings.GRASSROOTS_NOTIFY_OUTBOX = str(tmp_path / "outbox.log")
    settings.GRASSROOTS_PUBLIC_URL = live_url
    return Path(settings.GRASSROOTS_NOTIFY_OUTBOX)


def test_the_team_leader_works_the_task_from_the_link_in_his_sms(
    browser, live_url, sms_outbox, community, socialworker, household_a, tmp_path
):
    leader = PersonFactory(community=community, name="孙队长", phone="13900003333")
    team = VolunteerTeam.objects.create(community=community, name="维修服务队", leader=leader)
    chair = PersonFactory(community=community, name="业委会周主任", phone="13900004444")
    tile = Category.objects.create(code="br-tile", name_zh="楼道地砖破损", name_en="broken floor tile")
    case = case_report(
        actor=socialworker,
        community=community,
        details=ReportDetails(
            category=tile, description="4号楼单元门口地砖破损", channel="visit", household=household_a
        ),
        register=True,
    )
    case = case_whistle(
        actor=socialworker, case=case, lead=Party("team", team.pk), parties=[Party("person", chair.pk)]
    )
    [line] = [line for line in sms_outbox.read_text(encoding="utf-8").splitlines() if "139****3333" in line]
    link = LINK.search(line).group(0)

    picture = tmp_path / "tile.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "grey").save(buffer, format="JPEG")
    picture.write_bytes(buffer.getvalue())

    context = browser.new_context(viewport=PHONE, locale="zh-CN", has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(link)  # no sign-in
    assert page.locator("#task-place").inner_text().startswith("4")
    seen = page.evaluate(PROBE, MIN_TARGET_PX)
    assert seen["width"] <= PHONE["width"], seen
    task_buttons = [item for item in seen["small"] if item.startswith(("button", "textarea", "input"))]
    assert task_buttons == [], task_buttons

    with page.expect_navigation():
        page.locator("#task-acknowledge button").tap()
    assert "✓" in page.locator("#task-ack").inner_text()

    form = page.locator("#task-form")
    form.locator("textarea[name=note]").fill("已到现场，明天上午补砖")
    form.locator("input[name=photos]").set_input_files(str(picture))
    with page.expect_navigation():
        form.locator("button[value=note]").tap()
    assert page.locator("#task-mine li").count() == 2

    form = page.locator("#task-form")
    form.locator("textarea[name=note]").fill("地砖已补好")
    form.locator("input[name=hours]").fill("2.5")
    with page.expect_navigation():
        form.locator("button[value=resolve]").tap()
    assert page.locator("#task-mine li").count() == 3
    assert page.evaluate(PROBE, MIN_TARGET_PX)["width"] <= PHONE["width"]

    # The same page in English, still without an account.
    page.locator("button.menu-toggle").tap()  # the phone folds the language switch into the menu
    with page.expect_navigation():
        page.locator("form.langswitch button[lang=en]").tap()
    assert "What you sent" in page.content()

    case.refresh_from_db()
    assert case.status == Status.RESOLVED
    events = CaseEvent.objects.filter(case=case, party_link__isnull=False).order_by("pk")
    assert [(e.action, e.actor_name) for e in events] == [
        ("acknowledge", "孙队长"),
        ("note", "孙队长"),
        ("resolve", "孙队长"),
    ]
    assert events.last().changes["hours"] == "2.5"
    assert events[1].attachments.count() == 1
    context.close()
