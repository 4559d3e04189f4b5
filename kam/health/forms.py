from django import forms

from .models import HealthConfig

FIELDS = [f.name for f in HealthConfig._meta.get_fields() if f.name not in ("id", "updated_by", "updated_at")]


class HealthConfigForm(forms.ModelForm):
    class Meta:
        model = HealthConfig
        fields = FIELDS
