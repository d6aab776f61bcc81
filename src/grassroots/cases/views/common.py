"""What the case screens share: who may open them, running one service, and the filter form of the
supervision board and the case list (the filtering itself is cases.selectors').

A screen never writes by itself: it calls exactly one service and turns what the
service raises into what the user sees. PermissionDenied answers 404 (like a case
that does not exist), ValidationError is shown field by field with what was typed
kept, CaseConflict and ActionNotAllowed are shown as a banner with their message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from grassroots.accounts import roles
from grassroots.cases import figures, permissions, selectors
from grassroots.cases.forms import CaseFilterForm, status_choices
from grassroots.cases.services import ActionNotAllowed, CaseConflict
from grassroots.core.forms import errors_by_field
from grassroots.places.models import Building, Community
from grassroots.places.selectors import grids_for

# --- who may open which screen -------------------------------------------------------------------------


#: Who coordinates (mouth and legs, administrators: they see their scope's cases, register and
#: dispatch), who supervises, and who can be summoned to a case (a "my tasks" list): the permission
#: modules say.
is_coordinator = permissions.is_coordinator
is_legs = roles.is_legs
has_tasks = roles.has_tasks


def require(condition: bool) -> None:
    """Deny by default: a screen the user may not open does not exist for them."""
    if not condition:
        raise Http404


def community_of(user) -> Community | None:
    """The community a user reports into: their own, or for residents their person's."""
    if user.community_id:
        return user.community
    if user.person_id:
        return user.person.community
    return None


# --- running one service -------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What came of calling a service: its result, or what to tell the user."""

    result: Any = None
    kind: str = ""  # "", "invalid", "conflict" or "not_allowed"
    message: str = ""
    field_errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.kind

    @property
    def status(self) -> int:
        return {"": 200, "conflict": 409}.get(self.kind, 422)


def outcome_of_invalid(error: ValidationError) -> Outcome:
    field_errors = errors_by_field(error)
    messages = [message for messages in field_errors.values() for message in messages]
    return Outcome(kind="invalid", message=" ".join(messages), field_errors=field_errors)


def run(service: Callable[..., Any], **kwargs) -> Outcome:
    """Call one service; "not allowed to see it" becomes a 404, everything else an Outcome."""
    try:
        return Outcome(result=service(**kwargs))
    except PermissionDenied:
        raise Http404 from None
    except CaseConflict as conflict:
        return Outcome(kind="conflict", message=str(conflict), result=conflict.case)
    except ActionNotAllowed as refusal:
        return Outcome(kind="not_allowed", message=str(refusal))
    except ValidationError as error:
        return outcome_of_invalid(error)


# --- filters shared by the board and the list ---------------------------------------------------------


def filter_form(request, *, open_only: bool, statuses, handlers=None) -> CaseFilterForm:
    """The board's or the list's filters as asked in the query string, validated (choices in scope).

    `handlers`: the handler choices, when the page has its own (the dashboard reads its rollups').
    """
    user = request.user
    if handlers is None:
        handlers = selectors.handler_choices_for(user=user, open_only=open_only)
    form = CaseFilterForm(
        request.GET or None,
        grids=grids_for(user=user),
        categories=selectors.categories_for(user=user),
        handlers=handlers,
        statuses=status_choices(statuses),
        buildings=Building.objects.visible_to(user),
        communities=figures.communities_for(user=user),
    )
    if form.is_bound:
        form.is_valid()
    return form


def status_links(params, counts: dict[str, int], choices) -> list[dict]:
    """One link per status with its count, keeping the other filters."""
    current = params.get("status", "")
    return [
        {
            "value": value,
            "label": label,
            "count": counts.get(value, 0),
            "query": query_string(params, status=None if value == current else value, page=None),
            "current": value == current,
        }
        for value, label in choices
    ]


def query_string(params, **changes) -> str:
    """The current filters as a query string, with some values changed (for pager and status links)."""
    merged = params.copy()
    for key, value in changes.items():
        if value in (None, ""):
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged.urlencode()
