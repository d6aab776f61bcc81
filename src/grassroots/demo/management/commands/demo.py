"""`grassroots demo`: the Heshengyuan community of the article, ready to try in one command.

Creates the demo database if it is missing (or reuses it, so a restart is fast),
prints where it is served and the demo accounts, then serves it with the same
production server as `grassroots serve`. The cli points it at var/demo.sqlite3, so
trying the demo never touches real data; and if DATABASE_URL points at a database
that holds real data, it refuses rather than mix the demo into it.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from grassroots.core.management.commands.serve import ensure_port_free, prepare_to_serve, run_gunicorn
from grassroots.demo.api import DEMO_KEY
from grassroots.demo.builder import DEMO_PASSWORD, DemoRefused, DemoResult, demo_accounts, demo_ensure
from grassroots.places.management.commands.stats import community_figures


class Command(BaseCommand):
    help = (
        "Create (or reuse) the Heshengyuan demo database, print the demo accounts and serve it. "
        "Refuses a database that holds data other than the demo."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("GRASSROOTS_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("GRASSROOTS_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("GRASSROOTS_WORKERS", "2")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("GRASSROOTS_THREADS", "4")))
        parser.add_argument(
            "--build-only",
            action="store_true",
            help="Create or reuse the demo and print the accounts; do not serve.",
        )
        parser.add_argument(
            "--rebuild", action="store_true", help="Clear the demo data and build it again from scratch."
        )
        parser.add_argument("--no-migrate", action="store_true", help="Do not apply migrations first.")

    def handle(self, *args, **options) -> None:
        serving = not options["build_only"]
        if serving:
            ensure_port_free(options["host"], options["port"], command="demo")
            prepare_to_serve(migrate=not options["no_migrate"])
        elif not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        try:
            result = demo_ensure(rebuild=options["rebuild"])
        except DemoRefused as exc:
            raise CommandError(str(exc)) from exc
        address = f"http://{options['host']}:{options['port']}/" if serving else None
        self._report(result, address)
        if serving:
            link_messages_to(options["host"], options["port"])
            self.stdout.flush()
            worker = start_worker_process()
            self.stdout.write(f"Worker:   notifications and overdue sweeps (pid {worker.pid})")
            self.stdout.flush()
            run_gunicorn(
                host=options["host"],
                port=options["port"],
                workers=options["workers"],
                threads=options["threads"],
            )

    def _report(self, result: DemoResult, address: str | None) -> None:
        """What an operator needs to start: the figures, where it is served, and how to sign in."""
        figures = community_figures([result.community])[0]
        how = f"built in {result.seconds:.1f} s" if result.built else "reused"
        self.stdout.write(
            f"{result.community.street.name} {result.community.name} demo ({how}): "
            f"{figures['households']} households, {figures['residents']} residents, "
            f"{figures['party_members']} resident party members, "
            f"{figures['volunteer_teams']} volunteer teams."
        )
        self.stdout.write(f"Database: {_database_label()}")
        if address:
            self.stdout.write(f"Address:  {address}  (Ctrl+C to stop)")
        accounts = demo_accounts()
        width = max(len(account.username) for account in accounts)
        self.stdout.write(f"\nDemo accounts:\n  {'username'.ljust(width)}  {'password'.ljust(15)}  role")
        for account in accounts:
            who = f"{account.role_label}, {account.name}" + (f", {account.where}" if account.where else "")
            columns = (account.username.ljust(width), DEMO_PASSWORD.ljust(15), account.role.ljust(12))
            self.stdout.write(f"  {'  '.join(columns)}  ({who})")
        self.stdout.write(
            f"\nAPI client (12345 hotline integration) key: {DEMO_KEY}\n"
            f"  REST API: {address or '/'}api/v1/docs/   Open311: {address or '/'}open311/v2/discovery.json\n"
        )


def _database_label() -> str:
    """The SQLite file, or engine, host and name of another database (never its password)."""
    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        return str(settings["NAME"])
    return f"{settings['ENGINE'].rsplit('.', 1)[-1]} {settings.get('HOST') or 'localhost'}/{settings['NAME']}"


def link_messages_to(host: str, port: int) -> None:
    """Links in the demo's messages open the demo where it is served, unless the operator named an address.

    Set in the environment too, so that the worker process started next builds the same links.
    """
    if os.environ.get("GRASSROOTS_PUBLIC_URL") or os.environ.get("GRASSROOTS_NOTIFY_BASE_URL"):
        return
    shown = "127.0.0.1" if host in {"", "0.0.0.0", "::"} else host  # noqa: S104 - compared, not bound
    url = f"http://{shown}:{port}"
    os.environ["GRASSROOTS_PUBLIC_URL"] = url
    settings.GRASSROOTS_PUBLIC_URL = url


def start_worker_process() -> subprocess.Popen:
    """`grassroots worker` beside the server, on the same (demo) database; stopped when the demo stops.

    A separate process rather than threads in gunicorn's master, so that forking the
    web workers never copies a worker's database connection.
    """
    worker = subprocess.Popen([sys.executable, "-m", "grassroots", "worker"], env=os.environ.copy())
    atexit.register(_stop, worker)
    return worker


def _stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
