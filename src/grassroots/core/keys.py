"""The data key and the data it sealed: the fingerprint check, and re-sealing with a new key.

Personal data (ID and phone numbers, and whatever else an app registers) is sealed with
GRASSROOTS_DATA_KEY (core.pii). A database is only readable with the key it was sealed with,
so that key's fingerprint is stored beside the data (core.models.DataKey). `check_data_key`
compares the configured key with it: `grassroots serve`, `grassroots worker` and `migrate`
refuse to go on with another key, and /healthz says why, instead of a server that answers
every reveal with a 500 and finds nobody by phone.

`grassroots keys rotate` re-seals every registered value with a new key while the old one,
listed in GRASSROOTS_RETIRED_DATA_KEYS, still opens what it has not reached yet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from grassroots.config.env import GENERATED_SECRETS
from grassroots.core import audit, pii


@dataclass(frozen=True)
class SealedColumn:
    """A model field holding a value sealed by core.pii, and how to seal a row's value again.

    `reseal(instance, plain)` sets the field (and any lookup hashes derived from the key) from
    the plain value; `fields` are the columns it writes. A core.fields.SealedTextField needs no
    `reseal`: it opens on load and seals on save.
    """

    model: str  # "app_label.ModelName"
    field: str
    reseal: Callable[[object, str], None] | None
    fields: tuple[str, ...]

    @property
    def opens_on_load(self) -> bool:
        return self.reseal is None

    @property
    def label(self) -> str:
        return f"{self.model}.{self.field}"

    def model_class(self):
        return apps.get_model(self.model)


SEALED_COLUMNS: list[SealedColumn] = []


def register_sealed_column(
    model: str, field: str, reseal: Callable[[object, str], None], fields: tuple[str, ...]
) -> None:
    """Called from an app's ready(): core knows no app, each app names its sealed columns."""
    _register(SealedColumn(model, field, reseal, fields))


def register_sealed_fields(model: str, *fields: str) -> None:
    """The SealedTextFields of a model, for `grassroots keys rotate`."""
    for field in fields:
        _register(SealedColumn(model, field, None, (field,)))


def _register(column: SealedColumn) -> None:
    if all(existing.label != column.label for existing in SEALED_COLUMNS):
        SEALED_COLUMNS.append(column)


@dataclass(frozen=True)
class KeyCheck:
    ok: bool
    reason: str = ""


def _table_exists() -> bool:
    from grassroots.core.models import DataKey

    try:
        return DataKey._meta.db_table in connection.introspection.table_names()
    except DatabaseError:
        return False


def _a_sealed_value() -> str:
    """Any stored sealed value, to try the key on when none is recorded yet."""
    for column in (column for column in SEALED_COLUMNS if not column.opens_on_load):
        model = column.model_class()
        value = model.objects.exclude(**{column.field: ""}).values_list(column.field, flat=True).first()
        if value:
            return value
    return ""


def _opens(token: str) -> bool:
    try:
        pii.decrypt(token)
    except (InvalidTag, ValueError):  # altered, or sealed with another key (KeyNotAvailable)
        return False
    return True


def _mismatch(expected: str) -> str:
    generated = (
        "var/data.key was missing, so a new key was just generated. "
        if "data.key" in GENERATED_SECRETS
        else ""
    )
    return (
        f"The data key does not match this database: its personal data was sealed with the key of "
        f"fingerprint {expected[:8]}, and the configured key's is {configured_fingerprint()[:8]}. "
        f"{generated}Put back the key kept with this database's backup (GRASSROOTS_DATA_KEY, or the "
        "file var/data.key); with another key no ID or phone number can be read and a phone search "
        "finds nobody."
    )


def configured_fingerprint() -> str:
    return pii.key_fingerprint(settings.GRASSROOTS_DATA_KEY)


def check_data_key(*, record: bool = False) -> KeyCheck:
    """Whether the configured data key is the one this database was sealed with.

    With `record`, a database that has no key on record yet (a new one, or one from before
    fingerprints) records the configured key, if no stored value contradicts it.
    """
    from grassroots.core.models import DataKey, KeyState

    if not _table_exists():
        return KeyCheck(True, "not migrated yet")
    mine = configured_fingerprint()
    recorded = {key.fingerprint: key for key in DataKey.objects.all()}
    if not recorded:
        sample = _a_sealed_value()
        if sample and not _opens(sample):
            return KeyCheck(False, _mismatch("unrecorded"))
        if record:
            DataKey.objects.get_or_create(fingerprint=mine, defaults={"state": KeyState.CURRENT})
        return KeyCheck(True)
    if mine in recorded and recorded[mine].state in (KeyState.CURRENT, KeyState.ROTATING):
        return KeyCheck(True)
    if mine in recorded:
        retired = recorded[mine].retired_at
        return KeyCheck(
            False,
            f"The configured data key was retired on {retired:%Y-%m-%d}: configure the current key "
            "(keep this one in GRASSROOTS_RETIRED_DATA_KEYS for older backups).",
        )
    current = next(key for key in recorded.values() if key.state == KeyState.CURRENT)
    return KeyCheck(False, _mismatch(current.fingerprint))


class DataKeyMismatch(Exception):
    pass


def require_data_key() -> None:
    """Stop a server or worker from starting with a key that cannot read the data."""
    verdict = check_data_key(record=True)
    if not verdict.ok:
        raise DataKeyMismatch(verdict.reason)


# --- rotation -----------------------------------------------------------------------------


BATCH_SIZE = 500


@dataclass
class Progress:
    column: str
    done: int
    total: int


def _not_yet_resealed(column: SealedColumn):
    model = column.model_class()
    return model.objects.exclude(**{column.field: ""}).exclude(
        **{f"{column.field}__startswith": pii.current_prefix()}
    )


def rotate(*, batch_size: int = BATCH_SIZE) -> Iterator[Progress]:
    """Re-seal every registered value with the configured key; resumable (sealed rows are skipped).

    The configured key must be new (or the one a rotation under way is taking over with), and the
    current key must be listed among the retired ones, so every value can still be opened. The
    audit trail records the rotation when it completes, and a refused one with the reason.
    """
    try:
        yield from _rotate(batch_size=batch_size)
    except DataKeyMismatch as error:
        audit.record(
            audit.KEY_ROTATED,
            outcome=audit.REFUSED,
            subject_type="core.datakey",
            detail={"reason": str(error)[:300], "to_fingerprint": configured_fingerprint()},
        )
        raise


def _rotate(*, batch_size: int) -> Iterator[Progress]:
    from grassroots.core.models import DataKey, KeyState

    mine = configured_fingerprint()
    current = DataKey.objects.filter(state=KeyState.CURRENT).first()
    if current is None:
        raise DataKeyMismatch("No data key is on record: run `grassroots migrate` first.")
    if current.fingerprint == mine:
        raise DataKeyMismatch(
            "GRASSROOTS_DATA_KEY is still the current key: set it to the new key (`grassroots keys new` "
            "makes one) and list the current one in GRASSROOTS_RETIRED_DATA_KEYS."
        )
    if current.fingerprint not in {pii.key_fingerprint(key) for key in pii.retired_keys()}:
        raise DataKeyMismatch(
            "The current data key is not in GRASSROOTS_RETIRED_DATA_KEYS: without it the values it "
            "sealed cannot be opened to re-seal them."
        )
    taking_over, _ = DataKey.objects.get_or_create(fingerprint=mine, defaults={"state": KeyState.ROTATING})
    if taking_over.state == KeyState.RETIRED:
        raise DataKeyMismatch("The configured data key was retired before: make a new one.")
    for column in SEALED_COLUMNS:
        yield from _reseal_column(column, batch_size)
    with transaction.atomic():
        DataKey.objects.filter(state=KeyState.CURRENT).update(
            state=KeyState.RETIRED, retired_at=timezone.now()
        )
        DataKey.objects.filter(pk=taking_over.pk).update(state=KeyState.CURRENT)
        audit.record(
            audit.KEY_ROTATED,
            subject=taking_over,
            detail={
                "from_fingerprint": current.fingerprint,
                "to_fingerprint": mine,
                "columns": [column.label for column in SEALED_COLUMNS],
            },
        )


def _reseal_column(column: SealedColumn, batch_size: int) -> Iterator[Progress]:
    done, total = 0, _not_yet_resealed(column).count()
    while True:
        with transaction.atomic():
            rows = list(_not_yet_resealed(column).select_for_update().order_by("pk")[:batch_size])
            for row in rows:
                if not column.opens_on_load:  # a SealedTextField opened on load and seals on save
                    column.reseal(row, pii.decrypt(getattr(row, column.field)))
            column.model_class().objects.bulk_update(rows, list(column.fields))
        done += len(rows)
        yield Progress(column.label, done, max(total, done))
        if not rows:
            return
