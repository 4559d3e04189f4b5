from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kam.access import policy
from kam.access.models import User
from kam.clients.picker import ClientPickerField
from kam.orders.forms import LineForm as LineForm  # the same line as an order's
from kam.orders.models import PRICE_COLUMNS
from kam.pipeline.models import Opportunity

from .models import ProposalStatus, ProposalTemplate

COLUMN_CHOICES = [(n, str(n)) for n in range(1, PRICE_COLUMNS + 1)]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class NewProposalForm(forms.Form):
    client = ClientPickerField(label=_("Client"))
    template = forms.ModelChoiceField(
        label=_("Template"), queryset=ProposalTemplate.objects.filter(active=True), required=False
    )
    column = forms.TypedChoiceField(
        label=_("Price-list column"),
        choices=[("", _("the client's column")), *COLUMN_CHOICES],
        coerce=int,
        required=False,
        empty_value=None,
    )
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=DATE, help_text=_("Empty: as the template says.")
    )
    opportunity = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["client"].queryset = policy.visible_clients(user)  # type: ignore[attr-defined]

    def clean_opportunity(self) -> Opportunity | None:
        pk = self.cleaned_data.get("opportunity")
        if not pk:
            return None
        opportunity = Opportunity.objects.select_related("client").filter(pk=pk).first()
        if opportunity is None or not policy.can(self.user, "pipeline.view_opportunity", opportunity):
            raise forms.ValidationError(_("No such opportunity."))
        return opportunity


class HeaderForm(forms.Form):
    column = forms.TypedChoiceField(label=_("Price-list column"), choices=COLUMN_CHOICES, coerce=int)
    valid_until = forms.DateField(label=_("Valid until"), widget=DATE)
    payment_terms = forms.CharField(label=_("Payment terms"), max_length=300, required=False)
    delivery_terms = forms.CharField(label=_("Delivery terms"), max_length=300, required=False)
    intro = forms.CharField(label=_("Introduction"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    terms = forms.CharField(label=_("Terms"), required=False, widget=forms.Textarea(attrs={"rows": 4}))


class LineChangeForm(forms.Form):
    quantity = forms.DecimalField(max_digits=14, decimal_places=3, min_value=Decimal("0.001"))
    discount = forms.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal(0), max_value=Decimal("99.99"), required=False
    )


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class TemplateForm(forms.ModelForm):
    class Meta:
        model = ProposalTemplate
        fields = ["name", "intro", "terms", "payment_terms", "delivery_terms", "validity_days", "active"]
        widgets = {
            "intro": forms.Textarea(attrs={"rows": 3}),
            "terms": forms.Textarea(attrs={"rows": 5}),
        }


STATUS_FILTER = [("", _("any")), ("open", _("open (draft or sent)")), *ProposalStatus.choices]
