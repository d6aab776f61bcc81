"""`{{ text|numbers_for:user }}`: free text with the phone and ID numbers masked for who may not see them.

A resident's description ("call my son on 139...") or a handler's note can hold numbers the
reader may not reveal: a volunteer or a unit contact sees them masked, like a masked field; the
roles that may reveal numbers (and see them at intake anyway) see the text as written.
"""

from __future__ import annotations

from django import template

from grassroots.accounts.roles import reads_numbers_in_full
from grassroots.core.pii import mask_numbers

register = template.Library()


@register.filter
def numbers_for(text, user):
    if not text:
        return text
    if reads_numbers_in_full(user):
        return text
    return mask_numbers(str(text))
