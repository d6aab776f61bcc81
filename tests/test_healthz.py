"""GET /healthz: what a load balancer asks, without signing in."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connection
from django.db.backends.base.base import BaseDatabaseWrapper

pytestmark = pytest.mark.django_db


def test_healthz_answers_200_with_json_when_the_database_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": connection.vendor, "data_key": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_needs_no_login_and_sets_no_session(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "sessionid" not in response.cookies


def _refuse(execute, sql, params, many, context):
    raise OperationalError("could not connect to server: Connection refused")


def test_healthz_answers_503_when_queries_fail(client):
    """The database answers no query (locked file, server gone): the check says so."""
    with connection.execute_wrapper(_refuse):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}


def test_healthz_answers_503_when_the_database_cannot_be_reached(client, monkeypatch):
    """Connecting fails before any query is sent."""

    def unreachable(self):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed')

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", unreachable)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"


def test_healthz_is_read_only(client):
    assert client.post("/healthz").status_code == 405


def test_the_favicon_is_the_vendored_icon_not_a_404(client, db):
    from django.contrib.staticfiles import finders

    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith(".svg")
    assert finders.find("grassroots/favicon.svg")
    assert 'rel="icon"' in client.get("/login/").content.decode()
