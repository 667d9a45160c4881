"""A district returns an application, the unit fixes and resubmits, the district recommends."""

import pytest
from playwright.sync_api import expect

from applications.models import Application
from reviews.engine import workflow
from shanghai_experts.states import State
from tests.browser.conftest import act, log_in
from tests.factories import (
    CallFactory,
    CompleteApplicationFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_return_resubmit_and_recommend(page, live_server):
    call = CallFactory()
    unit = UnitFactory()
    unit_user = UserFactory(organisation=unit)
    district_user = UserFactory(organisation=unit.district)
    app = CompleteApplicationFactory(call=call, unit=unit)
    workflow.transition(app, "submit", user=unit_user)

    log_in(page, live_server, district_user)
    page.get_by_role("link", name="待审项目").click()
    page.get_by_role("link", name=app.name).click()
    act(page, "accept")
    expect(page.get_by_test_id("state")).to_have_text("推荐单位审核中")
    act(page, "return", **{"退回意见（申报单位将看到）（必填）": "请补充第二位专家的联系方式"})
    expect(page.get_by_test_id("state")).to_have_text("已退回修改")

    log_in(page, live_server, unit_user)
    page.get_by_role("link", name="查看").click()
    expect(page.get_by_test_id("history")).to_contain_text("请补充第二位专家的联系方式")
    page.get_by_role("link", name="继续填写").first.click()
    page.get_by_label("服务团名称").fill("修改后的服务团")
    page.get_by_test_id("submit").click()
    page.get_by_test_id("pledge").check()  # the confirmation page's 信用承诺
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("state")).to_have_text("已提交，待推荐单位受理")
    expect(page.get_by_test_id("history")).to_contain_text("与上一轮提交相比修改了：服务团名称")

    log_in(page, live_server, district_user)
    page.goto(f"{live_server.url}/reviews/")
    page.get_by_role("link", name="修改后的服务团").click()
    act(page, "accept")
    act(page, "recommend", **{"推荐单位意见（必填）": "同意推荐，排第一"})
    expect(page.get_by_test_id("state")).to_have_text("已推荐至市人社局")
    expect(page.get_by_text("推荐排序：第 1 位")).to_be_visible()
    app.refresh_from_db()
    assert app.state == State.RECOMMENDED
    assert Application.objects.get(pk=app.pk).recommender_opinion == "同意推荐，排第一"
