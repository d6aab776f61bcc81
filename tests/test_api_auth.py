# ruff: noqa: F811 (fixtures imported from tests.test_api_helpers are parameters here)
"""Who may call the API: tokens for people, keys for integrations, the session for the browser.

Secrets are never stored (only their SHA-256); a revoked token or key stops at once;
token issuance is rate-limited (429 with Retry-After); the session works with CSRF.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from grassroots.api.clients import apiclient_revoke, apiclient_rotate_key
from grassroots.api.models import ApiClient, ApiToken, Scope
from grassroots.demo.api import DEMO_KEY, ensure_demo_api_client
from tests.factories import TEST_PASSWORD
from tests.test_api_helpers import HOTLINE_KEY, Api, _fresh_rate_limits, hotline  # noqa: F401 (fixtures)


def issue(username: str, password: str = TEST_PASSWORD):
    return Api().post("/api/v1/auth/token/", {"username": username, "password": password})


def test_a_token_for_a_username_and_password(socialworker):
    response = issue("socialworker")
    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "socialworker" and body["role"] == "socialworker" and body["expires_at"]
    token = ApiToken.objects.get(user=socialworker)
    assert token.key_hash == hashlib.sha256(body["token"].encode()).hexdigest()
    assert body["token"] not in str(ApiToken.objects.values_list())  # only the digest is kept
    me = Api(token=body["token"]).get("/api/v1/me/")
    assert me.status_code == 200 and me.json()["username"] == "socialworker"


def test_a_wrong_password_gets_no_token(socialworker):
    response = issue("socialworker", "wrong")
    assert response.status_code == 400 and "non_field_errors" in response.json()
    assert ApiToken.objects.count() == 0


def test_no_credentials_is_401_with_the_scheme(db):
    response = Api().get("/api/v1/cases/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert Api(token="nonsense").get("/api/v1/cases/").status_code == 401


def test_revoked_and_expired_tokens_stop_working(socialworker):
    raw = issue("socialworker").json()["token"]
    api = Api(token=raw)
    assert api.delete("/api/v1/auth/token/").status_code == 204
    assert api.get("/api/v1/me/").status_code == 401
    raw = issue("socialworker").json()["token"]
    ApiToken.objects.filter(revoked_at__isnull=True).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert Api(token=raw).get("/api/v1/me/").status_code == 401


def test_a_deactivated_user_loses_their_token(socialworker):
    raw = issue("socialworker").json()["token"]
    socialworker.is_active = False
    socialworker.save()
    assert Api(token=raw).get("/api/v1/me/").status_code == 401


def test_token_issuance_is_throttled_with_retry_after(socialworker, settings):
    settings.GRASSROOTS_API_THROTTLE_RATES = {"token": "3/min"}
    for _ in range(3):
        issue("socialworker", "wrong")
    refused = issue("socialworker")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1 and refused.json()["detail"]


def test_the_browser_session_works_with_csrf(socialworker):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(socialworker)
    assert browser.get("/api/v1/me/").status_code == 200
    refused = browser.post("/api/v1/cases/1/note/", {"note": "x"}, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]


def test_the_service_account_of_a_key_cannot_sign_in(hotline):
    assert issue(hotline.user.username, "").status_code == 400
    assert not hotline.user.has_usable_password()


def test_a_key_works_as_bearer_or_header_and_stops_when_revoked(hotline):
    assert Api(key=HOTLINE_KEY).get("/api/v1/me/").status_code == 200
    assert Api(key=HOTLINE_KEY, header="x-api-key").get("/api/v1/me/").status_code == 200
    assert hotline.key_hash == hashlib.sha256(HOTLINE_KEY.encode()).hexdigest()
    assert hotline.key_prefix == HOTLINE_KEY[:8]
    new_key = apiclient_rotate_key(client=hotline)
    assert Api(key=HOTLINE_KEY).get("/api/v1/me/").status_code == 401
    assert Api(key=new_key).get("/api/v1/me/").status_code == 200
    apiclient_revoke(client=hotline)
    assert Api(key=new_key).get("/api/v1/me/").status_code == 401
    assert Api(key=new_key, header="x-api-key").get("/api/v1/me/").status_code == 401


def test_the_apiclient_command_prints_a_key_once(community):
    out = StringIO()
    call_command(
        "apiclient", "create", "WeChat bridge", "--community", "HSY", "--scope", "inbound", stdout=out
    )
    key = next(line.split()[-1] for line in out.getvalue().splitlines() if line.startswith("Key:"))
    client = ApiClient.objects.get(name="WeChat bridge")
    assert client.scopes == ["inbound"] and client.channel == "api"
    assert client.user.role == "patroller" and client.user.community == community
    assert Api(key=key).get("/api/v1/me/").json()["api_client"] == "WeChat bridge"
    listing = StringIO()
    call_command("apiclient", "list", stdout=listing)
    assert "WeChat bridge" in listing.getvalue() and key not in listing.getvalue()
    call_command("apiclient", "revoke", "WeChat bridge", stdout=StringIO())
    assert Api(key=key).get("/api/v1/me/").status_code == 401


def test_the_admin_issues_a_key_once_and_revokes_it(admin_user, community):
    browser = Client()
    browser.force_login(admin_user)
    response = browser.post(
        "/admin/api/apiclient/add/",
        {"name": "District dashboard", "community": community.pk, "channel": "api", "scopes": ["cases:read"]},
        follow=True,
    )
    assert response.status_code == 200
    message = next(str(m) for m in response.context["messages"] if "District dashboard" in str(m))
    key = next(word for word in message.split() if word.startswith("grk_"))
    client = ApiClient.objects.get(name="District dashboard")
    assert client.scopes == ["cases:read"] and Api(key=key).get("/api/v1/me/").status_code == 200
    browser.post(
        "/admin/api/apiclient/",
        {"action": "revoke", "_selected_action": [client.pk]},
        follow=True,
    )
    assert Api(key=key).get("/api/v1/me/").status_code == 401


def test_the_demo_client_has_the_well_known_key_and_is_idempotent(community):
    first = ensure_demo_api_client(community)
    again = ensure_demo_api_client(community)
    assert first.pk == again.pk and ApiClient.objects.count() == 1
    assert again.channel == "hotline" and set(again.scopes) == set(Scope.values)
    assert again.key_hash == hashlib.sha256(DEMO_KEY.encode()).hexdigest()
    assert Api(key="grassroots-demo").get("/api/v1/me/").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/schema/", "/api/v1/docs/", "/api/v1/redoc/"])
def test_schema_and_docs_are_served_without_signing_in(path, db):
    response = Client().get(path)
    assert response.status_code == 200


def test_the_docs_use_only_vendored_assets(db):
    page = Client().get("/api/v1/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "https://" not in page
    redoc = Client().get("/api/v1/redoc/").content.decode()
    assert "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js" in redoc


def test_unknown_api_paths_are_json_404(db):
    response = Client().get("/api/v1/no/such/thing/")
    assert (
        response.status_code == 404
        and response["Content-Type"] == "application/json"
        and response.json()["detail"]
    )
