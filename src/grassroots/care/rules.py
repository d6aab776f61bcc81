"""Tier rules as plain values, and the pure function that applies them to what we know of a person.

The rules live in the database (care.TierRule, edited in the admin); here they are
read once into RuleSpec values so that computing the register for 7,400 residents
is a loop in memory, not a query per person, and so the logic is testable on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q

from grassroots.care.models import TIER_DEFAULT_DAYS, TIER_RISK, Tier, TierRule


@dataclass(frozen=True)
class RuleSpec:
    id: int | None
    tier: str
    frequency_days: int
    tags: frozenset[str] = frozenset()
    all_tags: bool = False
    max_tag_level: int | None = None
    min_age: int | None = None
    lives_alone: bool = False
    order: int = 100


@dataclass(frozen=True)
class Facts:
    """What the registry says about a person, as the rules need it."""

    age: int | None
    tags: dict[str, int | None] = field(default_factory=dict)  # tag code -> level (None: no level)
    lives_alone: bool = False


def _tag_counts(spec: RuleSpec, facts: Facts, code: str) -> bool:
    if code not in facts.tags:
        return False
    level = facts.tags[code]
    return spec.max_tag_level is None or level is None or level <= spec.max_tag_level


def matches(spec: RuleSpec, facts: Facts) -> bool:
    """Every condition the rule sets holds; a rule that sets none matches nobody."""
    if not (spec.tags or spec.min_age is not None or spec.lives_alone):
        return False
    if spec.tags:
        present = [_tag_counts(spec, facts, code) for code in spec.tags]
        if not (all(present) if spec.all_tags else any(present)):
            return False
    if spec.min_age is not None and (facts.age is None or facts.age < spec.min_age):
        return False
    return not (spec.lives_alone and not facts.lives_alone)


def decide(specs: Iterable[RuleSpec], facts: Facts) -> RuleSpec | None:
    """The matching rule with the most severe tier, then the shortest frequency, then the rule order."""
    best: RuleSpec | None = None
    for spec in specs:
        if not matches(spec, facts):
            continue
        key = (TIER_RISK[spec.tier], spec.frequency_days, spec.order)
        if best is None or key < (TIER_RISK[best.tier], best.frequency_days, best.order):
            best = spec
    return best


def load_rules(community_id: int) -> list[RuleSpec]:
    """The active rules for a community (its own and those for every community)."""
    rules = TierRule.objects.filter(Q(community_id=community_id) | Q(community__isnull=True), active=True)
    specs = []
    for rule in rules.prefetch_related("tags"):
        specs.append(
            RuleSpec(
                id=rule.id,
                tier=rule.tier,
                frequency_days=rule.frequency_days,
                tags=frozenset(tag.code for tag in rule.tags.all()),
                all_tags=rule.all_tags,
                max_tag_level=rule.max_tag_level,
                min_age=rule.min_age,
                lives_alone=rule.lives_alone,
                order=rule.order,
            )
        )
    return specs


def frequency_for(tier: str, specs: Iterable[RuleSpec]) -> int:
    """The visit frequency of a tier set by hand: the shortest among its rules, else the default."""
    days = [spec.frequency_days for spec in specs if spec.tier == tier]
    return min(days) if days else TIER_DEFAULT_DAYS[Tier(tier)]
