from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ActionKind, Invoice

MONEY = {"max_digits": 16, "decimal_places": 2, "min_value": Decimal("0.01")}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _invoice_choices(invoices: list[Invoice]) -> list[tuple[str, Any]]:
    choices: list[tuple[str, Any]] = [("", _("— oldest due first —"))]
    for i in invoices:
        choices.append((str(i.pk), f"{i.number} · {i.due_on:%d.%m.%Y} · {i.open_amount}"))  # type: ignore[attr-defined]
    return choices


class PaymentForm(forms.Form):
    received_on = forms.DateField(label=_("Received on"), widget=DateInput())
    amount = forms.DecimalField(label=_("Amount"), **MONEY)  # type: ignore[arg-type]
    reference = forms.CharField(label=_("Reference (payment order)"), max_length=120, required=False)
    invoice = forms.ChoiceField(label=_("Allocate to invoice"), required=False)
    invoice_amount = forms.DecimalField(
        label=_("Amount for that invoice"),
        required=False,
        help_text=_("Empty: as much as the invoice's open amount and the payment allow."),
        **MONEY,  # type: ignore[arg-type]
    )

    def __init__(self, *args: Any, open_invoices: list[Invoice], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.open_invoices = {str(i.pk): i for i in open_invoices}
        self.fields["invoice"].choices = _invoice_choices(open_invoices)  # type: ignore[attr-defined]
        self.fields["received_on"].initial = timezone.localdate()

    def allocation(self) -> list[tuple[Invoice, Decimal]] | None:
        chosen = self.open_invoices.get(self.cleaned_data.get("invoice") or "")
        if chosen is None:
            return None
        wanted = self.cleaned_data.get("invoice_amount")
        if wanted is None:
            wanted = min(self.cleaned_data["amount"], chosen.open_amount)  # type: ignore[attr-defined]
        return [(chosen, wanted)]


class CreditNoteForm(forms.Form):
    issued_on = forms.DateField(label=_("Issued on"), widget=DateInput())
    amount = forms.DecimalField(label=_("Amount"), **MONEY)  # type: ignore[arg-type]
    reason = forms.CharField(label=_("Reason"), max_length=300)
    invoice = forms.ChoiceField(label=_("Against invoice"), required=False)

    def __init__(self, *args: Any, open_invoices: list[Invoice], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.open_invoices = {str(i.pk): i for i in open_invoices}
        choices = [("", _("— on account —")), *_invoice_choices(open_invoices)[1:]]
        self.fields["invoice"].choices = choices  # type: ignore[attr-defined]
        self.fields["issued_on"].initial = timezone.localdate()

    def chosen_invoice(self) -> Invoice | None:
        return self.open_invoices.get(self.cleaned_data.get("invoice") or "")


class CollectionActionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Action"), choices=ActionKind.choices)
    done_on = forms.DateField(label=_("Done on"), widget=DateInput())
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    promise_to_pay_on = forms.DateField(label=_("Promised payment date"), required=False, widget=DateInput())
    promised_amount = forms.DecimalField(label=_("Promised amount"), required=False, **MONEY)  # type: ignore[arg-type]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["done_on"].initial = timezone.localdate()


class CreditLimitForm(forms.Form):
    limit = forms.DecimalField(label=_("Credit limit"), max_digits=16, decimal_places=2, min_value=Decimal(0))


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=DateInput())
    end = forms.DateField(label=_("To"), widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data


class ImportForm(forms.Form):
    KINDS = [("invoices", _("Invoices")), ("payments", _("Payments"))]
    kind = forms.ChoiceField(label=_("What the file holds"), choices=KINDS)
    file = forms.FileField(label=_("CSV or Excel file"))
    take_good_rows = forms.BooleanField(
        label=_("Take the good rows and report the bad ones"),
        required=False,
        help_text=_("Otherwise a file with any bad row is refused whole."),
    )
