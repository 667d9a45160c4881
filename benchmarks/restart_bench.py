"""What users see when PostgreSQL restarts under the production server.

Starts gunicorn with the production settings (persistent connections, CONN_MAX_AGE=60) against
a throw-away database, logs a unit in, keeps it reading its home page from several threads,
restarts the local PostgreSQL cluster in the middle, and once the cluster answers again sends
100 more requests. It prints the errors during the restart (expected: the database is away)
and after it; and first restarts it while nobody is working, then sends 100 requests. Target:
0 errors once the cluster is back; a miss exits non-zero.

    make restart-bench        (restarts this machine's PostgreSQL cluster: run it on a quiet one)

RESTART_MODE=database takes only the benchmark's own database away for RESTART_SECONDS (1.5):
new connections refused (ALLOW_CONNECTIONS false) and its sessions terminated, as a restart
does to it, without touching other databases of a shared cluster. During the restart every
answer must be 200 or a 503 with Retry-After (the Chinese page), never a 500.
"""

import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
DB_NAME = os.environ.get("RESTART_DB", "shanghai_experts_restart")
MODE = os.environ.get("RESTART_MODE", "cluster")
OUTAGE = float(os.environ.get("RESTART_SECONDS", "1.5"))
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
PORT = int(os.environ.get("RESTART_PORT", "8124"))
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "Restart#2026x"
AFTER = 100


def sh(*args, **kwargs):
    return subprocess.run(args, check=True, **kwargs)


def cluster() -> str:
    return sorted(os.listdir("/etc/postgresql"))[0]


def prepare() -> None:
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB_NAME])
    sh("createdb", "-h", "127.0.0.1", "-U", "postgres", DB_NAME)
    env = {**os.environ, "DATABASE_URL": DATABASE_URL, "DEBUG": "1"}
    sh(sys.executable, "manage.py", "migrate", "--noinput", "-v0", cwd=ROOT, env=env)
    script = (
        "from shanghai_experts.models import Organisation, User\n"
        "d = Organisation.objects.create(kind='district', name='第一区人社局')\n"
        "u = Organisation.objects.create(kind='unit', name='某单位', district=d)\n"
        f"User.objects.create_user('unit', password='{PASSWORD}', organisation=u)\n"
    )
    sh(sys.executable, "manage.py", "shell", "-c", script, cwd=ROOT, env=env)


def start_server() -> subprocess.Popen:
    env = {
        **os.environ,
        "DEBUG": "0",
        "DATABASE_URL": DATABASE_URL,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "HTTPS": "0",
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "ERROR",
        "GUNICORN_BIND": f"127.0.0.1:{PORT}",
        "GUNICORN_WORKERS": "2",
        "STATIC_ROOT": str(ROOT / "var" / "restart-static"),
    }
    sh(sys.executable, "manage.py", "collectstatic", "--noinput", "-v0", cwd=ROOT, env=env)
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    server = subprocess.Popen(
        [
            gunicorn,
            "shanghai_experts.wsgi",
            "-c",
            "gunicorn.conf.py",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    for _ in range(120):
        try:
            requests.get(f"{BASE}/login/", timeout=10)
            return server
        except requests.RequestException:  # not listening yet, or a worker still warming up
            time.sleep(0.5)
    raise SystemExit("the server did not start")


def logged_in() -> requests.Session:
    session = requests.Session()
    page = session.get(f"{BASE}/login/").text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = session.post(
        f"{BASE}/login/",
        data={"csrfmiddlewaretoken": token, "username": "unit", "password": PASSWORD},
        headers={"Referer": f"{BASE}/login/"},
        allow_redirects=False,
    )
    assert response.status_code == 302, response.status_code
    return session


def get(session) -> int | str:
    try:
        return session.get(f"{BASE}/", timeout=10).status_code
    except requests.RequestException as exc:
        return type(exc).__name__


def psql(sql: str) -> None:
    sh("psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qAtc", sql,
       stdout=subprocess.DEVNULL)  # fmt: skip


def restart_cluster() -> float:
    started = time.monotonic()
    if MODE == "database":
        psql(f'ALTER DATABASE "{DB_NAME}" ALLOW_CONNECTIONS false')
        psql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{DB_NAME}'")
        time.sleep(OUTAGE)
        psql(f'ALTER DATABASE "{DB_NAME}" ALLOW_CONNECTIONS true')
        return time.monotonic() - started
    sh("pg_ctlcluster", "--skip-systemctl-redirect", cluster(), "main", "restart")
    while subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode != 0:
        time.sleep(0.2)
    return time.monotonic() - started


def main() -> int:
    prepare()
    server = start_server()
    try:
        sessions = [logged_in() for _ in range(8)]
        # Every worker thread gets a persistent connection.
        for session in sessions * 10:
            assert get(session) == 200
        # 1. A restart while nobody is working (a night's maintenance): every kept connection
        #    is dead when the first user of the morning arrives.
        idle_back = restart_cluster()
        after_idle = [get(sessions[i % len(sessions)]) for i in range(AFTER)]
        # 2. A restart in the middle of traffic.
        during, stop = [], threading.Event()

        def traffic(session):
            while not stop.is_set():
                during.append(get(session))
                time.sleep(0.05)

        threads = [threading.Thread(target=traffic, args=(s,)) for s in sessions]
        for thread in threads:
            thread.start()
        time.sleep(1)
        back = restart_cluster()
        stop.set()
        for thread in threads:
            thread.join()
        after = [get(sessions[i % len(sessions)]) for i in range(AFTER)]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    errors_idle = sum(1 for s in after_idle if s != 200)
    errors_during = sum(1 for s in during if s != 200)
    server_errors = sum(1 for s in during + after + after_idle if s == 500)
    errors_after = sum(1 for s in after if s != 200)
    failed = errors_idle + errors_after + server_errors
    print(f"restart while idle: cluster back after {idle_back:.1f} s")
    print(f"  then {len(after_idle)} requests, {errors_idle} errors  (target 0)")
    print(f"restart under traffic: cluster back after {back:.1f} s")
    print(f"  during it {len(during)} requests, {errors_during} not 200 (the database was away)")
    print(f"  statuses during it: {dict(Counter(during))}  (target: no 500, a 503 instead)")
    print(f"  then {len(after)} requests, {errors_after} errors  (target 0)")
    print("PASS" if not failed else "FAIL")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
