"""The error summary in the order of the form, and the page an expired page gets (issue 24)."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import ApplicationFactory, CallFactory, UnitFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def draft():
    call = CallFactory()
    unit = UnitFactory()
    return ApplicationFactory(call=call, unit=unit), UserFactory(organisation=unit)


def test_the_error_summary_follows_the_form(page, live_server, checkpoint):
    app, user = draft()
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/applications/{app.pk}/edit/")
    page.get_by_label("参与服务专家人数").fill("-1")  # 一、基本信息, at the top
    page.locator("[name=places-0-province_code]").select_option(label="云南省")  # 活动地点
    page.evaluate("document.querySelector('[name=places-0-county]').value = '县'.repeat(31)")
    page.get_by_label("申请资助经费（万元）").fill("-5")  # 二、经费保障, further down
    page.get_by_role("button", name="保存草稿").click()
    summary = page.get_by_test_id("error-summary").locator("li")
    expect(summary).to_have_count(3)
    lines = summary.all_inner_texts()
    checkpoint("summary")
    assert [line.split("：")[0] for line in lines] == [
        "参与服务专家人数",
        "活动地点第 1 行·区县（列表中没有时填写）",
        "申请资助经费（万元）",
    ], lines
    assert not any("None" in line for line in lines)


def test_an_expired_page_is_explained_in_chinese(page, live_server, checkpoint):
    app, user = draft()
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/applications/{app.pk}/edit/")
    page.get_by_label("服务团名称").fill("页面过期前输入的名称")
    # Logged in again in another tab: a new page token; this page still carries the old one.
    page.evaluate(
        "document.querySelector('#application-form [name=csrfmiddlewaretoken]').value = 'x'.repeat(64)"
    )
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_test_id("error")).to_contain_text("页面已过期")
    expect(page.get_by_test_id("kept")).to_contain_text("您已填写的内容保留在本浏览器中")
    checkpoint("csrf")
    page.get_by_test_id("go-on").click()
    page.get_by_role("button", name="恢复未保存的内容").click()
    expect(page.get_by_label("服务团名称")).to_have_value("页面过期前输入的名称")
