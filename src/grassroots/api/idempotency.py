"""`Idempotency-Key` on the POSTs that create or change something.

A bridge that lost the answer to a POST sends it again with the same key: within 24
hours it gets the first answer again (header `Idempotent-Replayed: true`) and nothing
new is created. The same key with a different body is refused (422); a second request
arriving while the first is still running is told to wait (409). Keys belong to the
caller: two integrations never collide.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.response import Response

from grassroots.api.models import IdempotencyRecord

HEADER = "Idempotency-Key"
KEEP = timedelta(hours=24)
#: A first request that has not finished after this long is taken to have died.
ABANDONED_AFTER = timedelta(minutes=2)
MAX_KEY_LENGTH = 255
#: What a key may hold (printable ASCII), as the schema states it; blank means no key.
KEY_PATTERN = "^[ -~]*$"


def fingerprint(method: str, path: str, data) -> str:
    """A digest of what was asked: method, path and the parsed body (files by name, size, digest)."""

    def plain(value):
        if hasattr(value, "lists"):  # QueryDict / MultiValueDict
            return {key: [plain(item) for item in items] for key, items in sorted(value.lists())}
        if isinstance(value, dict):
            return {str(key): plain(item) for key, item in sorted(value.items(), key=lambda kv: str(kv[0]))}
        if isinstance(value, list | tuple):
            return [plain(item) for item in value]
        if hasattr(value, "read") and hasattr(value, "size"):
            digest = hashlib.sha256()
            for chunk in value.chunks():
                digest.update(chunk)
            value.seek(0)
            return {"file": getattr(value, "name", ""), "size": value.size, "sha256": digest.hexdigest()}
        return value

    body = json.dumps([method.upper(), path, plain(data)], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass
class Claim:
    """The outcome of presenting a key: go ahead (record), or answer at once (replay or refusal)."""

    record: IdempotencyRecord | None = None
    replay: IdempotencyRecord | None = None
    refusal: tuple[int, str] | None = None


def claim(*, owner, key: str, method: str, path: str, print_: str) -> Claim:
    """Reserve the key for this request, or say why not."""
    if len(key) > MAX_KEY_LENGTH or not re.fullmatch(KEY_PATTERN, key):
        return Claim(refusal=(400, _("The Idempotency-Key must be at most 255 printable ASCII characters.")))
    now = timezone.now()
    IdempotencyRecord.objects.filter(owner=owner, key=key, created_at__lt=now - KEEP).delete()
    IdempotencyRecord.objects.filter(
        owner=owner, key=key, status_code__isnull=True, created_at__lt=now - ABANDONED_AFTER
    ).delete()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                owner=owner,
                key=key,
                fingerprint=print_,
                method=method.upper(),
                path=path[:300],
                created_at=now,
            )
        return Claim(record=record)
    except IntegrityError:
        pass
    existing = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
    if existing is None:  # it vanished in between: let the caller try again
        return Claim(refusal=(409, _("A request with this Idempotency-Key is being processed; try again.")))
    if existing.fingerprint != print_:
        return Claim(refusal=(422, _("This Idempotency-Key was already used for a different request.")))
    if existing.status_code is None:
        return Claim(refusal=(409, _("A request with this Idempotency-Key is still being processed.")))
    return Claim(replay=existing)


def settle(record: IdempotencyRecord, *, status_code: int, data=None, content: str = "", content_type=""):
    """Keep a successful answer for replay; forget anything else so the request can be retried."""
    if 200 <= status_code < 300:
        record.status_code = status_code
        record.data = data
        record.content = content
        record.content_type = content_type
        record.save(update_fields=["status_code", "data", "content", "content_type"])
    else:
        record.delete()


def idempotent(handler: Callable) -> Callable:
    """Decorate a DRF view method (self, request, ...) that creates or changes something."""

    @wraps(handler)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if not key or not request.user.is_authenticated:
            return handler(self, request, *args, **kwargs)
        outcome = claim(
            owner=request.user,
            key=key,
            method=request.method,
            path=request.path,
            print_=fingerprint(request.method, request.path, request.data),
        )
        if outcome.refusal:
            code, message = outcome.refusal
            return Response({"detail": message}, status=code)
        if outcome.replay:
            return Response(
                outcome.replay.data,
                status=outcome.replay.status_code,
                headers={"Idempotent-Replayed": "true"},
            )
        try:
            response = handler(self, request, *args, **kwargs)
        except BaseException:
            outcome.record.delete()
            raise
        settle(outcome.record, status_code=response.status_code, data=getattr(response, "data", None))
        return response

    return wrapper


def replay_response(record: IdempotencyRecord) -> HttpResponse:
    """A stored plain answer (Open311 renders its own XML or JSON)."""
    response = HttpResponse(record.content, status=record.status_code, content_type=record.content_type)
    response["Idempotent-Replayed"] = "true"
    return response
