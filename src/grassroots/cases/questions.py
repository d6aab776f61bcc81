"""Answers to a category's extra questions: checked against each question's kind."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _clean_one(question, raw) -> object:
    if question.kind == "number":
        try:
            return str(Decimal(str(raw).strip()))
        except (InvalidOperation, ValueError):
            raise ValidationError(
                _("“%(question)s” needs a number.") % {"question": question.label}
            ) from None
    if question.kind == "date":
        try:
            return date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError:
            raise ValidationError(_("“%(question)s” needs a date.") % {"question": question.label}) from None
    keys = {item["key"] for item in question.choices}
    if question.kind == "single":
        if raw not in keys:
            raise ValidationError(
                _("Choose one of the answers to “%(question)s”.") % {"question": question.label}
            )
        return raw
    if question.kind == "multiple":
        values = raw if isinstance(raw, list) else [raw]
        if not set(values) <= keys:
            raise ValidationError(
                _("Choose among the answers to “%(question)s”.") % {"question": question.label}
            )
        return sorted(set(values))
    return str(raw).strip()[:1000]


def _is_blank(raw) -> bool:
    return raw is None or raw == "" or raw == []


def clean_answers(category, raw_answers: dict, *, required: bool = True) -> dict:
    """Answers keyed by question code, normalised; every required question answered (unless not
    `required`: a case with no caller to ask)."""
    answers: dict = {}
    problems: list[str] = []
    raw_answers = raw_answers or {}
    for question in category.questions.all():
        raw = raw_answers.get(question.code)
        if _is_blank(raw):
            if question.required and required:
                problems.append(_("Please answer “%(question)s”.") % {"question": question.label})
            continue
        try:
            answers[question.code] = _clean_one(question, raw)
        except ValidationError as error:
            problems.extend(error.messages)
    if problems:
        raise ValidationError(problems)
    return answers
