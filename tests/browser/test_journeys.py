"""The whole process in Chromium, one role after another, and the form on a phone."""

import io

import openpyxl
import pytest
from playwright.sync_api import expect

from applications.models import Application
from shanghai_experts.states import State
from tests.browser.conftest import act, log_in
from tests.browser.test_apply_in_browser import fill_application
from tests.factories import BureauFactory, CallFactory, UnitFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_whole_process(page, live_server, checkpoint):
    call = CallFactory()
    unit = UnitFactory()
    unit_user = UserFactory(organisation=unit)
    district_user = UserFactory(organisation=unit.district)
    bureau_user = UserFactory(organisation=BureauFactory())

    # The unit fills and submits.
    log_in(page, live_server, unit_user)
    checkpoint("unit-home")
    fill_application(page, unit, name="全流程服务团")
    checkpoint("unit-form")
    page.get_by_test_id("submit").click()
    checkpoint("unit-confirm-submit")
    page.get_by_test_id("pledge").check()
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("state")).to_have_text("已提交，待推荐单位受理")
    checkpoint("unit-submitted")

    # Its district accepts and returns it with a comment.
    log_in(page, live_server, district_user)
    page.get_by_role("link", name="待审项目").click()
    checkpoint("district-queue")
    page.get_by_role("link", name="全流程服务团").click()
    act(page, "accept")
    act(page, "return", **{"退回意见（申报单位将看到）（必填）": "请把服务次数改为3次"})
    expect(page.get_by_test_id("state")).to_have_text("已退回修改")
    checkpoint("district-returned")

    # The unit fixes and resubmits.
    log_in(page, live_server, unit_user)
    page.get_by_role("link", name="继续填写").first.click()
    page.get_by_label("服务次数").fill("3")
    page.get_by_test_id("submit").click()
    page.get_by_test_id("pledge").check()
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("history")).to_contain_text("与上一轮提交相比修改了：服务次数")
    checkpoint("unit-resubmitted")

    # The district recommends it and confirms its ranking.
    log_in(page, live_server, district_user)
    page.goto(f"{live_server.url}/reviews/")
    page.get_by_role("link", name="全流程服务团").click()
    act(page, "accept")
    expect(page.locator("[data-action=recommend]")).to_have_text("推荐（已推荐 0 / 1）")
    act(page, "recommend", **{"推荐单位意见（必填）": "同意推荐"})
    expect(page.get_by_test_id("state")).to_have_text("已推荐至市人社局")
    page.get_by_role("link", name="推荐排序").first.click()
    checkpoint("district-ranking")
    page.get_by_role("button", name="保存排序").click()
    expect(page.get_by_text("推荐排序已保存。")).to_be_visible()

    # The bureau scores, selects and exports.
    log_in(page, live_server, bureau_user)
    page.get_by_role("link", name="全市申报").click()
    checkpoint("bureau-list")
    page.get_by_role("link", name="全流程服务团").click()
    page.get_by_role("link", name="评审评分").click()
    for criterion in call.criteria.all():
        page.locator(f"[name=criterion-{criterion.pk}]").fill("9")
    page.get_by_label("评审意见").fill("需求明确，方案可行")
    page.get_by_role("button", name="保存评分").click()
    expect(page.get_by_test_id("score-summary")).to_contain_text("均分 90.00")
    checkpoint("bureau-score")
    page.get_by_role("link", name="全流程服务团").click()
    act(page, "select_national")
    expect(page.get_by_test_id("state")).to_have_text("拟推荐国家级")
    checkpoint("bureau-selected")
    page.get_by_role("link", name="全市申报").click()
    # Built in the background: its page shows progress, and the file downloads by itself.
    with page.expect_download() as download:
        page.get_by_role("link", name="导出推荐国家级名单").click()
    expect(page.get_by_role("link", name="下载文件")).to_be_visible()
    with open(download.value.path(), "rb") as fh:  # a temporary name without ".xlsx"
        sheet = openpyxl.load_workbook(io.BytesIO(fh.read())).active
    assert sheet["A1"].value == "2026年上海市推荐人力资源社会保障部国家级专家服务团项目一览表"
    assert sheet["D3"].value == "全流程服务团" and sheet["C3"].value == "国家级服务团"

    app = Application.objects.get(name="全流程服务团")
    assert (app.state, app.service_count, app.score_count) == (State.NATIONAL_CANDIDATE, 3, 1)


def test_the_form_on_a_phone(browser, live_server, checkpoint):
    CallFactory()
    unit = UnitFactory()
    user = UserFactory(organisation=unit)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        log_in(page, live_server, user)
        expect(page.locator(".navbar-toggler")).to_be_visible()  # the menu folds away
        page.get_by_role("button", name="新建服务团申报（附件1）").click()
        page.get_by_label("服务团名称").fill("手机上填写的服务团")
        page.get_by_label("服务次数").fill("2")
        page.get_by_label("开始时间").fill("2026-12-01")
        page.locator("[name=experts-0-name]").fill("宁光")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width}px wide on a 390px screen"
        field = page.get_by_label("服务团名称").bounding_box()
        assert field["width"] > 300  # a full-width field, not a squeezed column
        save = page.get_by_role("button", name="保存草稿")
        save.scroll_into_view_if_needed()
        expect(save).to_be_visible()
        save.click()
        expect(page.get_by_text("草稿已保存。")).to_be_visible()
        expect(page.get_by_label("服务团名称")).to_have_value("手机上填写的服务团")
        app = unit.applications.get()
        assert (app.name, app.service_count) == ("手机上填写的服务团", 2)
    finally:
        context.close()
