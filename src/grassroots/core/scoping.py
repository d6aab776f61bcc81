"""One way to scope any queryset to a user (deny by default).

Every list, page, admin changelist and API call reads through
`Model.objects.visible_to(user, action)`, and that door asks the model's scope policy
(`Model.scope_policy`, NetBox's `restrict(user, action)`): which capability the action
needs and which rows the user reaches. The default policy is path-based: a model says how
it reaches its community, grid and household with three class attributes, and the user's
role says how far their scope reaches. Models with other rules (cases: scope plus what you
are a party to; care campaigns: a whole community) name their own policy. Anything outside
is simply not in the queryset, so a detail view built on it answers 404 both for "does not
exist" and "not yours".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import models

from grassroots.core import authority

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


def signed_in(user: User | None) -> bool:
    """Deny by default: nobody, the anonymous and the inactive reach no scoped row at all."""
    return user is not None and user.is_authenticated and user.is_active


class ScopePolicy:
    """How one model's rows are kept inside a user's reach: the default is by community, grid, household.

    `restrict` answers for `visible_to`: nothing for the anonymous and the inactive, nothing
    without the capability the action needs, and otherwise the rows that `condition` keeps.
    A model with other rules names a subclass as its `scope_policy` and overrides
    `capability` (which permission the action needs) or `condition` (which rows), or both.
    """

    def capability(self, model: type[models.Model], action: str) -> str:
        return capability_name(model, action)

    def condition(self, model: type[models.Model], user: User, action: str) -> models.Q | None:
        """The rows this user reaches; None means none at all, an empty Q means every row."""
        return scope_filter(model, authority.user_scope(user))

    def restrict(self, queryset: models.QuerySet, user: User | None, action: str) -> models.QuerySet:
        if not signed_in(user):
            return queryset.none()
        if not authority.user_can(user, self.capability(queryset.model, action)):
            return queryset.none()
        condition = self.condition(queryset.model, user, action)
        if condition is None:
            return queryset.none()
        return queryset.filter(condition)


#: The policy of every scoped model that does not name one.
PATH_SCOPE = ScopePolicy()


def scope_policy_of(model: type[models.Model]) -> ScopePolicy:
    """The policy the model names as its `scope_policy`, else the path-based default."""
    return getattr(model, "scope_policy", None) or PATH_SCOPE


class ScopedQuerySet(models.QuerySet):
    """QuerySet with `visible_to(user, action)`: the only door to scoped rows."""

    def visible_to(self, user: User | None, action: str = "view") -> ScopedQuerySet:
        return scope_policy_of(self.model).restrict(self, user, action)
