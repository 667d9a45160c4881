"""Scheduled by Celery beat: deadline reminders, and the nightly retention purge."""

from celery import shared_task

from . import deadlines, reminders
from .operations import retention


@shared_task(ignore_result=True)
def queue_reminders() -> int:
    """The reviewers' (before the review deadline) and everyone else's (before theirs)."""
    return deadlines.queue_reminders() + reminders.queue_reminders()


@shared_task(ignore_result=True)
def purge_expired() -> str:
    return str(retention.purge())
