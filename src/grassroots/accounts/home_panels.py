"""Home panels: what the apps above accounts show on a user's home page.

The home page (accounts.views.home) is one page per kind of user; accounts sits below the apps
whose work it should show (a volunteer's open tasks live in cases), so those apps register a
panel in their AppConfig.ready(), as the intake screen's caller panels do:

    register_home_panel(name="open_tasks", template="cases/_home_tasks.html", load=..., shown=has_tasks)

`shown(user)` says whether the panel is for this user; `load(user=...)` reads what it shows,
bounded and scoped, through the app's own selectors. The home template includes each shown
panel's template in the order the apps registered them, with its data under `panel.data`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class HomePanel:
    """One panel of the home page: its name, its template, who sees it and how it reads."""

    name: str
    template: str
    load: Callable[..., Any]
    shown: Callable[[Any], bool]


@dataclass(frozen=True)
class LoadedPanel:
    template: str
    data: Any


_PANELS: dict[str, HomePanel] = {}


def register_home_panel(
    *, name: str, template: str, load: Callable[..., Any], shown: Callable[[Any], bool]
) -> None:
    """Offer a panel on the home page; the same name again replaces it (ready() may run twice)."""
    _PANELS[name] = HomePanel(name=name, template=template, load=load, shown=shown)


def home_panels_for(*, user) -> list[LoadedPanel]:
    """The panels this user sees, each with what it shows."""
    return [
        LoadedPanel(template=panel.template, data=panel.load(user=user))
        for panel in _PANELS.values()
        if panel.shown(user)
    ]
