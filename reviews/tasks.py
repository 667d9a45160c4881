"""Scheduled by Celery beat: deadline reminders, and the nightly retention purge."""

from celery import shared_task

from . import deadlines, retention


@shared_task(ignore_result=True)
def queue_reminders() -> int:
    return deadlines.queue_reminders()


@shared_task(ignore_result=True)
def purge_expired() -> str:
    return str(retention.purge())
