"""A background job's page: its bar moves and its download appears without a reload
(JavaScript on), and the page refreshes itself to the same end with JavaScript off."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import expect

from jobs import services
from jobs.models import Job
from tests.browser.conftest import log_in
from tests.factories import CallFactory, UnitFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def running_job(user):
    return Job.objects.create(
        kind="zip_pdfs",
        label="2026年申报表打包（10 份）",
        user=user,
        organisation=user.organisation,
        state=Job.State.RUNNING,
        done=2,
        total=10,
        heartbeat_at=timezone.now(),
    )


def finish(job):
    """What the worker does at the end: the file saved, then the row says 已完成."""
    name = services.storage().save(f"jobs/{job.pk}/z.zip", ContentFile(b"PK\x05\x06" + bytes(18)))
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.DONE,
        done=10,
        file=name,
        file_name="申报表.zip",
        content_type="application/zip",
        size=22,
        finished_at=now,
        expires_at=now + datetime.timedelta(hours=24),
    )


def test_the_bar_moves_and_the_download_appears_without_a_reload(
    page, page_errors, live_server, checkpoint
):
    CallFactory()
    user = UserFactory(organisation=UnitFactory().district)
    job = running_job(user)
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/downloads/{job.pk}/")
    expect(page.locator("[data-job-count]")).to_have_text("已完成 2 / 10 份")
    page.evaluate("window.__same_page = true")  # gone if the page reloads
    Job.objects.filter(pk=job.pk).update(done=6, heartbeat_at=timezone.now())
    expect(page.locator("[data-job-count]")).to_have_text("已完成 6 / 10 份")
    expect(page.locator("[data-job-bar]")).to_have_attribute("aria-valuenow", "60")
    checkpoint("running")
    finish(job)
    expect(page.get_by_role("link", name="下载文件")).to_be_visible()
    expect(page.locator("[data-job-state]")).to_have_text("已完成")
    assert page.evaluate("window.__same_page === true")
    checkpoint("done")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载文件").click()
    assert download.value.suggested_filename == "申报表.zip"
    assert page_errors == []


def test_without_javascript_the_page_refreshes_itself_to_the_file(
    browser, live_server, browser_context_args
):
    CallFactory()
    user = UserFactory(organisation=UnitFactory().district)
    job = running_job(user)
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, live_server, user)
        page.goto(f"{live_server.url}/downloads/{job.pk}/")
        expect(page.get_by_role("link", name="下载文件")).to_be_hidden()
        finish(job)
        expect(page.get_by_role("link", name="下载文件")).to_be_visible(timeout=10_000)
        expect(page.locator("[data-job-state]")).to_have_text("已完成")
    finally:
        context.close()
