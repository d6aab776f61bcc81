"""The second factor (issue 13.2): staff who can see sensitive data give a one-time code too.

A social worker can reveal ID numbers and read care findings: after the password, grassroots
asks for the code of an authenticator app (TOTP). The first sign-in enrols one and shows ten
recovery codes once; a lost phone is reset by an administrator. Volunteers and residents sign
in with their password alone.
"""

from __future__ import annotations

import time

import pytest
from django.contrib.admin.sites import AdminSite
from django.test import Client, RequestFactory
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from grassroots.accounts import mfa
from grassroots.accounts.admin import UserAdmin
from grassroots.accounts.models import User
from grassroots.core.models import AuditEvent
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _second_factor_on(settings):
    settings.GRASSROOTS_REQUIRE_SECOND_FACTOR = True


def _sign_in(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")  # the messages below are read in English
    response = client.post("/login/", {"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    return client


def _code_of(device: TOTPDevice, *, step_offset: int = 0) -> str:
    """The code an authenticator app shows now (or `step_offset` 30-second steps from now)."""
    device.refresh_from_db()
    clock = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    clock.time = time.time() + step_offset * device.step
    return f"{clock.token():06d}"


def _forget_wrong_codes(user) -> None:
    """What waiting out django-otp's growing delay after a wrong code does (1 s, then 2, 4...)."""
    TOTPDevice.objects.filter(user=user).update(throttling_failure_timestamp=None, throttling_failure_count=0)


def _enrol(client: Client, user) -> list[str]:
    client.get("/account/authenticator/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/account/authenticator/", {"code": _code_of(device), "next": "/"})
    assert response.status_code == 200
    return response.context["codes"]


def test_who_needs_a_second_factor(socialworker, secretary, gridworker, volunteer, resident, patroller):
    assert all(mfa.needs_second_factor(user) for user in (socialworker, secretary, gridworker))
    assert not any(mfa.needs_second_factor(user) for user in (volunteer, resident, patroller))


def test_staff_without_an_authenticator_are_sent_to_set_one_up_before_any_page(socialworker):
    client = _sign_in(socialworker)
    for page in ("/", "/people/", "/cases/board/"):
        response = client.get(page)
        assert response.status_code == 302 and response["Location"].startswith("/account/authenticator/")
    page = client.get("/account/authenticator/")
    assert page.status_code == 200 and b"<svg" in page.content and page.context["secret"]


def test_enrolling_takes_the_apps_code_and_shows_ten_recovery_codes_once(socialworker):
    client = _sign_in(socialworker)
    client.get("/account/authenticator/")
    wrong = client.post("/account/authenticator/", {"code": "000000"})
    assert wrong.status_code == 422 and "does not match" in wrong.content.decode()
    device = TOTPDevice.objects.get(user=socialworker)
    too_soon = client.post("/account/authenticator/", {"code": _code_of(device)})
    assert too_soon.status_code == 422 and "wait" in too_soon.content.decode().lower()
    _forget_wrong_codes(socialworker)
    codes = _enrol(client, socialworker)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/").status_code == 200  # this session gave its code
    assert AuditEvent.objects.filter(kind="second_factor_enrolled", actor=socialworker).exists()


def test_the_next_sign_in_asks_for_the_code_and_a_wrong_one_is_refused_and_recorded(socialworker):
    _enrol(_sign_in(socialworker), socialworker)
    client = _sign_in(socialworker)
    response = client.get("/people/")
    assert response.status_code == 302 and response["Location"].startswith("/login/code/")
    wrong = client.post("/login/code/", {"code": "123456", "next": "/people/"})
    assert wrong.status_code == 422
    assert client.get("/people/").status_code == 302
    _forget_wrong_codes(socialworker)
    device = TOTPDevice.objects.get(user=socialworker, confirmed=True)
    right = client.post("/login/code/", {"code": _code_of(device, step_offset=1), "next": "/people/"})
    assert right.status_code == 302 and right["Location"] == "/people/"
    assert client.get("/people/").status_code == 200
    outcomes = list(AuditEvent.objects.filter(kind="second_factor").values_list("outcome", flat=True))
    assert sorted(outcomes) == ["failed", "ok"]


def test_a_recovery_code_signs_in_once(socialworker):
    codes = _enrol(_sign_in(socialworker), socialworker)
    first = _sign_in(socialworker)
    assert first.post("/login/code/", {"code": codes[0], "next": "/"}).status_code == 302
    assert first.get("/").status_code == 200
    second = _sign_in(socialworker)
    assert second.post("/login/code/", {"code": codes[0], "next": "/"}).status_code == 422
    assert StaticToken.objects.filter(device__user=socialworker).count() == 9


def test_the_code_page_never_sends_you_to_another_site(socialworker):
    _enrol(_sign_in(socialworker), socialworker)
    client = _sign_in(socialworker)
    device = TOTPDevice.objects.get(user=socialworker, confirmed=True)
    response = client.post(
        "/login/code/", {"code": _code_of(device, step_offset=1), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_signing_out_and_changing_the_language_work_before_the_code(socialworker):
    client = _sign_in(socialworker)
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302  # signed out: the login page
    assert client.get("/").url.startswith("/login/")


def test_volunteers_sign_in_with_their_password_alone(volunteer):
    client = _sign_in(volunteer)
    assert client.get("/").status_code == 200


def test_an_administrator_resets_a_lost_phone(socialworker, admin_user):
    _enrol(_sign_in(socialworker), socialworker)
    request = RequestFactory().post("/admin/accounts/user/")
    request.user = admin_user
    request._messages = type("Messages", (), {"add": lambda *args, **kwargs: None})()
    UserAdmin(User, AdminSite()).reset_second_factor(request, User.objects.filter(pk=socialworker.pk))
    assert not mfa.is_enrolled(socialworker)
    assert AuditEvent.objects.filter(kind="second_factor_reset").exists()
    response = _sign_in(socialworker).get("/")
    assert response["Location"].startswith("/account/authenticator/")


def test_off_when_the_setting_is_off(settings, socialworker):
    settings.GRASSROOTS_REQUIRE_SECOND_FACTOR = False
    assert _sign_in(socialworker).get("/").status_code == 200
