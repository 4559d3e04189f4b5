from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "kam.analytics"
    label = "analytics"
    verbose_name = "Key-account analysis"
