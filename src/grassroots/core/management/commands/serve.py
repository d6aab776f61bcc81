"""`grassroots serve`: run the app under gunicorn, with static files served by WhiteNoise.

This is the production server (several worker threads, request timeouts, graceful
restarts), not Django's development server. `grassroots demo` serves the same way.
"""

from __future__ import annotations

import gc
import os
import socket

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from grassroots.core.keys import DataKeyMismatch, require_data_key


def _freeze_startup_objects(worker) -> None:
    """Once a worker has loaded Django, its ~360,000 start-up objects (models, URLs, templates,
    translations) live as long as it does: frozen, the garbage collector stops walking them at each
    full collection, which otherwise adds its pause to whichever request triggered it."""
    gc.freeze()


def run_gunicorn(*, host: str, port: int, workers: int, threads: int) -> None:
    """Start gunicorn in this process on the project's WSGI application."""
    from gunicorn.app.base import BaseApplication

    class GrassrootsServer(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("timeout", 60)
            self.cfg.set("graceful_timeout", 20)
            self.cfg.set("accesslog", os.environ.get("GRASSROOTS_ACCESS_LOG", "-"))
            # Searched phone numbers never reach the access log (core.accesslog).
            self.cfg.set("logger_class", "grassroots.core.accesslog.RedactingLogger")
            self.cfg.set("post_worker_init", _freeze_startup_objects)

        def load(self):
            from grassroots.config.wsgi import application

            return application

    GrassrootsServer().run()


class Command(BaseCommand):
    help = "Serve grassroots with gunicorn (production server), after migrating and collecting static files."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("GRASSROOTS_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("GRASSROOTS_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("GRASSROOTS_WORKERS", "2")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("GRASSROOTS_THREADS", "4")))
        parser.add_argument("--no-migrate", action="store_true", help="Do not apply migrations first.")

    def handle(self, *args, **options) -> None:
        ensure_port_free(options["host"], options["port"])
        prepare_to_serve(migrate=not options["no_migrate"])
        run_gunicorn(
            host=options["host"], port=options["port"], workers=options["workers"], threads=options["threads"]
        )


def ensure_port_free(host: str, port: int, *, command: str = "serve") -> None:
    """Refuse at once, and say how to choose another, when something already listens on the port.

    gunicorn would only find out after printing the address and retrying five times.
    """
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as error:
            raise CommandError(
                f"Port {port} on {host} is already in use ({error.strerror}). Stop what runs there, "
                f"or choose another port: grassroots {command} --port {port + 1}"
            ) from None


def prepare_to_serve(*, migrate: bool = True) -> None:
    """Apply migrations and collect static files, so a fresh checkout serves at once."""
    if migrate:
        call_command("migrate", interactive=False, verbosity=0)
    refuse_a_wrong_data_key()
    call_command("collectstatic", interactive=False, verbosity=0)


def refuse_a_wrong_data_key() -> None:
    """Stop here, saying why, when the data key cannot read this database's personal data."""
    try:
        require_data_key()
    except DataKeyMismatch as error:
        raise CommandError(str(error)) from None
