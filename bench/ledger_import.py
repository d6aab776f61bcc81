"""Time the ledger import: residents per second from .xlsx into the database, and peak memory.

Issue 9.11's targets: 20,000 residents/s from .xlsx into PostgreSQL including validation,
encryption and blind indexes, and a 100,000-row file with 1% bad rows where every error is
reported, nothing is written and the peak memory stays under 500 MB. Run on a migrated database:

    DATABASE_URL=postgres://... uv run grassroots migrate
    DATABASE_URL=postgres://... uv run python bench/ledger_import.py

`BENCH_ROWS=20000` makes smaller files. Each case runs in a process of its own, so that its peak
memory (ru_maxrss) is its own. Every run makes a community of its own (BENCH-<time>), so the
database keeps growing: use a scratch database.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import django

ROWS = int(os.environ.get("BENCH_ROWS", "100000"))
ROOMS_PER_ENTRANCE = 24
ENTRANCES = 4
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ("秀兰", "建国", "桂英", "淑珍", "志强", "丽娟", "国华", "明", "婷", "子涵", "浩然", "玉兰")


#: A region code of this run's own, so that the ID numbers of two runs never meet in the register.
REGION = os.environ.get("BENCH_REGION") or f"{int(time.time()) % 900000 + 100000:06d}"


def id_number(index: int) -> str:
    from grassroots.core.pii import id_check_char

    birth = date(1940, 1, 1) + timedelta(days=index // 900)
    first17 = f"{REGION}{birth:%Y%m%d}{index % 900 + 100:03d}"
    return first17 + id_check_char(first17)


def rows(count: int, *, bad_every: int = 0) -> list[list[str]]:
    """Rows of a plausible ledger; with bad_every=100, one row in a hundred has a wrong check digit."""
    per_building = ENTRANCES * ROOMS_PER_ENTRANCE * 4  # four people a household
    made = []
    for index in range(count):
        number = id_number(index)
        if bad_every and index % bad_every == bad_every - 1:
            number = number[:17] + ("0" if number[17] != "0" else "1")
        household = index // 4
        building = index // per_building + 1
        entrance = household % ENTRANCES + 1
        room = f"{(household // ENTRANCES) % ROOMS_PER_ENTRANCE + 101}"
        name = SURNAMES[index % len(SURNAMES)] + GIVEN[(index // 7) % len(GIVEN)]
        made.append(
            [
                name,
                number,
                f"139{index:08d}",
                f"{building}-{entrance}-{room}",
                "户主" if index % 4 == 0 else "子女",
            ]
        )
    return made


def make_community(count: int):
    from grassroots.places.models import Building, Community, Grid, Household, Street

    code = f"BENCH-{int(time.time())}"
    street, _ = Street.objects.get_or_create(code="BENCH", defaults={"name": "测试街道"})
    community = Community.objects.create(street=street, name="测速社区", code=code)
    grid = Grid.objects.create(community=community, name="测速网格", code="A")
    buildings_needed = count // (ENTRANCES * ROOMS_PER_ENTRANCE * 4) + 1
    buildings = Building.objects.bulk_create(
        Building(community=community, grid=grid, number=n, entrances=ENTRANCES)
        for n in range(1, buildings_needed + 1)
    )
    Household.objects.bulk_create(
        Household(building=b, grid=grid, entrance=e, room=str(101 + r))
        for b in buildings
        for e in range(1, ENTRANCES + 1)
        for r in range(ROOMS_PER_ENTRANCE)
    )
    return community


def python_cpu() -> float:
    """CPU seconds of this process (user and system): the import's Python side, whatever the load."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def backend_pid(connection) -> int | None:
    """The PostgreSQL backend serving this connection (None elsewhere)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def process_cpu(pid: int | None) -> float | None:
    """CPU seconds of a process on this machine from /proc (the database backend), None if unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, TypeError):
        return None  # no backend, or the database runs elsewhere
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def wal_written(connection, since: str | None = None):
    """The write-ahead log's position, or the bytes written since `since`: the database's writing
    measured in bytes, which the machine's load does not change (None elsewhere)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        if since is None:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
        else:
            cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s::pg_lsn)", [since])
        return cursor.fetchone()[0]


def run_case(case: str) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grassroots.config.settings")
    django.setup()
    from django.db import connection
    from tests.ledger_files import xlsx_bytes

    from grassroots.accounts import system_actor
    from grassroots.ledger import runs
    from grassroots.people.models import Person

    header = ["姓名", "身份证号", "联系电话", "住址", "与户主关系"]
    content = xlsx_bytes(header, rows(ROWS, bad_every=100 if case == "bad" else 0))
    community = make_community(ROWS)
    gc.collect()  # the garbage of making the file is the benchmark's, not the import's
    run = runs.open_run(
        actor=system_actor(),
        community=community,
        kind="residents",
        file_name=f"{case}.xlsx",
        content=content,
        via="cli",
    )
    backend, wal = backend_pid(connection), wal_written(connection)
    python_before, backend_before = python_cpu(), process_cpu(backend)
    started = time.perf_counter()
    checked = runs.import_run(run, batch_size=int(os.environ.get("BENCH_BATCH", "2000")))
    elapsed = time.perf_counter() - started
    python_spent, backend_after = python_cpu() - python_before, process_cpu(backend)
    wal_bytes = wal_written(connection, wal)
    run.refresh_from_db()
    return {
        "case": case,
        "database": connection.vendor,
        "rows": ROWS,
        "file_mb": round(len(content) / 2**20, 1),
        "seconds": round(elapsed, 2),
        "rows_per_second": round(ROWS / elapsed),
        "status": run.status,
        "new": run.new_count,
        "rejected": run.rejected_count,
        "problems_reported": len(run.problems),
        "people_written": Person.objects.filter(community=community).count(),
        "checked_rows": len(checked.plan.rows) if checked else 0,
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "python_cpu_s": round(python_spent, 2),
        "database_cpu_s": (round(backend_after - backend_before, 2) if backend_after is not None else None),
        "database_wal_mb": round(float(wal_bytes) / 2**20, 1) if wal_bytes is not None else None,
        "load_average": round(os.getloadavg()[0], 2),
    }


def main() -> int:
    if len(sys.argv) > 1:
        print(json.dumps(run_case(sys.argv[1]), ensure_ascii=False))
        return 0
    root = Path(__file__).resolve().parent.parent
    for case in ("valid", "bad"):
        result = subprocess.run(  # noqa: S603 - this script itself, with a fixed argument
            [sys.executable, __file__, case],
            capture_output=True,
            text=True,
            check=True,
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)},
        )
        print(result.stdout.strip().splitlines()[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
