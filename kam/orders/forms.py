from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kam.clients.models import Client
from kam.clients.picker import ClientPickerField

from .models import PRICE_COLUMNS, ActKind, OrderSettings, Product, Reason

COLUMN_CHOICES = [(n, str(n)) for n in range(1, PRICE_COLUMNS + 1)]


class NewOrderForm(forms.Form):
    client = ClientPickerField(label=_("Client"))
    column = forms.TypedChoiceField(
        label=_("Price-list column"),
        choices=[("", _("the client's column")), *COLUMN_CHOICES],
        coerce=int,
        required=False,
        empty_value=None,
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: object, clients: QuerySet[Client], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["client"].queryset = clients  # type: ignore[attr-defined]


class OrderHeaderForm(forms.Form):
    column = forms.TypedChoiceField(label=_("Price-list column"), choices=COLUMN_CHOICES, coerce=int)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class LineForm(forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.filter(active=True))
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=14, decimal_places=3, min_value=Decimal("0.001")
    )
    discount = forms.DecimalField(
        label=_("Discount, %"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal("99.99"),
        initial=Decimal(0),
        required=False,
    )


class PriceImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or Excel file"))


REASON_CHOICES = [("", "—"), *Reason.choices]


class ReturnForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=Reason.choices)
    note = forms.CharField(label=_("Note"), required=False)


class ActForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ActKind.choices)
    note = forms.CharField(label=_("Note"), required=False)


class OrderSettingsForm(forms.ModelForm):
    class Meta:
        model = OrderSettings
        fields = ["kam_max_discount", "overdue_tolerance_amount", "overdue_tolerance_days", "overdue_action"]


class ProductForm(forms.Form):
    """A product and its price in each column (empty: no price in that column)."""

    code = forms.CharField(label=_("Code"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=300)
    unit = forms.CharField(label=_("Unit"), max_length=20, initial="pcs")
    cost_price = forms.DecimalField(
        label=_("Cost price"), max_digits=16, decimal_places=2, min_value=Decimal(0)
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for column in range(1, PRICE_COLUMNS + 1):
            self.fields[f"price_{column}"] = forms.DecimalField(
                label=_("Base price") if column == 1 else _("Column %(n)s") % {"n": column},
                max_digits=16,
                decimal_places=2,
                min_value=Decimal(0),
                required=False,
            )

    def prices(self) -> dict[int, Decimal | None]:
        return {c: self.cleaned_data.get(f"price_{c}") for c in range(1, PRICE_COLUMNS + 1)}
