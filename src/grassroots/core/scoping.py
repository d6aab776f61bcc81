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
    """How far a user's view reaches. `level` is one of: all, street, community, grid, household, none.

    A street's scope may carry its communities (`communities`, read once per request by whoever
    computes the scope): rows are then kept by their own community column, which every big table's
    indexes lead with, instead of by a join to the community's street.
    """

    level: str
    ids: frozenset[int] = field(default_factory=frozenset)
    communities: frozenset[int] | None = None

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
    if scope.communities is not None and community_path:  # a street's, with its communities read
        if not scope.communities:
            return None
        return models.Q(**{f"{community_path}__in": sorted(scope.communities)})
    path = paths.get(scope.level)
    if not path or not scope.ids:
        return None
    return models.Q(**{f"{path}__in": sorted(scope.ids)})


class InSubquery(models.Expression):
    """`column IN (subquery)` that an OR can keep on indexes: `column = ANY(ARRAY(subquery))` on PostgreSQL.

    A scope is often "in my community OR assigned to me". Written `id IN (SELECT ...)`, PostgreSQL
    can only test the subquery row by row (a hashed subplan), so the whole OR becomes a sequential
    scan of the table. `= ANY(ARRAY(...))` computes the subquery once (an InitPlan) and compares
    with the resulting array, which an index can serve: each side of the OR becomes a bitmap index
    scan. The subquery must be small (one user's assignments); other databases get `IN (...)`.
    """

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, column: str, queryset) -> None:
        super().__init__()
        self.lhs = models.F(column)
        self.subquery = models.Subquery(queryset)

    def get_source_expressions(self):
        return [self.lhs, self.subquery]

    def set_source_expressions(self, expressions) -> None:
        self.lhs, self.subquery = expressions

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        clone = self.copy()
        clone.is_summary = summarize
        clone.lhs = self.lhs.resolve_expression(query, allow_joins, reuse, summarize, for_save)
        clone.subquery = self.subquery.resolve_expression(query, allow_joins, reuse, summarize, for_save)
        return clone

    def as_sql(self, compiler, connection):
        lhs, lhs_params = compiler.compile(self.lhs)
        subquery, subquery_params = compiler.compile(self.subquery)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(ARRAY{subquery})", (*lhs_params, *subquery_params)
        return f"{lhs} IN {subquery}", (*lhs_params, *subquery_params)


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
