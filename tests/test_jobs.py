"""Background jobs (jobs): the ZIP of forms built by a real Celery worker on the real Redis,
read back; a worker killed midway; Redis away; a file only for the one who asked; expiry."""

import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from datetime import timedelta

import pytest
import redis
from celery.contrib.testing import tasks as _ping  # noqa: F401 (start_worker asks for it)
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from kombu import pools as kombu_pools

from jobs import services
from jobs.models import Job
from reviews.documents import printing
from reviews.engine import workflow
from shanghai_experts import celery_app

from .factories import (
    BureauFactory,
    CompleteApplicationFactory,
    UnitFactory,
    UserFactory,
)

REDIS = "redis://127.0.0.1:6379/15"
CLOSED = "redis://127.0.0.1:9/0"  # a port where nothing listens


def recommended(call, district, recommender, name):
    unit = UnitFactory(district=district)
    app = CompleteApplicationFactory(call=call, unit=unit, name=name)
    app = workflow.transition(app, "submit", user=UserFactory(organisation=unit))
    app = workflow.transition(app, "accept", user=recommender)
    return workflow.transition(app, "recommend", user=recommender, comment="同意")


def use_broker(url):
    """Point the app at `url`; its pools were made for the old broker, so new ones are made."""
    celery_app.conf.broker_url = url
    kombu_pools.reset()  # kombu keeps producer pools per connection, process-wide
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker():
    """The Celery app pointed at the real Redis, on a queue of this test's own (tests on other
    workers never take its messages), with tasks no longer run at once."""
    redis.Redis.from_url(REDIS).ping()  # Redis must answer: .ci/start-redis starts it
    # One queue per test process (Celery keeps its queues once declared): no test of another
    # xdist worker takes its messages; emptied before and after each test.
    queue = f"test-jobs-{os.getpid()}"
    redis.Redis.from_url(REDIS).delete(queue)
    conf = celery_app.conf
    saved = {k: conf[k] for k in ("broker_url", "task_always_eager", "task_default_queue")}
    conf.update(task_always_eager=False, task_default_queue=queue)
    use_broker(REDIS)
    yield queue
    conf.update(saved)
    use_broker(saved["broker_url"])
    redis.Redis.from_url(REDIS).delete(queue)


@pytest.fixture
def worker(broker):
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=20
    ):
        yield broker


def wait_for(predicate, seconds=60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def scene(call):
    call.recommender_quota = 20
    call.save()
    district = UnitFactory().district
    recommender = UserFactory(organisation=district)
    apps = [recommended(call, district, recommender, f"第{i}服务团") for i in range(3)]
    return {"district": district, "recommender": recommender, "apps": apps}


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_builds_the_zip_and_only_its_starter_gets_it(client, scene, worker):
    client.force_login(scene["recommender"])
    response = client.get(reverse("reviews:zip"))
    assert response.status_code == 302
    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:detail", args=[job.pk]) + "?started=1"
    # The page answers at once, whatever the worker is doing.
    page = client.get(response["Location"]).content.decode()
    assert "批量下载打印表" not in page or job.label in page
    assert wait_for(lambda: Job.objects.get().state == Job.State.DONE), Job.objects.get().error
    job.refresh_from_db()
    assert (job.done, job.total, job.attempts) == (3, 3, 1)
    status = client.get(reverse("jobs:status", args=[job.pk])).json()
    assert status["state"] == "done" and status["percent"] == 100 and status["download"]
    download = client.get(reverse("jobs:download", args=[job.pk]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    district = scene["district"]
    assert archive.namelist() == [
        f"00-推荐函-{district}.pdf",
        *(printing.filename_for(app) for app in scene["apps"]),
    ]
    assert download["Content-Disposition"].startswith("attachment")
    # 我的下载 lists it for its starter; another user, even a colleague, sees nothing of it.
    assert job.label in client.get(reverse("jobs:list")).content.decode()
    client.force_login(UserFactory(organisation=district))
    assert job.label not in client.get(reverse("jobs:list")).content.decode()
    for name in ("jobs:detail", "jobs:status", "jobs:download"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404, name
    client.force_login(UserFactory(organisation=BureauFactory()))
    assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_download_is_audited_when_served_not_when_asked(client, scene):
    from reviews.models import AuditRecord

    client.force_login(scene["recommender"])
    response = client.get(reverse("reviews:zip"))
    assert not AuditRecord.objects.filter(action="download_zip").exists()
    job = Job.objects.get()
    client.get(response["Location"])
    assert not AuditRecord.objects.filter(action="download_zip").exists()
    b"".join(client.get(reverse("jobs:download", args=[job.pk])).streaming_content)
    record = AuditRecord.objects.get(action="download_zip")
    assert record.actor == scene["recommender"] and "3 份" in record.comment


@pytest.mark.django_db(transaction=True)
def test_redis_away_keeps_the_job_and_beat_sends_it_when_back(client, scene, broker):
    use_broker(CLOSED)
    client.force_login(scene["recommender"])
    started = time.monotonic()
    page = client.get(reverse("reviews:zip"), follow=True).content.decode()
    assert time.monotonic() - started < 10
    assert "后台任务服务暂时不可用" in page and "任务已记下" in page
    job = Job.objects.get()
    assert job.state == Job.State.QUEUED and job.sent_at is None
    # Redis is back: beat's sweep sends it, and a worker builds it once.
    use_broker(REDIS)
    assert services.resend_lost() == 1
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        assert wait_for(lambda: Job.objects.get().state == Job.State.DONE)
    assert Job.objects.get().attempts == 1


@pytest.mark.skipif(
    not django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="a worker in another process needs a database it can share (PostgreSQL)",
)
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_midway_is_replaced_and_the_job_completes_once(
    client, call, broker, settings, tmp_path
):
    call.recommender_quota = 20
    call.save()
    district = UnitFactory().district
    recommender = UserFactory(organisation=district)
    apps = [recommended(call, district, recommender, f"第{i}服务团") for i in range(12)]
    client.force_login(recommender)
    client.get(reverse("reviews:zip"))
    job = Job.objects.get()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "CELERY_BROKER_URL": REDIS,
        "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
        # Under -p tests.s3storage the test's files are under a key prefix of its own.
        "S3_PREFIX": str(services.storage().location),
        "DEBUG": "1",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "shanghai_experts", "worker", "--pool", "solo",
        "-Q", broker, "--without-heartbeat", "--without-gossip", "--without-mingle",
        "--loglevel", "WARNING",
    ]  # fmt: skip
    first = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        # Killed (SIGKILL: no goodbye) once a few forms are in the ZIP.
        assert wait_for(lambda: Job.objects.get().done >= 3, 120), Job.objects.get().state
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        job.refresh_from_db()
        assert job.state == Job.State.RUNNING and job.attempts == 1
        folder = f"jobs/{job.pk}"
        storage = services.storage()
        assert not storage.exists(folder) or storage.listdir(folder)[1] == []  # none half-written
        # STALE_AFTER passes with no heartbeat (moved back rather than waited for): beat's
        # sweep finds the job and sends it again.
        assert services.resend_lost() == 0
        Job.objects.filter(pk=job.pk).update(
            heartbeat_at=timezone.now() - services.STALE_AFTER - timedelta(seconds=1)
        )
        assert services.resend_lost() == 1
        second = subprocess.Popen(command, env=env, start_new_session=True)
        try:
            assert wait_for(lambda: Job.objects.get().state == Job.State.DONE, 180)
        finally:
            os.killpg(second.pid, signal.SIGTERM)
            second.wait(30)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    job.refresh_from_db()
    assert job.attempts == 2 and job.done == job.total == 12
    assert storage.listdir(folder)[1] == [job.file.split("/")[-1]]  # one file
    # The first message, delivered again later (Redis restores it after its visibility
    # timeout), finds the job done and builds nothing.
    services.run(job.pk)
    job.refresh_from_db()
    assert job.attempts == 2 and len(storage.listdir(folder)[1]) == 1
    content = b"".join(client.get(reverse("jobs:download", args=[job.pk])).streaming_content)
    names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    assert names[1:] == [printing.filename_for(app) for app in apps]


@pytest.mark.django_db
def test_a_file_expires_and_is_deleted(client, scene):
    client.force_login(scene["recommender"])
    client.get(reverse("reviews:zip"))
    job = Job.objects.get()
    assert job.state == Job.State.DONE
    storage = services.storage()
    assert storage.exists(job.file)
    assert services.expire(now=timezone.now() + timedelta(hours=23)) == (0, 0)
    assert services.expire(now=timezone.now() + timedelta(hours=25)) == (1, 0)
    assert not storage.exists(job.file)
    job.refresh_from_db()
    assert job.state == Job.State.EXPIRED
    assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 404
    assert "文件已过期删除" in client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    client.post(reverse("jobs:retry", args=[job.pk]))
    assert Job.objects.latest("id").state == Job.State.DONE
    Job.objects.exclude(pk=job.pk).delete()
    # A month on, the row goes too.
    assert services.expire(now=timezone.now() + timedelta(days=31)) == (0, 1)


@pytest.mark.django_db
def test_a_failed_job_says_why_in_chinese_and_can_be_started_again(client, scene, monkeypatch):
    def broken(items, leading=()):
        raise RuntimeError("disk full")
        yield b""

    monkeypatch.setattr(printing, "zip_stream", broken)
    client.force_login(scene["recommender"])
    page = client.get(reverse("reviews:zip"), follow=True).content.decode()
    assert services.GENERIC_FAILURE in page and "disk full" not in page
    monkeypatch.undo()
    failed = Job.objects.get()
    # 重新生成 on its page: the same file asked again, by its owner only.
    client.force_login(UserFactory(organisation=scene["district"]))
    assert client.post(reverse("jobs:retry", args=[failed.pk])).status_code == 404
    client.force_login(scene["recommender"])
    assert "重新生成" in client.get(reverse("jobs:detail", args=[failed.pk])).content.decode()
    response = client.post(reverse("jobs:retry", args=[failed.pk]))
    again = Job.objects.latest("id")
    assert response["Location"] == reverse("jobs:detail", args=[again.pk]) + "?started=1"
    assert [j.state for j in Job.objects.order_by("id")] == ["failed", "done"]
    assert again.params == failed.params and again.label == failed.label


@pytest.mark.django_db(transaction=True)
def test_a_message_lost_in_a_redis_restart_is_sent_again_from_the_row(client, scene, broker):
    client.force_login(scene["recommender"])
    client.get(reverse("reviews:zip"))
    job = Job.objects.get()
    assert job.state == Job.State.QUEUED and job.sent_at is not None
    # Redis keeps nothing on disk: a restart loses the queued message.
    assert redis.Redis.from_url(REDIS).delete(broker) == 1
    assert services.resend_lost(now=timezone.now()) == 0  # not yet: it may still be taken
    later = timezone.now() + services.RESEND_AFTER + timedelta(seconds=1)
    assert services.resend_lost(now=later) == 1
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        assert wait_for(lambda: Job.objects.get().state == Job.State.DONE)
    job.refresh_from_db()
    assert job.attempts == 1 and job.done == 3
