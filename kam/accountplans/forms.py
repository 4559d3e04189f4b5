from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.access import policy
from kam.access.models import User
from kam.activities.models import Activity
from kam.activities.models import Kind as ActivityKind
from kam.clients.models import Attitude, Stakeholder
from kam.clients.picker import ClientPickerField
from kam.orders.models import Product

from .models import ObjectiveKind, SwotKind


class PlanCreateForm(forms.Form):
    client = ClientPickerField(label=_("Client"))
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    strategy = forms.CharField(label=_("Strategy"), widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = policy.visible_clients(user)  # type: ignore[attr-defined]
        self.fields["year"].initial = timezone.localdate().year


class StrategyForm(forms.Form):
    strategy = forms.CharField(
        label=_("Strategy"), widget=forms.Textarea(attrs={"rows": 5}), required=False, max_length=20_000
    )


class ObjectiveForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ObjectiveKind.choices)
    target = forms.DecimalField(
        # xgettext:no-python-format
        label=_("Target (RUB, or % for share of wallet)"),
        max_digits=16,
        decimal_places=2,
        min_value=0,
        required=False,
    )
    product = forms.CharField(
        label=_("Product code"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"list": "product-codes", "autocomplete": "off"}),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def clean_product(self) -> Product | None:
        code = (self.cleaned_data.get("product") or "").strip()
        if not code:
            return None
        product = Product.objects.filter(code=code).first()
        if product is None:
            raise forms.ValidationError(_("No product with this code."))
        return product


class SwotForm(forms.Form):
    kind = forms.ChoiceField(label=_("Part"), choices=SwotKind.choices)
    text = forms.CharField(label=_("Point"), max_length=500)


class GoalForm(forms.Form):
    stakeholder = forms.ModelChoiceField(label=_("Stakeholder"), queryset=Stakeholder.objects.none())
    target_attitude = forms.ChoiceField(
        label=_("Move to"), choices=Attitude.choices, initial=Attitude.SUPPORTER
    )
    due_on = forms.DateField(
        label=pgettext_lazy("due date", "By"),
        # ISO, whatever the language: a type="date" input shows nothing for "01.09.2026" (the edit page).
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    note = forms.CharField(label=_("How"), max_length=300, required=False)

    def __init__(self, *args: Any, stakeholders: QuerySet[Stakeholder], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stakeholder"].queryset = stakeholders  # type: ignore[attr-defined]


class ActionForm(forms.Form):
    """Either link an activity already in the schedule, or plan a new one."""

    title = forms.CharField(label=_("Action"), max_length=300)
    activity = forms.ModelChoiceField(
        label=_("Link an activity in the schedule"),
        queryset=Activity.objects.none(),
        required=False,
        empty_label=_("— plan a new activity —"),
    )
    kind = forms.ChoiceField(
        label=_("New activity"), choices=ActivityKind.choices, initial=ActivityKind.VISIT
    )
    day = forms.DateField(label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(
        label=_("Start"), required=False, initial=time(10, 0), widget=forms.TimeInput(attrs={"type": "time"})
    )
    minutes = forms.IntegerField(
        label=_("Minutes"), min_value=5, max_value=24 * 60, initial=60, required=False
    )
    place = forms.CharField(label=_("Place"), max_length=300, required=False)

    def __init__(self, *args: Any, activities: QuerySet[Activity], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["activity"].queryset = activities  # type: ignore[attr-defined]
        self.fields["activity"].label_from_instance = lambda a: str(a)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("activity") is None:
            if not data.get("day"):
                self.add_error("day", _("Give the date of the new activity, or link an existing one."))
            else:
                start = datetime.combine(
                    data["day"], data.get("start") or time(10, 0), tzinfo=timezone.get_current_timezone()
                )
                data["planned_start"] = start
                data["planned_end"] = start + timedelta(minutes=data.get("minutes") or 60)
        return data


class ActionEditForm(forms.Form):
    """An action's title and the activity in the schedule it stands for (the client's, of the plan's year)."""

    title = forms.CharField(label=_("Action"), max_length=300)
    activity = forms.ModelChoiceField(
        label=_("Activity in the schedule"),
        queryset=Activity.objects.none(),
        required=False,
        empty_label=_("— no activity —"),
    )

    def __init__(self, *args: Any, activities: QuerySet[Activity], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["activity"].queryset = activities  # type: ignore[attr-defined]
        self.fields["activity"].label_from_instance = lambda a: str(a)  # type: ignore[attr-defined]


class ReturnForm(forms.Form):
    comment = forms.CharField(label=_("What to rework"), widget=forms.Textarea(attrs={"rows": 3}))


class ApproveForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
