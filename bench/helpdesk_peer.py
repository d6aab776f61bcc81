"""Grassroots' API case creation beside django-helpdesk's ticket creation through its own API.

The issue's target: grassroots' `POST /api/v1/cases/` p50 at most a third of django-helpdesk's
`POST /api/tickets/` p50, measured side by side in the same run. Against the district database,
with its keys (GRASSROOTS_VAR_DIR), as bench/district_http.py runs:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/grassroots_district_big
    export GRASSROOTS_VAR_DIR=/path/to/var
    uv run python bench/helpdesk_peer.py --start --runs 30 --out bench-peer.json

(`--grassroots-url http://127.0.0.1:8810` instead of `--start` times a grassroots server already
started as bench/district_http.py starts it.) What it does:

1. The peer gets a virtual environment of its own under `--workdir` (default `var/bench-peer/`):
   `uv venv --python 3.13` and `uv pip install` of PEER_REQUIREMENTS (django-helpdesk and the
   Django, Django REST framework, gunicorn and psycopg it runs on, pinned). A venv that already
   holds exactly those pins is reused.
2. It writes a minimal Django project for the peer there (settings, urls, wsgi): helpdesk at the
   site's root with its REST API on (`HELPDESK_ACTIVATE_API_ENDPOINT`), DRF's TokenAuthentication
   (a key looked up per request, as grassroots' bearer token is), e-mail to Django's dummy backend,
   the same `CONN_MAX_AGE` as grassroots (GRASSROOTS_CONN_MAX_AGE), and grassroots' own
   query-count middleware (core/querycount.py, copied in) so that both servers answer with
   X-Query-Count, X-Query-Time and X-Request-CPU. Its PostgreSQL database (`--peer-database`,
   default `helpdesk_peer` on 127.0.0.1:5432 as postgres) is dropped and created afresh, migrated,
   given a queue, `--peer-tickets` tickets already in it (default 20,000: as many as one
   community's cases in the district) and a staff user with an API token (the ticket API admits
   staff only).
3. Both are served alike: gunicorn, `--workers` (2) × 4 threads (gthread), access log to /dev/null;
   grassroots by `grassroots serve` (bench/district_http.start_server), the peer by its gunicorn.
4. Each of the `--concurrency` clients (each a pair: a grassroots session signed in as the
   community's social worker, a helpdesk one with the staff token) alternates the two peers' POSTs,
   A then B, then B then A, so that whatever else loads the machine loads both alike; `--warmup`
   of each first, then `--runs` pairs (half as many each at concurrency above 1, as
   bench/district_http.py does). Grassroots' POST is bench/district_http.py's: the social worker
   reports and registers at once (`register: true`); `--report-only` reports without registering,
   the nearer match to a helpdesk ticket, which is only opened.

It prints p50/p95/p99 (milliseconds at the client), SQL queries per request and the servers' CPU
and SQL time per request, and the ratio grassroots p50 / helpdesk p50 at each concurrency against
the target (at most 1/3), and writes it all as JSON (`--out`) with the versions, the machine's
load and the servers' peak memory.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import django

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from district_http import (
    Client,
    Endpoint,
    fetch,
    runs_at,
    start_server,
    summary,
    targets,
    workers_peak_kb,
)

#: The peer and what it runs on, pinned: django-helpdesk's newest release on the newest Django its
#: classifiers name (5.2 and 6.0; grassroots runs 6.1), DRF, gunicorn and psycopg as grassroots has them.
PEER_REQUIREMENTS = (
    "django-helpdesk==2.6.1",
    "Django==6.0.10",
    "djangorestframework==3.18.3",
    "gunicorn==27.0.1",
    "psycopg[binary]==3.3.9",
)
PEER_PYTHON = "3.13"
#: The issue's target: grassroots' p50 at most this share of helpdesk's.
TARGET_RATIO = 1 / 3
GRASSROOTS_LABEL = "grassroots POST /api/v1/cases/"
HELPDESK_LABEL = "django-helpdesk POST /api/tickets/"
TITLE = "楼道灯不亮"
DESCRIPTION = "楼道灯不亮，晚上看不清台阶。"  # the text bench/district_http.py reports

PEER_SETTINGS = """\
# Written by bench/helpdesk_peer.py: the minimal project django-helpdesk is timed in.
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "helpdesk-peer-bench-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "helpdesk",
]
MIDDLEWARE = [
    "peer.querycount.QueryCountMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "peer.urls"
WSGI_APPLICATION = "peer.wsgi.application"
TEMPLATES = [
    {{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {{
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        }},
    }},
]
DATABASES = {{
    "default": {{
        "ENGINE": "django.db.backends.postgresql",
        "NAME": {name!r},
        "USER": {user!r},
        "HOST": {host!r},
        "PORT": {port!r},
        "CONN_MAX_AGE": {conn_max_age!r},
    }}
}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
LANGUAGE_CODE = "zh-hans"
SITE_ID = 1
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static"
MEDIA_ROOT = BASE_DIR / "media"
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@example.org"
LOGIN_URL = "helpdesk:login"
REST_FRAMEWORK = {{
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
}}
HELPDESK_ACTIVATE_API_ENDPOINT = True
HELPDESK_TEAMS_MODE_ENABLED = False  # teams need pinax-teams, an extra; tickets do not
"""

PEER_URLS = """\
from django.urls import include, path

urlpatterns = [path("", include("helpdesk.urls", namespace="helpdesk"))]
"""

PEER_WSGI = """\
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")
application = get_wsgi_application()
"""

#: Run in the peer's venv: migrate, then a queue, old tickets, a staff user and its token (JSON out).
PEER_PREPARE = """\
import json
import os
import sys
from importlib.metadata import version

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")
django.setup()

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from helpdesk.models import Queue, Ticket
from rest_framework.authtoken.models import Token

tickets = int(sys.argv[1])
call_command("migrate", interactive=False, verbosity=0)
queue = Queue.objects.create(title="报修", slug="repairs", allow_public_submission=False)
now = timezone.now()
Ticket.objects.bulk_create(
    (
        Ticket(
            queue=queue,
            title=f"旧工单 {number}",
            description="楼道灯不亮，晚上看不清台阶。",
            submitter_email=f"resident{number}@example.org",
            created=now,
            modified=now,
            status=Ticket.CLOSED_STATUS,
        )
        for number in range(tickets)
    ),
    batch_size=2000,
)
agent = get_user_model().objects.create_user(
    "bench-agent", "agent@example.org", "helpdesk-peer-bench", is_staff=True
)
print(json.dumps({
    "queue": queue.pk,
    "token": Token.objects.create(user=agent).key,
    "tickets": Ticket.objects.count(),
    "versions": {
        name: version(name)
        for name in ("django-helpdesk", "Django", "djangorestframework", "gunicorn", "psycopg")
    },
    "python": sys.version.split()[0],
}))
"""


def requirements_text() -> str:
    """The pins as a requirements file: what the venv holds once installed, to tell when to reuse it."""
    return "".join(f"{line}\n" for line in PEER_REQUIREMENTS)


def peer_venv(workdir: Path) -> Path:
    """The peer's Python: its venv under the work directory, made and installed unless it holds the pins."""
    venv, pins = workdir / "venv", workdir / "requirements.txt"
    python = venv / "bin" / "python"
    if python.exists() and pins.exists() and pins.read_text() == requirements_text():
        return python
    workdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(["uv", "venv", "--clear", "--python", PEER_PYTHON, str(venv)], check=True)  # noqa: S603, S607
    pins.write_text(requirements_text())
    try:
        subprocess.run(  # noqa: S603
            ["uv", "pip", "install", "--python", str(python), "-r", str(pins)],  # noqa: S607
            check=True,
        )
    except subprocess.CalledProcessError:
        pins.unlink()  # a half-installed venv is not reused
        raise
    return python


def write_peer_project(workdir: Path, *, database: dict, conn_max_age: int) -> Path:
    """The peer's Django project (package `peer` under the work directory); returns its directory."""
    from grassroots.core import querycount

    project = workdir / "project"
    package = project / "peer"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text(PEER_SETTINGS.format(conn_max_age=conn_max_age, **database))
    (package / "urls.py").write_text(PEER_URLS)
    (package / "wsgi.py").write_text(PEER_WSGI)
    shutil.copyfile(querycount.__file__, package / "querycount.py")  # the same headers as ours
    (project / "prepare.py").write_text(PEER_PREPARE)
    return project


def peer_database(url: str) -> dict:
    """NAME, USER, HOST, PORT of the peer's PostgreSQL database from its URL."""
    parsed = urllib.parse.urlparse(url)
    name = parsed.path.lstrip("/")
    if parsed.scheme not in ("postgres", "postgresql") or not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"--peer-database must be postgres://user@host:port/name (lower-case name): {url}")
    return {"name": name, "user": parsed.username or "postgres", "host": parsed.hostname or "127.0.0.1",
            "port": str(parsed.port or 5432)}  # fmt: skip


def recreate_database(database: dict) -> None:
    """Drop the peer's database (whoever is connected) and create it empty."""
    import psycopg
    from psycopg import sql

    dsn = f"postgresql://{database['user']}@{database['host']}:{database['port']}/postgres"
    with psycopg.connect(dsn, autocommit=True) as connection:
        name = sql.Identifier(database["name"])
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(name))


def peer_environment() -> dict[str, str]:
    """Our environment for the peer's processes, less what points at grassroots (its settings, our venv)."""
    ours = ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    return {
        **{k: v for k, v in os.environ.items() if k not in ours},
        "DJANGO_SETTINGS_MODULE": "peer.settings",
    }


def prepare_peer(python: Path, project: Path, tickets: int) -> dict:
    """Migrate the peer's database and give it a queue, old tickets and a staff user with a token."""
    done = subprocess.run(  # noqa: S603 (our own command line)
        [str(python), "prepare.py", str(tickets)],
        cwd=project, env=peer_environment(), check=True, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def start_peer(python: Path, project: Path, port: int, workers: int) -> subprocess.Popen:
    """The peer under gunicorn, shaped as `grassroots serve`: gthread workers of 4 threads."""
    command = [str(python), "-m", "gunicorn", "peer.wsgi:application", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--threads", "4", "--worker-class", "gthread", "--timeout", "60",
               "--graceful-timeout", "20", "--access-logfile", os.devnull]  # fmt: skip
    server = subprocess.Popen(command, cwd=project, env=peer_environment(), start_new_session=True)  # noqa: S603
    for _ in range(60):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/api/tickets/")
            connection.getresponse().read()
            return server
        except OSError:
            time.sleep(1)
    os.killpg(server.pid, signal.SIGTERM)
    raise SystemExit("the helpdesk peer did not start")


def pair_order(client: int, iteration: int) -> tuple[int, int]:
    """Which peer a client asks first on its n-th round: 0 then 1, then 1 then 0, shifted per client.

    Each peer goes first as often as the other, for every client and at every moment of the run.
    """
    return (0, 1) if (client + iteration) % 2 == 0 else (1, 0)


def run_pairs(pair: list[Endpoint], clients: list[list[Client]], queries: list[dict[int, list[int]]], *,
              concurrency: int, runs: int, warmup: int) -> None:  # fmt: skip
    """Time both endpoints at once: `concurrency` threads, each alternating the two peers' POSTs.

    `queries[side][concurrency]` gets each answer's X-Query-Count (Endpoint.queries holds all levels).
    """
    for side, endpoint in enumerate(pair):
        endpoint.timings[concurrency], endpoint.cpu[concurrency], endpoint.sql[concurrency] = [], [], []
        queries[side][concurrency] = []
    lock = threading.Lock()
    start = threading.Barrier(concurrency)

    def work(index: int) -> None:
        own = clients[index]
        for _ in range(warmup):
            for side in (0, 1):
                fetch(own[side], pair[side])
        start.wait()
        for iteration in range(runs):
            for side in pair_order(index, iteration):
                elapsed, status, count, cpu, sql = fetch(own[side], pair[side])
                endpoint = pair[side]
                with lock:
                    endpoint.timings[concurrency].append(elapsed)
                    endpoint.cpu[concurrency].append(cpu)
                    endpoint.sql[concurrency].append(sql)
                    endpoint.statuses.add(status)
                    endpoint.queries.append(count)
                    queries[side][concurrency].append(count)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def comparison(grassroots_p50: float, helpdesk_p50: float, target: float = TARGET_RATIO) -> dict:
    """Grassroots' p50 as a share of the peer's, and whether it meets the target share."""
    ratio = grassroots_p50 / helpdesk_p50
    return {
        "ratio": round(ratio, 3),
        "target_ratio": round(target, 3),
        "met": ratio <= target,
        "times_faster": round(helpdesk_p50 / grassroots_p50, 2) if grassroots_p50 else None,
    }


def level_summary(endpoint: Endpoint, queries: list[int], level: int) -> dict:
    """bench/district_http.py's summary at one concurrency, with that level's queries per answer."""
    return {
        **summary(endpoint, level),
        "queries_p50": statistics.median(queries),
        "queries_max": max(queries),
    }


def report_rows(pair: list[Endpoint], queries: list[dict[int, list[int]]], levels: list[int]) -> list[str]:
    """The Markdown table docs/performance.md keeps: each peer at each concurrency, then the ratio."""
    rows = [
        "| endpoint | c | queries p50 (max) | CPU ms | SQL ms | p50 | p95 | p99 | n |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for level in levels:
        for side, endpoint in enumerate(pair):
            s = level_summary(endpoint, queries[side][level], level)
            rows.append(
                f"| {endpoint.label} | {level} | {s['queries_p50']:g} ({s['queries_max']}) "
                f"| {s['server_cpu_ms_p50']:.1f} | {s['sql_ms_p50']:.1f} | {s['p50']:.1f} | {s['p95']:.1f} "
                f"| {s['p99']:.1f} | {s['n']} |"
            )
    rows.append("")
    for level in levels:
        verdict = comparison(summary(pair[0], level)["p50"], summary(pair[1], level)["p50"])
        rows.append(
            f"c={level}: grassroots p50 / helpdesk p50 = {verdict['ratio']:.3f} (target ≤ "
            f"{verdict['target_ratio']:.3f}: {'met' if verdict['met'] else 'NOT met'})"
        )
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--start", action="store_true", help="start `grassroots serve` on --port")
    where.add_argument("--grassroots-url", help="a grassroots server started with GRASSROOTS_BENCH_HEADERS=1")
    parser.add_argument("--port", type=int, default=8820, help="grassroots' port with --start")
    parser.add_argument("--peer-port", type=int, default=8821)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--community", default="C001")
    parser.add_argument("--workdir", default="var/bench-peer")
    parser.add_argument("--peer-database", default="postgres://postgres@127.0.0.1:5432/helpdesk_peer")
    parser.add_argument(
        "--peer-tickets", type=int, default=20000, help="tickets in the peer's database first"
    )
    parser.add_argument("--runs", type=int, default=30, help="pairs of requests per client")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--out", default="bench-peer.json")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="grassroots only reports the case (register: false), as helpdesk only opens a ticket",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grassroots.config.settings")
    django.setup()

    workdir = Path(args.workdir).resolve()
    database = peer_database(args.peer_database)
    python = peer_venv(workdir)
    project = write_peer_project(
        workdir, database=database, conn_max_age=int(os.environ.get("GRASSROOTS_CONN_MAX_AGE", "0"))
    )
    recreate_database(database)
    peer = prepare_peer(python, project, args.peer_tickets)
    print(
        f"helpdesk peer: {peer['versions']} on Python {peer['python']}, {peer['tickets']} tickets", flush=True
    )

    endpoints, about = targets(args.community)
    ours = next(e for e in endpoints if e.method == "POST" and e.path == "/api/v1/cases/")
    ours.label = GRASSROOTS_LABEL
    if args.report_only:
        ours.body = {**ours.body, "register": False}
    theirs = Endpoint(HELPDESK_LABEL, "api", "bench-agent", "/api/tickets/", method="POST",
                      body={"queue": peer["queue"], "title": TITLE, "description": DESCRIPTION,
                            "submitter_email": "resident@example.org", "priority": 3})  # fmt: skip
    pair = [ours, theirs]

    server = start_server(args.port, args.workers) if args.start else None
    host, port = "127.0.0.1", args.port
    if not args.start:
        parsed = urllib.parse.urlparse(args.grassroots_url)
        host, port = parsed.hostname, parsed.port or 80
    helpdesk = start_peer(python, project, args.peer_port, args.workers)
    loads = [os.getloadavg()[0]]
    queries: list[dict[int, list[int]]] = [{}, {}]
    try:
        clients = []
        for _ in range(max(args.concurrency)):  # signed in once: grassroots limits token issuance
            mine, other = Client(host, port), Client("127.0.0.1", args.peer_port)
            mine.api_sign_in(ours.username)
            other.auth_scheme, other.token = "Token", peer["token"]
            clients.append([mine, other])
        for level in args.concurrency:
            runs = runs_at(args.runs, level)
            run_pairs(pair, clients, queries, concurrency=level, runs=runs, warmup=args.warmup)
            loads.append(os.getloadavg()[0])
            for side, endpoint in enumerate(pair):
                s = level_summary(endpoint, queries[side][level], level)
                print(f"c={level} {endpoint.label:36} p50 {s['p50']:>7.1f}  p95 {s['p95']:>7.1f}  p99 "
                      f"{s['p99']:>7.1f}  queries {s['queries_p50']:g} ({s['queries_max']})  cpu "
                      f"{s['server_cpu_ms_p50']:>6.1f}  sql {s['sql_ms_p50']:>6.1f}  "
                      f"{sorted(endpoint.statuses)}", flush=True)  # fmt: skip
        peaks = {"grassroots": workers_peak_kb(server.pid if server else None),
                 "helpdesk": workers_peak_kb(helpdesk.pid)}  # fmt: skip
    finally:
        for process in (helpdesk, server):
            if process is not None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
    print("\n" + "\n".join(report_rows(pair, queries, args.concurrency)))
    bad = {e.label: sorted(e.statuses - {201}) for e in pair if e.statuses - {201}}
    result = {
        "about": {**about, "grassroots_database": django.db.connection.settings_dict["NAME"],
                  "peer_tickets_before": peer["tickets"], "runs": args.runs, "warmup": args.warmup,
                  "grassroots_body": ours.body, "helpdesk_body": theirs.body},
        "peer": {"versions": peer["versions"], "python": peer["python"],
                 "requirements": list(PEER_REQUIREMENTS)},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version()},
        "load_average": {"min": min(loads), "max": max(loads), "mean": round(statistics.mean(loads), 2)},
        "server_processes_peak_rss_mb": {
            side: {name: round(kb / 1024, 1) for name, kb in found.items()} for side, found in peaks.items()
        },
        "endpoints": [
            {"label": e.label, "path": e.path, "statuses": sorted(e.statuses),
             **{f"c{c}": level_summary(e, queries[side][c], c) for c in args.concurrency}}
            for side, e in enumerate(pair)
        ],
        "ratio_p50": {
            f"c{c}": comparison(summary(ours, c)["p50"], summary(theirs, c)["p50"]) for c in args.concurrency
        },
    }  # fmt: skip
    with open(args.out, "w") as out:
        json.dump(result, out, ensure_ascii=False, indent=2)
    print(f"load average during the run: {result['load_average']}; written to {args.out}")
    if bad:
        print(f"answers other than 201 Created: {bad}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
