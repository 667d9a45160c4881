"""`make prod`'s service (deploy/prod.sh): gunicorn, a Celery worker and beat start together,
a job started over HTTP is built by that worker, and Ctrl-C stops all three.

Needs PostgreSQL (DATABASE_URL=postgres://…) and Redis on 127.0.0.1:6379: it creates and drops
its own database, `<name>_prod` (`<name>_prod_gw0` … under xdist).
"""

import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from .servers import URL, free_port, own_database

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Prod#Service2026"
REDIS = "redis://127.0.0.1:6379/13"

pytestmark = pytest.mark.skipif(
    not URL.startswith("postgres"), reason="runs the service against PostgreSQL (DATABASE_URL)"
)

SETUP = f"""
from reviews.engine import workflow
from reviews.models import RecommenderFiling
from shanghai_experts.models import User
from tests.factories import CallFactory, CompleteApplicationFactory, UnitFactory, UserFactory
call = CallFactory()
unit = UnitFactory()
office = User.objects.create_user("office", password="{PASSWORD}", organisation=unit.district)
RecommenderFiling.objects.create(call=call, organisation=unit.district, contact_name="李明",
                                 office_phone="021-63588888", mobile="13812345678")
app = CompleteApplicationFactory(call=call, unit=unit, name="生产服务团")
app = workflow.transition(app, "submit", user=UserFactory(organisation=unit))
app = workflow.transition(app, "accept", user=office)
workflow.transition(app, "recommend", user=office, comment="同意")
"""


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def children(pid: int) -> str:
    return subprocess.run(
        ["ps", "-ww", "-o", "args=", "--ppid", str(pid)], capture_output=True, text=True
    ).stdout


def test_the_service_runs_web_worker_and_beat_and_ctrl_c_stops_them(tmp_path):
    with own_database("prod") as database:
        _run_the_service(tmp_path, database)


def _run_the_service(tmp_path, database):
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "0",
        "DATABASE_URL": database,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "HTTPS": "0",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "CELERY_CONCURRENCY": "1",
        "CELERY_BEAT_SCHEDULE_FILE": str(tmp_path / "beat-schedule"),
        "REDIS_URL": REDIS,
        "LOG_LEVEL": "ERROR",
    }
    (tmp_path / "private").mkdir(mode=0o700)
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (
        ["migrate", "--noinput", "-v0"],
        ["collectstatic", "--noinput", "-v0"],
        ["shell", "-c", SETUP],
    ):
        done = subprocess.run(
            [*manage, *command], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr[-3000:]
    service = subprocess.Popen(
        [str(ROOT / "deploy" / "prod.sh")],
        cwd=ROOT,
        env={**env, "VENV": str(Path(sys.executable).parent.parent)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                health = requests.get(f"{base}/healthz", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.5)
        else:
            pytest.fail("the service did not start")
        assert health.status_code == 200
        assert health.text == "database ok\nredis ok\nstorage ok\n"
        running = children(service.pid)
        assert "gunicorn" in running and " worker" in running and " beat" in running, running
        # A ZIP asked over HTTP is built by the service's own worker.
        session = requests.Session()
        page = session.get(f"{base}/login/").text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        session.post(
            f"{base}/login/",
            {"username": "office", "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{base}/login/"},
        )
        started = session.get(f"{base}/reviews/pdfs.zip", allow_redirects=False)
        assert started.status_code == 302, started.status_code
        job = started.headers["Location"].split("?")[0]
        for _ in range(240):
            status = session.get(f"{base}{job}status.json").json()
            if status["finished"]:
                break
            time.sleep(0.5)
        assert status["state"] == "done", status
        download = session.get(f"{base}{status['download']}")
        assert download.content.startswith(b"PK")
        # Ctrl-C in the terminal: SIGINT to the whole foreground group.
        os.killpg(service.pid, signal.SIGINT)
        service.wait(timeout=60)
        deadline = time.monotonic() + 30
        while group_alive(service.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not group_alive(service.pid), "a process of the service outlived Ctrl-C"
    finally:
        if group_alive(service.pid):
            os.killpg(service.pid, signal.SIGKILL)
