"""Headers (issue 13.8): a Content-Security-Policy every page lives within, no-store on every
answer of the app, and production settings that pass `check --deploy` without a warning.

The policy refuses inline scripts, inline styles and event-handler attributes, so a page that
still had one would quietly lose it in the browser; here every page is rendered as every role and
searched for them, and every template file too (tests/browser/test_csp.py checks the browser).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from grassroots.care import services as care_services
from grassroots.cases.models import Category, Channel, Urgency
from grassroots.cases.services import ReportDetails, case_report
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

ROLES = [
    "secretary",
    "socialworker",
    "gridworker",
    "volunteer",
    "unitcontact",
    "patroller",
    "resident",
    "street_user",
    "admin_user",
]

# What the policy forbids in HTML: a <script> without src (inline code), a <style> element, a
# style="" attribute, an on...="" handler attribute, htmx's hx-on (evaluated code) and javascript: links.
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
FORBIDDEN = {
    "inline script": INLINE_SCRIPT,
    "style element": re.compile(r"<style\b", re.IGNORECASE),
    "style attribute": re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE),
    "event handler attribute": re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE),
    "hx-on attribute": re.compile(r"\shx-on[:-]", re.IGNORECASE),
    "javascript URL": re.compile(r"""=\s*["']?\s*javascript:""", re.IGNORECASE),
}


def inline_code(html: str) -> list[str]:
    """Every piece of the page the policy would refuse, named, with a little of its context."""
    found = []
    for name, pattern in FORBIDDEN.items():
        for match in pattern.finditer(html):
            if name == "inline script" and re.search(r'type="application/(ld\+)?json"', match.group(0)):
                continue  # a data block is never run
            found.append(f"{name}: {html[match.start() : match.start() + 80]!r}")
    return found


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def water_case(socialworker, community, household_a, granny_wang):
    category, _ = Category.objects.get_or_create(
        code="water-supply", defaults={"name_zh": "供水", "name_en": "Water supply"}
    )
    details = ReportDetails(
        category=category,
        description="家里没有饮用水了",
        channel=Channel.PHONE,
        urgency=Urgency.URGENT,
        reporter_person=granny_wang,
        household=household_a,
    )
    return case_report(actor=socialworker, community=community, details=details, register=True)


@pytest.fixture
def visit(socialworker, community, household_a, granny_wang):
    care_services.register_refresh(community=community)
    recorded, _ = care_services.visit_record(
        actor=socialworker,
        household=household_a,
        details=care_services.VisitDetails(person=granny_wang, health="血压偏高", wellbeing=3),
    )
    return recorded


@pytest.fixture
def every_page(water_case, visit, granny_wang, household_a, grid_a) -> list[str]:
    """The pages of the navigation, an object of each kind, and the intake's htmx fragments."""
    plain = [
        "home",
        "person-search",
        "grid-list",
        "case-intake",
        "case-report",
        "case-board",
        "case-list",
        "case-tasks",
        "portal-home",
        "portal-report",
        "portal-mine",
        "care-home",
        "care-worklist",
        "care-tasks",
        "care-register",
        "care-flags",
        "care-rate",
        "care-access",
        "care-campaigns",
        "care-campaign-new",
        "care-programmes",
        "notification-list",
    ]
    return [
        *(reverse(name) for name in plain),
        reverse("case-detail", args=[water_case.number]),
        reverse("case-dispatch", args=[water_case.number]),
        reverse("portal-case", args=[water_case.number]),
        reverse("care-visit", args=[visit.pk]),
        reverse("care-visit-new", args=[household_a.pk]),
        reverse("person-detail", args=[granny_wang.pk]),
        reverse("household-detail", args=[household_a.pk]),
        reverse("grid-detail", args=[grid_a.pk]),
        reverse("building-detail", args=[household_a.building_id]),
        f"{reverse('case-intake-lookup')}?q=4-2-301",
        f"{reverse('case-intake-lookup')}?q=13900000000",
        f"{reverse('case-intake-caller')}?person={granny_wang.pk}",
        f"{reverse('case-place-picker')}?household={household_a.pk}",
    ]


@pytest.mark.parametrize("role", ROLES)
def test_no_page_has_inline_code_the_policy_would_refuse(request, role, every_page):
    client = client_for(request.getfixturevalue(role))
    rendered = 0
    for url in every_page:
        response = client.get(url, HTTP_HX_REQUEST="true" if "/intake/" in url and "?" in url else None)
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            continue
        rendered += 1
        assert inline_code(response.content.decode()) == [], url
        assert "Content-Security-Policy" in response, url
    assert rendered >= 3, f"{role} saw almost nothing: the page list is out of date"


def test_nor_do_the_sign_in_page_and_the_follow_page():
    client = Client()
    for url in [reverse("login"), reverse("portal-follow")]:
        response = client.get(url)
        assert response.status_code == 200
        assert inline_code(response.content.decode()) == [], url


def test_no_template_has_inline_code():
    """Every template file, the ones no test renders too. The API documentation pages are the
    exception: third-party code, given a nonce or a relaxed policy of their own (api/docs.py)."""
    root = Path(settings.BASE_DIR)
    templates = [
        path
        for path in root.rglob("templates/**/*.html")
        if "locale" not in path.parts and path.relative_to(root).parts[:2] != ("templates", "api")
    ]
    assert len(templates) > 50
    offences = {str(path.relative_to(root)): inline_code(path.read_text()) for path in templates}
    assert {path: found for path, found in offences.items() if found} == {}


def test_the_checker_finds_what_it_looks_for():
    page = """<script>alert(1)</script><div style="color:red" onclick="go()"><a href="javascript:x()">
    <button hx-on::after-request="x()"></button><style>p{}</style>"""
    found = {entry.split(": ")[0] for entry in inline_code(page)}
    assert found == set(FORBIDDEN)
    assert (
        inline_code(
            '<script src="/static/app.js" defer></script><p data-style="x" data-onclick="1"><details open>'
        )
        == []
    )


# --- Content-Security-Policy ----------------------------------------------------------------------


def test_every_page_carries_the_strict_policy(secretary):
    response = client_for(secretary).get(reverse("case-intake"))
    policy = csp_directives(response["Content-Security-Policy"])
    assert policy == {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    assert response["X-Frame-Options"] == "DENY"


def test_api_answers_and_anonymous_pages_carry_it_too(secretary):
    assert "script-src 'self'" in client_for(secretary).get(reverse("api-me"))["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in Client().get(reverse("login"))["Content-Security-Policy"]


def test_swagger_ui_gets_a_nonce_for_its_one_inline_script_and_style(secretary):
    response = client_for(secretary).get(reverse("api-docs"))
    policy = csp_directives(response["Content-Security-Policy"])
    nonce = re.fullmatch(r"'nonce-([\w-]+)'", policy["script-src"][1]).group(1)
    assert policy["script-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert policy["style-src"] == ["'self'", f"'nonce-{nonce}'"]
    html = response.content.decode()
    assert html.count(f'nonce="{nonce}"') == 2
    assert "https://" not in html  # every asset vendored
    assert (
        client_for(secretary).get(reverse("api-docs"))["Content-Security-Policy"]
        != response["Content-Security-Policy"]
    )  # a fresh nonce for every answer


def test_redoc_may_inject_styles_but_runs_no_inline_script(secretary):
    response = client_for(secretary).get(reverse("api-redoc"))
    policy = csp_directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["worker-src"] == ["'self'", "blob:"]
    assert INLINE_SCRIPT.search(response.content.decode()) is None
    assert "fonts.googleapis.com" not in response.content.decode()


# --- Cache-Control ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["secretary", "gridworker", "resident"])
def test_pages_of_signed_in_people_are_never_stored(request, role, granny_wang):
    client = client_for(request.getfixturevalue(role))
    for url in [reverse("home"), reverse("notification-list"), reverse("api-me")]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "no-store", url


def test_personal_data_pages_and_api_answers_are_never_stored(secretary, granny_wang, water_case):
    client = client_for(secretary)
    for url in [
        reverse("person-detail", args=[granny_wang.pk]),
        reverse("case-detail", args=[water_case.number]),
        f"{reverse('case-intake-lookup')}?q=4-2-301",
        "/api/v1/residents/",
        f"/api/v1/cases/{water_case.pk}/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


def test_api_answers_to_a_token_are_never_stored(socialworker):
    """A token caller is nobody to the middleware (DRF authenticates in the view): still no-store."""
    issued = Client().post(
        "/api/v1/auth/token/",
        {"username": "socialworker", "password": TEST_PASSWORD},
        content_type="application/json",
    )
    assert issued.status_code == 201
    assert issued["Cache-Control"] == "no-store"  # the token itself
    response = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {issued.json()['token']}")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_refusals_are_not_stored_either():
    response = Client().get("/api/v1/residents/")
    assert response.status_code in (401, 403)
    assert response["Cache-Control"] == "no-store"


def test_static_files_keep_their_own_caching():
    response = Client().get("/static/grassroots/app.js")
    assert response.status_code == 200
    assert "no-store" not in response["Cache-Control"]
    assert "max-age" in response["Cache-Control"]


# --- production settings --------------------------------------------------------------------------

SETTINGS_SHOWN = [
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "LANGUAGE_COOKIE_SECURE",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_REFERRER_POLICY",
    "X_FRAME_OPTIONS",
    "SILENCED_SYSTEM_CHECKS",
    "MAILERS",
]
# A deployment as the README's "Run it for real" sets it up; nothing about HTTPS or e-mail.
PRODUCTION_ENV = {
    "GRASSROOTS_SECRET_KEY": "k" * 30 + "-production-secret-key-for-tests-only-0123456789",
    "GRASSROOTS_DATA_KEY": "A" * 43 + "=",
    "GRASSROOTS_ALLOWED_HOSTS": "grassroots.example.org",
    "GRASSROOTS_PUBLIC_URL": "https://grassroots.example.org",
}
OURS = (
    "GRASSROOTS_DEBUG",
    "GRASSROOTS_DEMO",
    "GRASSROOTS_SECURE_COOKIES",
    "GRASSROOTS_SSL_REDIRECT",
    "GRASSROOTS_HSTS_SECONDS",
    "GRASSROOTS_HSTS_INCLUDE_SUBDOMAINS",
    "GRASSROOTS_HSTS_PRELOAD",
    "GRASSROOTS_TRUSTED_PROXIES",
    "GRASSROOTS_API_NUM_PROXIES",
    "GRASSROOTS_EMAIL_HOST",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set for the browser tests (tests/browser/conftest.py), never deployed
)


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """A fresh process with these variables (and none of ours the test run may have)."""
    environ = {key: value for key, value in os.environ.items() if key not in OURS}
    environ.update(
        GRASSROOTS_VAR_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="grassroots.config.settings"
    )
    environ.update(env)
    return subprocess.run(args, env=environ, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603 (our own commands)


def settings_with(tmp_path: Path, **env: str) -> dict:
    script = (
        "import json; from grassroots.config import settings as s; "
        f"print(json.dumps({{name: getattr(s, name) for name in {SETTINGS_SHOWN!r}}}))"
    )
    done = run([sys.executable, "-c", script], tmp_path, **env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_production_is_https_only_with_secure_cookies_and_real_mail(tmp_path):
    values = settings_with(tmp_path, **PRODUCTION_ENV)
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert (
        values["SESSION_COOKIE_SECURE"]
        is values["CSRF_COOKIE_SECURE"]
        is values["LANGUAGE_COOKIE_SECURE"]
        is True
    )
    assert values["SECURE_PROXY_SSL_HEADER"] is None  # no trusted proxy: X-Forwarded-Proto is ignored
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["MAILERS"]["default"]["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert values["MAILERS"]["default"]["OPTIONS"]["host"] == "localhost"
    assert values["SILENCED_SYSTEM_CHECKS"] == ["security.W021"]  # the preload list: the operator's call


def test_the_demo_and_debug_keep_plain_http_on_this_machine(tmp_path):
    for switch in ("GRASSROOTS_DEMO", "GRASSROOTS_DEBUG"):
        values = settings_with(tmp_path, **{switch: "1"})
        assert values["SECURE_SSL_REDIRECT"] is False, switch
        assert values["SECURE_HSTS_SECONDS"] == 0, switch
        assert values["SESSION_COOKIE_SECURE"] is False, switch
        assert values["MAILERS"]["default"]["BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_behind_a_tls_proxy_the_operator_chooses(tmp_path):
    values = settings_with(
        tmp_path,
        **PRODUCTION_ENV,
        GRASSROOTS_TRUSTED_PROXIES="1",
        GRASSROOTS_SSL_REDIRECT="false",
        GRASSROOTS_HSTS_INCLUDE_SUBDOMAINS="false",
        GRASSROOTS_EMAIL_HOST="smtp.example.org",
    )
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert values["SESSION_COOKIE_SECURE"] is True  # still HTTPS for the browser
    assert sorted(values["SILENCED_SYSTEM_CHECKS"]) == ["security.W005", "security.W008", "security.W021"]
    assert values["MAILERS"]["default"]["OPTIONS"]["host"] == "smtp.example.org"


def deploy_check(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    grassroots = Path(sys.executable).with_name("grassroots")
    return run([str(grassroots), "check", "--deploy", "--fail-level", "WARNING"], tmp_path, **env)


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    done = deploy_check(tmp_path, **PRODUCTION_ENV)
    assert done.returncode == 0, done.stderr + done.stdout
    # Notes (INFOS, such as next year's missing holiday schedule in December) may be printed.
    output = done.stdout + done.stderr
    assert "WARNINGS:" not in output and "ERRORS:" not in output, output


def test_check_deploy_fails_on_a_warning(tmp_path):
    """The demo's settings in production: http, a local public address (warnings, not errors)."""
    done = deploy_check(
        tmp_path, **{**PRODUCTION_ENV, "GRASSROOTS_PUBLIC_URL": "", "GRASSROOTS_HSTS_SECONDS": "0"}
    )
    assert done.returncode != 0
    assert "security.W004" in done.stderr and "grassroots.notify.W003" in done.stderr
    assert "ERRORS" not in done.stderr


# --- what the HTTPS settings do ---------------------------------------------------------------------


@pytest.fixture
def https_only(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 365 * 24 * 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    return settings


def test_plain_http_is_sent_to_https_but_the_health_check_is_not(https_only, secretary):
    response = client_for(secretary).get("/cases/intake/?q=1")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/cases/intake/?q=1"
    assert Client().get("/healthz").status_code == 200


def test_over_https_every_answer_says_https_only_for_a_year(https_only, secretary):
    response = client_for(secretary).get("/", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_a_trusted_proxy_says_the_caller_used_https(https_only, secretary):
    https_only.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = client_for(secretary)
    assert client.get("/", HTTP_X_FORWARDED_PROTO="https").status_code == 200
    assert client.get("/", HTTP_X_FORWARDED_PROTO="http").status_code == 301
