# ruff: noqa: F811 (fixtures imported from tests.test_api_helpers are parameters here)
"""Public means published (issue 13.1): an anonymous reader never sees what a resident typed.

A report with a phone number, an ID number and "瘫痪在床" in its description is read by
anyone through Open311; until a coordinator approves a public summary they see the category,
the status and a coarse place, and then only the summary, with numbers taken out.
"""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from grassroots.cases.models import Category, Channel
from grassroots.cases.services import ReportDetails, case_note, case_publish, case_report
from grassroots.core.pii import redact_numbers
from tests.factories import TEST_PASSWORD
from tests.test_api_helpers import HOTLINE_KEY, hotline  # noqa: F401 (fixtures)

PRIVATE = "刘阿姨瘫痪在床，家中没有饮用水，电话13900001111，身份证120101195001011234"


@pytest.mark.parametrize(
    "number",
    [
        "13900001111",
        "139 0000 1111",
        "139-0000-1111",
        "+86 139 0000 1111",
        "8613900001111",
        "120101195001011234",
        "12010119500101123X",
        "120101 19500101 123x",
        "120101500101123",  # a 15-digit ID number of the old kind
        "022-23456789",
        "(022)2345-6789",
        "（022）23456789",
        "022 2345 6789",
        "23456789",  # a local number without its area code
    ],
)
def test_the_scrubber_takes_out_every_kind_of_number(number):
    scrubbed = redact_numbers(f"请联系{number}，谢谢")
    assert scrubbed == "请联系[号码已隐去]，谢谢"


@pytest.mark.parametrize(
    "text",
    ["4号楼2单元301", "室温15℃", "编号 HSY-20261202-0001", "2026年12月2日", "报警电话110", "三楼"],
)
def test_the_scrubber_leaves_what_is_not_a_number_to_hide(text):
    assert redact_numbers(text) == text


def open311(path: str, **params):
    response = Client().get(f"/open311/v2/{path}.json", params)
    assert response.status_code == 200, response.content
    return json.loads(response.content)


@pytest.fixture
def private_case(community, socialworker, household_a):
    return case_report(
        actor=socialworker,
        community=community,
        details=ReportDetails(
            category=Category.objects.get(code="utilities-water"),
            description=PRIVATE,
            channel=Channel.PHONE,
            household=household_a,
            answers={"has_drinking_water": "no", "can_move": "no"},
        ),
        register=True,
    )


def test_an_anonymous_reader_sees_nothing_the_resident_typed(private_case, hotline):
    [row] = open311(f"requests/{private_case.number}")
    assert row["description"] in ("", None)
    text = json.dumps(row, ensure_ascii=False)
    for secret in ("瘫痪", "13900001111", "120101195001011234", "4-2-301", "刘阿姨"):
        assert secret not in text
    assert row["address"] == private_case.grid.name  # a home is placed at its grid
    # The hotline that passed the case on (a valid api_key of the community) still reads it all.
    [keyed] = open311(f"requests/{private_case.number}", api_key=HOTLINE_KEY)
    assert keyed["description"] == PRIVATE and keyed["address"] == "4-2-301"


def test_a_published_summary_is_what_the_public_reads_without_numbers(private_case, socialworker):
    published = case_publish(
        actor=socialworker, case=private_case, summary="居民家中停水，请联系 13900001111"
    )
    assert published.public_summary == "居民家中停水，请联系 [号码已隐去]"
    [row] = open311(f"requests/{private_case.number}")
    assert row["description"] == "居民家中停水，请联系 [号码已隐去]"
    case_note(actor=socialworker, case=published, note="志愿者已送水，联系电话139-0000-1111")
    [row] = open311(f"requests/{private_case.number}")
    assert row["status_notes"] == "志愿者已送水，联系电话[号码已隐去]"


def test_a_summary_must_say_something_and_stay_short(private_case, socialworker):
    with pytest.raises(ValidationError) as empty:
        case_publish(actor=socialworker, case=private_case, summary="   ")
    assert "summary" in empty.value.message_dict
    with pytest.raises(ValidationError) as long:
        case_publish(actor=socialworker, case=private_case, summary="停水" * 200)
    assert "summary" in long.value.message_dict


def test_the_case_page_offers_the_summary_starting_from_the_description_without_numbers(
    private_case, socialworker, volunteer
):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(username=socialworker.username, password=TEST_PASSWORD)
    page = client.get(reverse("case-detail", args=[private_case.number])).content.decode()
    assert "Publish a summary for the public" in page
    assert "电话[号码已隐去]" in page and "13900001111" not in page.split("Publish a summary")[1]
    response = client.post(
        reverse("case-act", args=[private_case.number, "publish"]),
        {"version": private_case.version, "summary": "4号楼居民家中停水"},
    )
    assert response.status_code == 302
    private_case.refresh_from_db()
    assert private_case.public_summary == "4号楼居民家中停水"
    # A volunteer is not a coordinator: they cannot publish.
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert other.login(username=volunteer.username, password=TEST_PASSWORD)
    refused = other.post(
        reverse("case-act", args=[private_case.number, "publish"]),
        {"version": private_case.version, "summary": "x"},
    )
    assert refused.status_code in (403, 404, 422)
    private_case.refresh_from_db()
    assert private_case.public_summary == "4号楼居民家中停水"
