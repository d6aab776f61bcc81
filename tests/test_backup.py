"""Backup and restore (issue 13.6): an archive restored into a fresh database reveals and finds again.

The round trip runs the real commands in other processes, as an operator would: `grassroots
backup` of the test database, `grassroots restore` into a new database (a new SQLite file, or a
new PostgreSQL database when the suite runs on PostgreSQL), then a search by phone number and a
reveal in that database.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import tarfile
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from grassroots.core import backup, keys

PHONE = "13900004321"


@pytest.fixture
def wang_with_a_phone(granny_wang):
    granny_wang.set_phone(PHONE)
    granny_wang.save()
    return granny_wang


def _archive(tmp_path: Path) -> Path:
    out = StringIO()
    call_command("backup", "--to", str(tmp_path / "backups"), stdout=out)
    assert "NOT in the backup" in out.getvalue()
    [archive] = (tmp_path / "backups").glob("grassroots-*.tar.gz")
    return archive


@pytest.mark.django_db(transaction=True)
def test_a_backup_holds_the_database_and_the_key_fingerprint_never_the_key(tmp_path, wang_with_a_phone):
    archive = _archive(tmp_path)
    assert archive.stat().st_mode & 0o777 == 0o600
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
        everything = b"".join(
            tar.extractfile(member).read() for member in tar.getmembers() if member.isfile()
        )
    assert "manifest.json" in names
    assert (backup.SQLITE_FILE if connection.vendor == "sqlite" else backup.PG_FILE) in names
    assert manifest["data_key_fingerprint"] == keys.configured_fingerprint()
    assert manifest["database"] == connection.vendor and "people" in manifest["migrations"]
    assert settings.GRASSROOTS_DATA_KEY.encode() not in everything
    assert base64.urlsafe_b64decode(settings.GRASSROOTS_DATA_KEY + "==") not in everything


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_an_archive_sealed_with_another_key_and_changes_nothing(
    tmp_path, settings, wang_with_a_phone
):
    archive = _archive(tmp_path)
    settings.GRASSROOTS_DATA_KEY = base64.urlsafe_b64encode(b"x" * 48).decode()
    with pytest.raises(CommandError, match="sealed with the data key of fingerprint"):
        call_command("restore", str(archive), stdout=StringIO())


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_that_holds_data(tmp_path, wang_with_a_phone):
    archive = _archive(tmp_path)
    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore", str(archive), stdout=StringIO())


@pytest.mark.django_db
def test_a_backup_inside_a_transaction_is_refused(tmp_path):
    with pytest.raises(CommandError, match="outside a transaction"):
        call_command("backup", "--to", str(tmp_path), stdout=StringIO())


def test_restore_refuses_what_is_not_a_backup(tmp_path):
    bogus = tmp_path / "not-a-backup.tar.gz"
    bogus.write_bytes(b"hello")
    with pytest.raises(backup.BackupError, match="not a grassroots backup"):
        backup.read_manifest(bogus)


# --- the round trip, as an operator runs it ------------------------------------------------------


def _fresh_database(tmp_path: Path):
    """A DATABASE_URL for a new, empty database of the suite's engine, and how to drop it."""
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}", lambda: None
    import psycopg

    name = f"grassroots_restore_{uuid.uuid4().hex[:8]}"
    params = connection.settings_dict
    admin = {"host": params["HOST"] or None, "port": params["PORT"] or None, "user": params["USER"]}
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as server:
        server.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    user = params["USER"] or "postgres"
    host = params["HOST"] or "127.0.0.1"
    return f"postgres://{user}@{host}:{params['PORT'] or 5432}/{name}", drop


def _grassroots(*arguments: str, environment: dict) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "-m", "grassroots", *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_a_fresh_database_reveals_and_finds_again(tmp_path, wang_with_a_phone):
    archive = _archive(tmp_path)  # the live test database, committed (a transactional test)
    url, drop = _fresh_database(tmp_path)
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "GRASSROOTS_DATA_KEY": settings.GRASSROOTS_DATA_KEY,
        "GRASSROOTS_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "grassroots.config.settings",
    }
    try:
        restored = _grassroots("restore", str(archive), environment=environment)
        assert restored.returncode == 0, restored.stderr
        assert "the data key matches" in restored.stdout
        found = _grassroots(
            "shell",
            "--no-imports",
            "-c",
            "from grassroots.people.models import Person; "
            f"person = Person.objects.with_phone('{PHONE}').get(); "
            "print(person.name, person.reveal('phone') == '" + PHONE + "')",
            environment=environment,
        )
        assert found.returncode == 0, found.stderr
        assert found.stdout.split() == ["王秀兰", "True"]
        # A second restore over the data it brought is refused without --replace.
        again = _grassroots("restore", str(archive), environment=environment)
        assert again.returncode != 0 and "already holds data" in again.stderr
        # With another key the restore changes nothing and says which key it needs.
        other_key = {**environment, "GRASSROOTS_DATA_KEY": base64.urlsafe_b64encode(b"y" * 48).decode()}
        refused = _grassroots("restore", "--replace", str(archive), environment=other_key)
        assert refused.returncode != 0 and "fingerprint" in refused.stderr
    finally:
        drop()
