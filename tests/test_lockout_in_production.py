"""The login lockout proved where it runs: gunicorn with the production settings `make prod`
uses (DEBUG=0, PostgreSQL, persistent connections, TRUSTED_PROXIES), reached over HTTP.

Issue 24 saw password spraying get through `make prod-demo` behind a proxy while the same
sequence through Django's test client locked the address. This test sends the spraying rounds
through a real proxy hop (the client connects from the trusted 127.0.0.1 and names itself in
X-Forwarded-For), reads 登录锁定 as the bureau does, and lifts each lock on its own. It also
checks that X-Forwarded-Proto is believed only from a trusted proxy.

Needs PostgreSQL (DATABASE_URL=postgres://…): it creates and drops its own database,
`<name>_gunicorn` (`<name>_gunicorn_gw0` … under xdist), next to the one DATABASE_URL names.
"""

import http.client
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from django_otp.oath import TOTP

from .servers import URL, free_port, own_database

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Spray#Test2026x"
ADMIN_KEY = "3132333435363738393031323334353637383930"
SPRAYER = "10.9.8.7"

pytestmark = pytest.mark.skipif(
    not URL.startswith("postgres"), reason="runs gunicorn against PostgreSQL (DATABASE_URL)"
)


SETUP = f"""
from django_otp.plugins.otp_totp.models import TOTPDevice
from shanghai_experts.models import Organisation, User
bureau = Organisation.objects.create(kind="municipal", name="上海市人力资源和社会保障局")
district = Organisation.objects.create(kind="district", name="杨浦区人社局")
fudan = Organisation.objects.create(kind="unit", name="复旦大学", district=district,
                                    approval="approved")
User.objects.create_user("bureau", password="{PASSWORD}", organisation=bureau)
User.objects.create_user("fudan", password="{PASSWORD}", organisation=fudan)
admin = User.objects.create_user("lockadmin", password="{PASSWORD}", organisation=bureau)
TOTPDevice.objects.create(user=admin, name="app", key="{ADMIN_KEY}", confirmed=True)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """gunicorn on a free port, as `make prod` starts it, with TRUSTED_PROXIES=127.0.0.1."""
    with own_database("gunicorn") as database:
        yield from _serve(tmp_path_factory, database)


def _serve(tmp_path_factory, database):
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "0",
        "DATABASE_URL": database,
        "CONN_MAX_AGE": "60",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "HTTPS": "0",
        "TRUSTED_PROXIES": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "PRIVATE_MEDIA_ROOT": str(tmp_path_factory.mktemp("private")),
        "STATIC_ROOT": str(tmp_path_factory.mktemp("static")),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "LOG_LEVEL": "ERROR",
    }
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
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen(
        [str(gunicorn), "shanghai_experts.wsgi", "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):  # the workers load WeasyPrint before their first request
            try:
                requests.get(f"{base}/login/", timeout=10)
                break
            except requests.RequestException:
                time.sleep(0.5)
        else:
            pytest.fail("gunicorn did not start")
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def login(base: str, username: str, password: str, address: str) -> requests.Response:
    """One login through the proxy hop: a fresh browser, the client named in X-Forwarded-For."""
    session = requests.Session()
    session.headers["X-Forwarded-For"] = address
    page = session.get(f"{base}/login/").text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = session.post(
        f"{base}/login/",
        data={"csrfmiddlewaretoken": token, "username": username, "password": password},
        headers={"Referer": f"{base}/login/"},
        allow_redirects=False,
    )
    response.session = session
    return response


def mark(response: requests.Response) -> str:
    if response.status_code == 302:
        return "U"
    if response.status_code == 429 and "登录已锁定" in response.text:
        return "L"
    if response.status_code == 200 and "请输入一个正确的" in response.text:
        return "x"
    return f"?{response.status_code}"


def bureau_session(base: str) -> requests.Session:
    """The bureau's administrator, logged in with password and code, from another address."""
    response = login(base, "lockadmin", PASSWORD, "10.1.1.1")
    assert response.status_code == 302, response.status_code
    session = response.session
    page = session.get(f"{base}/accounts/two-factor/").text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    code = TOTP(bytes.fromhex(ADMIN_KEY)).token()
    session.post(
        f"{base}/accounts/two-factor/",
        data={"csrfmiddlewaretoken": token, "code": f"{code:06d}"},
        headers={"Referer": f"{base}/accounts/two-factor/"},
        allow_redirects=False,
    )
    return session


def lock_rows(session: requests.Session, base: str) -> tuple[list[tuple[str, str, str]], str]:
    page = session.get(f"{base}/reviews/lockouts/")
    assert page.status_code == 200, page.status_code
    rows = re.findall(
        r'data-kind="(\w+)"><td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td>', page.text
    )
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return sorted(rows), token


def unlock(session, base, token, **fields) -> None:
    response = session.post(
        f"{base}/reviews/lockouts/",
        data={"csrfmiddlewaretoken": token, **fields},
        headers={"Referer": f"{base}/reviews/lockouts/"},
        allow_redirects=False,
    )
    assert response.status_code == 302, response.status_code


def test_spraying_through_the_proxy_locks_the_address_and_each_lock_lifts_alone(server):
    rounds = []
    for _round in range(5):
        marks = "".join(mark(login(server, "bureau", "Wrong#guess1", SPRAYER)) for _ in range(4))
        rounds.append(marks + mark(login(server, "fudan", PASSWORD, SPRAYER)))
    # The pair locks at 5; the guesses it refuses count for the address, which then locks for
    # every name: fudan gets in only before that.
    assert rounds == ["xxxxU", "LLLLU", "LLLLL", "LLLLL", "LLLLL"]
    # Another address behind the same proxy is not touched, for either name.
    assert mark(login(server, "fudan", PASSWORD, "10.9.8.8")) == "U"
    assert mark(login(server, "bureau", PASSWORD, "10.9.8.8")) == "U"

    admin = bureau_session(server)
    rows, token = lock_rows(admin, server)
    assert rows == [("ip_address", "—", SPRAYER), ("pair", "bureau", SPRAYER)]

    unlock(admin, server, token, kind="ip_address", value="not-an-ip")  # no 500 on PostgreSQL
    unlock(admin, server, token, kind="ip_address", address=SPRAYER)
    rows, token = lock_rows(admin, server)
    assert rows == [("pair", "bureau", SPRAYER)]  # the pair's lock stays
    assert mark(login(server, "fudan", PASSWORD, SPRAYER)) == "U"
    assert mark(login(server, "bureau", PASSWORD, SPRAYER)) == "L"

    unlock(admin, server, token, kind="pair", username="bureau", address=SPRAYER)
    assert lock_rows(admin, server)[0] == []
    assert mark(login(server, "bureau", PASSWORD, SPRAYER)) == "U"


def _post_login_from(source: str, port: int, forwarded_proto: str) -> int:
    """A login POST from `source` (a loopback address of our choice) claiming HTTPS, with the
    plain-HTTP Referer a browser on http:// sends. Django checks the Referer strictly on a
    secure request, so a 403 means the claim was believed."""

    def request(method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", port, source_address=(source, 0))
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        result = response.status, response.getheader("Set-Cookie") or "", response.read()
        connection.close()
        return result

    _status, cookie, page = request("GET", "/login/")
    csrf = re.search(r"csrftoken=([^;]+)", cookie).group(1)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    status, _cookie, _page = request(
        "POST",
        "/login/",
        body=f"csrfmiddlewaretoken={token}&username=nobody&password=x",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf}",
            "Referer": f"http://127.0.0.1:{port}/login/",
            "X-Forwarded-Proto": forwarded_proto,
        },
    )
    return status


def test_x_forwarded_proto_is_believed_only_from_a_trusted_proxy(server):
    port = int(urlsplit(server).port)
    assert _post_login_from("127.0.0.1", port, "https") == 403  # the proxy: believed
    assert _post_login_from("127.0.0.2", port, "https") == 200  # anyone else: ignored
    assert _post_login_from("127.0.0.2", port, "http") == 200
