"""The worker's side of jobs. Acknowledged late, so a message is not lost with its worker;
`services.run` makes a second delivery harmless."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_job(job_id: int) -> None:
    services.run(job_id)


@shared_task(ignore_result=True)
def resend_lost_jobs() -> int:
    return services.resend_lost()


@shared_task(ignore_result=True)
def expire_jobs() -> tuple[int, int]:
    return services.expire()
