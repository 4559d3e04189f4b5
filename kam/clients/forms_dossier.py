"""Forms of the dossier tabs. They check input; the writes go through kam.clients.services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.access.models import User

from .models import Client, ClientCompetitor, Competitor, FinancialIndicator, RelationKind, Stakeholder

MONEY = {"max_digits": 18, "decimal_places": 2}
PRICE_LEVELS = [
    _("much lower than ours"),
    _("lower than ours"),
    _("about the same"),
    _("higher than ours"),
    _("much higher than ours"),
]


class FinancialForm(forms.ModelForm):
    class Meta:
        model = FinancialIndicator
        fields = ["year", "revenue", "profit", "employees"]
        widgets = {
            "year": forms.NumberInput(attrs={"min": 1990, "max": 2100, "style": "width:6rem"}),
            "revenue": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
            "profit": forms.NumberInput(attrs={"step": "0.01"}),
            "employees": forms.NumberInput(attrs={"min": "0", "style": "width:8rem"}),
        }
        help_texts = {"revenue": _("in roubles"), "profit": _("in roubles; a loss is negative")}

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client
        if not self.instance.pk and not self.is_bound:
            self.initial.setdefault("year", timezone.localdate().year - 1)

    def clean_revenue(self) -> Decimal | None:
        revenue = self.cleaned_data.get("revenue")
        if revenue is not None and revenue < 0:
            raise forms.ValidationError(_("Revenue cannot be negative."))
        return revenue

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if all(data.get(name) is None for name in ("revenue", "profit", "employees")):
            raise forms.ValidationError(_("Enter at least one figure for the year."))
        return data

    def validate_unique(self) -> None:
        # One row a year is checked by the service, with a message that says what to do.
        pass

    def figures(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in ("revenue", "profit", "employees")}


class NeedsForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = ["history", "needs", "plans", "decision_process", "category_budget"]
        widgets = {
            "history": forms.Textarea(attrs={"rows": 4}),
            "needs": forms.Textarea(attrs={"rows": 4}),
            "plans": forms.Textarea(attrs={"rows": 4}),
            "decision_process": forms.Textarea(attrs={"rows": 4}),
            "category_budget": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
        }
        help_texts = {
            "history": _("How the relationship started and developed."),
            "needs": _("What the client needs that we can supply."),
            "plans": _("The client's own plans: growth, new sites, projects."),
            "decision_process": _("Who decides, in which steps, by which criteria and when."),
            "category_budget": _(
                "What the client spends a year on what we sell, in roubles (share of wallet)."
            ),
        }

    def validate_unique(self) -> None:
        pass


class StakeholderForm(forms.ModelForm):
    """Private notes are a field only for those who may see them: the others cannot read or wipe them."""

    class Meta:
        model = Stakeholder
        fields = [
            "full_name",
            "position",
            "decision_role",
            "influence",
            "attitude",
            "email",
            "phone",
            "last_contact_on",
            "private_notes",
        ]
        widgets = {
            "influence": forms.Select(choices=[(i, str(i)) for i in range(1, 6)]),
            "last_contact_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "private_notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "influence": _("1 — little, 5 — decisive"),
            "private_notes": _("Sensitive: seen only by those allowed to see personal notes."),
        }

    def __init__(self, *args: Any, sensitive: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not sensitive:
            del self.fields["private_notes"]

    def clean_full_name(self) -> str:
        name = " ".join(self.cleaned_data["full_name"].split())
        if not name:
            raise forms.ValidationError(_("Enter the person's name."))
        return name

    def clean_last_contact_on(self) -> Any:
        day = self.cleaned_data.get("last_contact_on")
        if day and day > timezone.localdate():
            raise forms.ValidationError(_("The last contact cannot be in the future."))
        return day


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} ({obj.position})" if obj.position else obj.full_name


class RelationshipForm(forms.Form):
    source = PersonChoiceField(queryset=Stakeholder.objects.none(), label=_("Who"))
    kind = forms.ChoiceField(choices=RelationKind.choices, label=_("Relation"))
    target = PersonChoiceField(queryset=Stakeholder.objects.none(), label=_("Whom"))

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = client.stakeholders.order_by("full_name", "id")
        self.fields["source"].queryset = people  # type: ignore[attr-defined]
        self.fields["target"].queryset = people  # type: ignore[attr-defined]
        error = {"invalid_choice": _("Pick a stakeholder of this client.")}
        self.fields["source"].error_messages.update(error)
        self.fields["target"].error_messages.update(error)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("source") and data.get("source") == data.get("target"):
            raise forms.ValidationError(_("A person cannot be related to themself."))
        return data


class CompetitorPresenceForm(forms.ModelForm):
    """Pick a competitor from the registry or type a new name: one field does both."""

    competitor_name = forms.CharField(
        label=_("Competitor"),
        max_length=200,
        help_text=_("Pick from the registry or type a new name."),
        widget=forms.TextInput(attrs={"list": "competitor-names", "autocomplete": "off"}),
    )
    estimated_share = forms.DecimalField(
        label=_("Estimated share, %"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        widget=forms.NumberInput(attrs={"step": "0.5", "min": "0", "max": "100", "style": "width:7rem"}),
        error_messages={
            "max_value": _("A share is at most 100 %%."),
            "min_value": _("A share cannot be negative."),
        },
    )

    class Meta:
        model = ClientCompetitor
        fields = ["supplies", "estimated_share", "price_level"]
        widgets = {"price_level": forms.TextInput(attrs={"list": "price-levels"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(["competitor_name", "supplies", "estimated_share", "price_level"])
        if self.instance.pk and not self.is_bound:
            self.initial["competitor_name"] = self.instance.competitor.name

    def _post_clean(self) -> None:
        # The instance has no competitor yet; the service validates the row as a whole.
        pass

    def clean_competitor_name(self) -> str:
        return " ".join(self.cleaned_data["competitor_name"].split())

    def existing_competitor(self) -> Competitor | None:
        return Competitor.objects.filter(name__iexact=self.cleaned_data["competitor_name"]).first()

    def fields_for_service(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in ("supplies", "estimated_share", "price_level")}


class TeamMemberForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Colleague"))
    role = forms.CharField(label=_("Role on the team"), max_length=100, required=False)

    def __init__(self, *args: Any, candidates: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = candidates  # type: ignore[attr-defined]
        self.fields["user"].error_messages["invalid_choice"] = _(
            "Pick an active KAM or head you are allowed to put on this team."
        )
