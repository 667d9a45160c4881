from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = "专家服务团申报（附件1）"

    def ready(self):
        # The rules its pages declare (rules.add_perm), registered once at start-up.
        from . import permissions  # noqa: F401
