"""One way to scope any queryset to a user (deny by default).

Every list, page and API call reads through `Model.objects.visible_to(user)`.
A model says how it reaches its community, grid and household with three class
attributes; the user's role says which capability they hold and how far their
scope reaches. Anything outside the scope is simply not in the queryset, so a
detail view built on it answers 404 both for "does not exist" and "not yours".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from grassroots.accounts.models import User


@dataclass(frozen=True)
class Scope:
    """How far a user's view reaches. `level` is one of: all, street, community, grid, household, none."""

    level: str
    ids: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def nothing(cls) -> Scope:
        return cls("none")


def capability_name(model: type[models.Model], action: str) -> str:
    """The capability a role must hold: "<app>.<model>.<action>", e.g. "people.person.view"."""
    return f"{model._meta.app_label}.{model._meta.model_name}.{action}"


def _street_path(community_path: str) -> str:
    if community_path == "id":
        return "street_id"
    return community_path.removesuffix("_id") + "__street_id"


def scope_filter(model: type[models.Model], scope: Scope) -> models.Q | None:
    """The filter that keeps rows of `model` inside `scope`; None means "nothing at all"."""
    community_path = getattr(model, "scope_community_path", None)
    paths = {
        "community": community_path,
        "street": _street_path(community_path) if community_path else None,
        "grid": getattr(model, "scope_grid_path", None),
        "household": getattr(model, "scope_household_path", None),
    }
    if scope.level == "all":
        return models.Q()
    path = paths.get(scope.level)
    if not path or not scope.ids:
        return None
    return models.Q(**{f"{path}__in": sorted(scope.ids)})


class ScopedQuerySet(models.QuerySet):
    """QuerySet with `visible_to(user, action)`: the only door to scoped rows."""

    def visible_to(self, user: User | None, action: str = "view") -> ScopedQuerySet:
        from grassroots.accounts.roles import user_can, user_scope

        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if not user_can(user, capability_name(self.model, action)):
            return self.none()
        condition = scope_filter(self.model, user_scope(user))
        if condition is None:
            return self.none()
        return self.filter(condition)
