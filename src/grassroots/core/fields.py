"""A model field whose text is sealed with the data key: care findings at rest (PIPL, sensitive data).

Health, disability, family and psychological notes are sensitive personal information (PIPL
art. 28). A `SealedTextField` keeps them in the database only as AES-GCM ciphertext under the
same key ring as ID and phone numbers (core.pii), so a copy of the database or a backup shows
nothing of them; the model's users read and write plain text. Which roles may read them is the
views' business (the care pages, each read of a full record audited); this field is what makes
the database itself unreadable without the key.

Such a field cannot be searched or sorted in SQL (the same text seals differently each time), so
it is for notes, never for what lists filter on.
"""

from __future__ import annotations

from django.db import models

from grassroots.core import pii


class SealedTextField(models.TextField):
    """Text stored sealed; plain text in Python. `max_length` limits what a form accepts."""

    description = "Text sealed with the data key"

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        if not pii.is_sealed(value):
            return value  # written before the field was sealed: sealed on its next save
        return pii.decrypt(value)

    def get_db_prep_save(self, value, connection):
        value = super().get_db_prep_save(value, connection)
        if hasattr(value, "as_sql"):  # an expression (bulk_update's CASE): its Values seal themselves
            return value
        return pii.encrypt(value) if value else value

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "grassroots.core.fields.SealedTextField", args, kwargs
