"""Backups that can be restored: the database, the uploads, and the fingerprint of their key.

One archive (`grassroots-YYYYmmdd-HHMMSS.tar.gz`, mode 0600) holds a consistent copy of the
database (SQLite's online backup, safe while the server runs, or PostgreSQL's `pg_dump -Fc`),
the uploaded files, and a manifest naming the data key's fingerprint. The key itself is never
in the archive: a backup and its key kept together would hand the residents' ID and phone
numbers to whoever finds the archive. `restore` refuses an archive whose key is not the one
configured, before it touches anything, and a database that already holds data unless told to
replace it.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, connections
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from grassroots.core import keys

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
MEDIA = "media"


class BackupError(Exception):
    """A backup or restore that cannot go on, with what to do."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: dict


# --- backup -------------------------------------------------------------------------------------


def backup(folder: Path) -> BackupResult:
    """Write one archive into `folder` and return it with its manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    target = folder / f"grassroots-{stamp}.tar.gz"
    with tempfile.TemporaryDirectory(prefix="grassroots-backup-") as work:
        work_dir = Path(work)
        database_file = _dump_database(work_dir)
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "database": connection.vendor,
            "data_key_fingerprint": keys.configured_fingerprint(),
            "migrations": _latest_migrations(),
        }
        (work_dir / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            archive.add(work_dir / MANIFEST, arcname=MANIFEST)
            archive.add(database_file, arcname=database_file.name)
            media = Path(settings.MEDIA_ROOT)
            if media.is_dir():
                archive.add(media, arcname=MEDIA)
    return BackupResult(target, manifest)


def _dump_database(work_dir: Path) -> Path:
    if connection.in_atomic_block:
        # SQLite's backup would wait for ever on this connection's own uncommitted writes, and
        # pg_dump (another session) would not see them: a backup copies what is committed.
        raise BackupError("A backup copies committed data: run it outside a transaction.")
    if connection.vendor == "sqlite":
        target = work_dir / SQLITE_FILE
        connection.ensure_connection()
        with sqlite3.connect(target) as copy:
            connection.connection.backup(copy)  # a consistent copy, while the server writes
        copy.close()
        return target
    if connection.vendor == "postgresql":
        target = work_dir / PG_FILE
        _run_pg(["pg_dump", "--format=custom", "--no-owner", "--file", str(target)], connection.settings_dict)
        return target
    raise BackupError(f"Backups of a {connection.vendor} database are not supported.")


def _latest_migrations() -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in (
        MigrationRecorder(connection).migration_qs.order_by("app", "name").values_list("app", "name")
    ):
        latest[app] = name
    return latest


def _pg_environment(settings_dict: dict) -> dict[str, str]:
    """libpq's variables for the configured database (the password never on a command line)."""
    environment = dict(os.environ)
    for variable, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
        ("PGDATABASE", "NAME"),
    ):
        if settings_dict.get(key):
            environment[variable] = str(settings_dict[key])
    return environment


def _run_pg(command: list[str], settings_dict: dict) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed: install PostgreSQL's client programs.")
    # The command is one of ours (pg_dump or pg_restore) with paths we made; no shell.
    done = subprocess.run(  # noqa: S603
        command, env=_pg_environment(settings_dict), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-500:]}")


# --- restore ------------------------------------------------------------------------------------


def read_manifest(archive_path: Path) -> dict:
    try:
        with tarfile.open(archive_path, mode="r:gz") as archive:
            member = archive.extractfile(MANIFEST)
            manifest = json.loads(member.read()) if member else None
    except (OSError, tarfile.TarError, KeyError, json.JSONDecodeError) as error:
        raise BackupError(f"{archive_path} is not a grassroots backup: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{archive_path} is not a grassroots backup of format {FORMAT}.")
    return manifest


def _holds_data() -> bool:
    """Whether the configured database already has grassroots tables with rows in them."""
    tables = set(connection.introspection.table_names())
    if "people_person" not in tables:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM people_person LIMIT 1")
        return cursor.fetchone() is not None


def restore(archive_path: Path, *, replace: bool = False) -> dict:
    """Put the archive's database and uploads in place of the configured ones; return its manifest."""
    manifest = read_manifest(archive_path)
    if manifest["database"] != connection.vendor:
        raise BackupError(
            f"This backup is of a {manifest['database']} database and the configured one is "
            f"{connection.vendor}: restore it into a {manifest['database']} database (DATABASE_URL)."
        )
    if manifest["data_key_fingerprint"] != keys.configured_fingerprint():
        raise BackupError(
            f"This backup was sealed with the data key of fingerprint {manifest['data_key_fingerprint'][:8]} "
            f"and the configured key's is {keys.configured_fingerprint()[:8]}: set GRASSROOTS_DATA_KEY (or "
            "var/data.key) to the key kept with this backup. Nothing was changed."
        )
    if _holds_data() and not replace:
        raise BackupError(
            "The configured database already holds data: restore into a new database, or pass --replace "
            "to overwrite it. Nothing was changed."
        )
    with tempfile.TemporaryDirectory(prefix="grassroots-restore-") as work:
        work_dir = Path(work)
        with tarfile.open(archive_path, mode="r:gz") as archive:
            archive.extractall(work_dir, filter="data")  # no absolute paths, links or devices
        _restore_database(work_dir)
        _restore_media(work_dir / MEDIA)
    return manifest


def _restore_database(work_dir: Path) -> None:
    settings_dict = connection.settings_dict
    connections.close_all()
    if connection.vendor == "sqlite":
        target = Path(settings_dict["NAME"])
        staged = target.with_name(f".{target.name}.restoring")
        shutil.copyfile(work_dir / SQLITE_FILE, staged)
        for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm")):
            leftover.unlink(missing_ok=True)
        os.replace(staged, target)
        return
    _run_pg(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--dbname",
            settings_dict["NAME"],
            str(work_dir / PG_FILE),
        ],
        settings_dict,
    )


def _restore_media(source: Path) -> None:
    if not source.is_dir():
        return
    shutil.copytree(source, Path(settings.MEDIA_ROOT), dirs_exist_ok=True)
