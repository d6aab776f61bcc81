"""The SQL plans behind the district benchmark's pages: each page's slowest queries, explained.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/grassroots_district_big
    export GRASSROOTS_VAR_DIR=/path/to/var
    uv run python bench/district_plans.py [--only search] [--top 2] [--min-ms 5]

Each endpoint of bench/district_http.py is rendered in-process (Django's test client, signed in
as the same user) once to warm up and once with every query captured; the `--top` slowest
queries of at least `--min-ms` are run again under EXPLAIN (ANALYZE, BUFFERS) and their plans
printed, so a slow page says which query and which plan node cost it.
"""

from __future__ import annotations

import argparse
import os
import sys

import django

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--community", default="C001")
    parser.add_argument("--only", default="")
    parser.add_argument("--top", type=int, default=2)
    parser.add_argument("--min-ms", type=float, default=5.0)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grassroots.config.settings")
    os.environ.setdefault("GRASSROOTS_SSL_REDIRECT", "false")
    os.environ["GRASSROOTS_REQUIRE_SECOND_FACTOR"] = "false"
    os.environ.setdefault("GRASSROOTS_ALLOWED_HOSTS", "testserver")
    django.setup()
    from district_http import targets
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from grassroots.accounts.models import User

    endpoints, _about = targets(args.community)
    for endpoint in endpoints:
        if args.only not in endpoint.label or endpoint.method != "GET":
            continue
        client = Client()
        client.force_login(User.objects.get(username=endpoint.username))
        client.get(endpoint.path)
        with CaptureQueriesContext(connection) as captured:
            status = client.get(endpoint.path).status_code
        queries = sorted(captured.captured_queries, key=lambda q: float(q["time"]), reverse=True)
        total = sum(float(q["time"]) for q in queries) * 1000
        print(f"\n=== {endpoint.label} ({status}): {len(queries)} queries, {total:.1f} ms in SQL")
        for query in queries[: args.top]:
            ms = float(query["time"]) * 1000
            if ms < args.min_ms:
                break
            print(f"--- {ms:.1f} ms: {query['sql'][:600]}")
            with transaction.atomic(), connection.cursor() as cursor:  # rolled back: EXPLAIN ANALYZE runs it
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                print("\n".join(row[0] for row in cursor.fetchall()))
                transaction.set_rollback(True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
