"""FastSelect draws the same <select> as Django's Select (which renders a template per option)."""

from __future__ import annotations

import re

import pytest
from django import forms

from grassroots.cases.models import Category
from grassroots.core.forms import FastSelect


def _normalised(html: str) -> str:
    """The markup without the whitespace Django's templates put between tags."""
    return re.sub(r">\s+<", "><", str(html)).strip()


CHOICES = [
    ("", "all handlers"),
    ("u:7", "王秀兰 <grid 1> & co"),
    ("Teams", [("t:1", "水电维修队"), ("t:2", "助老服务队")]),
    ("u:7", "a second option with the same value"),
]


@pytest.mark.parametrize("value", [None, "", "u:7", "t:2", "absent"])
def test_the_markup_is_djangos(value):
    attrs = {"id": "id_handler", "data-autosubmit": True, "required": False, "class": "wide"}
    django_select = forms.Select(attrs=attrs, choices=CHOICES).render("handler", value)
    fast = FastSelect(attrs=attrs, choices=CHOICES).render("handler", value)
    assert _normalised(fast) == _normalised(django_select)
    assert "&lt;grid 1&gt; &amp; co" in fast
    assert fast.count(" selected") == (1 if value in ("u:7", "t:2", "", None) else 0)


@pytest.mark.django_db
def test_a_model_choice_field_draws_alike():
    def form_with(widget):
        class CategoryForm(forms.Form):
            category = forms.ModelChoiceField(
                queryset=Category.objects.order_by("pk"), required=False, widget=widget
            )

        return CategoryForm(data={"category": str(Category.objects.order_by("pk")[1].pk)})

    fast, django_select = str(form_with(FastSelect)["category"]), str(form_with(forms.Select)["category"])
    assert _normalised(fast) == _normalised(django_select) and fast.count("<option") > 2
