"""Caller panels: what the apps above cases show about a caller on the intake screen.

When the mouth picks the caller, the intake screen shows what the community knows of them:
their household, tags and cases (cases' own), and what higher apps hold, such as the care
visits of their household. Cases sit below those apps in the layers (docs/architecture.md) and
never import them; instead an app registers a panel in its AppConfig.ready():

    register_caller_panel(name="recent_visits", template="care/_caller_visits.html", load=...)

`load(user=..., person=...)` reads what the panel shows, scoped to the user, through the app's
own selectors; the intake view puts it in the template context under `name`, and the caller's
box includes each panel's template in the order the apps registered them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grassroots.accounts.models import User
    from grassroots.people.models import Person


@dataclass(frozen=True)
class CallerPanel:
    """One panel under the caller: the context name it fills, its template, and how it reads."""

    name: str
    template: str
    load: Callable[..., Any]


_PANELS: dict[str, CallerPanel] = {}


def register_caller_panel(*, name: str, template: str, load: Callable[..., Any]) -> None:
    """Offer a panel on the intake screen; the same name again replaces it (ready() may run twice)."""
    _PANELS[name] = CallerPanel(name=name, template=template, load=load)


def caller_panels() -> list[CallerPanel]:
    """The panels registered, in order of registration."""
    return list(_PANELS.values())


def caller_panel_context(*, user: User, person: Person) -> dict[str, Any]:
    """What every panel shows for this caller, by its name, and the panels to include."""
    panels = caller_panels()
    context: dict[str, Any] = {"caller_panels": panels}
    for panel in panels:
        context[panel.name] = panel.load(user=user, person=person)
    return context


# --- the desk above the intake form, and what the form starts with ----------------------------------
#
# An app above cases may put a part of its own above the intake form (telephony: the phone desk,
# where a worker signs on to a line and the ringing call pops), and may fill the form's starting
# values from the query string (telephony: "new case from this call", /cases/intake/?call=7).


@dataclass(frozen=True)
class IntakeDesk:
    """A part shown above the intake form: its context name, its template, and how it reads."""

    name: str
    template: str
    load: Callable[..., Any]


@dataclass(frozen=True)
class IntakePrefill:
    """Starting values of the intake form from the query string.

    `load(user=..., params=...)` returns None (nothing to fill) or a dict with any of the
    IntakeForm's initial values (reporter_kind, reporter_person, reporter_name, reporter_phone,
    channel) and "person" (the caller, read through the intake's own scoped selector).
    """

    name: str
    load: Callable[..., dict | None]


_DESKS: dict[str, IntakeDesk] = {}
_PREFILLS: dict[str, IntakePrefill] = {}


def register_intake_desk(*, name: str, template: str, load: Callable[..., Any]) -> None:
    """Offer a part above the intake form; `load(request=...)` returns its context (None: not shown)."""
    _DESKS[name] = IntakeDesk(name=name, template=template, load=load)


def register_intake_prefill(*, name: str, load: Callable[..., dict | None]) -> None:
    """Offer starting values for the intake form; the first prefill that answers wins."""
    _PREFILLS[name] = IntakePrefill(name=name, load=load)


def intake_desk_context(*, request) -> dict[str, Any]:
    """The desks to include ("intake_desks": (template, context) pairs that answered)."""
    desks = []
    for desk in _DESKS.values():
        context = desk.load(request=request)
        if context is not None:
            desks.append((desk.template, context))
    return {"intake_desks": desks}


def intake_prefill(*, user: User, params) -> dict | None:
    """The first registered prefill's starting values for these query parameters, or None."""
    for prefill in _PREFILLS.values():
        values = prefill.load(user=user, params=params)
        if values:
            return values
    return None
