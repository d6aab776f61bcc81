"""Cases in the Heshengyuan demo: a year of history, the article's stories, today's work in hand.

Called by the demo builder once the registry (people, organisations, accounts) and the
care demo are written:

- registry.py: what the case demo draws from, loaded once;
- history.py: a year of cases (about 3,000: mostly closed satisfied, some basically
  satisfied, reworked, rejected, merged or late), drafted as the rows the services write
  (rows.py) and written with bulk_create, since 20,000 service calls would take minutes;
- stories.py: the article's four stories, through the services (steps.py), each step by
  the account whose role takes it in the article;
- today.py: a case in every open state, through the services.

Every row carries its moment in the past as it is first written (the services run under
the demo's clock, demo/clock.py; the drafts stamp their own moments): nothing is moved
afterwards. Everything is drawn from the given random.Random and counted back from `now`:
the same seed on the same day gives the same cases.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from grassroots.cases.models import Case, CaseCounter, CaseEvent
from grassroots.demo.cases.history import History
from grassroots.demo.cases.registry import Registry
from grassroots.demo.cases.rows import number_cases, write_drafts
from grassroots.demo.cases.steps import Steps
from grassroots.demo.cases.stories import story_plans
from grassroots.demo.cases.today import open_plans
from grassroots.places.models import Community


def build_case_demo(
    community: Community,
    rng: random.Random,
    *,
    now: datetime | None = None,
    phones: dict[int, str] | None = None,
) -> dict:
    """Write the demo's cases into a community whose registry and accounts are already written.

    `phones` are the residents' numbers by person id (the demo's plan), which the stories'
    callers give as intake takes them from the caller ID. Returns counts: history (written in
    bulk), stories and open (through the services), and the total. Run it inside the demo's
    transaction, under notify.api.muted(): the demo's invented cases tell nobody.
    """
    now = now or timezone.now()
    if now > timezone.now() + timedelta(minutes=1):
        raise ValueError("The case demo's `now` cannot be in the future: every case must be in the past.")
    with transaction.atomic():
        registry = Registry.load(community, now)
        stories = story_plans(registry, rng)
        today = open_plans(registry, rng)
        drafts = History(registry, rng).plan()
        places, last = number_cases(community, drafts, [p.reported_at for p in stories + today])
        write_drafts(drafts)
        steps = Steps(registry, places, phones or {})
        made = {plan.key: plan.run(steps, plan.reported_at).pk for plan in stories + today}
        # Each day's counter where the services leave it: after the last case of the day.
        CaseCounter.objects.filter(community=community, day__in=list(last)).delete()
        CaseCounter.objects.bulk_create(
            [CaseCounter(community=community, day=day, last=number) for day, number in sorted(last.items())]
        )
    return {
        "history": len(drafts),
        "stories": len(stories),
        "open": len(today),
        "cases": Case.objects.filter(community=community).count(),
        "events": CaseEvent.objects.filter(case__community=community).count(),
        "case_ids": made,
    }
