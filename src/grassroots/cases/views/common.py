"""What the case screens share: who may open them, finding a case in scope, running one service,
and the one filter function of the supervision board and the case list.

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
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from grassroots.accounts import roles
from grassroots.accounts.roles import user_can
from grassroots.cases.models import Assignment, Case, Category
from grassroots.cases.services import ActionNotAllowed, CaseConflict, Party
from grassroots.places.models import Community, Grid

# --- who may open which screen -------------------------------------------------------------------------


def is_coordinator(user) -> bool:
    """Mouth and legs (and administrators): they see their scope's cases, register and dispatch."""
    return user_can(user, "cases.case.view")


#: Who supervises, and who can be summoned to a case (a "my tasks" list): the permission module says.
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


def categories_for(user) -> QuerySet[Category]:
    """Active categories the user may file under: sensitive ones only for the roles that handle them."""
    categories = Category.objects.filter(active=True).select_related("parent")
    if not is_coordinator(user):
        categories = categories.filter(public=True)
    if not user_can(user, "cases.case.view_sensitive"):
        categories = categories.filter(sensitive=False)
    return categories.order_by("sort_order", "code")


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
    if hasattr(error, "error_dict"):
        field_errors = {name: list(messages) for name, messages in error.message_dict.items()}
    else:
        field_errors = {"__all__": list(error.messages)}
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


def show_errors(form, outcome: Outcome, aliases: dict[str, str] | None = None) -> None:
    """Put a service's field errors on the form's fields (unknown fields go on top of the form)."""
    aliases = aliases or {}
    for name, messages in outcome.field_errors.items():
        target = aliases.get(name, name)
        form.add_error(target if target in form.fields else None, messages)


# --- filters shared by the board and the list ---------------------------------------------------------


def party_label(row: dict) -> tuple[str, str]:
    """("user:5", "Name") for a values() row of an assignment."""
    if row["user_id"]:
        name = " ".join(part for part in (row["user__first_name"], row["user__last_name"]) if part)
        return f"user:{row['user_id']}", name or row["user__username"]
    if row["person_id"]:
        return f"person:{row['person_id']}", row["person__name"]
    if row["team_id"]:
        return f"team:{row['team_id']}", row["team__name"]
    return f"unit:{row['unit_id']}", row["unit__name"]


def handler_choices(cases: QuerySet[Case]) -> list[tuple[str, str]]:
    """The leads of these cases, for the "handler" filter (one query)."""
    rows = (
        Assignment.objects.filter(case__in=cases.values("id"), is_lead=True, active=True)
        .order_by()  # no default ordering, or DISTINCT would see every row
        .values(
            "user_id",
            "user__first_name",
            "user__last_name",
            "user__username",
            "person_id",
            "person__name",
            "team_id",
            "team__name",
            "unit_id",
            "unit__name",
        )
        .distinct()
    )
    return sorted({party_label(row) for row in rows}, key=lambda choice: choice[1])


def grids_for(user) -> QuerySet[Grid]:
    return Grid.objects.visible_to(user).order_by("code")


def filter_cases(cases: QuerySet[Case], data: dict, *, with_status: bool = True) -> QuerySet[Case]:
    """Apply the board/list filters: number, grid, category (with its children), lead, status."""
    text = (data.get("q") or "").strip()
    if text:
        cases = cases.filter(number__icontains=text)
    if data.get("grid"):
        cases = cases.filter(grid=data["grid"])
    if data.get("category"):
        category = data["category"]
        cases = cases.filter(Q(category=category) | Q(category__parent=category))
    if data.get("handler"):
        try:
            party = Party.parse(data["handler"])
        except ValidationError:
            party = None
        if party is not None:
            leads = Assignment.objects.filter(is_lead=True, active=True, **{f"{party.kind}_id": party.id})
            cases = cases.filter(id__in=leads.values("case_id"))
    if with_status and data.get("status"):
        cases = cases.filter(status=data["status"])
    return cases


def status_counts(cases: QuerySet[Case]) -> dict[str, int]:
    """How many cases per status (one grouped query)."""
    rows = cases.order_by().values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def query_string(params, **changes) -> str:
    """The current filters as a query string, with some values changed (for pager and status links)."""
    merged = params.copy()
    for key, value in changes.items():
        if value in (None, ""):
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged.urlencode()
