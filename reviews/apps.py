from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "推荐与评审"

    def ready(self):
        # Signal receivers need the models, which Django loads only after the app registry.
        from . import permissions, signals  # noqa: F401  (permissions: the pages' rules)

        signals.connect()
