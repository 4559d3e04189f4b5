from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import SegmentProposal


class ProposalForm(forms.ModelForm):
    class Meta:
        model = SegmentProposal
        fields = ["title", "products", "price_change_pct", "text"]
        widgets = {"products": forms.Textarea(attrs={"rows": 3}), "text": forms.Textarea(attrs={"rows": 3})}


class DecisionForm(forms.Form):
    accept = forms.TypedChoiceField(
        choices=[("1", _("Accept")), ("0", _("Decline"))], coerce=lambda v: v == "1", label=_("Decision")
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)
