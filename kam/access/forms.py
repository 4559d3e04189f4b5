from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from .models import Department, Role, User


class DeputyForm(forms.Form):
    absent = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Absent KAM"))
    deputy = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Deputy"))
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args: object, actor: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        kams = User.objects.filter(role=Role.KAM, is_active=True)
        deputies = User.objects.filter(role__in=[Role.KAM, Role.HEAD], is_active=True)
        if actor.role == Role.HEAD:
            kams = kams.filter(department=actor.department)
        self.fields["absent"].queryset = kams  # type: ignore[attr-defined]
        self.fields["deputy"].queryset = deputies  # type: ignore[attr-defined]


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100)


class UserCreateForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("username", "first_name", "last_name", "email", "role", "department")


class UserEditForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("first_name", "last_name", "email", "phone", "role", "department", "is_active", "is_staff")


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ("name", "head")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["head"].queryset = User.objects.filter(role=Role.HEAD, is_active=True)  # type: ignore[attr-defined]
