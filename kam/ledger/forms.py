from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kam.access.models import User

from . import importing
from .services import ImportOptions

MAX_UPLOAD_MB = getattr(settings, "KAM_LEDGER_MAX_UPLOAD_MB", 300)

ENCODINGS = [
    ("", _("Detect (UTF-8 or Windows-1251)")),
    ("utf-8", "UTF-8"),
    ("cp1251", "Windows-1251"),
    ("utf-16", "UTF-16"),
]
DELIMITERS = [("", _("Detect")), (";", ";"), (",", ","), ("\t", _("Tab")), ("|", "|")]


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Ledger file"),
        help_text=_("CSV (1C export, any separator) or Excel .xlsx"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".csv,.txt,.tsv,.xlsx,.xlsm", "style": "max-width:100%"}
        ),
    )
    take_good_rows = forms.BooleanField(
        label=_("Take the good rows and list the bad ones"),
        required=False,
        help_text=_("Otherwise a file with any error is rejected whole."),
    )
    unknown_clients = forms.ChoiceField(
        label=_("Clients not in kam"),
        choices=[("error", _("Report as errors")), ("create", _("Create them as prospects"))],
        initial="error",
        widget=forms.RadioSelect,
    )
    owner = forms.ModelChoiceField(
        label=_("KAM for new prospects"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Used when the row's manager cannot own clients."),
    )
    unknown_refs = forms.ChoiceField(
        label=_("Managers or departments not in kam"),
        choices=[("error", _("Report as errors")), ("fallback", _("Use the client's KAM and department"))],
        initial="error",
        widget=forms.RadioSelect,
    )
    encoding = forms.ChoiceField(label=_("Encoding"), choices=ENCODINGS, required=False)
    delimiter = forms.ChoiceField(label=_("Separator"), choices=DELIMITERS, required=False)

    def __init__(self, *args: Any, owners: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB: import it with the command line."),
                params={"mb": MAX_UPLOAD_MB},
            )
        return upload

    def options(self) -> ImportOptions:
        data = self.cleaned_data
        owner = data.get("owner")
        return ImportOptions(
            take_good_rows=bool(data.get("take_good_rows")),
            unknown_clients=data["unknown_clients"],
            unknown_refs=data["unknown_refs"],
            owner_id=owner.pk if owner else None,
            encoding=data.get("encoding") or None,
            delimiter=data.get("delimiter") or None,
        )


class MappingForm(forms.Form):
    """One select per field: which column of the file holds it."""

    def __init__(
        self, *args: Any, headers: list[str], initial_mapping: dict[str, int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("— not in the file —"))] + [
            (str(i), f"{i + 1}. {h}" if h else f"{i + 1}. " + str(_("(no header)")))
            for i, h in enumerate(headers)
        ]
        required = {"date", "revenue", "cost"}
        for spec in importing.FIELD_SPECS:
            label = spec.label if spec.name not in required else f"{spec.label} *"
            self.fields[spec.name] = forms.ChoiceField(
                label=label,
                choices=choices,
                required=False,
                initial=str(initial_mapping[spec.name]) if spec.name in initial_mapping else "",
            )

    def mapping(self) -> dict[str, int]:
        return {name: int(value) for name, value in self.cleaned_data.items() if value not in (None, "")}
