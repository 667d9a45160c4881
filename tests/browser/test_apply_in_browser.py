"""A unit fills 附件1 in Chromium, adds a roster row, submits and sees the submitted state."""

import re

import pytest
from playwright.sync_api import expect

from shanghai_experts.states import State
from tests.browser.conftest import log_in
from tests.factories import BureauFactory, CallFactory, UnitFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def pick_place(page, row, province, city, county):
    """Pick a 活动地点 from the lists, each list waiting for the one above to fill it."""
    page.locator(f"[name=places-{row}-province_code]").select_option(label=province)
    city_box = page.locator(f"[name=places-{row}-city_code]")
    expect(city_box.locator("option", has_text=city)).to_have_count(1)
    city_box.select_option(label=city)
    county_box = page.locator(f"[name=places-{row}-county_code]")
    expect(county_box.locator("option", has_text=county)).to_have_count(1)
    county_box.select_option(label=county)


def fill_application(page, unit, name="浏览器测试服务团"):
    """Create a draft and fill every box of 附件1 as a person does, up to submitting."""
    page.get_by_role("button", name="新建服务团申报（附件1）").click()
    expect(page.get_by_role("heading", name="2026 年专家服务基层示范团项目申报表")).to_be_visible()

    page.get_by_label("服务团名称").fill(name)
    page.get_by_label("国家级").first.check()
    page.locator("input[name=relies_on_base_choice][value=no]").check()
    expect(page.get_by_label("基地名称")).to_be_hidden()
    page.get_by_label("参与服务专家人数").fill("2")
    page.get_by_label("服务次数").fill("2")
    page.get_by_label("累计服务时长（天）").fill("6")
    page.get_by_label("开始时间").fill("2026-12-01")
    page.get_by_label("结束时间").fill("2026-12-20")
    page.get_by_label("服务领域").fill("医疗卫生")

    # Each level picked from the national divisions; the next list follows the choice.
    pick_place(page, 0, "云南省", "文山壮族苗族自治州", "广南县")
    page.get_by_role("button", name="添加活动地点").click()
    pick_place(page, 1, "云南省", "文山壮族苗族自治州", "富宁县")
    expect(page.locator("[data-count=cities]")).to_have_text("1")
    expect(page.locator("[data-count=counties]")).to_have_text("2")

    page.get_by_label("负责部门").fill("科教处")
    page.get_by_label("联系人").fill("张华")
    page.get_by_label("办公电话").fill("021-64370045")
    page.locator("[name=mobile]").fill("13812345678")
    page.get_by_label("E-mail").fill("zh@example.org")
    page.get_by_label("技术指导").check()
    content = page.get_by_label("拟开展的服务内容（服务内容、组织形式等，不超过1000字）")
    content.fill("赴云南开展技术指导。")
    expect(page.get_by_text("已输入 10 字，限 1000 字")).to_be_visible()

    def fill_expert(i, name, leader):
        page.locator(f"[name=experts-{i}-name]").fill(name)
        page.locator(f"[name=experts-{i}-work_unit]").fill(unit.name)
        page.locator(f"[name=experts-{i}-affiliation]").select_option("own")
        page.locator(f"[name=experts-{i}-title]").fill("主任医师")
        page.locator(f"[name=experts-{i}-title_level]").select_option("senior")
        page.locator(f"[name=experts-{i}-mobile]").fill("1390000000" + str(i))
        if leader:
            page.locator(f"[name=experts-{i}-is_leader]").check()

    fill_expert(0, "宁光", leader=True)
    page.get_by_role("button", name="添加专家").click()
    fill_expert(1, "王卫庆", leader=False)

    page.get_by_label("项目经费预算金额（万元）").fill("12")
    page.get_by_label("申请资助经费（万元）").fill("10")
    page.locator("[name=budget_items-0-item]").fill("差旅费")
    page.locator("[name=budget_items-0-amount]").fill("12")
    page.locator("[name=funding_sources-0-source]").fill("申请资助")
    page.locator("[name=funding_sources-0-amount]").fill("10")
    page.get_by_role("button", name="添加经费来源").click()
    page.locator("[name=funding_sources-1-source]").fill("单位自筹")
    page.locator("[name=funding_sources-1-amount]").fill("2")
    expect(page.locator("[data-sum=funding_sources]")).to_have_text("12")

    page.get_by_label("服务内容简介（不超过200字）").fill("技术指导。")
    page.get_by_label("服务目标（达成的效果、产生的效益、解决的具体问题等）").fill("解决2个问题。")
    page.get_by_label("专业领域").fill("内分泌")
    page.get_by_label("申报单位意见").fill("同意申报。")
    page.get_by_label("推荐单位（提交至）").select_option(label=f"{unit.district}（本区）")


def test_unit_fills_and_submits_application(page, live_server):
    CallFactory()
    unit = UnitFactory()
    user = UserFactory(organisation=unit)
    log_in(page, live_server, user)
    fill_application(page, unit)
    page.get_by_test_id("submit").dblclick()
    # The confirmation page: what will be sent, and the 信用承诺 to tick.
    expect(page.get_by_test_id("destination")).to_have_text(str(unit.district))
    page.get_by_test_id("pledge").check()
    page.get_by_test_id("confirm").dblclick()
    expect(page.get_by_test_id("state")).to_have_text("已提交，待推荐单位受理")
    expect(page.get_by_test_id("places")).to_contain_text("覆盖 1 个地市、2 个区县")
    expect(page.get_by_text("王卫庆")).to_be_visible()

    app = unit.applications.get()
    assert app.state == State.SUBMITTED
    assert app.experts.count() == 2
    assert [(p.city_code, p.county_code) for p in app.places.all()] == [
        ("532600", "532627"),
        ("532600", "532628"),
    ]
    page.goto(f"{live_server.url}/")
    expect(page.get_by_test_id("items")).to_contain_text("浏览器测试服务团")
    expect(page.get_by_test_id("items")).to_contain_text(re.compile("已提交"))


def test_removing_a_row_keeps_what_was_typed_elsewhere(page, live_server):
    CallFactory()
    unit = UnitFactory()
    log_in(page, live_server, UserFactory(organisation=unit))
    page.get_by_role("button", name="新建服务团申报（附件1）").click()
    page.get_by_label("服务团名称").fill("保留测试")
    page.locator("[name=experts-0-name]").fill("甲")
    page.get_by_role("button", name="添加专家").click()
    page.locator("[name=experts-1-name]").fill("乙")
    page.locator("[data-formset=experts] [data-remove-row]").first.click()
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_text("草稿已保存。")).to_be_visible()
    expect(page.get_by_label("服务团名称")).to_have_value("保留测试")
    app = unit.applications.get()
    assert list(app.experts.values_list("name", flat=True)) == ["乙"]


def test_choosing_where_to_submit(page, live_server):
    CallFactory()
    BureauFactory()
    unit = UnitFactory()
    log_in(page, live_server, UserFactory(organisation=unit))
    page.get_by_role("button", name="新建服务团申报（附件1）").click()
    select = page.locator("select[name=recommender]")
    options = select.locator("option")
    expect(options.nth(0)).to_have_text("— 请选择 —")
    expect(options.nth(1)).to_have_text(f"{unit.district}（本区）")
    bureau = select.locator("option[data-special-allowance-only]")
    expect(bureau).to_be_disabled()
    expect(page.locator("#direct-route-hint")).to_contain_text("须由享受政府特殊津贴的专家领衔")
    page.locator("[name=experts-0-is_leader]").check()
    page.locator("[name=experts-0-talents][value=special_allowance]").check()
    expect(bureau).to_be_enabled()
    select.select_option(label=bureau.inner_text())
    page.locator("[name=experts-0-talents][value=special_allowance]").uncheck()
    expect(bureau).to_be_disabled()
    expect(select).to_have_value("")
    # The changes are saved in the background: let that save finish before the test's data
    # is torn down, or the two would meet in the database.
    expect(page.locator("[data-autosave-status]")).to_contain_text("已自动保存", timeout=10000)
