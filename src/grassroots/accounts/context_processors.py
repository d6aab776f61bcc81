"""Template context shared by every page: the signed-in user's role and capabilities."""

from __future__ import annotations

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


def role(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"can": _Capabilities(user), "role": user.role}
