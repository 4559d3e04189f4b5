from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.access import policy
from kam.access.models import Role, User
from kam.clients.models import Client, Competitor
from kam.clients.picker import ClientPickerField
from kam.orders.models import Product
from kam.pipeline.models import Opportunity

from .models import LotResult, Platform, Tender, validate_zone, zone_choices

DEADLINE_FORMAT = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=DEADLINE_FORMAT, **kwargs)


def responsible_people() -> Any:
    return User.objects.filter(is_active=True, role__in=[Role.KAM, Role.HEAD, Role.DIRECTOR]).order_by(
        "last_name", "first_name"
    )


class TenderForm(forms.Form):
    client = ClientPickerField(label=_("Customer"))
    platform = forms.ChoiceField(label=_("Platform"), choices=Platform.choices)
    number = forms.CharField(label=_("Notice number"), max_length=64, required=False)
    title = forms.CharField(label=_("Title"), max_length=300)
    published_on = forms.DateField(label=_("Published on"), required=False, widget=DateInput())
    deadline = forms.DateTimeField(
        label=_("Bid deadline"),
        input_formats=[DEADLINE_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=DateTimeLocalInput(),
        help_text=_("Local time of the zone below (the platforms publish Moscow time)."),
    )
    time_zone = forms.ChoiceField(label=_("Deadline time zone"), initial="Europe/Moscow")
    kam = forms.ModelChoiceField(label=_("Responsible KAM"), queryset=User.objects.none(), required=False)
    opportunity = forms.ModelChoiceField(
        label=_("Pipeline opportunity"), queryset=Opportunity.objects.none(), required=False
    )
    url = forms.URLField(label=_("Link to the notice"), max_length=500, required=False, assume_scheme="https")
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(
        self,
        *args: Any,
        user: User,
        client: Client | None = None,
        tender: Tender | None = None,
        **kwargs: Any,
    ) -> None:
        if tender is not None and "initial" not in kwargs:
            kwargs["initial"] = tender_initial(tender)
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = zone_choices()  # type: ignore[attr-defined]
        self.fields["kam"].queryset = responsible_people()  # type: ignore[attr-defined]
        target = client or (tender.client if tender else None)
        if target is not None:
            del self.fields["client"]
            self.fields["opportunity"].queryset = Opportunity.objects.filter(  # type: ignore[attr-defined]
                client=target
            ).order_by("-expected_on")
        else:
            self.fields["client"].queryset = policy.visible_clients(user)  # type: ignore[attr-defined]
            del self.fields["opportunity"]  # linked once the customer is known (on edit)

    def clean_time_zone(self) -> str:
        value = self.cleaned_data["time_zone"]
        validate_zone(value)
        return str(value)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        deadline, zone = data.get("deadline"), data.get("time_zone")
        if isinstance(deadline, datetime) and zone:
            # Django read the input in the user's zone; the KAM typed it in the tender's zone.
            naive = timezone.make_naive(deadline) if timezone.is_aware(deadline) else deadline
            data["deadline"] = naive.replace(tzinfo=ZoneInfo(zone))
        return data


def tender_initial(tender: Tender) -> dict[str, Any]:
    return {
        "platform": tender.platform,
        "number": tender.number,
        "title": tender.title,
        "published_on": tender.published_on,
        "deadline": tender.deadline_in_zone.replace(tzinfo=None),
        "time_zone": tender.time_zone,
        "kam": tender.kam_id,
        "opportunity": tender.opportunity_id,
        "url": tender.url,
        "notes": tender.notes,
    }


class LotForm(forms.Form):
    number = forms.IntegerField(label=_("Lot number"), min_value=1, max_value=32000, required=False)
    subject = forms.CharField(label=_("Subject"), max_length=300)
    initial_price = forms.DecimalField(
        label=_("Initial (maximum) price"), min_value=0, max_digits=16, decimal_places=2
    )
    bid_amount = forms.DecimalField(
        label=_("Our bid"), min_value=0, max_digits=16, decimal_places=2, required=False
    )


class ResultForm(forms.Form):
    result = forms.ChoiceField(label=_("Result"), choices=LotResult.choices, required=False)
    winner = forms.ModelChoiceField(
        label=_("Winner (competitor)"), queryset=Competitor.objects.order_by("name"), required=False
    )
    winner_name = forms.CharField(label=_("Winner (if not in the registry)"), max_length=200, required=False)
    winning_price = forms.DecimalField(
        label=_("Winning price"), min_value=0, max_digits=16, decimal_places=2, required=False
    )
    reasons = forms.CharField(
        label=_("Reasons for the result"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ItemForm(forms.Form):
    name = forms.CharField(label=_("Item"), max_length=300, required=False)
    product_code = forms.CharField(
        label=_("Our product code"), max_length=64, required=False, help_text=_("Optional.")
    )
    quantity = forms.DecimalField(label=_("Quantity"), min_value=0.001, max_digits=15, decimal_places=3)
    unit = forms.CharField(label=_("Unit"), max_length=20, initial="pcs")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        code = (data.pop("product_code", "") or "").strip()
        data["product"] = None
        if code:
            product = Product.objects.filter(code=code).first()
            if product is None:
                self.add_error("product_code", _("No product with this code."))
            data["product"] = product
        if not code and not (data.get("name") or "").strip():
            self.add_error("name", _("Name the item or give our product code."))
        return data


class StatusForm(forms.Form):
    status = forms.CharField(max_length=12)
    note = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
