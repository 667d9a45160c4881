from django.apps import AppConfig


class ShanghaiExpertsConfig(AppConfig):
    name = "shanghai_experts"
    verbose_name = "机构、用户与申报批次"
