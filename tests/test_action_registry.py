# ruff: noqa: F811 (fixtures imported from tests.test_api_helpers are parameters here)
"""An action declared once reaches every surface: the case page, the API and its schema, the timeline.

The test declares an action of its own ("commend": the Party committee thanks the handlers
of a case in hand) exactly as cases.services declares the built-in ones, with one decorated
service and nothing else, then finds it on the case page, posts it there, finds it in the
OpenAPI schema, posts it through the API, reads it on the resident's timeline, and asks the
object permission. Nothing outside this file is edited for it.
"""

from __future__ import annotations

import importlib

import pytest
from django.test import Client
from django.urls import clear_url_caches
from django.utils.translation import gettext_lazy as _l

from grassroots.api import serializers as api_serializers
from grassroots.api import views as api_views
from grassroots.cases import forms as case_forms
from grassroots.cases.services import _act
from grassroots.cases.workflow import (
    IN_HAND,
    LEGS,
    NOTE_PUBLIC,
    REGISTRY,
    SAME,
    Input,
    Notice,
    Status,
    case_action,
    case_perform,
    unregister,
)
from grassroots.portal.timeline import public_timeline
from tests.test_api_helpers import as_user, case_in_grid_a  # noqa: F401 (fixtures)

COMMEND = "commend"


def _reload_urls() -> None:
    """The API's routes are read from the registry when the URLconf is imported."""
    import grassroots.api.urls
    import grassroots.config.urls

    importlib.reload(grassroots.api.urls)
    importlib.reload(grassroots.config.urls)
    clear_url_caches()


def _forget_cached_builds() -> None:
    case_forms.action_form.cache_clear()
    api_serializers.action_input.cache_clear()


@pytest.fixture
def commend_action():
    """Declare the new action the way a developer would add it to cases/services.py."""

    @case_action(
        name=COMMEND,
        label=_l("commend the handlers"),
        sources=IN_HAND,
        who=LEGS,
        targets={None: SAME},
        inputs=(Input("words", "text", _l("Words of thanks"), required=True),),
        notice=Notice("urged", "parties"),
        public_label=_l("The community thanked the handlers"),
        note_audience=NOTE_PUBLIC,
        summary=_l("Commend the handlers"),
        button=_l("Send the thanks"),
        done=_l("Thanks sent."),
    )
    def case_commend(*, actor, case, words: str, expected_version: int | None = None):
        return _act(actor=actor, case=case, action=COMMEND, expected_version=expected_version, note=words)

    _forget_cached_builds()
    _reload_urls()
    yield REGISTRY[COMMEND]
    unregister(COMMEND)
    delattr(api_views.CaseViewSet, f"act_{COMMEND}")
    api_views.CaseViewSet.required_scopes.pop(f"act_{COMMEND}", None)
    _forget_cached_builds()
    _reload_urls()


@pytest.fixture
def dispatched(case_in_grid_a, socialworker, volunteer):
    from grassroots.cases.services import Party

    return case_perform(
        actor=socialworker,
        case=case_in_grid_a,
        action="dispatch",
        lead=Party("user", volunteer.pk),
        supporters=[],
        role_notes={},
        note="",
    )


def test_the_new_action_is_offered_and_performed_on_the_case_page(commend_action, dispatched, secretary):
    browser = Client()
    browser.force_login(secretary)
    page = browser.get(f"/cases/{dispatched.number}/").content.decode()
    assert f'action="/cases/{dispatched.number}/act/commend/"' in page
    assert "Send the thanks" in page

    posted = browser.post(
        f"/cases/{dispatched.number}/act/commend/",
        {"version": dispatched.version, "words": "谢谢志愿者及时送水", "next": "case"},
    )
    assert posted.status_code == 302
    dispatched.refresh_from_db()
    assert dispatched.events.last().action == COMMEND
    assert dispatched.events.last().note == "谢谢志愿者及时送水"
    assert dispatched.status == Status.DISPATCHED  # SAME: the status stays


def test_the_page_form_keeps_what_was_typed_when_the_service_refuses(commend_action, dispatched, secretary):
    browser = Client()
    browser.force_login(secretary)
    answer = browser.post(
        f"/cases/{dispatched.number}/act/commend/",
        {"version": dispatched.version + 5, "words": "晚到的感谢", "next": "case"},
    )
    assert answer.status_code == 409
    assert "晚到的感谢" in answer.content.decode()


def test_the_new_action_is_in_the_api_and_its_schema(commend_action, dispatched, secretary, volunteer):
    schema = Client().get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/cases/{id}/commend/"]["post"]
    assert operation["operationId"] == "cases_commend"
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "words" in schema["components"]["schemas"][body]["required"]

    refused = as_user(volunteer).post(f"/api/v1/cases/{dispatched.pk}/commend/", {"words": "自己夸自己"})
    assert refused.status_code == 404  # the hands may not: it looks like "not found"
    missing = as_user(secretary).post(f"/api/v1/cases/{dispatched.pk}/commend/", {})
    assert missing.status_code == 400
    done = as_user(secretary).post(f"/api/v1/cases/{dispatched.pk}/commend/", {"words": "辛苦了"})
    assert done.status_code == 200
    assert done.json()["events"][-1]["action"] == COMMEND


def test_the_new_action_reads_on_the_residents_timeline_and_as_a_permission(
    commend_action, dispatched, secretary, volunteer
):
    case_perform(actor=secretary, case=dispatched, action=COMMEND, words="感谢物业和志愿者")
    entries, _loose = public_timeline(type(dispatched).objects.get(pk=dispatched.pk))
    commended = [entry for entry in entries if entry.what == str(commend_action.public_label)]
    assert [entry.note for entry in commended] == ["感谢物业和志愿者"]
    assert secretary.has_perm("cases.commend_case", dispatched)
    assert not volunteer.has_perm("cases.commend_case", dispatched)


def test_the_new_action_notifies_the_declared_audience(commend_action, dispatched, secretary):
    from grassroots.notify.services import recipients_for

    commended = case_perform(actor=secretary, case=dispatched, action=COMMEND, words="谢谢")
    kind, recipients = recipients_for(commended.events.last())
    assert kind == "urged"
    assert recipients  # the volunteer leading the case


def test_every_built_in_action_is_on_every_surface():
    """The registry is the list: each offered action has an API endpoint and a page form or page."""
    for declared in REGISTRY.values():
        if declared.internal:
            continue
        assert hasattr(api_views.CaseViewSet, f"act_{declared.name}"), declared.name
        assert declared.page or case_forms.action_form(declared.name), declared.name
        assert declared.public_label, declared.name
