from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kam.access.models import Department, Role, User
from kam.access.policy import visible_clients
from kam.clients.models import Segment
from kam.clients.picker import ClientPickerField

from .models import AbcClass, Promotion


class PromotionForm(forms.ModelForm):
    class Meta:
        model = Promotion
        fields = [
            "name",
            "kind",
            "status",
            "starts_on",
            "ends_on",
            "rules_text",
            "discount_pct",
            "volume_threshold",
            "bonus_pct",
            "department",
            "segment",
            "abc_class",
        ]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "rules_text": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if user.role == Role.HEAD:
            # A head's programmes are their department's.
            del self.fields["department"]
        else:
            self.fields["department"].queryset = Department.objects.order_by("name")  # type: ignore[attr-defined]
            self.fields["department"].empty_label = _("Whole company")  # type: ignore[attr-defined]


class AddClientForm(forms.Form):
    client = ClientPickerField(label=_("Client"))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = visible_clients(user)  # type: ignore[attr-defined]


class AddMatchingForm(forms.Form):
    segment = forms.ChoiceField(
        label=_("Segment"), choices=[("", _("Any segment")), *Segment.choices], required=False
    )
    abc_class = forms.ChoiceField(
        label=_("ABC class (latest analysis)"),
        choices=[("", _("Any class")), *AbcClass.choices],
        required=False,
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("Any department"),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        departments = Department.objects.order_by("name")
        if user.role != Role.DIRECTOR:
            departments = departments.filter(pk=user.department_id or 0)
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("segment") or data.get("abc_class") or data.get("department")):
            raise forms.ValidationError(_("Choose a segment, an ABC class or a department."))
        return data
