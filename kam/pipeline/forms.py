from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kam.access.models import Role, User
from kam.clients.models import Competitor
from kam.clients.picker import ClientPickerField

from .models import LinkKind, Opportunity, Stage, Status


class OpportunityForm(forms.ModelForm):
    class Meta:
        model = Opportunity
        fields = [
            "title",
            "kind",
            "amount",
            "probability",
            "expected_on",
            "next_step",
            "next_step_on",
            "competitors",
            "owner",
        ]
        widgets = {
            "expected_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "next_step_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "competitors": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args: Any, creating: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        competitors = self.fields["competitors"]
        owner = self.fields["owner"]
        assert isinstance(competitors, forms.ModelMultipleChoiceField)
        assert isinstance(owner, forms.ModelChoiceField)
        competitors.queryset = Competitor.objects.order_by("name")
        owner.queryset = User.objects.filter(
            is_active=True, role__in=[Role.KAM, Role.HEAD, Role.DIRECTOR]
        ).order_by("last_name", "first_name", "username")
        self.fields["probability"].required = not creating
        if creating:
            self.fields["probability"].help_text = _("Empty: the default of the stage.")
            self.fields["owner"].required = False
            self.fields["owner"].help_text = _("Empty: the client's KAM.")


class NewOpportunityForm(OpportunityForm):
    stage = forms.ChoiceField(label=_("stage"), choices=Stage.choices, initial=Stage.RESEARCH)

    class Meta(OpportunityForm.Meta):
        fields = [*OpportunityForm.Meta.fields]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, creating=True, **kwargs)


class MoveForm(forms.Form):
    stage = forms.ChoiceField(label=_("Move to"), choices=Stage.choices)


class CloseForm(forms.Form):
    status = forms.ChoiceField(label=_("status"), choices=Status.choices)
    lost_reason = forms.CharField(
        label=_("lost reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class LinkForm(forms.Form):
    kind = forms.ChoiceField(label=_("link"), choices=LinkKind.choices)
    direction = forms.ChoiceField(
        label=_("this client is"),
        choices=[("child", _("below the other client")), ("parent", _("above the other client"))],
    )
    other = ClientPickerField(label=_("other client"))

    def __init__(self, *args: Any, clients: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if clients is not None:
            other = self.fields["other"]
            assert isinstance(other, forms.ModelChoiceField)
            other.queryset = clients
