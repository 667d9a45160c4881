from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "后台任务"

    def ready(self):
        # The pages' rules, and the worker's task (dispatched by name from services).
        from . import permissions, tasks  # noqa: F401
