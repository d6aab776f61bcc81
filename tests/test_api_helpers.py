"""Shared fixtures and helpers of the API and Open311 tests (imported by test_api_*.py, test_open311*.py).

The story: the 和盛苑 community of tests/conftest.py, a "12345 hotline" integration with
its key, and a few cases in public and sensitive categories. Everything is synthetic.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from grassroots.api.clients import apiclient_create
from grassroots.api.models import ApiClient, ApiToken, Scope
from grassroots.cases.models import Case, Category, Urgency
from grassroots.cases.services import Party, ReportDetails, case_dispatch, case_register, case_report

HOTLINE_KEY = "test-hotline-key-0123456789"


@pytest.fixture(autouse=True)
def _fresh_rate_limits(_fresh_cache):
    """Throttle counters live in the cache: every test starts with none (conftest's _fresh_cache)."""


class Api:
    """A JSON client that speaks as one caller: a token, a key, or nobody."""

    def __init__(
        self,
        *,
        token: str | None = None,
        key: str | None = None,
        header: str = "bearer",
        language: str = "en",
    ):
        self.client = Client()
        self.headers: dict[str, str] = {"Accept-Language": language}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        if key:
            self.headers.update(
                {"Authorization": f"Bearer {key}"} if header == "bearer" else {"X-Api-Key": key}
            )

    def get(self, path: str, params: dict | None = None, **headers):
        return self.client.get(path, params or {}, headers={**self.headers, **headers})

    def post(self, path: str, data: dict | None = None, **headers):
        return self.client.post(
            path, json.dumps(data or {}), content_type="application/json", headers={**self.headers, **headers}
        )

    def delete(self, path: str, **headers):
        return self.client.delete(path, headers={**self.headers, **headers})


def token_for(user) -> str:
    _token, raw = ApiToken.issue(user, days=1)
    return raw


def as_user(user) -> Api:
    return Api(token=token_for(user))


@pytest.fixture
def hotline(community) -> ApiClient:
    """The 12345 hotline's integration with the community, every scope."""
    client, _key = apiclient_create(
        name="12345 hotline",
        community=community,
        channel="hotline",
        scopes=Scope.values,
        key=HOTLINE_KEY,
    )
    return client


@pytest.fixture
def hotline_api(hotline) -> Api:
    return Api(key=HOTLINE_KEY)


def water_details(**overrides) -> ReportDetails:
    details = {
        "category": Category.objects.get(code="utilities-water"),
        "description": "刘阿姨行动不便，家中没有饮用水",
        "channel": "phone",
        "urgency": Urgency.URGENT,
        "answers": {"has_drinking_water": "no", "can_move": "no"},
    }
    details.update(overrides)
    return ReportDetails(**details)


@pytest.fixture
def case_in_grid_a(community, socialworker, household_a, granny_wang) -> Case:
    """Granny Wang has no drinking water (4-2-301, grid A): reported and registered."""
    return case_report(
        actor=socialworker,
        community=community,
        details=water_details(household=household_a, reporter_person=granny_wang),
        register=True,
    )


@pytest.fixture
def case_in_grid_b(community, socialworker, household_b) -> Case:
    """A power cut at 7-1-502 (grid B), reported by phone."""
    return case_report(
        actor=socialworker,
        community=community,
        details=ReportDetails(
            category=Category.objects.get(code="utilities-power"),
            description="7号楼停电",
            channel="phone",
            household=household_b,
        ),
    )


@pytest.fixture
def sensitive_case(community, socialworker, household_a) -> Case:
    """A request for psychological support: a sensitive category."""
    category = Category.objects.filter(sensitive=True).first()
    return case_report(
        actor=socialworker,
        community=community,
        details=ReportDetails(
            category=category, description="需要心理疏导", channel="phone", household=household_a
        ),
    )


@pytest.fixture
def outsider_case(other_community, outsider, other_household) -> Case:
    return case_report(
        actor=outsider,
        community=other_community,
        details=ReportDetails(
            category=Category.objects.get(code="utilities-power"),
            description="新港停电",
            channel="phone",
            household=other_household,
        ),
    )


def dispatch_to_volunteer(case: Case, actor, volunteer) -> Case:
    if case.status == "reported":
        case = case_register(actor=actor, case=case)
    return case_dispatch(actor=actor, case=case, lead=Party("person", volunteer.person_id))
