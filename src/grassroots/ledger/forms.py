"""The import page's forms: the file to bring in, and the header mapping to confirm."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from grassroots.ledger.columns import Column
from grassroots.ledger.models import ImportKind
from grassroots.ledger.runs import SUPPORTED_KINDS

MAX_UPLOAD_BYTES = 30 * 1024 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Ledger file (.xlsx or .csv)"))
    kind = forms.ChoiceField(
        label=_("What the file lists"),
        choices=[(kind.value, kind.label) for kind in ImportKind if kind in SUPPORTED_KINDS],
        initial=ImportKind.RESIDENTS,
    )
    community = forms.ModelChoiceField(label=_("Community"), queryset=None, empty_label=None)
    create_households = forms.BooleanField(
        label=_("Create households that are not in the register yet (at known buildings)"), required=False
    )

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(
                _("Only .xlsx and .csv files can be imported (save the sheet as .xlsx).")
            )
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 30 MB: split it into several files."))
        return upload


class MappingForm(forms.Form):
    """One choice per column we know: which of the file's headers holds it (or none)."""

    def __init__(
        self, *args, columns: tuple[Column, ...], headers: list[str], mapping: dict[str, int], **kwargs
    ):
        super().__init__(*args, **kwargs)
        choices = [("", _("(not in the file)"))] + [
            (str(i), header or f"#{i + 1}") for i, header in enumerate(headers)
        ]
        for column in columns:
            self.fields[column.key] = forms.ChoiceField(
                label=column.header,
                choices=choices,
                required=False,
                initial=str(mapping[column.key]) if column.key in mapping else "",
            )

    def mapping(self) -> dict[str, int]:
        return {key: int(value) for key, value in self.cleaned_data.items() if value != ""}
