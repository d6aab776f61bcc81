"""Forms for people: they collect input and hand it to people.services, which decides."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from grassroots.core.forms import ServiceErrorsMixin
from grassroots.people.models import Person, Sex
from grassroots.people.services import PersonDetails, person_check_details, person_check_not_duplicate


class PersonDetailsForm(ServiceErrorsMixin, forms.ModelForm):
    """Name, sex, birth date and the two sensitive numbers, typed in clear and stored encrypted.

    The numbers are write-only: left empty on an existing person, they keep their stored value.
    """

    id_number = forms.CharField(
        label=_("ID number"),
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    sex = forms.ChoiceField(label=_("sex"), choices=[("", "—"), *Sex.choices], required=False)

    class Meta:
        model = Person
        fields = ["community", "name", "sex", "birth_date", "no_sms", "note"]
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"})}

    def details(self) -> PersonDetails:
        data = self.cleaned_data
        return PersonDetails(
            name=data.get("name") or "",
            sex=data.get("sex") or "",
            birth_date=data.get("birth_date"),
            id_number=data.get("id_number") or "",
            phone=data.get("phone") or "",
            note=data.get("note") or "",
            no_sms=bool(data.get("no_sms")),
        )

    def clean(self):
        cleaned = super().clean()
        try:
            derived = person_check_details(self.details())
            if not self.errors:
                person_check_not_duplicate(
                    details=self.details(),
                    birth_date=self.cleaned_data.get("birth_date") or derived.get("birth_date"),
                    household=self.instance.current_household if self.instance.pk else None,
                    exclude_id=self.instance.pk,
                )
        except ValidationError as error:
            self.add_service_errors(error)
        return cleaned
