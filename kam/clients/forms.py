from django import forms
from django.utils.translation import gettext_lazy as _

from kam.access.models import User

from .models import Client


class ClientForm(forms.ModelForm):
    tags_text = forms.CharField(label=_("Tags"), required=False, help_text=_("Comma-separated"))

    class Meta:
        model = Client
        fields = (
            "legal_name",
            "short_name",
            "country",
            "tax_number",
            "industry",
            "region",
            "segment",
            "status",
            "price_column",
            "payment_terms_days",
            "credit_limit",
            "category_budget",
            "history",
            "needs",
            "plans",
            "decision_process",
            "is_reference",
            "is_partner",
            "is_competent",
            "is_innovator",
        )
        widgets = {
            f: forms.Textarea(attrs={"rows": 3}) for f in ("history", "needs", "plans", "decision_process")
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if self.instance.pk:
            self.fields["tags_text"].initial = ", ".join(t.name for t in self.instance.tags.all())

    def tag_names(self) -> list[str]:
        return [t for t in self.cleaned_data.get("tags_text", "").split(",") if t.strip()]


class ReassignForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=User.objects.none(), label=_("New KAM"))

    def __init__(self, *args: object, owners: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
