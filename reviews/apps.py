from django.apps import AppConfig
from django.db.models.signals import post_save


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "推荐与评审"

    def ready(self):
        from shanghai_experts.models import Call

        post_save.connect(_seed_new_call, sender=Call, dispatch_uid="reviews.seed_criteria")
        from . import signals

        signals.connect()


def _seed_new_call(sender, instance, created, raw=False, **kwargs):
    """A new call starts with the default score sheet (the bureau may change it)."""
    if created and not raw:
        from .scoring import seed_criteria

        seed_criteria(instance)
