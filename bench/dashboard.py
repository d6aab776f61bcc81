"""Time the dashboard's figures on a synthetic district: a community's and a street's.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/grassroots_bench uv run python bench/dashboard.py

On an empty, migrated database (it refuses one that holds anything else), it writes a district's
rollups as the case timelines of 10,000,000 cases would leave them (BENCH_COMMUNITIES communities,
270 by default, in streets of 15; BENCH_MONTHS months, 36 by default; BENCH_GROUPS rollup groups per
community and month, 300 by default: categories × channels × leads) and 50 open cases per community
for the "now" figures, then times `counters_for` (the period's figures), `live_for` (open and overdue
now) and `figures_from` for one community and for one street, this month and the last twelve months.
The median and the 95th percentile of BENCH_RUNS (30) runs are printed. Everything it wrote is
deleted at the end (BENCH_KEEP=1 keeps it).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from datetime import date, timedelta

import django

COMMUNITIES = int(os.environ.get("BENCH_COMMUNITIES", "270"))
MONTHS = int(os.environ.get("BENCH_MONTHS", "36"))
GROUPS = int(os.environ.get("BENCH_GROUPS", "300"))
RUNS = int(os.environ.get("BENCH_RUNS", "30"))
PER_STREET = 15
OPEN_CASES = 50


def months_back(today: date, n: int) -> date:
    day = today.replace(day=1)
    for _ in range(n):
        day = (day - timedelta(days=1)).replace(day=1)
    return day


def build():
    from django.db import transaction
    from django.utils import timezone

    from grassroots.cases import rollups
    from grassroots.cases.metrics import COUNTER_NAMES
    from grassroots.cases.models import Case, CaseMonthRollup, CaseRollup, Category, Channel
    from grassroots.places.models import Community, Street

    rng = random.Random(11)  # noqa: S311 (synthetic data)
    categories = list(Category.objects.values_list("pk", flat=True))
    channels = list(Channel.values)
    today = timezone.localdate()
    with transaction.atomic():
        streets = Street.objects.bulk_create(
            Street(name=f"基准街道{i}", code=f"BENCH{i}") for i in range(COMMUNITIES // PER_STREET + 1)
        )
        communities = Community.objects.bulk_create(
            Community(street=streets[i // PER_STREET], name=f"基准社区{i}", code=f"BENCH-{i}")
            for i in range(COMMUNITIES)
        )
        combos = [
            (c, ch, lead)
            for c in categories
            for ch in channels
            for lead in ["", *[f"team:{n}" for n in range(1, 6)]]
        ]
        batch: list[CaseRollup] = []
        for community in communities:
            for back in range(MONTHS):
                month = months_back(today, back)
                for category, channel, lead in rng.sample(combos, min(GROUPS, len(combos))):
                    n = rng.randint(1, 4)
                    counters = {name: 0 for name in COUNTER_NAMES}
                    counters.update(
                        reported=n, accepted=n, responded=n, responded_on_time=n - 1, resolved_ever=n
                    )
                    counters.update(status_closed=n, rated=n, verdict_satisfied=n, resolve_timed=n)
                    counters[f"respond_b{rng.randint(0, 6)}"] = n
                    counters[f"resolve_b{rng.randint(4, 12)}"] = n
                    key = f"{community.pk}:{month:%Y-%m}:0:{category}:{channel}:{lead}"
                    batch.append(
                        CaseRollup(
                            key=key,
                            community=community,
                            month=month,
                            grid=None,
                            category_id=category,
                            channel=channel,
                            lead=lead,
                            **counters,
                        )
                    )
                if len(batch) >= 20000:
                    CaseRollup.objects.bulk_create(batch)
                    batch = []
        CaseRollup.objects.bulk_create(batch)
        for community in communities:  # the month rollups, summed from the fine ones as cases.rollups does
            CaseMonthRollup.objects.bulk_create(
                CaseMonthRollup(
                    key=rollups.month_key(community.pk, row["month"], row["top"], row["sensitive"]),
                    community=community,
                    month=row["month"],
                    top_category_id=row["top"],
                    sensitive=row["sensitive"],
                    **rollups.counts(row),
                )
                for row in rollups._month_rows(community.pk)
            )
        now = timezone.now()
        cases = []
        for community in communities:
            for i in range(OPEN_CASES):
                registered = now - timedelta(hours=rng.randint(1, 200))
                cases.append(
                    Case(
                        number=f"{community.code}-{i:05d}",
                        community=community,
                        category_id=rng.choice(categories),
                        description="基准",
                        channel=rng.choice(channels),
                        status=rng.choice(["registered", "dispatched", "acknowledged"]),
                        reported_at=registered,
                        registered_at=registered,
                        response_due=registered + timedelta(hours=4),
                        resolution_due=registered + timedelta(hours=72),
                        public_token=f"bench{community.pk:06d}{i:05d}",
                    )
                )
        Case.objects.bulk_create(cases, batch_size=5000)
    return communities, streets


def timed(label: str, call) -> None:
    call()
    spent = []
    for _ in range(RUNS):
        start = time.perf_counter()
        call()
        spent.append((time.perf_counter() - start) * 1000)
    spent.sort()
    p95 = spent[min(len(spent) - 1, int(0.95 * len(spent)))]
    print(f"{label:<48} median {statistics.median(spent):7.1f} ms   p95 {p95:7.1f} ms")


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grassroots.config.settings")
    django.setup()
    from django.utils import timezone

    from grassroots.accounts.models import Role
    from grassroots.accounts.roles import system_actor
    from grassroots.cases import figures
    from grassroots.cases.models import Case, CaseMonthRollup, CaseRollup
    from grassroots.places.models import Community, Street

    if Community.objects.exists():
        print("bench/dashboard.py needs an empty, migrated database: it writes a synthetic district.")
        return 1
    started = time.perf_counter()
    communities, streets = build()
    print(
        f"built {CaseRollup.objects.count()} rollup rows for {len(communities)} communities in "
        f"{time.perf_counter() - started:.0f} s"
    )
    viewer = system_actor()
    assert viewer.role == Role.SYSTEM
    today, now = timezone.localdate(), timezone.now()
    one = [communities[0].pk]
    street = list(Community.objects.filter(street=streets[0]).values_list("pk", flat=True))
    this_month = figures.Filters(figures.Period.month_of(today))
    year = figures.Filters(figures.Period(months_back(today, 11), today.replace(day=1)))

    def read(ids, filters):
        counts = figures.counters_for(user=viewer, community_ids=ids, filters=filters)
        live = figures.live_for(user=viewer, community_ids=ids, filters=filters, now=now)
        for community_id in ids:
            figures.figures_from(counts[community_id], live[community_id])

    timed("one community, this month", lambda: read(one, this_month))
    timed("one community, twelve months", lambda: read(one, year))
    timed(f"a street ({len(street)} communities), this month", lambda: read(street, this_month))
    timed(f"a street ({len(street)} communities), twelve months", lambda: read(street, year))
    if not os.environ.get("BENCH_KEEP"):
        Case.objects.filter(community__in=communities).delete()
        CaseMonthRollup.objects.filter(community__in=communities).delete()
        CaseRollup.objects.filter(community__in=communities).delete()
        Community.objects.filter(pk__in=[c.pk for c in communities]).delete()
        Street.objects.filter(pk__in=[s.pk for s in streets]).delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())
