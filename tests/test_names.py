"""Names as people write them (issue 14.12, 14.20): 陈丽娟, not "丽娟 陈"; a person, not a username."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from grassroots.accounts.models import full_name
from grassroots.cases import selectors
from grassroots.cases.services import Party, case_dispatch
from tests.factories import TEST_PASSWORD, user_for


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("丽娟", "陈", "陈丽娟"),
        ("文静", "赵", "赵文静"),
        ("Alice", "Smith", "Alice Smith"),
        ("", "王", "王"),
        ("", "", ""),
    ],
)
def test_chinese_names_are_family_name_first_without_a_space(first, last, expected):
    assert full_name(first, last) == expected


def test_the_handler_filter_names_staff_in_chinese_order(
    secretary, socialworker, community, water_case_factory=None
):
    worker = user_for(
        "gridworker", community=community, username="chen-lijuan", first_name="丽娟", last_name="陈"
    )
    from grassroots.cases.models import Category
    from tests.test_case_views import report  # the water case of the case screens

    case = report(socialworker, community, category=Category.objects.get(code="utilities-water"))
    case_dispatch(actor=socialworker, case=case, lead=Party("user", worker.pk))
    labels = dict(selectors.handler_choices_for(user=secretary, open_only=True))
    assert labels[f"user:{worker.pk}"] == "陈丽娟"
    assert worker.display_name == "陈丽娟"


def test_a_tier_change_is_credited_by_name(socialworker, granny_wang):
    from grassroots.care import services

    socialworker.first_name, socialworker.last_name = "晓梅", "孙"
    socialworker.save()
    services.profile_override(actor=socialworker, person=granny_wang, tier="high", reason="独居且近期跌倒")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(username=socialworker.username, password=TEST_PASSWORD)
    page = client.get(reverse("person-detail", args=[granny_wang.pk])).content.decode()
    assert "孙晓梅" in page
    assert f"set by {socialworker.username}" not in page and f"· {socialworker.username} ·" not in page
