"""Time the hot pages on the demo data: the numbers the issues' speed targets talk about.

Run after `uv run grassroots demo --build-only`:

    GRASSROOTS_DEMO=1 GRASSROOTS_ALLOWED_HOSTS=testserver uv run python bench/pages.py

`BENCH_ONLY="care tasks"` times only the pages whose label contains it. Each page is fetched once
to warm up, then N times; the median and the best are printed
with the number of SQL queries. Speed targets live here, not in the test suite, because
a shared CI machine's timings say more about its load than about the code.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import django

RUNS = int(os.environ.get("BENCH_RUNS", "15"))
#: Time only the pages whose label contains this (BENCH_ONLY="care tasks"): one figure, quickly.
ONLY = os.environ.get("BENCH_ONLY", "")


class QueryCounter(list):
    """An execute wrapper that remembers every SQL statement run through it."""

    def __call__(self, execute, sql, params, many, context):
        self.append(sql)
        return execute(sql, params, many, context)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grassroots.config.settings")
    django.setup()
    from django.db import connection
    from django.test import Client

    from grassroots.accounts.models import User
    from grassroots.care.models import Campaign
    from grassroots.cases.models import Case
    from grassroots.people.models import Person

    granny = Person.objects.get(name="王秀兰")
    case = Case.objects.filter(status="acknowledged").order_by("-reported_at").first()
    campaign = Campaign.objects.order_by("-id").first()
    pages = [
        ("socialworker", "resident search: wxl", "/people/?q=wxl"),
        ("socialworker", "resident search: 4-2-301", "/people/?q=4-2-301"),
        ("socialworker", "household page", f"/households/{granny.current_household_id}/"),
        ("secretary", "supervision board", "/cases/board/"),
        ("secretary", "case page", f"/cases/{case.number}/"),
        ("secretary", "case list", "/cases/"),
        ("gridworker", "care worklist", "/care/worklist/"),
        ("socialworker", "care worklist: social worker", "/care/worklist/"),
        ("volunteer", "care tasks: volunteer", "/care/tasks/"),
        ("socialworker", "intake lookup: 阚", "/cases/intake/lookup/?q=%E9%98%9A"),
        ("secretary", "campaign coverage", f"/care/campaigns/{campaign.pk}/"),
    ]
    print(f"{'page':32} {'queries':>7} {'median ms':>10} {'best ms':>8}")
    for username, label, url in pages:
        if ONLY not in label:
            continue
        client = Client()
        client.force_login(User.objects.get(username=username))
        assert client.get(url).status_code == 200, url
        queries = QueryCounter()  # a wrapper: request_started clears Django's own query log
        with connection.execute_wrapper(queries):
            client.get(url)
        timings = []
        for _ in range(RUNS):
            started = time.perf_counter()
            client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        print(f"{label:32} {len(queries):>7} {statistics.median(timings):>10.1f} {min(timings):>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
