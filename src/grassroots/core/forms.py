"""What every form of the site shares: a service's objections shown beside the fields they name.

The services validate and raise `ValidationError` keyed by their own keyword names; a form
shows each message next to its field (or above the form when no field matches), keeping what
was typed. One mixin does it for every form, so pages never translate errors by hand.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.renderers import TemplatesSetting
from django.utils.html import format_html
from django.utils.safestring import SafeString

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


class FastSelect(forms.Select):
    """A single <select> drawn in Python: the markup of Django's Select, without a template per option.

    Django renders every <option> through its own template; a filter form listing the 800 handlers
    of a street spent 130 ms of the dashboard's time there. Option groups are kept; as in Django,
    only the first option with the chosen value is selected.
    """

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        chosen = {str(item) for item in self.format_value(value)}
        state = {"selected": False}

        def option(option_value, label) -> tuple:
            text = "" if option_value is None else str(option_value)
            selected = not state["selected"] and text in chosen
            state["selected"] = state["selected"] or selected
            return (text, " selected" if selected else "", label)

        def options(choices) -> SafeString:
            return SafeString(
                "".join(
                    f'<option value="{_escaped(text)}"{selected}>{_escaped(label)}</option>'
                    for text, selected, label in (option(v, label) for v, label in choices)
                )
            )

        parts = []
        for group_value, group_label in self.choices:
            if isinstance(group_label, (list, tuple)):
                parts.append(
                    format_html('<optgroup label="{}">{}</optgroup>', group_value, options(group_label))
                )
            else:
                parts.append(options([(group_value, group_label)]))
        final = {"name": name, **self.build_attrs(self.attrs, attrs)}
        return format_html("<select{}>{}</select>", _attributes(final), SafeString("".join(parts)))


def _escaped(text) -> str:
    """conditional_escape without its lazy wrapper (a long list escapes thousands of strings)."""
    return text.__html__() if hasattr(text, "__html__") else html.escape(str(text))


def _attributes(attrs: Mapping) -> SafeString:
    """Attributes as django/forms/widgets/attrs.html writes them: in order, True bare, False left out."""
    return SafeString(
        "".join(
            format_html(" {}", key) if value is True else format_html(' {}="{}"', key, value)
            for key, value in attrs.items()
            if value is not False and value is not None
        )
    )
