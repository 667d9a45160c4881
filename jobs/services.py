"""Starting, running, finishing and expiring jobs; the row in the database is the truth.

- `start` writes the row and hands it to the broker. When the broker cannot take it (Redis
  down), the row stays queued and `resend_lost` (beat, every minute) sends it again: nothing
  is lost, and the page says so.
- `run` (the worker) takes the row under a lock: a finished job, or one another worker is
  running (its heartbeat is fresh), is left alone, so a message delivered twice builds once. The
  file is written to a temporary file, then saved to the private storage; only then does the
  row say 已完成 and name it, so a half-written file is never offered.
- A worker killed midway stops its heartbeat: `resend_lost` sends the job again and the next
  run starts it over, up to MAX_ATTEMPTS.
- `expire` deletes files past their time (JOB_FILE_HOURS, default 24 h).
"""

import datetime
import logging
import os
import tempfile
import time
import uuid

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone

from shanghai_experts import celery_app

from . import registry
from .models import Job

logger = logging.getLogger(__name__)

#: A running job whose heartbeat is older than this lost its worker.
STALE_AFTER = datetime.timedelta(seconds=90)
#: A queued job that no worker took this long after it was sent: its message was lost.
RESEND_AFTER = datetime.timedelta(minutes=2)
#: Runs of one job before it is given up (a job that kills its worker every time).
MAX_ATTEMPTS = 3
#: Progress is written at most this often (seconds).
HEARTBEAT_EVERY = 1.0
#: Finished, failed and expired jobs are listed (我的下载) and kept this long.
KEPT_FOR = datetime.timedelta(days=30)

#: The worker's task that builds a job (jobs.tasks.run_job).
RUN_JOB = "jobs.tasks.run_job"

GENERIC_FAILURE = "生成文件时出错。请重新开始；如果再次失败，请联系市人社局。"
NOT_STARTED = (
    "后台任务服务暂时不可用，这项任务现在无法开始。任务已记下，服务恢复后会自动开始，"
    "届时可在“我的下载”取得文件；也可以稍后重新发起。"
)


class JobError(Exception):
    """A builder's refusal, in Chinese, shown to the user as the job's failure."""


def storage():
    return storages["private"]


def file_hours() -> int:
    return int(getattr(settings, "JOB_FILE_HOURS", 24))


def start(kind: str, *, user, organisation=None, label: str = "", params=None) -> Job:
    """A new job for `user`, handed to the worker. `job.dispatched` says whether the broker
    took it (False: Redis is down; the job waits, queued, for beat to send it)."""
    chosen = registry.get(kind)
    job = Job.objects.create(
        kind=kind,
        label=(label or chosen.label)[:200],
        params=params or {},
        user=user,
        organisation=organisation,
    )
    job.dispatched = dispatch(job.pk)
    job.refresh_from_db()
    return job


def dispatch(job_id: int) -> bool:
    """Send the job to the broker (or, with none configured, run it now). False when the broker
    could not be reached."""
    Job.objects.filter(pk=job_id).update(sent_at=timezone.now())
    try:
        # By name from the app's registry: jobs.tasks imports this module, not the reverse.
        celery_app.tasks[RUN_JOB].apply_async((job_id,), retry=False)
    except Exception as exc:  # kombu's OperationalError, redis' ConnectionError, a refused socket
        logger.warning("后台任务 #%s 无法派发：%s: %s", job_id, type(exc).__name__, exc)
        Job.objects.filter(pk=job_id, state=Job.State.QUEUED).update(sent_at=None)
        return False
    return True


class _Progress:
    """The builder's `progress(done, total)`: written to the row at most once a second, which
    is also the heartbeat that tells a live worker from a dead one."""

    def __init__(self, job: Job):
        self.job = job
        self.last = 0.0

    def __call__(self, done: int, total: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < HEARTBEAT_EVERY:
            return
        self.last = now
        Job.objects.filter(pk=self.job.pk, state=Job.State.RUNNING).update(
            done=done, total=total, heartbeat_at=timezone.now()
        )


def run(job_id: int) -> None:
    """Build the job's file, once, whatever the broker delivers."""
    now = timezone.now()
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished:
            return
        if (
            job.state == Job.State.RUNNING
            and job.heartbeat_at
            and job.heartbeat_at > now - STALE_AFTER
        ):
            return  # a live worker has it: this is a second delivery of its message
        if job.attempts >= MAX_ATTEMPTS:
            _fail(job, "任务多次中断，未能完成。请重新开始；如果再次失败，请联系市人社局。")
            return
        job.state = Job.State.RUNNING
        job.attempts += 1
        job.started_at = job.heartbeat_at = now
        job.done = 0
        job.save(update_fields=["state", "attempts", "started_at", "heartbeat_at", "done"])
    kind = registry.get(job.kind)
    progress = _Progress(job)
    with tempfile.TemporaryFile() as out:
        try:
            file_name, content_type = kind.build(job, out, progress)
        except JobError as exc:
            _fail(job, str(exc))
            return
        except Exception:
            logger.exception("后台任务 #%s（%s）失败", job.pk, job.kind)
            _fail(job, GENERIC_FAILURE)
            return
        size = out.seek(0, os.SEEK_END)
        out.seek(0)
        extension = os.path.splitext(file_name)[1][:10]
        name = storage().save(f"jobs/{job.pk}/{uuid.uuid4().hex}{extension}", File(out))
    finished = timezone.now()
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if job.state != Job.State.RUNNING:
            storage().delete(name)  # another run finished it first, or it was given up
            return
        job.state = Job.State.DONE
        job.file, job.file_name, job.content_type, job.size = name, file_name, content_type, size
        job.done = job.total
        job.finished_at = finished
        job.expires_at = finished + datetime.timedelta(hours=file_hours())
        job.save()


def _fail(job: Job, reason: str) -> None:
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.FAILED, error=reason[:300], finished_at=timezone.now()
    )


def resend_lost(now=None) -> int:
    """Send again the jobs whose message was lost (queued, not taken) or whose worker died
    (running, no heartbeat). Returns how many were sent."""
    now = now or timezone.now()
    lost = Job.objects.filter(state=Job.State.QUEUED, sent_at__isnull=True) | Job.objects.filter(
        state=Job.State.QUEUED, sent_at__lt=now - RESEND_AFTER
    )
    dead = Job.objects.filter(state=Job.State.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
    sent = 0
    for pk in list(lost.values_list("pk", flat=True)) + list(dead.values_list("pk", flat=True)):
        sent += dispatch(pk)
    return sent


def expire(now=None) -> tuple[int, int]:
    """Delete the files past their time, and the rows older than KEPT_FOR. Returns (files,
    rows) removed."""
    now = now or timezone.now()
    files = 0
    for job in Job.objects.filter(state=Job.State.DONE, expires_at__lte=now):
        if job.file:
            storage().delete(job.file)
        Job.objects.filter(pk=job.pk, state=Job.State.DONE).update(state=Job.State.EXPIRED, file="")
        files += 1
    old = Job.objects.filter(created_at__lt=now - KEPT_FOR).exclude(
        state__in=[Job.State.QUEUED, Job.State.RUNNING]
    )
    for job in old.exclude(file=""):
        storage().delete(job.file)
    rows, _ = old.delete()
    return files, rows
