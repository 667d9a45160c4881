"""Scheduled by Celery beat: the outbox is swept every minute (notices not sent right after
their commit, and retries that are due)."""

from celery import shared_task

from . import outbox


@shared_task(ignore_result=True)
def send_notices() -> tuple[int, int]:
    return outbox.send_due()
