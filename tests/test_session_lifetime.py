"""How long a sign-in lasts (issue 13.5): idle timeout, absolute lifetime, and a password change
ending every API token (the probe: a token survived a password change for 30 more days)."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse

from grassroots.accounts.sessions import LAST_SEEN, SIGNED_IN_AT
from grassroots.api.models import ApiToken
from tests.factories import TEST_PASSWORD


def signed_in(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(username=user.username, password=TEST_PASSWORD)
    assert client.get(reverse("home")).status_code == 200  # the first request starts the clocks
    return client


def age_session(client: Client, *, idle: float = 0, since_sign_in: float = 0) -> None:
    session = client.session
    now = time.time()
    session[LAST_SEEN] = now - idle
    session[SIGNED_IN_AT] = now - since_sign_in
    session.save()


def test_a_staff_session_ends_after_thirty_idle_minutes(socialworker, settings):
    client = signed_in(socialworker)
    age_session(client, idle=29 * 60, since_sign_in=29 * 60)
    assert client.get(reverse("home")).status_code == 200
    age_session(client, idle=settings.GRASSROOTS_SESSION_IDLE_MINUTES * 60 + 5, since_sign_in=3600)
    response = client.get(reverse("case-board"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_a_resident_may_stay_idle_longer_but_not_past_the_absolute_lifetime(resident, settings):
    client = signed_in(resident)
    age_session(client, idle=2 * 3600, since_sign_in=2 * 3600)
    assert client.get(reverse("portal-home")).status_code == 200
    age_session(client, idle=60, since_sign_in=settings.GRASSROOTS_SESSION_MAX_HOURS * 3600 + 5)
    response = client.get(reverse("portal-mine"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_an_active_session_keeps_going(socialworker):
    client = signed_in(socialworker)
    for _ in range(3):
        assert client.get(reverse("case-board")).status_code == 200
    assert client.session[SIGNED_IN_AT] <= client.session[LAST_SEEN]


@pytest.fixture
def token(socialworker) -> str:
    response = Client().post(
        "/api/v1/auth/token/",
        {"username": socialworker.username, "password": TEST_PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 201
    return response.json()["token"]


def api_status(token: str) -> int:
    return Client().get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code


def test_a_password_change_ends_every_api_token(socialworker, token):
    assert api_status(token) == 200
    socialworker.set_password("a-new-password-2026")
    socialworker.save()
    assert api_status(token) == 401
    assert ApiToken.objects.filter(user=socialworker, revoked_at__isnull=True).count() == 0


def test_other_changes_to_the_account_keep_its_tokens(socialworker, token):
    socialworker.first_name = "晓梅"
    socialworker.save()
    assert api_status(token) == 200


def test_a_disabled_account_loses_its_tokens_and_sessions_at_once(socialworker, token):
    client = signed_in(socialworker)
    socialworker.is_active = False
    socialworker.save()
    assert api_status(token) == 401
    assert client.get(reverse("case-board")).status_code == 302
