from django.apps import AppConfig


class BasesConfig(AppConfig):
    name = "bases"
    verbose_name = "专家服务基地（附件2）"
