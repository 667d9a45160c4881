"""The pages a user meets when a request cannot be carried out: an expired login, an expired
page (CSRF), a database that cannot be reached. Each is in Chinese, says what became of what was
typed, and leads on; on the development server and on gunicorn alike."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from shanghai_experts.error_pages import database_unavailable

from .factories import ApplicationFactory, UnitFactory, UserFactory
from .forms_data import form_data

ROOT = Path(__file__).resolve().parents[1]


def post(url, data: bytes, opener=None, **headers):
    request = urllib.request.Request(url, data=data, method="POST", headers=headers)
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=20) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(kind: str, database_url: str):
    """Start `make run`'s server (runserver) or `make prod`'s (gunicorn) on a free port."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "1"}
    if kind == "runserver":
        command = [
            sys.executable,
            "manage.py",
            "runserver",
            "--noreload",
            "--skip-checks",
            f"127.0.0.1:{port}",
        ]
    else:
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "shanghai_experts.wsgi",
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ]
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"{kind} did not start")


@pytest.fixture(params=["runserver", "gunicorn"])
def server(request, tmp_path):
    """Neither request below needs a table: an empty SQLite file is the database."""
    process, url = serve(request.param, f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    yield url
    process.terminate()
    process.wait(10)


def test_a_form_sent_after_the_login_expired_says_the_text_is_kept(server):
    """The browser has dropped the expired session cookie: the form arrives without one."""
    status, headers, page = post(
        f"{server}/applications/7/edit/",
        b"action=save&name=%E6%B5%8B%E8%AF%95",
        **{"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 403, page[:300]
    assert "登录已过期" in page
    assert "您已填写的内容保留在本浏览器中" in page
    assert 'href="/login/?next=%2Fapplications%2F7%2Fedit%2F"' in page


def test_autosave_after_the_login_expired_is_told_where_to_log_in(server):
    status, _, body = post(
        f"{server}/applications/7/edit/",
        b"action=autosave",
        **{
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Requested-With": "XMLHttpRequest",
        },
    )
    answer = json.loads(body)
    assert (status, answer["status"], answer["login"]) == (
        403,
        "login",
        "/login/?next=%2Fapplications%2F7%2Fedit%2F",
    )
    assert "填写的内容保留在本浏览器中" in answer["message"]


@pytest.mark.parametrize("kind", ["runserver", "gunicorn"])
def test_an_unreachable_database_is_a_503_in_chinese(kind, tmp_path):
    """The server starts with its database, which then goes away (its folder is removed, so no
    connection can be opened, as during a restart). A login asks the database (the lockout,
    the user): the answer is 503 with Retry-After, not a 500."""
    folder = tmp_path / "db"
    folder.mkdir()
    process, url = serve(kind, f"sqlite:///{folder / 'db.sqlite3'}")
    try:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        login = opener.open(f"{url}/login/", timeout=20).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login).group(1)
        form = f"csrfmiddlewaretoken={token}&username=fudan&password=x".encode()
        shutil.rmtree(folder)
        status, headers, page = post(
            f"{url}/login/",
            form,
            opener,
            **{"Content-Type": "application/x-www-form-urlencoded", "Referer": f"{url}/login/"},
        )
        _, _, answer = post(
            f"{url}/login/",
            form,
            opener,
            **{
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Requested-With": "XMLHttpRequest",
            },
        )
    finally:
        process.terminate()
        process.wait(10)
    assert (status, headers.get("Retry-After")) == (503, "10"), page[:300]
    assert "系统暂时不可用（503）" in page and "数据库暂时无法连接" in page
    assert json.loads(answer)["status"] == "unavailable"


# --- in process -------------------------------------------------------------------------------


@pytest.fixture
def draft(call):
    unit = UnitFactory()
    return ApplicationFactory(call=call, unit=unit), UserFactory(organisation=unit)


@pytest.mark.django_db
def test_a_page_token_that_no_longer_counts_gets_a_chinese_page(draft):
    app, user = draft
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    url = reverse("applications:edit", args=[app.pk])
    client.get(url)
    # Logging in again (in another tab) gives a new token; this page still carries the old one.
    response = client.post(url, {**form_data(app), "csrfmiddlewaretoken": "x" * 64})
    page = response.content.decode()
    assert response.status_code == 403
    assert "页面已过期" in page and "DEBUG" not in page
    assert "您已填写的内容保留在本浏览器中" in page
    assert f'href="{url}"' in page  # 重新打开本页, where the copy is offered back

    answer = client.post(
        url, {"action": "autosave"}, headers={"X-Requested-With": "XMLHttpRequest"}
    ).json()
    assert (answer["status"], answer["reload"]) == ("expired", url)


@pytest.mark.django_db
def test_a_csrf_failure_elsewhere_does_not_promise_a_kept_copy(draft):
    _, user = draft
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    page = client.post(reverse("password_change"), {}).content.decode()
    assert "页面已过期" in page and "保留在本浏览器中" not in page


@pytest.mark.django_db
def test_a_form_sent_after_the_idle_limit_is_not_dropped_by_a_redirect(client, draft):
    app, user = draft
    client.force_login(user)
    session = client.session
    session["last_seen"] = int(time.time()) - 31 * 60
    session.save()
    url = reverse("applications:edit", args=[app.pk])
    response = client.post(
        url, form_data(app, name="超时后提交"), HTTP_REFERER=f"http://testserver{url}"
    )
    page = response.content.decode()
    assert response.status_code == 403
    assert "登录已过期" in page and "您已填写的内容保留在本浏览器中" in page
    assert f'href="/login/?next={url.replace("/", "%2F")}"' in page
    app.refresh_from_db()
    assert app.name != "超时后提交"
    assert client.get(url).status_code == 302  # logged out for good


def test_a_form_that_met_the_unreachable_database_leads_back_to_itself(rf):
    """A form sent while the database was away: not saved, said so, and 回到表单 (where the
    kept copy is offered back), never an automatic resubmission."""
    request = rf.post(
        "/applications/7/edit/",
        {"action": "save"},
        HTTP_REFERER="http://testserver/applications/7/edit/",
    )
    response = database_unavailable(request)
    page = response.content.decode()
    assert (response.status_code, response["Retry-After"]) == (503, "10")
    assert "这次提交没有保存。您已填写的内容保留在本浏览器中" in page
    assert '<a class="btn btn-primary" href="/applications/7/edit/">回到表单</a>' in page
    assert 'http-equiv="refresh"' not in page
