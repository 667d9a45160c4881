"""The project's core: organisations and users, the call, the item protocol and the rules that
every floor above shares."""

from .celery import app as celery_app

__all__ = ["celery_app"]
