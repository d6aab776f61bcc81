"""How long each kind of record is kept, enforced by the worker's periodic sweep (PIPL art. 19, 47).

PIPL keeps personal information only as long as its purpose needs. Each app registers, in its
`ready()`, a rule for the records it owns: which rows are past their time, and what happens to
them then (deleted, or stripped of personal data where the row itself must stay, as a former
resident's row stays for the cases that name them). The periods are settings
(`GRASSROOTS_RETENTION_DAYS`, by kind), never shorter than a rule's legal floor; `grassroots
retention` shows them and what is due, and the sweep applies them a bounded batch at a time so
that a round stays short however large the district.

The audit trail and the access logs have their own retention (core.audit.prune, at least the
Cybersecurity Law's six months); they are listed here so that one page shows every period.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.checks import Error, register
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

#: Rows one rule handles in one round of the sweep: the rest wait for the next round.
BATCH = 500


@dataclass(frozen=True)
class RetentionRule:
    """A kind of record, how long it is kept by default, and what ends it."""

    kind: str
    description: str
    default_days: int
    minimum_days: int
    #: The rows past their time for a cutoff (oldest first; the sweep takes a batch of them).
    expired: Callable[[datetime], QuerySet]
    #: Ends the given rows (delete, or erase their personal data); returns how many it ended.
    end: Callable[[QuerySet], int]


RULES: list[RetentionRule] = []


def register_retention(rule: RetentionRule) -> None:
    if all(existing.kind != rule.kind for existing in RULES):
        RULES.append(rule)


def delete_rows(rows: QuerySet) -> int:
    """The usual end of a record: deleted."""
    return rows.model.objects.filter(pk__in=list(rows.values_list("pk", flat=True))).delete()[0]


def days_for(rule: RetentionRule) -> int:
    configured = getattr(settings, "GRASSROOTS_RETENTION_DAYS", {}) or {}
    return int(configured.get(rule.kind, rule.default_days))


def cutoff_for(rule: RetentionRule, now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=days_for(rule))


def enforce(now: datetime | None = None, batch: int = BATCH) -> dict[str, int]:
    """One round: for each rule, end up to `batch` of its expired rows. Returns rows ended per kind."""
    ended: dict[str, int] = {}
    for rule in RULES:
        with transaction.atomic():
            ended[rule.kind] = rule.end(rule.expired(cutoff_for(rule, now))[:batch])
    return ended


@dataclass(frozen=True)
class RuleStatus:
    kind: str
    description: str
    days: int
    due: int  # rows past their time now, counted up to `BATCH` + 1 ("more than" past that)


def status(now: datetime | None = None) -> list[RuleStatus]:
    """Every rule with its period and a bounded count of what is due."""
    return [
        RuleStatus(
            rule.kind,
            str(rule.description),
            days_for(rule),
            rule.expired(cutoff_for(rule, now))[: BATCH + 1].count(),
        )
        for rule in RULES
    ]


@register()
def check_retention_settings(app_configs=None, **kwargs) -> list[Error]:
    """A period under a rule's floor, or for a kind nobody registered, is refused at start."""
    configured = getattr(settings, "GRASSROOTS_RETENTION_DAYS", {}) or {}
    known = {rule.kind: rule for rule in RULES}
    errors = []
    for kind, days in configured.items():
        rule = known.get(kind)
        if rule is None:
            errors.append(
                Error(
                    f"GRASSROOTS_RETENTION_DAYS names an unknown kind of record: {kind!r}.",
                    hint=f"Known kinds: {', '.join(sorted(known))}.",
                    id="grassroots.core.E010",
                )
            )
        elif not isinstance(days, int) or days < rule.minimum_days:
            errors.append(
                Error(
                    f"GRASSROOTS_RETENTION_DAYS[{kind!r}] is {days!r}: it must be a whole number of "
                    f"days, at least {rule.minimum_days}.",
                    id="grassroots.core.E011",
                )
            )
    return errors
