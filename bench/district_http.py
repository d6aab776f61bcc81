"""Time the district's hot pages over HTTP, as their users, at concurrency 1 and 8.

Run against a database made by bench/district.py, with the same keys (GRASSROOTS_VAR_DIR):

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/grassroots_district_big
    export GRASSROOTS_VAR_DIR=/path/to/var
    uv run python bench/district_http.py --start --port 8810 --out bench-district.json

`--start` runs `grassroots serve` (gunicorn, `--workers`, 4 threads each) on the port with
GRASSROOTS_BENCH_HEADERS=1 (each answer says how many SQL queries it ran: core.querycount) and
the second factor off (the benchmark signs in with a password; a TOTP code is no cost we time);
without it the server at `--url` must have been started so. The targets (a resident's name, a
case, a household) are read from the database first; then each endpoint is fetched `--warmup`
times, then `--runs` times by each of the `--concurrency` clients at once (each its own signed-in
session). It prints p50, p95, p99 (milliseconds, wall clock at the client), SQL queries per
request and the answers' status, and writes all of it as JSON with the machine's load and the
workers' peak memory (VmHWM from /proc). `--only search` times the endpoints whose label holds it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

import django

PASSWORD = "grassroots-bench"  # noqa: S105 (bench/district.py's accounts)
#: What the issue asks of each kind of endpoint: p95 at most this many milliseconds.
TARGETS = {"search": 20, "board": 50, "list": 50, "page": 50, "dashboard": 100, "api": None}


@dataclass
class Endpoint:
    label: str
    kind: str  # a key of TARGETS
    username: str
    path: str
    method: str = "GET"
    body: dict | None = None
    timings: dict[int, list[float]] = field(default_factory=dict)
    queries: list[int] = field(default_factory=list)
    cpu: dict[int, list[float]] = field(default_factory=dict)  # the server's Python CPU ms (X-Request-CPU)
    sql: dict[int, list[float]] = field(default_factory=dict)  # the SQL ms as the app saw them (X-Query-Time)
    statuses: set[int] = field(default_factory=set)


class Client:
    """One signed-in browser: a kept-alive connection, the session and CSRF cookies."""

    #: The Authorization header's word before `token` (DRF's own TokenAuthentication says "Token").
    auth_scheme = "Bearer"

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.connection = http.client.HTTPConnection(host, port, timeout=120)
        self.cookies: dict[str, str] = {}
        self.token = ""

    def request(self, method: str, path: str, *, form=None, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"{self.auth_scheme} {self.token}"
        for attempt in range(2):
            try:
                self.connection.request(method, path, body=data, headers=headers)
                response = self.connection.getresponse()
                content = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                if attempt:
                    raise
                self.connection.close()
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response, content

    def sign_in(self, username: str) -> None:
        self.request("GET", "/login/")
        response, _ = self.request(
            "POST",
            "/login/",
            form={
                "username": username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.cookies.get("csrftoken", ""),
            },
            headers={"Referer": f"http://{self.host}:{self.port}/login/"},
        )
        if response.status != 302:
            raise SystemExit(f"signing in as {username} answered {response.status}")

    def api_sign_in(self, username: str) -> None:
        response, content = self.request(
            "POST", "/api/v1/auth/token/", body={"username": username, "password": PASSWORD}
        )
        if response.status not in (200, 201):
            raise SystemExit(f"API token for {username}: {response.status} {content[:200]!r}")
        self.cookies = {}
        self.token = json.loads(content)["token"]


def targets(community_code: str) -> tuple[list[Endpoint], dict]:
    """The endpoints, with real names, numbers and places of the community read from the database."""
    from grassroots.cases.models import Case, Category
    from grassroots.core import pii
    from grassroots.people.models import Person
    from grassroots.places.models import Community

    community = Community.objects.get(code=community_code)
    code = community_code.lower()
    people = Person.objects.filter(community=community).exclude(phone_encrypted="")
    two = people.filter(name__regex=r"^.{2}$").order_by("id").first()
    three = people.filter(name__regex=r"^.{3}$").order_by("id").first()
    phone = pii.decrypt(three.phone_encrypted)
    case = Case.objects.filter(community=community, status="acknowledged").order_by("-reported_at").first()
    category = Category.objects.get(code="repairs")
    household = three.current_household
    sw, sec, gw = f"sw-{code}", f"sec-{code}", f"gw-{code}-1"
    street = f"street-{community.street.code.lower()}"
    search = [
        ("2-character full name", two.name),
        ("surname alone", three.name[0]),
        ("given name alone", three.name[1:]),
        ("pinyin initials", three.name_initials),
        ("phone fragment", phone[-4:]),
        ("address", household.address),
    ]
    endpoints = [
        Endpoint(f"search: {label} ({text if label != 'phone fragment' else '4 digits'})", "search", sw,
                 "/people/?" + urllib.parse.urlencode({"q": text}))
        for label, text in search
    ]  # fmt: skip
    endpoints += [
        Endpoint("search: surname alone, district-wide (admin)", "search", "district-admin",
                 "/people/?" + urllib.parse.urlencode({"q": three.name[0]})),
        Endpoint("supervision board (secretary)", "board", sec, "/cases/board/"),
        Endpoint("supervision board (admin, district)", "board", "district-admin", "/cases/board/"),
        Endpoint("case list (secretary)", "list", sec, "/cases/"),
        Endpoint("case list: status + category (secretary)", "list", sec,
                 f"/cases/?status=closed&category={category.pk}"),
        Endpoint("case list: words (secretary)", "list", sec,
                 "/cases/?" + urllib.parse.urlencode({"q": "漏水"})),
        Endpoint("case list (street)", "list", street, "/cases/"),
        Endpoint("case list (admin, district)", "list", "district-admin", "/cases/"),
        Endpoint("case page (secretary)", "page", sec, f"/cases/{case.number}/"),
        Endpoint("household page (social worker)", "page", sw, f"/households/{household.pk}/"),
        Endpoint("care worklist (grid worker)", "page", gw, "/care/worklist/"),
        Endpoint("dashboard (community secretary)", "dashboard", sec, "/dashboard/"),
        Endpoint("dashboard (street)", "dashboard", street, "/dashboard/"),
        Endpoint("API case creation (social worker)", "api", sw, "/api/v1/cases/", method="POST",
                 body={"category": "repairs-home", "description": "楼道灯不亮，晚上看不清台阶。",
                       "channel": "phone", "household": household.pk, "register": True}),
    ]  # fmt: skip
    about = {
        "community": community_code,
        "people_in_community": Person.objects.filter(community=community).count(),
    }
    return endpoints, about


def fetch(client: Client, endpoint: Endpoint) -> tuple[float, int, int, float, float]:
    started = time.perf_counter()
    response, _content = client.request(endpoint.method, endpoint.path, body=endpoint.body)
    elapsed = (time.perf_counter() - started) * 1000
    return (
        elapsed,
        response.status,
        int(response.getheader("X-Query-Count") or -1),
        float(response.getheader("X-Request-CPU") or -1),
        float(response.getheader("X-Query-Time") or -1),
    )


def run(endpoint: Endpoint, host: str, port: int, *, concurrency: int, runs: int, warmup: int) -> None:
    clients = [Client(host, port) for _ in range(concurrency)]
    for client in clients:
        if endpoint.kind == "api":
            client.api_sign_in(endpoint.username)
        else:
            client.sign_in(endpoint.username)
    for client in clients:
        for _ in range(warmup):
            fetch(client, endpoint)
    timings: list[float] = []
    endpoint.cpu[concurrency], endpoint.sql[concurrency] = [], []
    lock = threading.Lock()
    start = threading.Barrier(concurrency)

    def work(client: Client) -> None:
        start.wait()
        for _ in range(runs):
            elapsed, status, queries, cpu, sql = fetch(client, endpoint)
            with lock:
                timings.append(elapsed)
                endpoint.cpu[concurrency].append(cpu)
                endpoint.sql[concurrency].append(sql)
                endpoint.statuses.add(status)
                endpoint.queries.append(queries)

    threads = [threading.Thread(target=work, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    endpoint.timings[concurrency] = timings


def runs_at(runs: int, concurrency: int) -> int:
    """Requests per client at a concurrency: half of `--runs` each when several clients share the load."""
    return max(1, runs // (2 if concurrency > 1 else 1))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary(endpoint: Endpoint, concurrency: int) -> dict:
    values = endpoint.timings[concurrency]
    return {
        "p50": round(statistics.median(values), 1),
        "p95": round(percentile(values, 0.95), 1),
        "p99": round(percentile(values, 0.99), 1),
        "n": len(values),
        "server_cpu_ms_p50": round(statistics.median(endpoint.cpu[concurrency]), 1),
        "sql_ms_p50": round(statistics.median(endpoint.sql[concurrency]), 1),
    }


def _children(pid: int) -> list[int]:
    """The processes `pid` started, from any of its threads (uv starts the server from another)."""
    children = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as listing:
                children += [int(child) for child in listing.read().split()]
        except OSError:
            continue
    return children


def workers_peak_kb(root: int | None) -> dict[str, int]:
    """VmHWM (peak resident memory, kB) of every process under the server, by "pid command"."""
    if root is None:
        return {}
    peaks, todo = {}, _children(root)
    while todo:
        pid = todo.pop()
        todo += _children(pid)
        try:
            with open(f"/proc/{pid}/status") as status, open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                found = re.search(r"VmHWM:\s+(\d+) kB", status.read())
                command = cmdline.read().replace(b"\0", b" ").decode(errors="replace")[-60:]
        except OSError:
            continue
        if found:
            peaks[f"{pid} {command.strip()}"] = int(found.group(1))
    return peaks


def start_server(port: int, workers: int) -> subprocess.Popen:
    env = dict(
        os.environ,
        GRASSROOTS_BENCH_HEADERS="1",
        GRASSROOTS_REQUIRE_SECOND_FACTOR="false",
        GRASSROOTS_SSL_REDIRECT="false",
        GRASSROOTS_SECURE_COOKIES="false",
        GRASSROOTS_ACCESS_LOG=os.devnull,
        GRASSROOTS_ALLOWED_HOSTS="127.0.0.1,localhost",
    )
    command = [
        "uv",
        "run",
        "grassroots",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-migrate",
    ]
    server = subprocess.Popen(  # noqa: S603 (our own command line)
        command,
        env=env,
        start_new_session=True,
    )
    for _ in range(120):
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/healthz")
            return server
        except OSError:
            time.sleep(1)
    server.kill()
    raise SystemExit("the server did not start")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8810")
    parser.add_argument("--start", action="store_true", help="start `grassroots serve` on --port")
    parser.add_argument("--port", type=int, default=8810)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--community", default="C001")
    parser.add_argument("--runs", type=int, default=30, help="requests per client")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--only", default="")
    parser.add_argument("--out", default="bench-district.json")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grassroots.config.settings")
    django.setup()
    endpoints, about = targets(args.community)
    endpoints = [e for e in endpoints if args.only in e.label]
    server = start_server(args.port, args.workers) if args.start else None
    host, port = "127.0.0.1", args.port
    if not args.start:
        parsed = urllib.parse.urlparse(args.url)
        host, port = parsed.hostname, parsed.port or 80
    master = server.pid if server else None
    loads = [os.getloadavg()[0]]
    try:
        for concurrency in args.concurrency:
            for endpoint in endpoints:
                runs = runs_at(args.runs, concurrency)
                run(endpoint, host, port, concurrency=concurrency, runs=runs, warmup=args.warmup)
                loads.append(os.getloadavg()[0])
                s = summary(endpoint, concurrency)
                print(
                    f"c={concurrency} {endpoint.label:52} p50 {s['p50']:>8.1f}  p95 {s['p95']:>8.1f}"
                    f"  p99 {s['p99']:>8.1f}  queries {max(endpoint.queries)}"
                    f"  cpu {s['server_cpu_ms_p50']:>6.1f}  sql {s['sql_ms_p50']:>6.1f}"
                    f"  {sorted(endpoint.statuses)}",
                    flush=True,
                )
        peaks = workers_peak_kb(master)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    print_table(endpoints, args.concurrency)
    result = {
        "about": about,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "load_average": {"min": min(loads), "max": max(loads), "mean": round(statistics.mean(loads), 2)},
        "server_processes_peak_rss_mb": {name: round(kb / 1024, 1) for name, kb in peaks.items()},
        "endpoints": [
            {
                "label": e.label,
                "kind": e.kind,
                "user": e.username,
                "path": e.path if e.kind != "search" or "phone" not in e.label else "/people/?q=<4 digits>",
                "target_p95_ms": TARGETS[e.kind],
                "queries": max(e.queries),
                "statuses": sorted(e.statuses),
                **{f"c{c}": summary(e, c) for c in args.concurrency if c in e.timings},
            }
            for e in endpoints
        ],
    }
    with open(args.out, "w") as out:
        json.dump(result, out, ensure_ascii=False, indent=2)
    print(f"load average during the run: {result['load_average']}; peak RSS of the server's processes (MB): "
          f"{result['server_processes_peak_rss_mb']}; written to {args.out}")  # fmt: skip
    return 0


def print_table(endpoints: list[Endpoint], levels: list[int]) -> None:
    """The Markdown table docs/performance.md keeps."""
    heads = " | ".join(f"c={c} p50 | p95 | p99" for c in levels)
    print(f"\n| endpoint | queries | CPU ms | SQL ms | {heads} | target p95 |")
    print("| --- | ---: | ---: | ---: |" + " ---: | ---: | ---: |" * len(levels) + " ---: |")
    for e in endpoints:
        cells = " | ".join(
            " | ".join(f"{summary(e, c)[p]:.0f}" for p in ("p50", "p95", "p99"))
            for c in levels
            if c in e.timings
        )
        target = TARGETS[e.kind]
        first = summary(e, levels[0])
        print(
            f"| {e.label} | {max(e.queries)} | {first['server_cpu_ms_p50']:.0f} | {first['sql_ms_p50']:.0f}"
            f" | {cells} | {target if target else '–'} |"
        )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
