"""What every form of the site shares: a service's objections shown beside the fields they name.

The services validate and raise `ValidationError` keyed by their own keyword names; a form
shows each message next to its field (or above the form when no field matches), keeping what
was typed. One mixin does it for every form, so pages never translate errors by hand.
"""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.renderers import TemplatesSetting

from grassroots.core.ids import parse_id


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


class IdChoiceField(forms.ModelChoiceField):
    """A model choice by id that refuses what cannot be an id (core.ids) before asking the database.

    Django's own field looks up whatever was posted: a 40-digit building overflows the database
    (a 500). Here it is "not one of the available choices", with what was typed kept.
    """

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if parse_id(value if not isinstance(value, self.queryset.model) else value.pk) is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IsoDateInput(forms.DateInput):
    """A browser date picker (type="date") whose value is always written YYYY-MM-DD.

    A date input accepts only ISO dates; Django writes a date in the language's first input
    format (zh-Hans: 1950/03/09), which the browser drops as invalid and then submits empty, so an
    unchanged Save used to erase the date (the admin's person page, issue 9). One widget for every
    date field of the site, so no form can fall back to the localised format.
    """

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
