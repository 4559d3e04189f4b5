from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kam.access import policy
from kam.access.models import Role, User
from kam.clients.picker import ClientPickerField

from .models import ClaimKind, ClaimStatus, ContractStatus, Party


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def kams() -> Any:
    return User.objects.filter(is_active=True, role__in=[Role.KAM, Role.HEAD, Role.DIRECTOR]).order_by(
        "last_name", "first_name"
    )


def client_picker(user: User) -> ClientPickerField:
    """The client of a new contract or claim: a search box over the clients the user may see (scales to
    100,000 clients; never a <select> of them all)."""
    return ClientPickerField(label=_("Client"), queryset=policy.visible_clients(user))


def people() -> Any:
    return User.objects.filter(is_active=True).exclude(role=Role.NONE).order_by("last_name", "first_name")


class ContractForm(forms.Form):
    number = forms.CharField(label=_("Number"), max_length=64)
    title = forms.CharField(label=_("Title"), max_length=200)
    signed_on = forms.DateField(label=_("Signed on"), required=False, widget=DateInput())
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput())
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput())
    status = forms.ChoiceField(label=_("Status"), choices=ContractStatus.choices)
    auto_renewal = forms.BooleanField(label=_("Renews automatically"), required=False)
    renewal_notice_days = forms.IntegerField(
        label=_("Renewal notice, days"),
        min_value=0,
        max_value=3650,
        initial=30,
        help_text=_("Remind the KAM this many days before the contract ends."),
    )
    owner = forms.ModelChoiceField(label=_("KAM"), queryset=User.objects.none())
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = kams()  # type: ignore[attr-defined]


class ClauseForm(forms.Form):
    text = forms.CharField(label=_("Clause"), widget=forms.Textarea(attrs={"rows": 2}))
    obligation_of = forms.ChoiceField(label=_("Obligation of"), choices=Party.choices)
    due_on = forms.DateField(label=_("Due on"), required=False, widget=DateInput())
    responsible = forms.ModelChoiceField(label=_("Responsible"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = people()  # type: ignore[attr-defined]


class ClaimForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ClaimKind.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    registered_on = forms.DateField(label=_("Registered on"), widget=DateInput())
    assigned_to = forms.ModelChoiceField(label=_("Assigned to"), queryset=User.objects.none())
    deadline = forms.DateField(label=_("Deadline"), required=False, widget=DateInput())
    status = forms.ChoiceField(label=_("Status"), choices=ClaimStatus.choices)
    resolution = forms.CharField(
        label=_("Resolution"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = people()  # type: ignore[attr-defined]


class ResolveForm(forms.Form):
    resolution = forms.CharField(label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 3}))
    rejected = forms.BooleanField(label=_("Rejected (the claim is unfounded)"), required=False)
