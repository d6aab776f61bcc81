from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from grassroots.core.forms import ServiceErrorsMixin
from grassroots.people.models import ConsentGiver, ConsentMethod
from grassroots.privacy.models import RequestKind, RequestStatus


class RequestForm(ServiceErrorsMixin, forms.Form):
    """What a person asks about their personal information."""

    kind = forms.ChoiceField(label=_("I ask for"), choices=RequestKind.choices, widget=forms.RadioSelect)
    details = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For a correction: what is wrong and what it should be."),
    )


class CloseForm(ServiceErrorsMixin, forms.Form):
    """The office's answer to a request."""

    status = forms.ChoiceField(
        label=_("Answer"),
        choices=[
            (RequestStatus.DONE, RequestStatus.DONE.label),
            (RequestStatus.REFUSED, RequestStatus.REFUSED.label),
        ],
        widget=forms.RadioSelect,
    )
    decision = forms.CharField(
        label=_("What was done, or why not"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ConsentForm(ServiceErrorsMixin, forms.Form):
    """That the person (or a child's guardian) was told what is kept and why, and agreed."""

    given_by = forms.ChoiceField(
        label=_("Who agreed"), choices=ConsentGiver.choices, widget=forms.RadioSelect
    )
    method = forms.ChoiceField(label=_("How"), choices=ConsentMethod.choices, widget=forms.RadioSelect)
    guardian_name = forms.CharField(label=_("Guardian's name"), required=False, max_length=50)
    guardian_relation = forms.CharField(label=_("Guardian's relation"), required=False, max_length=30)
