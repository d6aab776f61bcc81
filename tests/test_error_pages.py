"""The error pages: a 404 (also "not yours", deny by default) keeps the header and leads home."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def test_a_case_that_is_not_yours_gets_the_not_found_page_with_a_way_home(outsider, socialworker):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(username=outsider.username, password=TEST_PASSWORD)
    response = client.get("/cases/HSY-00000000-9999/")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'id="not-found"' in page and 'href="/"' in page and "Not found" in page
    assert 'class="topbar' in page  # the header and its menu stay


def test_the_server_error_page_renders_without_a_context():
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert b'href="/"' in response.content
