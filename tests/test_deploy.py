"""What `make prod` needs to be safe on a real host: mail that leaves the machine, files only
the service user can read, and instances that do not share gunicorn's control socket."""

import os
import secrets
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from shanghai_experts.checks import private_files

ROOT = Path(settings.BASE_DIR)
SMTP = "django.core.mail.backends.smtp.EmailBackend"

PRODUCTION_ENV = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "zjfw.example.gov.cn",
    "DATABASE_URL": "sqlite:///:memory:",
    "SITE_URL": "https://zjfw.example.gov.cn",
}
MAIL_VARIABLES = {"EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_HOST_PASSWORD", "ALLOW_DEMO_MAIL"}


def check_deploy(tmp_path, **overrides):
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in MAIL_VARIABLES and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env = {
        **base,
        **PRODUCTION_ENV,
        "SECRET_KEY": secrets.token_urlsafe(50),
        # Empty folders of this test's own: the permission check finds nothing to say.
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        "BACKUP_DIR": str(tmp_path / "backups"),
        "SECRET_KEY_FILE": str(tmp_path / "secret_key"),
        **overrides,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={k: v for k, v in env.items() if v is not None},
        capture_output=True,
        text=True,
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.mail.backends.filebased.EmailBackend",
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
    ],
)
def test_check_deploy_refuses_mail_that_never_leaves_the_machine(tmp_path, backend):
    code, output = check_deploy(tmp_path, EMAIL_BACKEND=backend)
    assert code != 0 and "shanghai_experts.E001" in output and "通知邮件不会发出" in output
    assert "ALLOW_DEMO_MAIL=1" in output  # the hint says how a demo declares itself
    # Setting the backend explicitly is not enough; declaring a demo is.
    code, output = check_deploy(tmp_path, EMAIL_BACKEND=backend, ALLOW_DEMO_MAIL="1")
    assert code == 0, output


def test_check_deploy_wants_a_mail_server_named_for_smtp(tmp_path):
    code, output = check_deploy(tmp_path, EMAIL_BACKEND=SMTP)
    assert code != 0 and "shanghai_experts.E004" in output and "EMAIL_HOST" in output
    code, output = check_deploy(
        tmp_path, EMAIL_BACKEND=SMTP, EMAIL_HOST="smtp.example.gov.cn", EMAIL_USE_TLS="1"
    )
    assert code == 0, output
    # A password sent in clear is worth a warning.
    code, output = check_deploy(
        tmp_path, EMAIL_BACKEND=SMTP, EMAIL_HOST="smtp.example.gov.cn", EMAIL_HOST_PASSWORD="x"
    )
    assert code != 0 and "shanghai_experts.W001" in output


def test_make_prod_sends_by_smtp_and_only_the_demo_keeps_mail_in_files():
    def dry_run(target):
        result = subprocess.run(
            ["make", "-n", target, "PORT=8123"], cwd=ROOT, capture_output=True, text=True
        )
        return [line for line in result.stdout.splitlines() if "check --deploy" in line][0]

    prod = dry_run("prod")
    assert "smtp.EmailBackend" in prod and "filebased" not in prod
    assert "ALLOW_DEMO_MAIL" not in prod
    demo = dry_run("prod-demo")
    assert "ALLOW_DEMO_MAIL=1" in demo and "filebased" in demo


# --- files only the service user can read ------------------------------------------------------


@pytest.fixture
def private_places(settings, tmp_path, monkeypatch):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    monkeypatch.setenv("BACKUP_DIR", str(tmp_path / "backups"))
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "secret_key"))
    return tmp_path


def test_the_deploy_check_names_files_others_can_read(private_places):
    scans = private_places / "private" / "scans" / "2026"
    scans.mkdir(parents=True)
    (scans / "1.pdf").write_bytes(b"%PDF")
    (private_places / "backups").mkdir()
    (private_places / "backups" / "backup-1.tar").write_bytes(b"tar")
    (private_places / "secret_key").write_text("k")
    for path in [*private_places.rglob("*"), private_places / "private"]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    problems = private_files(None)
    assert {p.id for p in problems} == {"shanghai_experts.E005"} and len(problems) == 3
    text = "\n".join(p.msg for p in problems)
    assert "密钥文件" in text and "盖章扫描件目录" in text and "备份目录" in text
    assert "-rw-r--r--" in text

    for path in private_places.rglob("*"):
        path.chmod(0o700 if path.is_dir() else 0o600)
    assert private_files(None) == []


def run_manage(code, env=None):
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=True,
    )


def test_manage_py_commands_write_private_files(tmp_path):
    old = os.umask(0o022)  # the usual login umask: files 0644 unless the command says otherwise
    try:
        run_manage(
            f"import pathlib; d = pathlib.Path({str(tmp_path)!r}) / 'out'; d.mkdir();"
            " (d / 'f').write_text('x')"
        )
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "out" / "f").stat().st_mode) == 0o600


# --- two instances on one host -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_instances_on_one_host_have_a_control_socket_each(tmp_path):
    """`make prod PORT=…` twice: each gunicorn answers its own control socket, under var/run
    and named by its port, and writes its files with umask 077."""
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    ports = [free_port(), free_port()]
    servers = []
    try:
        for port in ports:
            env = {
                **os.environ,
                "DEBUG": "1",
                "HOME": str(tmp_path),  # gunicorn's default socket would be here
                "GUNICORN_BIND": f"127.0.0.1:{port}",
                "GUNICORN_WORKERS": "1",
                "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
            }
            servers.append(
                subprocess.Popen(
                    [gunicorn, "shanghai_experts.wsgi", "-c", "gunicorn.conf.py"],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        sockets = [ROOT / "var" / "run" / f"gunicorn-{port}.ctl" for port in ports]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(s.exists() for s in sockets):
            time.sleep(0.2)
        assert all(s.is_socket() for s in sockets)
        assert not (tmp_path / ".gunicorn" / "gunicorn.ctl").exists()
        for sock, server in zip(sockets, servers, strict=True):
            assert stat.S_IMODE(sock.stat().st_mode) == 0o600
            answer = subprocess.run(
                [
                    str(Path(sys.executable).parent / "gunicornc"),
                    "-s",
                    str(sock),
                    "-c",
                    "show stats",
                    "-j",
                ],
                capture_output=True,
                text=True,
                timeout=30,
            )
            assert str(server.pid) in answer.stdout, answer.stdout + answer.stderr
            # The master runs with umask 077 (its workers inherit it).
            status = Path(f"/proc/{server.pid}/status").read_text()
            assert "Umask:\t0077" in status
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


@pytest.mark.parametrize("target", ["run", "prod", "prod-demo"])
def test_links_in_mail_follow_the_host_and_port_the_server_was_started_on(target):
    result = subprocess.run(
        ["make", "-n", target, "PORT=8123", "HOST=192.168.1.20"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "SITE_URL"},
    )
    serving = [
        line
        for line in result.stdout.splitlines()
        if "runserver" in line or "deploy/prod.sh" in line
    ]
    assert serving and all("http://192.168.1.20:8123" in line for line in serving)
    if target != "run":
        assert all("192.168.1.20:8123" in line.split("GUNICORN_BIND=")[1] for line in serving)
