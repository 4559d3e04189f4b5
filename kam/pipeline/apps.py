from django.apps import AppConfig


class PipelineConfig(AppConfig):
    name = "kam.pipeline"
    label = "pipeline"
