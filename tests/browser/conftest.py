"""Playwright in Debian's Chromium (never a downloaded browser)."""

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-results"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def checkpoint(page, tmp_path):
    """Screenshot each main page a journey passes; kept under test-results/ on failure."""
    shots = []

    def take(name: str):
        path = tmp_path / f"{len(shots) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shots.append(path)

    take.shots = shots
    return take


@pytest.fixture
def page_errors(page) -> list[str]:
    """What the page writes to the console as an error, and its uncaught script errors."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page = item.funcargs.get("page")
        if page is not None:
            page.screenshot(path=str(ARTIFACTS / f"{item.name}.png"), full_page=True)
        shots = getattr(item.funcargs.get("checkpoint"), "shots", [])
        if shots:
            folder = ARTIFACTS / item.name
            folder.mkdir(exist_ok=True)
            for shot in shots:
                shutil.copy(shot, folder / shot.name)


def log_in(page, live_server, user):
    """Log in through the login page as `user` (any earlier session is dropped first)."""
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("who")).to_be_attached()  # folded in the menu on a phone


def act(page, action, **labelled):
    """Take a workflow action from the item page: its button leads to the confirmation page,
    where the reason is written and the action confirmed."""
    page.locator(f"[data-action={action}]").click()
    for label, value in labelled.items():
        page.get_by_label(label).fill(value)
    page.get_by_test_id("confirm").click()
