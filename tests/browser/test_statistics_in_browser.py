"""The 统计 page draws a chart per block, under the CSP, with no console errors."""

import pytest
from playwright.sync_api import expect

from reviews.engine import workflow
from tests.browser.conftest import log_in
from tests.factories import (
    BureauFactory,
    CallFactory,
    CompleteApplicationFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_every_chart_renders_without_errors(page, page_errors, live_server, checkpoint):
    CallFactory()
    unit = UnitFactory()
    app = CompleteApplicationFactory(unit=unit)
    workflow.transition(app, "submit", user=UserFactory(organisation=unit))
    log_in(page, live_server, UserFactory(organisation=BureauFactory()))
    page.get_by_role("link", name="统计").click()
    charts = page.locator("[data-chart]")
    expect(charts.first).to_be_visible()
    count = charts.count()
    assert count >= 10
    expect(page.locator("[data-chart] svg")).to_have_count(count)
    checkpoint("statistics")
    assert page_errors == []


def test_the_bureau_lists_totals_arrive_after_the_rows(page, page_errors, live_server, checkpoint):
    """The list shows its rows, then its script fills the totals line with the sums of every
    matching item; a filter's line sums only what it lets through."""
    call = CallFactory(applications_per_unit=5)
    unit = UnitFactory()
    for amount in (12, 18):
        app = CompleteApplicationFactory(unit=unit, call=call, requested_amount=amount)
        workflow.transition(app, "submit", user=UserFactory(organisation=unit))
    log_in(page, live_server, UserFactory(organisation=BureauFactory()))
    page.get_by_role("link", name="全市申报").click()
    totals = page.get_by_test_id("totals")
    expect(totals).to_contain_text("合计（筛选结果）：2 项")
    expect(totals).to_contain_text("30.00")
    expect(totals).to_contain_text("配套支持 0.00 万元")
    checkpoint("bureau-list-totals")
    page.get_by_label("名称或单位").fill("没有这个名字")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_test_id("totals")).to_contain_text("0 项")
    expect(page.get_by_test_id("totals")).to_contain_text("配套支持 0.00 万元")
    assert page_errors == []
