from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "推荐与评审"

    def ready(self):
        # Signal receivers need the models, which Django loads only after the app registry.
        # permissions: the pages' rules; bundles: the files offered as background jobs.
        from . import bundles, permissions, signals  # noqa: F401

        signals.connect()
