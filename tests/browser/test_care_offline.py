"""A visit recorded in a stairwell with no network: kept on the phone, sent when the network returns, once.

Chromium really goes offline (Playwright's context.set_offline), so navigator.onLine,
the "offline"/"online" events and the failed fetch are the browser's own.
"""

from __future__ import annotations

import json

import pytest

from grassroots.care.models import Visit

pytestmark = pytest.mark.django_db(transaction=True)


def visit_url(household) -> str:
    return f"/care/households/{household.pk}/visit/"


def draft(page) -> dict | None:
    keys = page.evaluate(
        "Object.keys(window.localStorage).filter(k => k.startsWith('grassroots:care-visit'))"
    )
    if not keys:
        return None
    return json.loads(page.evaluate(f"window.localStorage.getItem({json.dumps(keys[0])})"))


def test_offline_visit_is_kept_as_a_draft_and_sent_exactly_once_when_back_online(
    signed_in_page, socialworker, granny_wang, household_a
):
    page = signed_in_page(socialworker)
    page.goto(visit_url(household_a))
    page.select_option("select[name=person]", str(granny_wang.pk))
    page.fill("textarea[name=health]", "血压偏高，近期患病卧床")
    page.fill("textarea[name=needs]", "需要定期上门探望")
    page.click("#visit-consent summary")
    page.check("input[name=consent_given]")
    page.check("input[name=hazards][value=stairs]")

    page.context.set_offline(True)
    page.click("button.care-submit")
    status = page.locator("#draft-status")
    status.wait_for(state="visible")
    assert "warn" in status.get_attribute("class")
    saved = draft(page)
    assert saved["pending"] is True
    assert saved["fields"]["health"] == ["血压偏高，近期患病卧床"]
    assert saved["fields"]["hazards"] == ["stairs"]
    token = saved["token"]
    assert token and page.input_value("input[name=client_token]") == token
    assert Visit.objects.count() == 0
    # Tapping "save" again while offline changes nothing: still one draft, nothing sent.
    page.click("button.care-submit")
    assert Visit.objects.count() == 0
    assert page.input_value("textarea[name=health]") == "血压偏高，近期患病卧床"

    with page.expect_navigation(url="**/care/visits/*/"):
        page.context.set_offline(False)
    visit = Visit.objects.get()
    assert visit.client_token == token
    assert (visit.person, visit.health, visit.hazards) == (granny_wang, "血压偏高，近期患病卧床", ["stairs"])
    assert draft(page) is None  # the draft is gone once the server confirmed

    # Opening the form again starts afresh: the old draft is not sent a second time.
    page.goto(visit_url(household_a))
    page.wait_for_load_state("networkidle")
    assert page.input_value("textarea[name=health]") == ""
    assert Visit.objects.count() == 1


def test_a_reply_lost_on_the_way_back_does_not_make_a_second_visit(signed_in_page, socialworker, household_a):
    """The server saved the visit but the phone never heard back: the draft is sent again, and the
    token stored with the visit makes the second send return the first visit."""
    page = signed_in_page(socialworker)
    page.goto(visit_url(household_a))
    page.fill("textarea[name=health]", "一切正常")
    lost = []

    def lose_the_reply(route):
        if route.request.method == "POST" and not lost:
            route.fetch()  # the request reaches the server, which saves the visit...
            lost.append(True)
            route.abort("internetdisconnected")  # ...and the reply never reaches the phone
        else:
            route.continue_()

    page.route("**/care/households/*/visit/", lose_the_reply)
    page.click("button.care-submit")
    # A function, not an expression: Playwright evaluates an expression with eval(), which the
    # pages' Content-Security-Policy refuses.
    page.wait_for_function("() => document.getElementById('draft-status').className.includes('warn')")
    assert lost and Visit.objects.count() == 1
    assert draft(page)["pending"] is True

    page.unroute("**/care/households/*/visit/")
    with page.expect_navigation(url="**/care/visits/*/"):
        page.reload()  # opening the page again (online) sends the pending draft
    assert Visit.objects.count() == 1
    assert draft(page) is None
