from django.apps import AppConfig


class BasesConfig(AppConfig):
    name = "bases"
    verbose_name = "专家服务基地（附件2）"

    def ready(self):
        # The rules its pages declare (rules.add_perm), registered once at start-up.
        from . import permissions  # noqa: F401
