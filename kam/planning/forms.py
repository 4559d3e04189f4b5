from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CommissionBase


class PlanForm(forms.Form):
    sales_volume = forms.DecimalField(
        label=_("Sales volume, RUB"), max_digits=16, decimal_places=2, min_value=Decimal(0)
    )
    active_clients = forms.IntegerField(label=_("Active clients"), min_value=0, max_value=1_000_000)
    new_clients = forms.IntegerField(label=_("New clients"), min_value=0, max_value=1_000_000)
    note = forms.CharField(label=_("Reason for the change"), max_length=300, required=False)


class DepartmentPlanForm(forms.Form):
    sales_volume = forms.DecimalField(
        label=_("Sales volume, RUB"),
        max_digits=16,
        decimal_places=2,
        min_value=Decimal(0),
        required=False,
        help_text=_("Empty: the sum of the KAMs' plans."),
    )
    active_clients = forms.IntegerField(
        label=_("Active clients"), min_value=0, max_value=1_000_000, required=False
    )
    new_clients = forms.IntegerField(label=_("New clients"), min_value=0, max_value=1_000_000, required=False)


class CommissionRulesForm(forms.Form):
    base = forms.ChoiceField(label=_("Commission base"), choices=CommissionBase.choices)


class TierForm(forms.Form):
    min_amount = forms.DecimalField(
        label=_("Deal amount from, RUB"), max_digits=16, decimal_places=2, min_value=Decimal(0)
    )
    rate = forms.DecimalField(
        label=_("Rate, %"), max_digits=6, decimal_places=3, min_value=Decimal(0), max_value=Decimal(100)
    )


class FactorForm(forms.Form):
    from_pct = forms.DecimalField(
        label=_("Plan fulfilment from, %"), max_digits=7, decimal_places=2, min_value=Decimal(0)
    )
    factor = forms.DecimalField(label=_("Factor"), max_digits=6, decimal_places=3, min_value=Decimal(0))


TierFormSet = forms.formset_factory(TierForm, extra=2, can_delete=True)
FactorFormSet = forms.formset_factory(FactorForm, extra=2, can_delete=True)


def table_rows(formset: forms.BaseFormSet, first: str, second: str) -> list[tuple[Decimal, Decimal]]:
    """The filled, not-deleted rows of a valid formset."""
    rows = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or data.get("DELETE") or data.get(first) is None or data.get(second) is None:
            continue
        rows.append((data[first], data[second]))
    return rows
