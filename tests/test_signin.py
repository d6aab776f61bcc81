"""Sign-in protection and its record (issue 13.2, 13.3 in part).

The probe: 30 wrong passwords on /login/, then the right one, was accepted, and nothing recorded
any of it. Now five failures for one username, or from one address, pause sign-in there for the
cool-off (page, admin and API token alike), and every attempt is a SignInEvent row.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from grassroots.accounts.models import SignInEvent, SignInOutcome
from tests.factories import TEST_PASSWORD


@pytest.fixture(autouse=True)
def _axes_on(settings):
    """The protection under test (the rest of the suite signs in without a request, so without it)."""
    settings.AXES_ENABLED = True


def sign_in(client: Client, username: str, password: str, *, address: str = "10.0.0.7"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def outcomes(username: str) -> list[str]:
    return list(
        SignInEvent.objects.filter(username=username).order_by("id").values_list("outcome", flat=True)
    )


def test_a_right_password_is_recorded_with_the_address(socialworker):
    client = Client()
    response = sign_in(client, socialworker.username, TEST_PASSWORD)
    assert response.status_code == 302
    event = SignInEvent.objects.get(username=socialworker.username)
    assert event.outcome == SignInOutcome.SIGNED_IN and event.user == socialworker
    assert event.ip_address == "10.0.0.7" and event.path == "/login/"
    client.post(reverse("logout"), REMOTE_ADDR="10.0.0.7")
    assert outcomes(socialworker.username) == ["signed_in", "signed_out"]


def test_repeated_failures_lock_the_account_even_for_the_right_password(socialworker, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = sign_in(client, socialworker.username, "wrong-password")
    assert response.status_code == 429
    assert "Sign-in paused" in response.content.decode() or "暂停" in response.content.decode()
    right = sign_in(client, socialworker.username, TEST_PASSWORD)
    assert right.status_code == 429  # the right password does not get in during the pause
    assert "_auth_user_id" not in client.session
    recorded = outcomes(socialworker.username)
    # Each wrong password, and the right one refused during the pause, is a failure on the record.
    assert recorded.count("failed") == settings.AXES_FAILURE_LIMIT + 1
    assert "locked_out" in recorded and "signed_in" not in recorded
    # Never a password in the record.
    assert not SignInEvent.objects.filter(username__icontains="wrong-password").exists()


def test_the_account_is_locked_from_another_address_too(socialworker, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(), socialworker.username, "wrong-password", address="10.0.0.8")
    elsewhere = sign_in(Client(), socialworker.username, TEST_PASSWORD, address="10.0.0.9")
    assert elsewhere.status_code == 429


def test_one_address_trying_many_accounts_is_locked(socialworker, secretary, gridworker, settings):
    names = [socialworker.username, secretary.username, gridworker.username, "nobody", "admin"]
    for index in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(), names[index % len(names)], "wrong-password", address="10.0.0.66")
    blocked = sign_in(Client(), secretary.username, TEST_PASSWORD, address="10.0.0.66")
    assert blocked.status_code == 429
    other_address = sign_in(Client(), secretary.username, TEST_PASSWORD, address="10.0.0.67")
    assert other_address.status_code == 302  # the account itself had only one failure


def test_the_api_token_endpoint_shares_the_lockout(socialworker, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(), socialworker.username, "wrong-password")
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/auth/token/",
        {"username": socialworker.username, "password": TEST_PASSWORD},
        content_type="application/json",
        REMOTE_ADDR="10.0.0.99",
    )
    assert response.status_code == 429
    assert "token" not in response.json() and "try again" in response.json()["detail"]
    assert response["Retry-After"] == str(settings.AXES_COOLOFF_TIME.seconds)


@pytest.mark.parametrize("wrong", ["", "x" * 200])
def test_a_failed_sign_in_keeps_what_was_typed_and_says_why(socialworker, wrong):
    response = sign_in(Client(HTTP_ACCEPT_LANGUAGE="en"), socialworker.username, wrong)
    assert response.status_code == 200
    assert f'value="{socialworker.username}"' in response.content.decode()


def test_the_production_settings_keep_the_protection_on():
    """Only the test suite turns django-axes off (tests/conftest.py); the shipped settings never do."""
    from grassroots.config import settings as shipped

    assert getattr(shipped, "AXES_ENABLED", True) is True
    assert shipped.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert shipped.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
