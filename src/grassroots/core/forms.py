"""What every form of the site shares: a service's objections shown beside the fields they name.

The services validate and raise `ValidationError` keyed by their own keyword names; a form
shows each message next to its field (or above the form when no field matches), keeping what
was typed. One mixin does it for every form, so pages never translate errors by hand.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.renderers import TemplatesSetting


def errors_by_field(error: ValidationError) -> dict[str, list[str]]:
    """A service's objections by field name; those about no field under NON_FIELD_ERRORS."""
    if hasattr(error, "error_dict"):
        return {name: list(messages) for name, messages in error.message_dict.items()}
    return {NON_FIELD_ERRORS: list(error.messages)}


class ServiceErrorsMixin:
    """A form that shows a service's objections beside its fields."""

    #: Service keyword → form field, where the form calls something differently ("photos" → "__all__").
    service_field_aliases: Mapping[str, str] = {}

    def add_service_errors(
        self, error: ValidationError | Mapping[str, list[str]], aliases: Mapping[str, str] | None = None
    ) -> None:
        by_field = errors_by_field(error) if isinstance(error, ValidationError) else error
        aliases = {**self.service_field_aliases, **(aliases or {})}
        for name, messages in by_field.items():
            target = aliases.get(name, name)
            self.add_error(target if target in self.fields else None, list(messages))


class FieldRenderer(TemplatesSetting):
    """Forms render with the project's templates, every field through the one field template."""

    field_template_name = "includes/field.html"
