from django import forms

from .models import AnalysisConfig


class AnalysisConfigForm(forms.ModelForm):
    class Meta:
        model = AnalysisConfig
        fields = (
            "basis",
            "period_months",
            "key_share",
            "critical_share",
            "mono_share",
            "abc_a",
            "abc_b",
            "xyz_x",
            "xyz_y",
            "absolute_threshold",
            "horizon_years",
            "discount_rate",
            "potential_wallet_threshold",
            "potential_npv_threshold",
        )
