from django.apps import AppConfig
from django.urls import register_converter

from . import checks  # noqa: F401  (registers the deploy checks)
from .converters import IdConverter


class ShanghaiExpertsConfig(AppConfig):
    name = "shanghai_experts"
    verbose_name = "机构、用户与申报批次"

    def ready(self):
        # `<id:pk>` in every app's URLs: a number that fits the id column, else a 404.
        register_converter(IdConverter, "id")
