from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.access.models import Role, User
from kam.clients.models import Client, Stakeholder

from .models import CHECKLIST, Feedback, Kind

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
CLIENT_SELECT_LIMIT = 300


def _dt_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    client = forms.ModelChoiceField(label=_("Client"), queryset=Client.objects.none())
    planned_start = forms.DateTimeField(label=_("Planned start"), widget=_dt_widget())
    planned_end = forms.DateTimeField(label=_("Planned end"), widget=_dt_widget())
    place = forms.CharField(label=_("Place"), max_length=300, required=False)
    goal = forms.CharField(label=_("Goal"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    participants = forms.ModelMultipleChoiceField(
        label=_("Our participants"), queryset=User.objects.none(), required=False
    )
    stakeholders = forms.ModelMultipleChoiceField(
        label=_("Client's people"), queryset=Stakeholder.objects.none(), required=False
    )
    follows = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, clients: Any, client: Client | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["client"]
        field.queryset = clients  # type: ignore[attr-defined]
        if clients.count() > CLIENT_SELECT_LIMIT:
            field.widget = forms.NumberInput()
            field.help_text = _("The client's number (open the client and plan from its dossier).")
        self.fields["participants"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True, role__in=[Role.KAM, Role.HEAD, Role.DIRECTOR, Role.SALES_SUPPORT]
        ).order_by("last_name", "first_name")
        client_id = client.pk if client else (self.data.get("client") or self.initial.get("client"))
        if client_id and str(client_id).isdigit():
            self.fields["stakeholders"].queryset = Stakeholder.objects.filter(  # type: ignore[attr-defined]
                client_id=int(client_id)
            )
        else:
            self.fields["stakeholders"].help_text = _(
                "Choose the client first; its people appear after saving."
            )
        if client is not None:
            self.fields["client"].disabled = True
            self.initial["client"] = client.pk

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("planned_start"), data.get("planned_end")
        if start and end and end <= start:
            self.add_error("planned_end", _("The end must be after the start."))
        return data


class CompleteForm(forms.Form):
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 3}))
    next_step = forms.CharField(
        label=_("Next step"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("It can become a new planned activity."),
    )


class ActualStartForm(forms.Form):
    actual_start = forms.DateTimeField(label=_("Actual start"), widget=_dt_widget())


class ChecklistForm(forms.Form):
    ticked = forms.MultipleChoiceField(
        label=_("Seven mistakes checklist"),
        choices=CHECKLIST,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class WeeklyPlanForm(forms.Form):
    visits = forms.IntegerField(label=_("Visits"), min_value=0, max_value=200)
    calls = forms.IntegerField(label=_("Calls"), min_value=0, max_value=500)


class FeedbackForm(forms.ModelForm):
    class Meta:
        model = Feedback
        fields = ["received_on", "about", "score", "comment"]
        widgets = {
            "received_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "score": forms.Select(choices=[(i, str(i)) for i in range(1, 6)]),
            "comment": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("received_on", timezone.localdate())
