"""Template context shared by every page: what the signed-in user may do and which kind of user they are."""

from __future__ import annotations

from grassroots.accounts import roles
from grassroots.accounts.roles import user_can


class _Capabilities:
    """Lets templates ask `{% if can.people__person__view %}` without a custom tag."""

    def __init__(self, user):
        self._user = user

    def __getitem__(self, key: str) -> bool:
        return user_can(self._user, key.replace("__", "."))

    def __getattr__(self, key: str) -> bool:
        if key.startswith("_"):
            raise AttributeError(key)
        return self[key]


class _Predicates:
    """Lets templates ask `{% if who.resident %}` of the permission module, never a role name."""

    TESTS = {
        "legs": roles.is_legs,
        "mouth": roles.is_mouth,
        "grid_worker": roles.is_grid_worker,
        "resident": roles.is_resident,
        "has_tasks": roles.has_tasks,
        "searches_people": roles.searches_people,
    }

    def __init__(self, user):
        self._user = user

    def __getattr__(self, key: str) -> bool:
        if key not in self.TESTS:
            raise AttributeError(key)
        return self.TESTS[key](self._user)


def role(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"can": _Capabilities(user), "who": _Predicates(user)}
