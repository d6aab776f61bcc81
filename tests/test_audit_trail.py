"""The audit trail (issue 13.3): every event that matters gets a row, and the rows hold.

The probe found no record of sign-ins, failed sign-ins or refused access, and an access log that
could be erased. Now each sign-in, failure, lockout, refusal (a 404 for "not yours" included),
reveal, care-record read, role or permission change and key rotation appends one row to a
hash chain; `grassroots audit verify` names the first row that was edited or deleted; the
database refuses updates and recent deletes on PostgreSQL; old rows are pruned after the
retention, leaving a checkpoint, and the trail exports for an inspector.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from datetime import UTC, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grassroots.accounts.models import Role, User
from grassroots.cases.models import Category, Channel, Urgency
from grassroots.cases.services import ReportDetails, case_report
from grassroots.core import audit
from grassroots.core.models import AuditEvent, AuditTrailIsAppendOnly
from grassroots.people.services import person_reveal
from tests.factories import TEST_PASSWORD, PersonFactory, make_id_number, user_for

pytestmark = pytest.mark.django_db

ON_POSTGRES = connection.vendor == "postgresql"


def events(kind: str, **filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(kind=kind, **filters).order_by("seq"))


def browser_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


def raw_sql(sql: str, params: list) -> None:
    """Tamper as an intruder with database access would: past Django, past the triggers."""
    with connection.cursor() as cursor:
        if ON_POSTGRES:
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        if ON_POSTGRES:
            cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER USER")


def record_some(count: int = 5) -> list[AuditEvent]:
    return [audit.record(audit.EXPORTED, detail={"n": n}) for n in range(count)]


# --- each kind of event gets a row -----------------------------------------------------------------


def test_sign_ins_failures_and_lockouts_through_the_real_form(socialworker, settings):
    settings.AXES_ENABLED = True
    client = Client()
    login = reverse("login")
    ok = client.post(login, {"username": "socialworker", "password": TEST_PASSWORD}, REMOTE_ADDR="10.1.2.3")
    assert ok.status_code == 302
    (signed_in,) = events(audit.SIGN_IN, outcome=audit.OK)
    assert signed_in.actor == socialworker and signed_in.actor_username == "socialworker"
    assert signed_in.ip_address == "10.1.2.3" and signed_in.path == "/login/"
    assert signed_in.subject_type == "accounts.user" and signed_in.subject_id == str(socialworker.pk)
    client.post(reverse("logout"), REMOTE_ADDR="10.1.2.3")
    assert len(events(audit.SIGN_OUT)) == 1

    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(login, {"username": "socialworker", "password": "wrong"}, REMOTE_ADDR="10.9.9.9")
    failed = events(audit.SIGN_IN, outcome=audit.FAILED)
    assert len(failed) == settings.AXES_FAILURE_LIMIT
    assert all(row.actor is None and row.ip_address == "10.9.9.9" for row in failed)
    assert failed[0].detail["username_given"] == "socialworker"
    assert len(events(audit.SIGN_IN, outcome=audit.LOCKED_OUT)) == 1
    assert not AuditEvent.objects.filter(detail__icontains="wrong").exists()  # never a password


def test_a_grid_worker_refused_another_communitys_person_and_case(gridworker, outsider, other_household):
    stranger = PersonFactory(household=other_household)
    details = ReportDetails(
        category=Category.objects.get(code="utilities-water"),
        description="水管漏水",
        channel=Channel.PHONE,
        urgency=Urgency.URGENT,
        household=other_household,
        answers={"has_drinking_water": "no", "can_move": "no"},
    )
    case = case_report(actor=outsider, community=other_household.building.community, details=details)
    client = browser_for(gridworker)
    assert client.get(reverse("person-detail", args=[stranger.pk])).status_code == 404
    assert client.get(reverse("case-detail", args=[case.number])).status_code == 404
    person_row, case_row = events(audit.ACCESS_REFUSED)
    assert person_row.outcome == audit.NOT_FOUND and person_row.actor == gridworker
    assert person_row.subject_type == "route:person-detail" and person_row.subject_id == str(stranger.pk)
    assert person_row.detail == {"status": 404, "method": "GET", "ids": {"pk": stranger.pk}}
    assert case_row.subject_id == case.number and case_row.path == f"/cases/{case.number}/"
    # A URL that matches no page is not a refusal (scanners, a missing icon).
    client.get("/no-such-page/")
    assert len(events(audit.ACCESS_REFUSED)) == 2


def test_a_refused_api_token_is_recorded_without_the_token(client):
    response = client.get("/api/v1/residents/", HTTP_AUTHORIZATION="Bearer not-a-real-token-123")
    assert response.status_code in (401, 403)
    (row,) = events(audit.ACCESS_REFUSED)
    assert row.outcome == audit.UNAUTHENTICATED and row.actor is None
    assert "not-a-real-token" not in json.dumps(audit.export_rows().__next__())


def test_a_reveal_and_a_failed_reveal(socialworker, granny_wang, monkeypatch):
    person_reveal(actor=socialworker, person=granny_wang, field="phone", purpose="回访", ip_address=None)
    (row,) = events(audit.REVEAL)
    assert row.outcome == audit.OK and row.actor == socialworker
    assert (row.subject_type, row.subject_id) == ("people.person", str(granny_wang.pk))
    assert row.detail["field"] == "phone" and row.detail["purpose"] == "回访"

    def broken(self, field):
        raise ValueError("cannot open")

    monkeypatch.setattr(type(granny_wang), "reveal", broken)
    with pytest.raises(ValueError):
        person_reveal(actor=socialworker, person=granny_wang, field="phone", purpose="回访", ip_address=None)
    assert [r.outcome for r in events(audit.REVEAL)] == [audit.OK, audit.FAILED]
    assert granny_wang.data_accesses.count() == 1  # the failed one does not say "revealed"


def test_a_care_record_read(socialworker, community, granny_wang):
    from grassroots.care.services import access_log

    access = access_log(user=socialworker, community_id=community.pk, what="person", person_id=granny_wang.pk)
    (row,) = events(audit.CARE_RECORD_READ)
    assert row.subject_type == "people.person" and row.detail["care_access"] == access.pk


def test_role_scope_and_permission_changes(admin_user, community, grid_a, grid_b):
    from django.contrib.auth.models import Group, Permission

    worker = user_for(Role.GRID_WORKER, community=community, grids=[grid_a], username="newworker")
    (created,) = events(audit.ACCOUNT_CREATED, subject_id=str(worker.pk))
    assert created.detail["set"]["role"] == Role.GRID_WORKER

    # Through the admin, so the actor is the administrator who made the change.
    client = browser_for(admin_user)
    page = client.get(reverse("admin:accounts_user_change", args=[worker.pk]))
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(role=Role.SOCIAL_WORKER, grids=[grid_b.pk], groups=[], user_permissions=[])
    data["date_joined_0"], data["date_joined_1"] = str(worker.date_joined.date()), "00:00:00"
    data.pop("date_joined", None)
    data.pop("last_login", None)
    data.pop("password", None)
    response = client.post(reverse("admin:accounts_user_change", args=[worker.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    (changed,) = events(audit.ROLE_CHANGED, subject_id=str(worker.pk))
    assert changed.actor == admin_user and changed.path.startswith("/admin/")
    assert changed.detail["changes"]["role"] == [Role.GRID_WORKER, Role.SOCIAL_WORKER]
    grids = [row.detail for row in events(audit.PERMISSIONS_CHANGED, subject_id=str(worker.pk))]
    assert {"relation": "grids", "change": "remove", "ids": [grid_a.pk]} in grids
    assert {"relation": "grids", "change": "add", "ids": [grid_b.pk]} in grids

    group = Group.objects.create(name="auditors")
    group.permissions.add(Permission.objects.get(codename="view_auditevent"))
    worker.groups.add(group)
    relations = [row.detail["relation"] for row in events(audit.PERMISSIONS_CHANGED)]
    assert "permissions" in relations and "groups" in relations
    worker.refresh_from_db()
    worker.is_staff = True
    worker.save()
    assert events(audit.ROLE_CHANGED)[-1].detail["changes"] == {"is_staff": [False, True]}
    assert events(audit.ROLE_CHANGED)[-1].actor_username == audit.SYSTEM_USERNAME  # no request: the system


def test_a_key_rotation_and_a_refused_one(settings, granny_wang):
    from grassroots.core import pii

    old_key = settings.GRASSROOTS_DATA_KEY
    settings.GRASSROOTS_DATA_KEY = "bmV3LWtleS1mb3ItYXVkaXQtdGVzdHMtMzItYnl0ZXMhIQ=="
    with pytest.raises(CommandError):  # the old key is not listed as retired: refused
        call_command("keys", "rotate", stdout=io.StringIO())
    settings.GRASSROOTS_RETIRED_DATA_KEYS = [old_key]
    call_command("keys", "rotate", stdout=io.StringIO())
    refused, rotated = events(audit.KEY_ROTATED)
    assert refused.outcome == audit.REFUSED and "RETIRED" in refused.detail["reason"]
    assert rotated.outcome == audit.OK
    assert rotated.detail["from_fingerprint"] == pii.key_fingerprint(old_key)
    assert rotated.detail["to_fingerprint"] == pii.key_fingerprint(settings.GRASSROOTS_DATA_KEY)


# --- no personal values -------------------------------------------------------------------------


def test_no_phone_or_id_number_in_any_audit_row(socialworker, secretary, granny_wang, settings):
    settings.AXES_ENABLED = True
    id_number = make_id_number(granny_wang.birth_date, serial=7)
    granny_wang.set_id_number(id_number)
    granny_wang.save()
    person_reveal(
        actor=secretary, person=granny_wang, field="phone", purpose="回访 13812345678", ip_address=None
    )
    person_reveal(actor=secretary, person=granny_wang, field="id_number", purpose="核对", ip_address=None)
    # Someone signs in with a phone number as the username, and searches by phone.
    Client().post(reverse("login"), {"username": "13812345678", "password": "x"})
    Client().post(reverse("login"), {"username": id_number, "password": "x"})
    client = Client()
    client.force_login(socialworker)
    client.get("/people/?q=13812345678")
    client.get(f"/people/{granny_wang.pk + 1000}/?q=13812345678")
    text = json.dumps(list(audit.export_rows()), ensure_ascii=False)
    assert AuditEvent.objects.count() >= 5
    for number in ("13812345678", "12345678", id_number, id_number[:14]):
        assert number not in text


# --- tamper evidence ----------------------------------------------------------------------------


def verify_output() -> str:
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def test_verify_passes_on_an_intact_chain():
    rows = record_some()
    assert "intact: 5 rows" in verify_output()
    assert [row.seq for row in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == audit.GENESIS_HASH and rows[1].prev_hash == rows[0].row_hash


def test_verify_names_an_edited_row():
    rows = record_some()
    raw_sql("UPDATE core_auditevent SET outcome = %s WHERE seq = %s", ["failed", rows[2].seq])
    with pytest.raises(CommandError, match=r"broken at row 3: row 3 was changed"):
        verify_output()


def test_verify_names_a_deleted_row():
    rows = record_some()
    raw_sql("DELETE FROM core_auditevent WHERE seq = %s", [rows[1].seq])
    with pytest.raises(CommandError, match=r"broken at row 2: rows 2 to 2 were deleted"):
        verify_output()


def test_verify_notices_rows_cut_from_the_end_and_from_the_start():
    record_some()
    raw_sql("DELETE FROM core_auditevent WHERE seq >= %s", [4])
    with pytest.raises(CommandError, match=r"broken at row 4"):
        verify_output()
    raw_sql("DELETE FROM core_auditevent WHERE seq = %s", [1])
    with pytest.raises(CommandError, match=r"rows 1 to 1 are missing and no pruning checkpoint"):
        verify_output()


def test_a_rewritten_chain_still_breaks_at_the_edit():
    """Recomputing the edited row's own hash is not enough: the next row names the old one."""
    rows = record_some()
    target = AuditEvent.objects.get(seq=rows[2].seq)
    target.outcome = "failed"
    new_hash = audit.row_digest(target, target.prev_hash)
    raw_sql(
        "UPDATE core_auditevent SET outcome = %s, row_hash = %s WHERE seq = %s",
        ["failed", new_hash, target.seq],
    )
    assert not audit.verify().ok and audit.verify().broken_seq == 4


# --- append-only ------------------------------------------------------------------------------


def test_the_trail_is_append_only_in_django_and_on_postgresql_in_the_database():
    (row,) = record_some(1)
    row.outcome = "failed"
    with pytest.raises(AuditTrailIsAppendOnly):
        row.save()
    with pytest.raises(AuditTrailIsAppendOnly):
        row.delete()
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.filter(pk=row.pk).update(outcome="failed")
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.all().delete()
    if ON_POSTGRES:  # the database itself refuses, whoever asks
        for sql in ("UPDATE core_auditevent SET outcome = 'failed'", "DELETE FROM core_auditevent"):
            with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql)
    assert AuditEvent.objects.get().outcome == audit.OK
    from grassroots.core.admin import AuditEventAdmin

    assert not AuditEventAdmin.has_delete_permission(None, None)
    assert not AuditEventAdmin.has_change_permission(None, None)


def test_rows_outlive_the_account_that_made_them(community):
    worker = user_for(Role.SOCIAL_WORKER, community=community, username="leaver")
    row = audit.record(audit.EXPORTED, actor=worker, detail={"what": "test"})
    worker_pk = worker.pk
    worker.delete()
    kept = AuditEvent.objects.get(pk=row.pk)
    assert kept.actor_id == worker_pk and kept.actor_username == "leaver"
    assert audit.verify().ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_the_chain_whole():
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def write(n: int) -> None:
        try:
            barrier.wait()
            for i in range(10):
                with transaction.atomic():
                    audit.record(audit.EXPORTED, detail={"thread": n, "i": i})
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    verdict = audit.verify()
    assert verdict.ok, verdict.problem
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, 61))


# --- retention ------------------------------------------------------------------------------


def backdated(days: int, count: int, monkeypatch) -> None:
    then = timezone.now() - timedelta(days=days)
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", lambda: then)
        record_some(count)


def test_pruning_removes_only_old_rows_and_verify_still_passes(settings, monkeypatch):
    settings.GRASSROOTS_AUDIT_RETENTION_DAYS = 200
    backdated(500, 3, monkeypatch)
    backdated(300, 2, monkeypatch)
    backdated(100, 2, monkeypatch)
    out = io.StringIO()
    call_command("audit", "prune", stdout=out)
    assert "Pruned 5 rows" in out.getvalue()
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == [6, 7, 8]
    checkpoint = AuditEvent.objects.get(kind=audit.PRUNED)
    assert checkpoint.detail["through_seq"] == 5 and checkpoint.detail["rows"] == 5
    assert audit.verify().ok
    call_command("audit", "prune", stdout=io.StringIO())  # nothing more to prune
    assert AuditEvent.objects.count() == 3 and audit.verify().ok
    # Rows cut beyond the checkpoint are noticed.
    raw_sql("DELETE FROM core_auditevent WHERE seq = %s", [6])
    assert not audit.verify().ok


def test_pruning_everything_old_leaves_a_verifiable_checkpoint(settings, monkeypatch):
    backdated(800, 3, monkeypatch)
    assert audit.prune().rows == 3
    assert list(AuditEvent.objects.values_list("kind", flat=True)) == [audit.PRUNED]
    assert audit.verify().ok
    record_some(2)
    assert audit.verify().ok


def test_a_retention_under_six_months_is_refused(settings):
    from grassroots.core.apps import check_the_audit_retention

    settings.GRASSROOTS_AUDIT_RETENTION_DAYS = 90
    assert [error.id for error in check_the_audit_retention()] == ["grassroots.core.E002"]
    with pytest.raises(CommandError, match="at least 183 days"):
        call_command("audit", "prune", stdout=io.StringIO())


def test_on_postgresql_the_database_refuses_to_delete_a_recent_row_even_by_pruning(monkeypatch):
    """The legal floor holds in the database: only rows older than 183 days may be deleted."""
    backdated(200, 1, monkeypatch)
    record_some(1)
    deleted = AuditEvent.objects.filter(seq=1)
    assert deleted._raw_delete(deleted.db) == 1  # old enough: allowed
    recent = AuditEvent.objects.filter(seq=2)
    if ON_POSTGRES:
        with pytest.raises(DatabaseError), transaction.atomic():
            recent._raw_delete(recent.db)
        assert AuditEvent.objects.filter(seq=2).exists()
    else:
        assert recent.exists()


# --- export -----------------------------------------------------------------------------------


def test_export_for_an_inspector_who_checks_the_chain_without_our_code(tmp_path, monkeypatch):
    backdated(10, 2, monkeypatch)
    record_some(3)
    since = (timezone.now() - timedelta(days=1)).date().isoformat()
    target = tmp_path / "audit.jsonl"
    call_command("audit", "export", "--since", since, "--format", "jsonl", "--output", str(target))
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [line["seq"] for line in lines] == [3, 4, 5]
    # The documented rule: SHA-256 over the previous hash, a newline, and the canonical JSON.
    for line in lines:
        content = {key: line[key] for key in line if key not in ("prev_hash", "row_hash")}
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert hashlib.sha256(f"{line['prev_hash']}\n{canonical}".encode()).hexdigest() == line["row_hash"]
    (exported,) = events(audit.EXPORTED, subject_type="core.auditevent")
    assert exported.detail["rows"] == 3 and exported.detail["format"] == "jsonl"

    out = io.StringIO()
    until = timezone.now().astimezone(UTC).date() - timedelta(days=1)
    call_command("audit", "export", "--until", until.isoformat(), "--format", "csv", stdout=out)
    rows = out.getvalue().splitlines()
    assert rows[0].startswith("seq,at,kind,outcome") and len(rows) == 3  # header and the two old rows


def test_the_system_actor_is_named_on_rows_written_outside_a_request():
    (row,) = record_some(1)
    assert row.actor is None and row.actor_username == audit.SYSTEM_USERNAME and row.ip_address is None


def test_deleting_users_does_not_break_the_chain(db):
    user = User.objects.create_user("temp", password="x")
    user.delete()
    assert audit.verify().ok


# --- the apps' access logs ------------------------------------------------------------------------


def test_access_log_rows_survive_deleting_what_they_refer_to(socialworker, granny_wang):
    from grassroots.people.models import PersonalDataAccess

    person_reveal(actor=socialworker, person=granny_wang, field="phone", purpose="回访", ip_address=None)
    person_pk = granny_wang.pk
    granny_wang.delete()  # an erasure: the trace of who saw her number stays
    access = PersonalDataAccess.objects.get()
    assert access.person_id == person_pk
    assert events(audit.REVEAL)[0].subject_id == str(person_pk)
    assert audit.verify().ok
    if ON_POSTGRES:
        with pytest.raises(DatabaseError), transaction.atomic():
            PersonalDataAccess.objects.filter(pk=access.pk).update(purpose="nothing to see")
        with pytest.raises(DatabaseError), transaction.atomic():
            PersonalDataAccess.objects.filter(pk=access.pk).delete()


def test_pruning_takes_the_old_rows_of_the_access_logs_too(socialworker, settings, monkeypatch):
    from grassroots.accounts.models import SignInEvent
    from grassroots.accounts.signins import record as record_sign_in

    then = timezone.now() - timedelta(days=500)
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", lambda: then)
        record_sign_in("signed_in", user=socialworker)
    record_sign_in("signed_in", user=socialworker)
    pruned = audit.prune()
    assert pruned.logs["accounts.signinevent"] == 1
    # The trail itself loses only a prefix: the old row came after the account's recent ones here.
    assert pruned.rows == 0
    assert SignInEvent.objects.count() == 1 and audit.verify().ok
