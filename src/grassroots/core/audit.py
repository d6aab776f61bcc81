"""The audit trail: who did what, to what, when, from where and how it went; append-only, hash-chained.

`record(kind, ...)` is the one way a row is written (core.models.AuditEvent). Sign-ins and
their failures and lockouts (accounts.signins), refused access (AuditMiddleware below: every
403 and every 404 a view raises for a signed-in caller, which is how "not yours" looks), reveals
of ID and phone numbers (people.services.person_reveal), reads of full care records
(care.services.access_log), role and permission changes (accounts.audit), key rotations
(core.keys.rotate) and exports (`grassroots audit export`; any future export calls `record`
with kind EXPORTED) each write one.

Tamper evidence. Each row carries `prev_hash`, the hash of the row before it, and `row_hash`,
SHA-256 over `prev_hash`, a newline and the row's canonical JSON (`row_digest`: the fields in a
fixed order, UTC microsecond time, sorted keys). Rows join the chain one at a time under a lock
on the chain head (AuditChainHead, SELECT ... FOR UPDATE; on SQLite, immediate transactions
serialise writers), in the same transaction as what they record, so a rolled-back action leaves
no row and no gap. `verify()` walks the chain and names the first row that was edited (its hash
no longer matches), deleted (a gap in the sequence, or a row whose predecessor is not the one it
names) or cut from the end (the head names a later row).

Retention. Rows are kept GRASSROOTS_AUDIT_RETENTION_DAYS (400 by default; never under 183, the
six months of the Cybersecurity Law). `prune()` removes the oldest rows, always a prefix of the
chain, and appends a checkpoint row (kind PRUNED) holding the sequence number and hash of the
last row it removed; `verify()` then accepts a chain that starts right after a checkpoint.

No personal values: a subject is a model label and an id, details hold codes and ids, and every
text stored (usernames as typed, paths, purposes) passes core.pii.redact_numbers.
"""

from __future__ import annotations

import contextvars
import csv
import hashlib
import ipaddress
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, router, transaction
from django.utils import timezone
from ipware import get_client_ip

from grassroots.core.pii import redact_numbers

# --- kinds and outcomes -------------------------------------------------------------------

SIGN_IN = "sign_in"
SIGN_OUT = "sign_out"
ACCESS_REFUSED = "access_refused"
REVEAL = "personal_data_reveal"
CARE_RECORD_READ = "care_record_read"
EXPORTED = "export"
ACCOUNT_CREATED = "account_created"
ROLE_CHANGED = "role_changed"
PERMISSIONS_CHANGED = "permissions_changed"
KEY_ROTATED = "key_rotated"
SECOND_FACTOR = "second_factor"  # a one-time code given at sign-in (ok or failed)
SECOND_FACTOR_ENROLLED = "second_factor_enrolled"
SECOND_FACTOR_RESET = "second_factor_reset"
PRUNED = "audit_pruned"
CONSENT = "consent"  # consent to keeping sensitive data recorded (ok) or withdrawn (detail)
PRIVACY_REQUEST = "privacy_request"  # a request about personal information filed or answered
ERASED = "personal_data_erased"  # a person's personal data erased (on request, or by retention)
PLAN_IMPORTED = "plan_imported"  # grid outlines and building positions written from a GeoJSON file

OK = "ok"
FAILED = "failed"
LOCKED_OUT = "locked_out"
REFUSED = "refused"  # not allowed (403)
NOT_FOUND = "not_found"  # a 404 a view raised: not there, or not yours (they look the same)
UNAUTHENTICATED = "unauthenticated"  # credentials presented (an API token) and refused

GENESIS_HASH = "0" * 64
SYSTEM_USERNAME = "system"  # accounts' system actor, and what commands without an actor record

# --- the request in hand --------------------------------------------------------------------

_current_request: contextvars.ContextVar = contextvars.ContextVar("grassroots_audit_request", default=None)


def current_request():
    """The request being answered (set by AuditMiddleware), for rows written from signals."""
    return _current_request.get()


def client_ip(request) -> str | None:
    """The caller's address: the one audit rows record and every rate limit counts by.

    One function, so that a personal-data access row, a care access row and the throttles
    name the same caller. Behind GRASSROOTS_TRUSTED_PROXIES reverse proxies, each proxy
    appends the address it heard from to X-Forwarded-For, so the caller is the n-th entry
    from the right; anything further left was written by the caller and is ignored. With no
    trusted proxy (the default) the header is ignored altogether, since any client can send
    it, and the connection's address (REMOTE_ADDR) is the caller. A request that did not
    pass every proxy (no header, or fewer entries than proxies) counts as coming from the
    address it came from. Addresses are parsed by django-ipware, which drops malformed ones
    (None then), so an audit row never stores a value that is not an address.
    """
    if request is None:
        return None
    proxies = int(getattr(settings, "GRASSROOTS_TRUSTED_PROXIES", 0) or 0)
    if proxies > 0:
        forwarded, _routable = get_client_ip(
            request,
            proxy_count=proxies - 1,  # ipware counts the proxies listed in the header, not the last
            request_header_order=["HTTP_X_FORWARDED_FOR"],
            strict=False,  # a longer header than expected is a forged prefix, not a reason to give up
        )
        if forwarded:
            return forwarded
    remote, _routable = get_client_ip(request, request_header_order=["REMOTE_ADDR"])
    return remote


# --- the hash rule ------------------------------------------------------------------------------


def _canonical_ip(value) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError:
        return None


def _canonical_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_digest(event, prev_hash: str) -> str:
    """THE hash rule: SHA-256 of the previous hash, a newline, and the row's canonical JSON.

    Documented in docs/operations.md ("Audit trail") so that an inspector can check an export
    without our code.
    """
    content = {
        "seq": int(event.seq),
        "at": _canonical_time(event.at),
        "kind": event.kind,
        "outcome": event.outcome,
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "ip_address": _canonical_ip(event.ip_address),
        "path": event.path,
        "detail": event.detail,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def _clean_text(value: str, limit: int) -> str:
    return redact_numbers(str(value).replace("\x00", ""))[:limit]


_HEX = re.compile(r"[0-9a-f]{8,64}")


def _clean_detail(value: Any) -> Any:
    """Only JSON's plain values (no floats: they would not round-trip exactly), numbers redacted.

    A hex digest under a key ending in `_hash` or `_fingerprint` is kept as it is: it is no
    personal value, and a run of digits in it must not be taken for a phone number.
    """
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, dict):
        return {
            str(key): (
                item
                if str(key).endswith(("_hash", "_fingerprint"))
                and isinstance(item, str)
                and _HEX.fullmatch(item)
                else _clean_detail(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        items = [_clean_detail(item) for item in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return _clean_text(value, 500)


# --- writing --------------------------------------------------------------------------------------


def _lock_head():
    """The chain head, locked until the transaction ends; made on first use (or after a flush)."""
    from grassroots.core.models import AuditChainHead, AuditEvent

    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        last = AuditEvent.objects.order_by("-seq").only("seq", "row_hash").first()
        try:
            with transaction.atomic():
                AuditChainHead.objects.create(
                    pk=1, seq=last.seq if last else 0, last_hash=last.row_hash if last else GENESIS_HASH
                )
        except IntegrityError:  # another writer made it first
            pass
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def _actor_of(actor, request):
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    if actor is None or not getattr(actor, "is_authenticated", False) or not getattr(actor, "pk", None):
        return None
    return actor


def record(
    kind: str,
    *,
    outcome: str = OK,
    actor=None,
    username: str = "",
    request=None,
    subject=None,
    subject_type: str = "",
    subject_id: object = "",
    detail: dict | None = None,
    path: str | None = None,
):
    """Append one row to the audit trail, in the caller's transaction, and return it.

    `actor` defaults to the signed-in user of `request`, and `request` to the one being answered;
    `username` is what to record when there is no account (a failed sign-in: what was typed).
    `subject` is the model instance the event is about (or give `subject_type` and `subject_id`).
    `detail` holds codes, ids and short reasons, never a personal value. `path` defaults to the
    request's (never its query string).
    """
    from grassroots.core.models import AuditEvent

    if request is None:
        request = current_request()
    actor = _actor_of(actor, request)
    if subject is not None:
        subject_type, subject_id = subject._meta.label_lower, subject.pk
    if actor is not None:
        name = actor.username
    elif username:
        name = username
    else:
        name = "" if request is not None else SYSTEM_USERNAME
    with transaction.atomic(using=router.db_for_write(AuditEvent)):
        head = _lock_head()
        event = AuditEvent(
            seq=head.seq + 1,
            at=timezone.now(),  # taken under the lock, so time never runs backwards along the chain
            kind=kind,
            outcome=outcome,
            actor_id=actor.pk if actor is not None else None,
            actor_username=_clean_text(name, 150),
            subject_type=str(subject_type or "")[:64],
            subject_id=_clean_text(subject_id if subject_id is not None else "", 64),
            ip_address=_canonical_ip(client_ip(request)),
            path=_clean_text(path if path is not None else getattr(request, "path", "") or "", 200),
            detail=_clean_detail(detail or {}),
            prev_hash=head.last_hash,
        )
        event.row_hash = row_digest(event, head.last_hash)
        event.save(force_insert=True)
        type(head).objects.filter(pk=head.pk).update(seq=event.seq, last_hash=event.row_hash)
    return event


# --- refused access ---------------------------------------------------------------------------


class AuditMiddleware:
    """Makes the request known to `record` and records refused access.

    Refused access is any 403, and any 404 raised by a view (a URL that matched a route), for a
    signed-in caller: the scoping door answers "not yours" with the same 404 as "not there", so
    both are recorded, with the route and its ids, never the query string. A 401 or 403 for a
    caller who presented credentials (an Authorization header) is recorded too. Unmatched URLs
    (scanners, a missing favicon) are not.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            response = self.get_response(request)
        finally:
            _current_request.reset(token)
        if response.status_code in (401, 403, 404):
            _record_refusal(request, response.status_code)
        return response


def _record_refusal(request, status: int) -> None:
    user = getattr(request, "user", None)
    signed_in = bool(user is not None and user.is_authenticated)
    match = getattr(request, "resolver_match", None)
    if signed_in:
        if status == 404 and match is None:
            return
        outcome = NOT_FOUND if status == 404 else REFUSED
    elif status in (401, 403) and request.META.get("HTTP_AUTHORIZATION"):
        outcome = UNAUTHENTICATED
    else:
        return
    kwargs = dict(match.kwargs) if match is not None else {}
    # Identifiers only (a pk, a case number, an action): never a secret the URL carries (a token)
    # nor anything that looks like a phone or ID number; the path then says only the route.
    ids = {key: value for key, value in kwargs.items() if _is_identifier(key, value)}
    path = request.path if len(ids) == len(kwargs) else "/" + match.route
    record(
        ACCESS_REFUSED,
        outcome=outcome,
        request=request,
        path=path,
        subject_type=f"route:{match.view_name}"[:64] if match is not None and match.view_name else "",
        subject_id=next((ids[name] for name in ("pk", "id", "number") if name in ids), ""),
        detail={"status": status, "method": request.method, "ids": ids},
    )


_IDENTIFIER = re.compile(r"[A-Za-z0-9_.-]{1,40}")
_SECRET_NAMES = ("token", "secret", "key", "password")


def _is_identifier(name: str, value) -> bool:
    if any(word in name.lower() for word in _SECRET_NAMES):
        return False
    if isinstance(value, int):
        return True
    text = str(value)
    return bool(_IDENTIFIER.fullmatch(text)) and redact_numbers(text) == text


# --- verifying ------------------------------------------------------------------------------------


@dataclass
class Verdict:
    ok: bool
    checked: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    head_hash: str = ""
    broken_seq: int | None = None
    problem: str = ""


def _starts_after_checkpoint(first) -> bool:
    """A chain that does not start at 1 must start right after a pruning checkpoint."""
    from grassroots.core.models import AuditEvent

    for checkpoint in AuditEvent.objects.filter(kind=PRUNED, seq__gte=first.seq).order_by("seq"):
        detail = checkpoint.detail or {}
        if detail.get("through_seq") == first.seq - 1 and detail.get("through_hash") == first.prev_hash:
            return True
    return False


def verify(*, chunk_size: int = 2000) -> Verdict:
    """Walk the whole chain; the verdict names the first row that breaks it."""
    from grassroots.core.models import AuditChainHead, AuditEvent

    verdict = Verdict(ok=True)
    previous = None
    rows = AuditEvent.objects.order_by("seq").iterator(chunk_size=chunk_size)
    for row in rows:
        if previous is None:
            verdict.first_seq = row.seq
            if row.seq == 1:
                if row.prev_hash != GENESIS_HASH:
                    return _broken(verdict, row.seq, "the first row does not start the chain")
            elif not _starts_after_checkpoint(row):
                return _broken(
                    verdict,
                    row.seq,
                    f"rows 1 to {row.seq - 1} are missing and no pruning checkpoint accounts for them",
                )
        else:
            if row.seq != previous.seq + 1:
                return _broken(
                    verdict,
                    previous.seq + 1,
                    f"rows {previous.seq + 1} to {row.seq - 1} were deleted",
                )
            if row.prev_hash != previous.row_hash:
                return _broken(verdict, row.seq, f"row {row.seq} does not follow row {previous.seq}")
        if row_digest(row, row.prev_hash) != row.row_hash:
            return _broken(verdict, row.seq, f"row {row.seq} was changed after it was written")
        verdict.checked += 1
        verdict.last_seq = row.seq
        verdict.head_hash = row.row_hash
        previous = row
    head = AuditChainHead.objects.filter(pk=1).first()
    cut = previous is None or head is None or head.seq != previous.seq or head.last_hash != previous.row_hash
    if head is not None and head.seq and cut:
        after = previous.seq if previous is not None else 0
        return _broken(
            verdict, after + 1, f"the chain ends at row {head.seq}, but rows after {after} are missing"
        )
    return verdict


def _broken(verdict: Verdict, seq: int, problem: str) -> Verdict:
    verdict.ok = False
    verdict.broken_seq = seq
    verdict.problem = problem
    return verdict


# --- retention ------------------------------------------------------------------------------------


def retention_days() -> int:
    """GRASSROOTS_AUDIT_RETENTION_DAYS, refused under the legal floor of 183 days."""
    from grassroots.core.models import AUDIT_MINIMUM_RETENTION_DAYS

    days = int(getattr(settings, "GRASSROOTS_AUDIT_RETENTION_DAYS", 400))
    if days < AUDIT_MINIMUM_RETENTION_DAYS:
        raise ImproperlyConfigured(
            f"GRASSROOTS_AUDIT_RETENTION_DAYS is {days}: audit rows must be kept at least "
            f"{AUDIT_MINIMUM_RETENTION_DAYS} days (six months, Cybersecurity Law art. 21)."
        )
    return days


#: The apps' own access logs ("app_label.Model", each with an `at` field and append-only triggers):
#: not chained themselves (each of their rows has its entry in the trail), pruned with the trail.
LOG_MODELS: list[str] = []


def register_log_model(label: str) -> None:
    """Called from an app's ready(): core knows no app, each names its own access log."""
    if label not in LOG_MODELS:
        LOG_MODELS.append(label)


def _prune_log_models(cutoff: datetime) -> dict[str, int]:
    from django.apps import apps

    counts = {}
    for label in LOG_MODELS:
        old = apps.get_model(label)._base_manager.filter(at__lt=cutoff)
        counts[label.lower()] = old._raw_delete(old.db)
    return counts


@dataclass
class Pruned:
    rows: int
    through_seq: int | None = None
    cutoff: datetime | None = None
    logs: dict[str, int] = field(default_factory=dict)


def prune() -> Pruned:
    """Remove the rows older than the retention, oldest first, and append a checkpoint row.

    The apps' own access logs (LOG_MODELS) lose their rows older than the retention too.
    Always a prefix of the chain: the rows before the first one still inside the retention.
    Writers wait while it runs (it holds the chain head). On PostgreSQL the database would
    refuse to delete a row younger than 183 days, so a wrong setting cannot erase recent rows.
    """
    from grassroots.core.models import AuditEvent

    cutoff = timezone.now() - timedelta(days=retention_days())
    with transaction.atomic(using=router.db_for_write(AuditEvent)):
        head = _lock_head()
        first_kept = (
            AuditEvent.objects.filter(at__gte=cutoff).order_by("seq").values_list("seq", flat=True).first()
        )
        through = (first_kept - 1) if first_kept is not None else head.seq
        doomed = AuditEvent.objects.filter(seq__lte=through)
        last = doomed.order_by("-seq").only("seq", "row_hash").first()
        logs = _prune_log_models(cutoff)
        if last is None:
            return Pruned(rows=0, cutoff=cutoff, logs=logs)
        count = doomed.count()
        doomed._raw_delete(doomed.db)  # the one delete the trail allows (QuerySet.delete refuses)
        record(
            PRUNED,
            request=None,
            username=SYSTEM_USERNAME,
            detail={
                "through_seq": last.seq,
                "through_hash": last.row_hash,
                "rows": count,
                "older_than": _canonical_time(cutoff),
                "retention_days": retention_days(),
                "access_log_rows": logs,
            },
        )
    return Pruned(rows=count, through_seq=last.seq, cutoff=cutoff, logs=logs)


# --- export ---------------------------------------------------------------------------------------

EXPORT_FIELDS = (
    "seq",
    "at",
    "kind",
    "outcome",
    "actor_id",
    "actor_username",
    "subject_type",
    "subject_id",
    "ip_address",
    "path",
    "detail",
    "prev_hash",
    "row_hash",
)


def export_rows(*, since: datetime | None = None, until: datetime | None = None) -> Iterator[dict]:
    """The rows from `since` (inclusive) to `until` (exclusive), in chain order, as plain values."""
    from grassroots.core.models import AuditEvent

    rows = AuditEvent.objects.order_by("seq")
    if since is not None:
        rows = rows.filter(at__gte=since)
    if until is not None:
        rows = rows.filter(at__lt=until)
    for row in rows.iterator(chunk_size=2000):
        yield {
            "seq": row.seq,
            "at": _canonical_time(row.at),
            "kind": row.kind,
            "outcome": row.outcome,
            "actor_id": row.actor_id,
            "actor_username": row.actor_username,
            "subject_type": row.subject_type,
            "subject_id": row.subject_id,
            "ip_address": _canonical_ip(row.ip_address),
            "path": row.path,
            "detail": row.detail,
            "prev_hash": row.prev_hash,
            "row_hash": row.row_hash,
        }


def write_export(rows: Iterable[dict], out, fmt: str) -> int:
    """Write rows as CSV (detail as canonical JSON) or JSON lines; returns how many."""
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS)
        writer.writeheader()
        for row in rows:
            flat = dict(row, detail=json.dumps(row["detail"], sort_keys=True, ensure_ascii=False))
            writer.writerow(flat)
            count += 1
    elif fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n")
            count += 1
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return count
